"""Minutes and conclusion notices: the only code that changes their rows.

Each service checks permission and input, runs in one transaction with the meeting row locked, appends
``minutes.changed`` / ``notice.changed`` to the meeting's event log (status and version only: the text
is not shared state) and writes the audit trail. Notifications of an issued notice are created in the
same transaction (in the site's language), like invitations.

Minutes: draft → in review → returned (with a reason) → in review → approved. An approved version is
frozen; a change needs a new version with its reason (``new_version``), and the approved one is kept.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from meetings.errors import Conflict, Invalid, NotFound
from meetings.minutes import access, draft, richtext
from meetings.minutes.models import ConclusionNotice, Minutes, MinutesVersion
from meetings.models import Meeting, Notification
from meetings.services import events
from meetings.workdays import add_working_days

V = MinutesVersion.Status
S = Meeting.Status
# The record is written once the meeting has started; a draft or cancelled meeting has none.
RECORD_STATUSES = (S.IN_PROGRESS, S.ENDED, S.ARCHIVED)
EDITABLE = (V.DRAFT, V.RETURNED)
MAX_REASON = 2000
MAX_LINE = 500
HEADER_FIELDS = ("parent_body", "issuing_body", "number", "symbol", "place", "date")


def _locked(actor: User, meeting: Meeting | int) -> Meeting:
    meeting = access.meeting_for(actor, meeting)
    return Meeting.objects.select_for_update(of=("self",)).select_related("host_unit", "chair", "secretary").get(pk=meeting.pk)


def _need_record(meeting: Meeting) -> None:
    if meeting.status not in RECORD_STATUSES:
        raise Invalid(_("Minutes are written once the meeting has started."), "meeting_not_held")


def _current(meeting: Meeting, *, lock: bool = False) -> MinutesVersion:
    qs = MinutesVersion.objects.filter(minutes__meeting=meeting).order_by("-number")
    version = (qs.select_for_update() if lock else qs).first()
    if version is None:
        raise NotFound(_("The minutes of this meeting have not been started yet."), "no_minutes")
    return version


def _emit(meeting: Meeting, version: MinutesVersion, actor: User, action: str, **audit: Any) -> None:
    events.record(meeting, "minutes.changed", {"status": version.status, "version": version.number,
                                                "action": action}, actor)
    events.audit(actor, f"minutes.{action}", meeting, f"minutes v{version.number}", **audit)


def _reason(text: Any, field: str, message: str) -> str:
    text = (text or "").strip() if isinstance(text, str) else ""
    if not text:
        raise Invalid(message, "reason_required", field=field)
    return text[:MAX_REASON]


def version_data(version: MinutesVersion, *, with_content: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "meeting_id": version.minutes.meeting_id,
        "version": version.number,
        "status": version.status,
        "status_label": str(version.get_status_display()),
        "reason": version.reason,
        "return_reason": version.return_reason,
        "edited_by": str(version.edited_by) if version.edited_by_id else None,
        "edited_at": version.edited_at.isoformat(),
        "submitted_at": version.submitted_at.isoformat() if version.submitted_at else None,
        "decided_by": str(version.decided_by) if version.decided_by_id else None,
        "decided_at": version.decided_at.isoformat() if version.decided_at else None,
    }
    if with_content:
        data["content"] = version.content
    return data


# Minutes ------------------------------------------------------------------------------------------

@transaction.atomic
def start(actor: User, meeting: Meeting | int) -> MinutesVersion:
    """Draft the minutes from the record (version 1). Starting twice returns the existing minutes."""
    meeting = _locked(actor, meeting)
    access.require_writer(actor, meeting)
    _need_record(meeting)
    existing = MinutesVersion.objects.filter(minutes__meeting=meeting).order_by("-number").first()
    if existing is not None:
        return existing
    minutes = Minutes.objects.create(meeting=meeting, created_by=actor)
    version = MinutesVersion.objects.create(minutes=minutes, number=1, content=draft.draft_content(meeting),
                                            edited_by=actor)
    _emit(meeting, version, actor, "started")
    return version


def _need_editable(version: MinutesVersion) -> None:
    if version.status == V.APPROVED:
        raise Conflict(_("The minutes are approved and frozen. Start a new version, with its reason, to change "
                         "them."), "minutes_frozen")
    if version.status not in EDITABLE:
        raise Conflict(_("The minutes are with the chair for review; they can be changed once returned."),
                       "minutes_in_review")


@transaction.atomic
def redraft(actor: User, meeting: Meeting | int) -> MinutesVersion:
    """Refresh attendance, speakers, votes and documents from the record, keeping what was written."""
    meeting = _locked(actor, meeting)
    access.require_writer(actor, meeting)
    version = _current(meeting, lock=True)
    _need_editable(version)
    version.content = draft.merge(draft.draft_content(meeting), version.content)
    version.edited_by, version.edited_at = actor, timezone.now()
    version.save(update_fields=["content", "edited_by", "edited_at"])
    _emit(meeting, version, actor, "redrafted")
    return version


def _text(value: Any, field: str, limit: int = MAX_LINE) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid(_("“%(name)s” must be text.") % {"name": field}, "bad_field", field=field)
    return value.strip()[:limit]


def _recipients(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise Invalid(_("The recipients are a list of lines."), "bad_field", field="recipients")
    return [line for line in (_text(v, "recipients") for v in value) if line][:50]


def _header(old: dict[str, Any], changes: Any) -> dict[str, Any]:
    if not isinstance(changes, dict):
        raise Invalid(_("“%(name)s” must be an object.") % {"name": "header"}, "bad_field", field="header")
    out = dict(old)
    for key, value in changes.items():
        if key not in HEADER_FIELDS:
            raise Invalid(_("Unknown field: %(name)s") % {"name": f"header.{key}"}, "bad_field",
                          field=f"header.{key}")
        out[key] = _text(value, f"header.{key}")
    if out.get("date"):
        try:
            dt.date.fromisoformat(out["date"])
        except ValueError:
            raise Invalid(_("The date must be written as YYYY-MM-DD."), "bad_date", field="header.date") from None
    return out


def apply_minutes_changes(content: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The content with the secretary's changes; HTML sanitised, unknown fields refused."""
    out = copy.deepcopy(content)
    for key, value in changes.items():
        if key == "header":
            out["header"] = _header(out.get("header", {}), value)
        elif key in ("opening", "closing"):
            out[key] = richtext.clean(_text(value, key, richtext.MAX_LENGTH))
        elif key == "recipients":
            out["recipients"] = _recipients(value)
        elif key == "items":
            if not isinstance(value, list):
                raise Invalid(_("“%(name)s” must be a list.") % {"name": "items"}, "bad_field", field="items")
            rows = {i["agenda_item_id"]: i for i in out.get("items", [])}
            for change in value:
                row = rows.get(change.get("agenda_item_id")) if isinstance(change, dict) else None
                if row is None:
                    raise Invalid(_("This agenda item is not in the minutes."), "unknown_item", field="items")
                if "discussion" in change:
                    row["discussion"] = richtext.clean(_text(change["discussion"], "discussion",
                                                             richtext.MAX_LENGTH))
                if "conclusion" in change:
                    row["conclusion"] = _text(change["conclusion"], "conclusion", 20_000)
        else:
            raise Invalid(_("Unknown field: %(name)s") % {"name": key}, "bad_field", field=key)
    return out


