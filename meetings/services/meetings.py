"""Create, change, publish and cancel meetings; the status machine lives here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Unit, User
from meetings import permissions
from meetings.errors import Forbidden, Invalid
from meetings.models import Meeting, MeetingKind, Participant, Room
from meetings.services import events, invitations
from meetings.workdays import latest_notice_date, working_days_between

S = Meeting.Status
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.PUBLISHED, S.CANCELLED},
    S.PUBLISHED: {S.IN_PROGRESS, S.CANCELLED},
    S.IN_PROGRESS: {S.ENDED},
    S.ENDED: {S.ARCHIVED},
    S.ARCHIVED: set(),
    S.CANCELLED: set(),
}
EDITABLE_STATUSES = {S.DRAFT, S.PUBLISHED, S.IN_PROGRESS}
# Fields whose change after publishing means the participants must be told again.
NOTIFY_FIELDS = {"start", "end", "room", "location", "format"}
# Fields that can never be empty (an API caller sending null for one is refused, not half-saved);
# null for an optional text means "no text".
REQUIRED_FIELDS = ("title", "host_unit", "start", "end", "format", "classification", "urgent")
TEXT_FIELDS = ("description", "location", "preparation", "contact")
FIELDS = (
    "title", "kind", "description", "host_unit", "chair", "secretary", "start", "end", "room", "location",
    "format", "classification", "urgent", "preparation", "contact",
)


def meeting_data(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.pk,
        "title": meeting.title,
        "status": meeting.status,
        "start": meeting.start.isoformat(),
        "end": meeting.end.isoformat(),
        "place": meeting.place,
        "format": meeting.format,
        "urgent": meeting.urgent,
        "classification": meeting.classification,
    }


def _check_fields(meeting: Meeting) -> None:
    if not (meeting.title or "").strip():
        raise Invalid(_("The meeting needs a title."), field="title")
    if meeting.start is None or meeting.end is None:
        raise Invalid(_("The meeting needs a start and an end time."), field="start")
    if meeting.end <= meeting.start:
        raise Invalid(_("The meeting must end after it starts."), field="end")
    if meeting.format not in Meeting.Format.values:
        raise Invalid(_("Unknown meeting format."), field="format")
    if meeting.classification not in Meeting.Classification.values:
        raise Invalid(_("Unknown classification."), field="classification")
    if meeting.classification != Meeting.Classification.NONE and not settings.PHONGHOP_ALLOW_CLASSIFIED:
        raise Invalid(
            _("This system is not approved for classified meetings (Mật, Tối mật, Tuyệt mật)."),
            "classified_not_allowed", field="classification",
        )


def _resolve(values: dict[str, Any]) -> dict[str, Any]:
    """Turn ids given by the API or a form into objects, refusing ids that do not exist."""
    lookups = {
        "kind": MeetingKind.objects, "host_unit": Unit.objects, "room": Room.objects,
        "chair": User.objects.filter(is_active=True), "secretary": User.objects.filter(is_active=True),
    }
    out = dict(values)
    for name in REQUIRED_FIELDS:
        if name in out and out[name] is None:
            raise Invalid(_("This field cannot be empty."), field=name)
    for name in TEXT_FIELDS:
        if name in out and out[name] is None:
            out[name] = ""
    for name, objects in lookups.items():
        if name in out and isinstance(out[name], int):
            obj = objects.filter(pk=out[name]).first()
            if obj is None:
                raise Invalid(_("Unknown value for %(field)s.") % {"field": name}, field=name)
            out[name] = obj
    return out


def _ensure_role_participant(meeting: Meeting, user: User | None, role: str) -> tuple[Participant | None, str]:
    """Make the chair or secretary a participant. Returns the row and what happened to it:
    "added", "updated" (an ordinary participant who got the role) or "" (nothing changed)."""
    if user is None:
        return None, ""
    participant, created = Participant.objects.get_or_create(
        meeting=meeting, user=user, defaults={"role": role, "rsvp": Participant.Rsvp.CONFIRMED,
                                              "can_vote": role == Participant.Role.CHAIR},
    )
    if created:
        return participant, "added"
    if participant.role != role and participant.role in (Participant.Role.DELEGATE, Participant.Role.GUEST):
        participant.role = role
        participant.save(update_fields=["role"])
        return participant, "updated"
    return participant, ""


def _set_sites(meeting: Meeting, site_ids: list[int] | None) -> bool:
    """Set the remote sites; True when the list really changed."""
    if site_ids is None:
        return False
    sites = list(Unit.objects.filter(pk__in=site_ids))
    if len(sites) != len(set(site_ids)):
        raise Invalid(_("Unknown remote site."), field="remote_sites")
    if meeting.pk and set(meeting.remote_sites.values_list("pk", flat=True)) == set(site_ids):
        return False
    meeting.remote_sites.set(sites)
    return True


@transaction.atomic
def create_meeting(actor: User, *, remote_sites: list[int] | None = None, **values: Any) -> Meeting:
    values = _resolve(values)
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise Invalid(_("Unknown fields: %(names)s") % {"names": ", ".join(sorted(unknown))})
    if values.get("host_unit") is None:
        values["host_unit"] = actor.unit
    if values["host_unit"] is None:
        raise Invalid(_("Choose the host unit."), field="host_unit")
    if not permissions.can_create_in(actor, values["host_unit"].pk):
        raise Forbidden(_("You may not create meetings for this unit."))
    if values.get("secretary") is None and actor.role == "secretary":
        values["secretary"] = actor
    meeting = Meeting(created_by=actor, **values)
    _check_fields(meeting)
    meeting.save()
    _set_sites(meeting, remote_sites)
    events.record(meeting, "meeting.created", meeting_data(meeting), actor)
    events.audit(actor, "meeting.create", meeting, meeting.title)
    _role_participants_changed(actor, meeting)
    return meeting


def _lock(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().get(pk=meeting.pk)


@transaction.atomic
def update_meeting(actor: User, meeting: Meeting, *, remote_sites: list[int] | None = None, **values: Any) -> Meeting:
    meeting = _lock(meeting)
    permissions.require_edit(actor, meeting)
    if meeting.status not in EDITABLE_STATUSES:
        raise Invalid(_("A meeting that has ended or was cancelled can no longer be changed."), "not_editable")
    values = _resolve(values)
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise Invalid(_("Unknown fields: %(names)s") % {"names": ", ".join(sorted(unknown))})
    if "host_unit" in values and values["host_unit"].pk != meeting.host_unit_id:
        if not permissions.can_create_in(actor, values["host_unit"].pk):
            raise Forbidden(_("You may not move the meeting to this unit."))
    changed = {name for name, value in values.items() if getattr(meeting, name) != value}
    announced_start = meeting.start
    previous_roles = {"chair": meeting.chair_id, "secretary": meeting.secretary_id}
    for name, value in values.items():
        setattr(meeting, name, value)
    _check_fields(meeting)
    if meeting.status == S.PUBLISHED and "start" in changed and meeting.start < announced_start:
        # Brought forward after the invitations went out: the notice rule applies as at publishing.
        _check_notice(meeting)
    if changed:
        meeting.save()
    if _set_sites(meeting, remote_sites):
        changed.add("remote_sites")
    if changed:
        events.record(meeting, "meeting.updated", meeting_data(meeting), actor)
        events.audit(actor, "meeting.update", meeting, meeting.title, fields=sorted(changed))
    _former_role_holders(actor, meeting, previous_roles)
    _role_participants_changed(actor, meeting)
    if meeting.status != S.DRAFT and changed & NOTIFY_FIELDS:
        invitations.send_change(meeting, actor)
    return meeting


def _former_role_holders(actor: User, meeting: Meeting, previous: dict[str, int | None]) -> None:
    """A replaced chair or secretary stays invited, as an ordinary delegate."""
    from meetings.services.participants import participant_data

    for field, user_id in previous.items():
        if user_id is None or user_id == getattr(meeting, f"{field}_id"):
            continue
        row = meeting.participants.filter(user_id=user_id, role=field).first()
        if row is None:
            continue
        row.role = Participant.Role.DELEGATE
        row.save(update_fields=["role"])
        events.record(meeting, "participant.updated", participant_data(row), actor)


def _role_participants_changed(actor: User, meeting: Meeting) -> None:
    """A new chair or secretary joins the participants: in the event log, and invited if published."""
    from meetings.services.participants import participant_data

    for user, role in ((meeting.chair, Participant.Role.CHAIR), (meeting.secretary, Participant.Role.SECRETARY)):
        participant, what = _ensure_role_participant(meeting, user, role)
        if not what:
            continue
        events.record(meeting, f"participant.{what}", participant_data(participant), actor)
        if what == "added" and meeting.status != S.DRAFT:
            invitations.send_invitations(meeting, actor, only=[participant])


def notice_problem(meeting: Meeting, now: dt.datetime | None = None) -> str | None:
    """Why the meeting cannot be published without the urgent flag, or None when it can."""
    now = timezone.localtime(now or timezone.now())
    lead = settings.PHONGHOP_INVITATION_LEAD_DAYS
    meeting_day = timezone.localtime(meeting.start).date()
    if meeting.urgent or working_days_between(now.date(), meeting_day) >= lead:
        return None
    return _(
        "Invitations must go out at least %(days)d working days before the meeting (by %(date)s). "
        "Mark the meeting as urgent (họp đột xuất) to publish it now."
    ) % {"days": lead, "date": latest_notice_date(meeting_day, lead).strftime("%d/%m/%Y")}


def _check_notice(meeting: Meeting) -> None:
    if meeting.start <= timezone.now():
        raise Invalid(_("The meeting's start time has already passed."), "start_in_past", field="start")
    problem = notice_problem(meeting)
    if problem:
        raise Invalid(problem, "notice_too_short", field="urgent")


def _transition(meeting: Meeting, target: str) -> None:
    if target not in S.values:
        raise Invalid(_("Unknown meeting status."), "bad_transition", field="status")
    if target not in ALLOWED_TRANSITIONS[meeting.status]:
        raise Invalid(
            _("A meeting in state “%(from)s” cannot become “%(to)s”.")
            % {"from": meeting.get_status_display(), "to": S(target).label},
            "bad_transition",
        )
    meeting.status = target


@transaction.atomic
def publish_meeting(actor: User, meeting: Meeting) -> Meeting:
    meeting = _lock(meeting)
    permissions.require_edit(actor, meeting)
    _transition(meeting, S.PUBLISHED)
    _check_notice(meeting)
    if not meeting.participants.exists():
        raise Invalid(_("Add participants before publishing."), "no_participants")
    meeting.published_at = timezone.now()
    meeting.save(update_fields=["status", "published_at", "updated_at"])
    events.record(meeting, "meeting.status", meeting_data(meeting), actor)
    events.audit(actor, "meeting.publish", meeting, meeting.title)
    invitations.send_invitations(meeting, actor)
    return meeting


@transaction.atomic
def cancel_meeting(actor: User, meeting: Meeting, reason: str) -> Meeting:
    meeting = _lock(meeting)
    permissions.require_edit(actor, meeting)
    was_published = meeting.status != S.DRAFT
    _transition(meeting, S.CANCELLED)
    if not (reason or "").strip():
        raise Invalid(_("Give the reason for cancelling."), "reason_required", field="reason")
    meeting.cancel_reason = reason.strip()
    meeting.save(update_fields=["status", "cancel_reason", "updated_at"])
    events.record(meeting, "meeting.status", meeting_data(meeting), actor)
    events.audit(actor, "meeting.cancel", meeting, meeting.title, reason=meeting.cancel_reason)
    if was_published:
        invitations.send_cancellation(meeting, actor)
    return meeting


@transaction.atomic
def change_status(actor: User, meeting: Meeting, target: str) -> Meeting:
    """Start, end or archive a meeting (publishing and cancelling have their own services)."""
    if target in (S.PUBLISHED, S.CANCELLED):
        raise Invalid(_("Use publish or cancel for this."), "bad_transition")
    meeting = _lock(meeting)
    permissions.require_edit(actor, meeting)
    _transition(meeting, target)
    meeting.save(update_fields=["status", "updated_at"])
    events.record(meeting, "meeting.status", meeting_data(meeting), actor)
    events.audit(actor, f"meeting.{target}", meeting, meeting.title)
    return meeting
