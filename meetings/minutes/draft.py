"""Drafting the minutes and the conclusion notice from what the system recorded. Read-only.

The words of the documents are Vietnamese, written here rather than through gettext: they are the
official record (as ``meetings.voting.wording`` writes a vote's result). A draft is a JSON document:

- ``header``: parent body, issuing body, number and symbol, place, date (NĐ 30/2020 layout);
- ``facts``: title, time (planned and actual), place, format, chair, secretary;
- ``attendance``: present in the hall, online per remote site, absent with reason, substitutes, proxies,
  guests, and the counts;
- ``items``: agenda items in order with presenter, documents, speakers (from the speaking queue's turns),
  votes (options, counts, the rule and the result sentence), and the secretary's ``discussion`` (sanitised
  HTML) and ``conclusion`` (the chair's conclusion on the item, plain text);
- ``other_speakers`` / ``other_votes`` outside any item; ``closing`` (HTML); ``recipients``; ``signers``.

Redrafting refreshes the facts and keeps what the secretary wrote (``merge``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from meetings.models import AgendaItem, Attendance, Meeting, MeetingEvent, Participant, SpeakRequest
from meetings.textsearch import fold

FORMATS = {"in_person": "trực tiếp", "online": "trực tuyến", "hybrid": "trực tiếp kết hợp trực tuyến"}
CLASSIFICATIONS = {"mat": "MẬT", "toi_mat": "TỐI MẬT", "tuyet_mat": "TUYỆT MẬT"}
SPEAK_KINDS = {"speak": "phát biểu", "question": "chất vấn"}
# What the secretary writes; everything else is redrafted from the record.
EDITABLE_ITEM_FIELDS = ("discussion", "conclusion")
EDITABLE_TOP_FIELDS = ("header", "opening", "closing", "recipients")


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value) if value is not None else None


def hhmm(value: dt.datetime | None) -> str:
    value = _local(value)
    return f"{value:%H}:{value:%M}" if value else ""


def person(user) -> str:
    """ "Trần Văn Minh, Chủ tịch UBND tỉnh": the name, then the position (or the unit)."""
    if user is None:
        return ""
    tail = user.position or (user.unit.name if user.unit_id else "")
    return f"{user}, {tail}" if tail else str(user)


def place_name(meeting: Meeting) -> str:
    """The place in "Minh Sơn, ngày ...": the province's name without "UBND tỉnh"."""
    unit = meeting.host_unit
    root = (unit.ancestors() or [unit])[-1]
    name = root.name
    for prefix in ("UBND tỉnh ", "UBND thành phố ", "Ủy ban nhân dân tỉnh ", "Ủy ban nhân dân thành phố ",
                   "UBND ", "Ủy ban nhân dân "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def symbol(meeting: Meeting, kind: str) -> str:
    """ "BB-VAN-PHONG": the kind of text and the issuing unit's code; the office edits it as it numbers texts."""
    return f"{kind}-{fold(meeting.host_unit.code).upper()}"


def header(meeting: Meeting, kind: str) -> dict[str, Any]:
    unit = meeting.host_unit
    parent = unit.parent.name.upper() if unit.parent_id else ""
    return {
        "parent_body": parent,
        "issuing_body": unit.name.upper(),
        "number": "",
        "symbol": symbol(meeting, kind),
        "place": place_name(meeting),
        "date": timezone.localdate().isoformat() if kind == "TB" else _local(meeting.start).date().isoformat(),
        "classification": CLASSIFICATIONS.get(meeting.classification, ""),
    }


def _status_times(meeting: Meeting) -> tuple[dt.datetime | None, dt.datetime | None]:
    """When the meeting really started and ended: its status events in the log."""
    started = ended = None
    for at, data in MeetingEvent.objects.filter(meeting=meeting, type="meeting.status").values_list("at", "data"):
        if data.get("status") == "in_progress" and started is None:
            started = at
        elif data.get("status") == "ended":
            ended = at
    return started, ended


def facts(meeting: Meeting) -> dict[str, Any]:
    started, ended = _status_times(meeting)
    start, end = _local(meeting.start), _local(meeting.end)
    return {
        "title": meeting.title,
        "kind": str(meeting.kind) if meeting.kind_id else "",
        "date": (_local(started) or start).date().isoformat(),
        "planned_start": hhmm(start),
        "planned_end": hhmm(end),
        "started": hhmm(started) or hhmm(start),
        "ended": hhmm(ended) or hhmm(end),
        "place": meeting.place,
        "format": FORMATS.get(meeting.format, meeting.format),
        "host_unit": meeting.host_unit.name,
        "chair": person(meeting.chair),
        "secretary": person(meeting.secretary),
        "sites": [u.name for u in meeting.remote_sites.order_by("order", "name")],
    }


def attendance(meeting: Meeting) -> dict[str, Any]:
    people = list(meeting.participants.select_related(
        "user", "user__unit", "site", "attendance", "attendance__site", "substitute_for__user", "proxy_to__user"
    ).order_by("id"))
    hall: list[str] = []
    online: dict[str, list[str]] = {}
    absent: list[dict[str, str]] = []
    guests: list[str] = []
    substitutes: list[dict[str, str]] = []
    proxies: list[dict[str, str]] = []
    members = present = 0
    for p in people:
        row = getattr(p, "attendance", None)
        status = row.status if row is not None else Attendance.Status.NOT_YET
        name = person(p.user)
        if p.substitute_for_id:
            substitutes.append({"name": str(p.user), "instead_of": str(p.substitute_for.user)})
        if p.proxy_to_id:
            proxies.append({"name": str(p.user), "to": str(p.proxy_to.user)})
        voting = p.can_vote and p.rsvp != Participant.Rsvp.SUBSTITUTED
        members += voting
        if status in (Attendance.Status.IN_PERSON, Attendance.Status.ONLINE, Attendance.Status.LEFT):
            present += voting
            if p.role == Participant.Role.GUEST:
                guests.append(name)
            elif status == Attendance.Status.ONLINE:
                site = (row.site if row.site_id else p.site) if row else p.site
                online.setdefault(site.name if site else "", []).append(name)
            else:
                hall.append(name)
            continue
        if p.role == Participant.Role.SITE:
            continue
        reason = (row.reason if row is not None else "") or p.rsvp_reason
        if p.rsvp == Participant.Rsvp.SUBSTITUTED:
            reason = reason or "cử người dự thay"
        elif p.rsvp == Participant.Rsvp.PROXY:
            reason = reason or f"ủy quyền cho {p.proxy_to.user}" if p.proxy_to_id else reason
        absent.append({"name": name, "reason": reason or ("" if status == Attendance.Status.ABSENT
                                                          else "không điểm danh")})
    return {
        "hall": hall,
        "online": [{"site": site, "people": names} for site, names in sorted(online.items())],
        "absent": absent,
        "guests": guests,
        "substitutes": substitutes,
        "proxies": proxies,
        "members": members,
        "present": present,
        "invited": len(people),
    }


def _speaker_rows(turns: list[SpeakRequest]) -> list[dict[str, Any]]:
    rows = []
    for t in turns:
        seconds = int((t.ended_at - t.started_at).total_seconds()) if t.ended_at and t.started_at else None
        rows.append({
            "name": person(t.participant.user),
            "kind": SPEAK_KINDS.get(t.kind, t.kind),
            "start": hhmm(t.started_at),
            "end": hhmm(t.ended_at),
            "duration": f"{seconds // 60} phút {seconds % 60:02d} giây" if seconds is not None else "",
        })
    return rows


def _vote_row(item) -> dict[str, Any]:
    from meetings.voting.services import item_data

    result = item.result or {}
    return {
        "vote_id": item.pk,
        "question": item.question.get("text", ""),
        "secret": item.secret,
        "rule": item_data(item)["rule_vi"],
        "options": [{"label": o["label"], "votes": o["votes"], "percent": o["percent_vi"]}
                    for o in result.get("options", [])],
        "lines": result.get("lines_vi", []),
        "sentence": item.sentence,
        "passed": result.get("passed"),
    }


def items(meeting: Meeting) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(agenda items, speakers outside any item, votes outside any item)."""
    from meetings.documents.models import Document
    from meetings.voting.models import VotingItem

    agenda = list(AgendaItem.objects.filter(meeting=meeting).select_related("presenter").order_by("order"))
    ids = {a.pk for a in agenda}
    turns = list(SpeakRequest.objects.filter(meeting=meeting, started_at__isnull=False)
                 .select_related("participant__user", "participant__user__unit").order_by("started_at", "id"))
    votes = list(VotingItem.objects.filter(
        meeting=meeting, status__in=[VotingItem.Status.CLOSED, VotingItem.Status.PUBLISHED]).order_by("closed_at", "id"))
    documents: dict[int, list[str]] = {}
    for item_id, title in (Document.objects.filter(meeting=meeting, current_version__isnull=False)
                           .order_by("order", "id").values_list("agenda_item_id", "title")):
        documents.setdefault(item_id, []).append(title)
    live = getattr(meeting, "live", None)
    elapsed = (live.item_elapsed if live is not None else {}) or {}
    rows = []
    for a in agenda:
        seconds = elapsed.get(str(a.pk))
        rows.append({
            "agenda_item_id": a.pk,
            "order": a.order,
            "title": a.title,
            "presenter": person(a.presenter) if a.presenter_id else a.presenter_name,
            "planned_minutes": a.planned_minutes,
            "spent_minutes": round(seconds / 60) if isinstance(seconds, int | float) else None,
            "documents": documents.get(a.pk, []),
            "speakers": _speaker_rows([t for t in turns if t.agenda_item_id == a.pk]),
            "votes": [_vote_row(v) for v in votes if v.agenda_item_id == a.pk],
            "discussion": "",
            "conclusion": "",
        })
    others = [t for t in turns if t.agenda_item_id not in ids]
    other_votes = [_vote_row(v) for v in votes if v.agenda_item_id not in ids]
    return rows, _speaker_rows(others), other_votes


def draft_content(meeting: Meeting) -> dict[str, Any]:
    agenda, other_speakers, other_votes = items(meeting)
    return {
        "header": header(meeting, "BB"),
        "facts": facts(meeting),
        "attendance": attendance(meeting),
        "items": agenda,
        "other_speakers": other_speakers,
        "other_votes": other_votes,
        "opening": "",
        "closing": "",
        "recipients": ["Chủ trì cuộc họp (để b/c)", "Các thành phần dự họp", "Lưu: VT"],
        "signers": {"chair": str(meeting.chair or ""), "secretary": str(meeting.secretary or "")},
    }


def merge(fresh: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """A redraft: the facts from ``fresh``, what the secretary wrote from ``old``."""
    out = dict(fresh)
    for key in EDITABLE_TOP_FIELDS:
        if key in old:
            out[key] = old[key]
    written = {i.get("agenda_item_id"): i for i in old.get("items", [])}
    out["items"] = [{**i, **{k: written.get(i["agenda_item_id"], {}).get(k, "") for k in EDITABLE_ITEM_FIELDS}}
                    for i in fresh["items"]]
    return out


def conclusions(content: dict[str, Any]) -> list[dict[str, Any]]:
    """The chair's conclusions in the minutes, per agenda item, in order (what a notice states)."""
    return [{"agenda_item_id": i["agenda_item_id"], "title": i["title"], "text": i["conclusion"].strip()}
            for i in content.get("items", []) if (i.get("conclusion") or "").strip()]


def notice_content(meeting: Meeting, minutes_content: dict[str, Any] | None) -> dict[str, Any]:
    """The conclusion notice's draft: the meeting in one paragraph, then the conclusions of the minutes."""
    start = _local(meeting.start)
    chair = meeting.chair
    intro = (f"Ngày {start:%d/%m/%Y}, {str(chair) if chair else 'chủ trì cuộc họp'}"
             f"{', ' + chair.position if chair and chair.position else ''} đã chủ trì cuộc họp "
             f"“{meeting.title}”{' tại ' + meeting.place if meeting.place else ''}. "
             f"Sau khi nghe báo cáo và ý kiến của các đại biểu dự họp, "
             f"{'đồng chí ' + str(chair) if chair else 'chủ trì cuộc họp'} kết luận như sau:")
    return {
        "header": header(meeting, "TB"),
        "issuer": meeting.host_unit.name,
        "subject": f"Kết luận của {chair.position if chair and chair.position else 'chủ trì'} "
                   f"tại cuộc họp {meeting.title}",
        "intro": intro,
        "conclusions": conclusions(minutes_content or {}),
        "closing": "",
        "recipients": ["Các thành phần dự họp", "Các đơn vị liên quan", "Lưu: VT"],
        "signer": {"name": str(chair or ""), "position": (chair.position if chair else "") or "CHỦ TRÌ"},
    }