@transaction.atomic
def edit(actor: User, meeting: Meeting | int, changes: dict[str, Any]) -> MinutesVersion:
    meeting = _locked(actor, meeting)
    access.require_writer(actor, meeting)
    version = _current(meeting, lock=True)
    _need_editable(version)
    version.content = apply_minutes_changes(version.content, changes)
    version.edited_by, version.edited_at = actor, timezone.now()
    version.save(update_fields=["content", "edited_by", "edited_at"])
    _emit(meeting, version, actor, "edited", fields=sorted(changes))
    return version


@transaction.atomic
def submit(actor: User, meeting: Meeting | int) -> MinutesVersion:
    """Send the minutes to the chair for review."""
    meeting = _locked(actor, meeting)
    access.require_writer(actor, meeting)
    version = _current(meeting, lock=True)
    _need_editable(version)
    version.status, version.submitted_at = V.IN_REVIEW, timezone.now()
    version.save(update_fields=["status", "submitted_at"])
    _emit(meeting, version, actor, "submitted")
    if meeting.chair_id and meeting.chair_id != actor.pk:
        _notify([meeting.chair], meeting, "minutes", _("Minutes to review: %(title)s") % {"title": meeting.title},
                _("The secretary has sent the minutes for your review."), reverse("minutes-page", args=[meeting.pk]))
    return version


def _need_review(version: MinutesVersion) -> None:
    if version.status != V.IN_REVIEW:
        raise Conflict(_("The minutes have not been sent for review."), "minutes_not_in_review")


