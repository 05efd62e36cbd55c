"""Roll-call export (điểm danh): CSV and XLSX of who attended, how, from where, with the quorum.

Built from the same rows as the live snapshot, so the file says what the room showed. For the
meeting's organisers only (reasons for absence are in it).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Unit
from meetings import permissions
from meetings.models import Attendance, LiveState, Meeting, Participant
from realtime.snapshot import build

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _local(value: str | dt.datetime | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = parse_datetime(value)
    return date_format(timezone.localtime(value), "d/m/Y H:i")


def table(meeting: Meeting) -> tuple[list[str], list[list[Any]], list[tuple[str, Any]]]:
    """(header, rows, summary) of the meeting's roll call."""
    _seq, state = build(meeting.pk)
    people = {p.pk: p for p in meeting.participants.select_related("user", "user__unit")}
    sites = {u.pk: str(u) for u in Unit.objects.filter(pk__in={
        r["attendance_site_id"] or r["site_id"] for r in state["participants"]} - {None})}
    marks = {a.participant_id: a for a in Attendance.objects.filter(participant__meeting=meeting)}
    header = [_("No."), _("Full name"), _("Unit"), _("Position"), _("Role in the meeting"), _("Voting right"),
              _("Answer to the invitation"), _("Attendance"), _("Remote site"), _("Checked in at"),
              _("Last change"), _("Reason for absence")]
    rows = []
    for n, r in enumerate(state["participants"], start=1):
        p = people[r["id"]]
        mark = marks.get(p.pk)
        site = r["attendance_site_id"] or r["site_id"]
        rows.append([
            n, p.user.get_full_name(), str(p.user.unit) if p.user.unit_id else "", p.user.position,
            str(Participant.Role(p.role).label), _("Yes") if p.can_vote else _("No"),
            str(Participant.Rsvp(p.rsvp).label), str(Attendance.Status(r["attendance"]).label),
            sites.get(site, "") if site else "", _local(mark.checked_in_at if mark else None),
            _local(r["attendance_at"]), r.get("absence_reason", ""),
        ])
    rc = state["roll_call"]
    rule = str(LiveState.QuorumRule(state["live"]["quorum_rule"]).label)
    summary = [
        (_("Present in person"), rc["in_person"]),
        (_("Present online"), rc["online"]),
        (_("Absent"), rc["absent"]),
        (_("Not checked in yet"), rc["not_yet"]),
        (_("Left the meeting"), rc["left"]),
        (_("Members with a voting right"), rc["members"]),
        (_("Members present"), rc["members_present"]),
        (_("Quorum rule"), rule),
        (_("Members needed for the quorum"), rc["quorum_required"]),
        (_("Quorum reached"), _("Yes") if rc["quorum_reached"] else _("No")),
    ]
    return header, rows, summary


def _title(meeting: Meeting) -> list[str]:
    when = date_format(timezone.localtime(meeting.start), "d/m/Y H:i")
    return [_("Roll call: %(title)s") % {"title": meeting.title}, when, meeting.place]


def attendance_csv(meeting: Meeting) -> bytes:
    header, rows, summary = table(meeting)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_title(meeting))
    writer.writerow([])
    writer.writerow(header)
    writer.writerows(rows)
    writer.writerow([])
    writer.writerows(summary)
    # A byte-order mark, so spreadsheet programs read the Vietnamese letters as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def attendance_xlsx(meeting: Meeting) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    header, rows, summary = table(meeting)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Roll call")[:31]
    title, when, place = _title(meeting)
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([", ".join(x for x in (when, place) if x)])
    sheet.append([])
    sheet.append(header)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    first = sheet.max_row + 1
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = f"A{first}"
    sheet.append([])
    for label, value in summary:
        sheet.append([None, label, value])
        sheet.cell(sheet.max_row, 2).font = Font(bold=True)
    widths = [6, 28, 28, 20, 14, 10, 16, 18, 22, 16, 16, 36]
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _organised(request: HttpRequest, meeting_id: int) -> Meeting:
    meeting = get_object_or_404(Meeting, pk=meeting_id)
    if not permissions.can_edit(request.user, meeting):
        raise PermissionDenied(_("Only the meeting's organisers can export the roll call."))
    return meeting


def _download(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def csv_view(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _organised(request, meeting_id)
    return _download(attendance_csv(meeting), "text/csv; charset=utf-8", f"diem-danh-{meeting.pk}.csv")


@login_required
def xlsx_view(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _organised(request, meeting_id)
    return _download(attendance_xlsx(meeting), XLSX_TYPE, f"diem-danh-{meeting.pk}.xlsx")