@transaction.atomic
def return_for_changes(actor: User, meeting: Meeting | int, reason: Any) -> MinutesVersion:
    meeting = _locked(actor, meeting)
    access.require_chair(actor, meeting, _("Only the chair can approve or return the minutes."))
    version = _current(meeting, lock=True)
    _need_review(version)
    version.return_reason = _reason(reason, "reason", _("Say what should be changed."))
    version.status, version.decided_by, version.decided_at = V.RETURNED, actor, timezone.now()
    version.save(update_fields=["status", "return_reason", "decided_by", "decided_at"])
    _emit(meeting, version, actor, "returned", reason=version.return_reason)
    if meeting.secretary_id and meeting.secretary_id != actor.pk:
        _notify([meeting.secretary], meeting, "minutes",
                _("Minutes returned: %(title)s") % {"title": meeting.title}, version.return_reason,
                reverse("minutes-page", args=[meeting.pk]))
    return version


@transaction.atomic
def approve(actor: User, meeting: Meeting | int) -> MinutesVersion:
    meeting = _locked(actor, meeting)
    access.require_chair(actor, meeting, _("Only the chair can approve or return the minutes."))
    version = _current(meeting, lock=True)
    _need_review(version)
    version.status, version.decided_by, version.decided_at = V.APPROVED, actor, timezone.now()
    version.save(update_fields=["status", "decided_by", "decided_at"])
    _emit(meeting, version, actor, "approved")
    return version


@transaction.atomic
def new_version(actor: User, meeting: Meeting | int, reason: Any) -> MinutesVersion:
    """A change to approved minutes: a new draft version with its reason; the approved one stays as it was."""
    meeting = _locked(actor, meeting)
    access.require_writer(actor, meeting)
    version = _current(meeting, lock=True)
    if version.status != V.APPROVED:
        raise Conflict(_("Only approved minutes need a new version; these can still be edited."), "minutes_not_frozen")
    why = _reason(reason, "reason", _("Say why the approved minutes must change."))
    fresh = MinutesVersion.objects.create(minutes=version.minutes, number=version.number + 1,
                                          content=copy.deepcopy(version.content), reason=why, edited_by=actor)
    _emit(meeting, fresh, actor, "new_version", reason=why)
    return fresh


def current_for(user: User, meeting: Meeting) -> MinutesVersion | None:
    """The version this person may read: the working one for the writers and editors, else the approved one."""
    if access.may_see_drafts(user, meeting):
        return MinutesVersion.objects.filter(minutes__meeting=meeting).order_by("-number").first()
    if not access.may_read_record(user, meeting):
        return None
    return MinutesVersion.objects.filter(minutes__meeting=meeting, status=V.APPROVED).order_by("-number").first()


def approved_version(meeting: Meeting) -> MinutesVersion | None:
    return MinutesVersion.objects.filter(minutes__meeting=meeting, status=V.APPROVED).order_by("-number").first()


# Notifications ------------------------------------------------------------------------------------

def _notify(users, meeting: Meeting, kind: str, title: str, body: str, url: str) -> None:
    Notification.objects.bulk_create([Notification(user=u, meeting=meeting, kind=kind, title=title[:500],
                                                    body=body, url=url) for u in users])


# Conclusion notice --------------------------------------------------------------------------------

def notice_due_date(meeting: Meeting) -> dt.date:
    """N working days after the meeting's day (QĐ 45/2018: five), by the working-day calendar."""
    return add_working_days(timezone.localtime(meeting.end).date(), settings.PHONGHOP_NOTICE_WORKING_DAYS)


def notice_state(meeting: Meeting, notice: ConclusionNotice | None = None, today: dt.date | None = None
                 ) -> dict[str, Any] | None:
    """{"state": "issued" | "overdue" | "due", "due": date, ...} for a held meeting, None otherwise."""
    if meeting.status not in (S.ENDED, S.ARCHIVED):
        return None
    if notice is None:
        notice = ConclusionNotice.objects.filter(meeting=meeting).first()
    due = notice.due_date if notice else notice_due_date(meeting)
    today = today or timezone.localdate()
    if notice is not None and notice.status == ConclusionNotice.Status.ISSUED:
        return {"state": "issued", "due": due, "issued_at": notice.issued_at,
                "late": timezone.localtime(notice.issued_at).date() > due}
    return {"state": "overdue" if today > due else "due", "due": due, "drafted": notice is not None}


def notice_data(notice: ConclusionNotice, *, with_content: bool = True) -> dict[str, Any]:
    state = notice_state(notice.meeting, notice) or {}
    data: dict[str, Any] = {
        "meeting_id": notice.meeting_id,
        "status": notice.status,
        "status_label": str(notice.get_status_display()),
        "state": state.get("state"),
        "due_date": notice.due_date.isoformat(),
        "issued_at": notice.issued_at.isoformat() if notice.issued_at else None,
        "issued_by": str(notice.issued_by) if notice.issued_by_id else None,
        "edited_at": notice.edited_at.isoformat(),
    }
    if with_content:
        data["content"] = notice.content
    return data


def _emit_notice(meeting: Meeting, notice: ConclusionNotice, actor: User, action: str, **audit: Any) -> None:
    events.record(meeting, "notice.changed", {"status": notice.status, "due_date": notice.due_date.isoformat(),
                                               "action": action}, actor)
    events.audit(actor, f"notice.{action}", meeting, "conclusion notice", **audit)


@transaction.atomic
def draft_notice(actor: User, meeting: Meeting | int) -> ConclusionNotice:
    """Draft the notice from the minutes' conclusions (the approved version if there is one); drafting again
    refreshes the conclusions of a notice not yet issued."""
    meeting = _locked(actor, meeting)
    access.require_writer(actor, meeting)
    if meeting.status not in (S.ENDED, S.ARCHIVED):
        raise Invalid(_("The conclusion notice is drafted after the meeting has ended."), "meeting_not_ended")
    source = approved_version(meeting) or MinutesVersion.objects.filter(
        minutes__meeting=meeting).order_by("-number").first()
    content = draft.notice_content(meeting, source.content if source else None)
    notice = ConclusionNotice.objects.select_for_update().filter(meeting=meeting).first()
    if notice is None:
        notice = ConclusionNotice.objects.create(meeting=meeting, content=content, created_by=actor,
                                                 due_date=notice_due_date(meeting))
        _emit_notice(meeting, notice, actor, "drafted")
        return notice
    _need_notice_draft(notice)
    notice.content = {**notice.content, "conclusions": content["conclusions"]}
    notice.edited_at = timezone.now()
    notice.save(update_fields=["content", "edited_at"])
    _emit_notice(meeting, notice, actor, "redrafted")
    return notice


def _need_notice_draft(notice: ConclusionNotice) -> None:
    if notice.status == ConclusionNotice.Status.ISSUED:
        raise Conflict(_("The notice has been issued and can no longer be changed."), "notice_issued")


def _notice_for(meeting: Meeting, *, lock: bool = False) -> ConclusionNotice:
    qs = ConclusionNotice.objects.filter(meeting=meeting)
    notice = (qs.select_for_update() if lock else qs).first()
    if notice is None:
        raise NotFound(_("The conclusion notice has not been drafted yet."), "no_notice")
    return notice


@transaction.atomic
def edit_notice(actor: User, meeting: Meeting | int, changes: dict[str, Any]) -> ConclusionNotice:
    meeting = _locked(actor, meeting)
    access.require_writer(actor, meeting)
    notice = _notice_for(meeting, lock=True)
    _need_notice_draft(notice)
    content = copy.deepcopy(notice.content)
    for key, value in changes.items():
        if key == "header":
            content["header"] = _header(content.get("header", {}), value)
        elif key in ("subject", "intro"):
            content[key] = _text(value, key, 5000)
        elif key == "closing":
            content["closing"] = richtext.clean(_text(value, key, richtext.MAX_LENGTH))
        elif key == "recipients":
            content["recipients"] = _recipients(value)
        elif key == "conclusions":
            if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
                raise Invalid(_("“%(name)s” must be a list.") % {"name": key}, "bad_field", field=key)
            content["conclusions"] = [{"agenda_item_id": c.get("agenda_item_id"),
                                       "title": _text(c.get("title"), "conclusions.title"),
                                       "text": _text(c.get("text"), "conclusions.text", 20_000)} for c in value]
        elif key == "signer":
            if not isinstance(value, dict):
                raise Invalid(_("“%(name)s” must be an object.") % {"name": key}, "bad_field", field=key)
            content["signer"] = {"name": _text(value.get("name"), "signer.name"),
                                 "position": _text(value.get("position"), "signer.position")}
        else:
            raise Invalid(_("Unknown field: %(name)s") % {"name": key}, "bad_field", field=key)
    notice.content, notice.edited_at = content, timezone.now()
    notice.save(update_fields=["content", "edited_at"])
    _emit_notice(meeting, notice, actor, "edited", fields=sorted(changes))
    return notice


@transaction.atomic
def issue_notice(actor: User, meeting: Meeting | int) -> ConclusionNotice:
    """The chair issues the notice: it is frozen, published in the meeting's record, and every participant
    (and the people of the units given tasks by the meeting) is notified in the application."""
    meeting = _locked(actor, meeting)
    access.require_chair(actor, meeting, _("Only the chair can issue the conclusion notice."))
    notice = _notice_for(meeting, lock=True)
    _need_notice_draft(notice)
    if not notice.content.get("conclusions"):
        raise Invalid(_("The notice states no conclusion yet."), "no_conclusions", field="conclusions")
    notice.status, notice.issued_by, notice.issued_at = ConclusionNotice.Status.ISSUED, actor, timezone.now()
    notice.save(update_fields=["status", "issued_by", "issued_at"])
    _emit_notice(meeting, notice, actor, "issued")
    users = {p.user_id: p.user for p in meeting.participants.select_related("user") if p.user.is_active}
    for user in concerned_unit_people(meeting):
        users.setdefault(user.pk, user)
    users.pop(actor.pk, None)
    with translation.override(settings.LANGUAGE_CODE):
        _notify(users.values(), meeting, "notice",
                _("Conclusion notice issued: %(title)s") % {"title": meeting.title},
                _("The conclusion notice of the meeting has been issued. Open it to read the conclusions."),
                reverse("notice-page", args=[meeting.pk]))
    return notice


def concerned_unit_people(meeting: Meeting) -> list[User]:
    """Unit administrators of the units the meeting gave tasks to (the "units concerned")."""
    try:
        from meetings.tasks.models import Task
    except ImportError:  # tasks not installed
        return []
    unit_ids = set(Task.objects.filter(meeting=meeting, unit__isnull=False).values_list("unit_id", flat=True))
    if not unit_ids:
        return []
    return list(User.objects.filter(unit_id__in=unit_ids, role="unit_admin", is_active=True))


# Digital signatures -------------------------------------------------------------------------------

def _store_signed(actor: User, meeting: Meeting, kind: str, version: int, pdf: bytes, reason: str):
    import hashlib

    from meetings.minutes import signing
    from meetings.minutes.models import SignedDocument

    signer = signing.load_signer()
    if signer is None:
        raise signing.NoSigner(_("No signing certificate is configured on this server (PHONGHOP_SIGNER_PKCS12)."))
    if SignedDocument.objects.filter(meeting=meeting, kind=kind, version=version).exists():
        raise Conflict(_("This document has already been signed."), "already_signed")
    location = (meeting.host_unit.name if meeting.host_unit_id else "")
    signed = signing.sign_pdf(pdf, signer, reason=reason, location=location)
    row = SignedDocument.objects.create(meeting=meeting, kind=kind, version=version, pdf=signed,
                                        sha256=hashlib.sha256(signed).hexdigest(),
                                        signer_name=signing.signer_name(signer), signed_by=actor)
    events.record(meeting, "record.signed", {"kind": kind, "version": version}, actor)
    events.audit(actor, f"{kind}.signed", meeting, f"{kind} v{version}", sha256=row.sha256,
                 certificate=row.signer_name)
    return row


@transaction.atomic
def sign_minutes(actor: User, meeting: Meeting | int):
    """The chair signs the approved minutes' PDF (PAdES) with the deployment's certificate."""
    from meetings.minutes import files

    meeting = _locked(actor, meeting)
    access.require_chair(actor, meeting, _("Only the chair signs the minutes."))
    version = approved_version(meeting)
    if version is None:
        raise Conflict(_("Only approved minutes are signed."), "minutes_not_approved")
    return _store_signed(actor, meeting, "minutes", version.number, files.minutes_file(version, "pdf"),
                         "Phê duyệt biên bản cuộc họp")


@transaction.atomic
def sign_notice(actor: User, meeting: Meeting | int):
    """The chair signs the issued conclusion notice's PDF (PAdES)."""
    from meetings.minutes import files

    meeting = _locked(actor, meeting)
    access.require_chair(actor, meeting, _("Only the chair signs the conclusion notice."))
    notice = ConclusionNotice.objects.filter(meeting=meeting).first()
    if notice is None or notice.status != ConclusionNotice.Status.ISSUED:
        raise Conflict(_("Only an issued notice is signed."), "notice_not_issued")
    return _store_signed(actor, meeting, "notice", 0, files.notice_file(notice, "pdf"), "Ban hành thông báo kết luận")


def signed_data(row) -> dict[str, Any]:
    """A stored signed PDF with the result of verifying it now."""
    from meetings.minutes import signing

    check = signing.verify_pdf(bytes(row.pdf))
    return {"kind": row.kind, "version": row.version, "sha256": row.sha256, "certificate": row.signer_name,
            "signed_by": str(row.signed_by) if row.signed_by_id else None, "signed_at": row.signed_at.isoformat(),
            "verification": check}
