"""Participants and their answers to the invitation (RSVP): confirm, decline, substitute, proxy."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Unit, User
from meetings import permissions
from meetings.errors import Conflict, Forbidden, Invalid, NotFound
from meetings.models import Meeting, Participant
from meetings.services import events, invitations
from meetings.services.meetings import EDITABLE_STATUSES

P = Participant


def participant_data(p: Participant) -> dict[str, Any]:
    return {
        "id": p.pk,
        "user_id": p.user_id,
        "name": str(p.user),
        "role": p.role,
        "can_vote": p.can_vote,
        "site_id": p.site_id,
        "rsvp": p.rsvp,
        # Editors only: realtime.audience strips it from what members receive.
        "rsvp_reason": p.rsvp_reason,
        "substitute_for": p.substitute_for_id,
        "proxy_to": p.proxy_to_id,
    }


def _locked_editable(actor: User, meeting: Meeting) -> Meeting:
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    permissions.require_edit(actor, meeting)
    if meeting.status not in EDITABLE_STATUSES:
        raise Invalid(_("A meeting that has ended or was cancelled can no longer be changed."), "not_editable")
    return meeting


def _get(meeting: Meeting, participant_id: int) -> Participant:
    p = meeting.participants.select_related("user").filter(pk=participant_id).first()
    if p is None:
        raise NotFound(_("This participant is not in the meeting."))
    return p


def _site(site_id: int | Unit | None) -> Unit | None:
    if site_id is None or isinstance(site_id, Unit):
        return site_id
    site = Unit.objects.filter(pk=site_id).first()
    if site is None:
        raise Invalid(_("Unknown remote site."), field="site")
    return site


@transaction.atomic
def add_participant(
    actor: User, meeting: Meeting, user: User | int, *, role: str = P.Role.DELEGATE,
    can_vote: bool | None = None, site: int | Unit | None = None,
) -> Participant:
    meeting = _locked_editable(actor, meeting)
    if isinstance(user, int):
        found = User.objects.filter(pk=user, is_active=True).first()
        if found is None:
            raise Invalid(_("Unknown person."), field="user")
        user = found
    if role not in P.Role.values:
        raise Invalid(_("Unknown role in the meeting."), field="role")
    if can_vote is None:
        can_vote = role in (P.Role.CHAIR, P.Role.DELEGATE)
    if role == P.Role.GUEST and can_vote:
        raise Invalid(_("Guests have no voting right."), field="can_vote")
    try:
        with transaction.atomic():
            p = Participant.objects.create(meeting=meeting, user=user, role=role, can_vote=can_vote, site=_site(site))
    except IntegrityError:
        raise Conflict(_("%(name)s is already a participant.") % {"name": user}, "already_participant") from None
    events.record(meeting, "participant.added", participant_data(p), actor)
    events.audit(actor, "participant.add", meeting, str(user), role=role)
    if meeting.status != Meeting.Status.DRAFT:
        invitations.send_invitations(meeting, actor, only=[p])
    return p


@transaction.atomic
def update_participant(actor: User, meeting: Meeting, participant_id: int, **values: Any) -> Participant:
    meeting = _locked_editable(actor, meeting)
    p = _get(meeting, participant_id)
    if "role" in values:
        if values["role"] not in P.Role.values:
            raise Invalid(_("Unknown role in the meeting."), field="role")
        p.role = values["role"]
    if "can_vote" in values:
        p.can_vote = bool(values["can_vote"])
    if "site" in values:
        p.site = _site(values["site"])
    if p.role == P.Role.GUEST and p.can_vote:
        raise Invalid(_("Guests have no voting right."), field="can_vote")
    p.save()
    events.record(meeting, "participant.updated", participant_data(p), actor)
    events.audit(actor, "participant.update", meeting, str(p.user))
    return p


@transaction.atomic
def remove_participant(actor: User, meeting: Meeting, participant_id: int) -> None:
    meeting = _locked_editable(actor, meeting)
    p = _get(meeting, participant_id)
    if p.user_id in (meeting.chair_id, meeting.secretary_id):
        raise Invalid(
            _("The chair and the secretary cannot be removed; change them on the meeting first."), "role_participant"
        )
    data = participant_data(p)
    was_invited = p.invited_at is not None
    p.delete()
    events.record(meeting, "participant.removed", data, actor)
    events.audit(actor, "participant.remove", meeting, data["name"])
    if was_invited:
        invitations.send_withdrawal(meeting, actor, p.user)


@transaction.atomic
def respond(
    actor: User, meeting: Meeting, *, answer: str, reason: str = "",
    substitute: User | int | None = None, proxy_to: int | None = None,
) -> Participant:
    """The invitee's own answer. Declining needs a reason; a substitute becomes a participant."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    p = meeting.participants.select_related("user").filter(user=actor).first()
    if p is None:
        raise Forbidden(_("You are not invited to this meeting."))
    if meeting.status not in (Meeting.Status.PUBLISHED, Meeting.Status.IN_PROGRESS):
        raise Invalid(_("Answers are taken only for published meetings."), "not_open")
    if answer not in P.Rsvp.values or answer == P.Rsvp.PENDING:
        raise Invalid(_("Unknown answer."), field="answer")
    reason = (reason or "").strip()
    p.proxy_to = None
    created: Participant | None = None
    if answer == P.Rsvp.DECLINED and not reason:
        raise Invalid(_("Please give the reason for your absence."), "reason_required", field="reason")
    if answer == P.Rsvp.SUBSTITUTED:
        created = _add_substitute(meeting, p, substitute)
    if answer == P.Rsvp.PROXY:
        p.proxy_to = _proxy_target(meeting, p, proxy_to)
    p.rsvp, p.rsvp_reason, p.rsvp_at = answer, reason, timezone.now()
    p.save()
    events.record(meeting, "participant.rsvp", participant_data(p), actor)
    if created:
        events.record(meeting, "participant.added", participant_data(created), actor)
        invitations.send_invitations(meeting, actor, only=[created])
    events.audit(actor, "participant.rsvp", meeting, str(actor), answer=answer, reason=reason)
    invitations.notify_editors_of_answer(meeting, p)
    return p


def _add_substitute(meeting: Meeting, p: Participant, substitute: User | int | None) -> Participant:
    if substitute is None:
        raise Invalid(_("Name the person who attends instead of you."), "substitute_required", field="substitute")
    if isinstance(substitute, int):
        substitute = User.objects.filter(pk=substitute, is_active=True).first()
        if substitute is None:
            raise Invalid(_("Unknown person."), field="substitute")
    if substitute.pk == p.user_id or meeting.participants.filter(user=substitute).exists():
        raise Conflict(_("%(name)s is already a participant.") % {"name": substitute}, "already_participant")
    return Participant.objects.create(
        meeting=meeting, user=substitute, role=p.role, can_vote=p.can_vote, site=p.site,
        substitute_for=p, rsvp=P.Rsvp.CONFIRMED, rsvp_at=timezone.now(),
    )


def _proxy_target(meeting: Meeting, p: Participant, proxy_to: int | None) -> Participant:
    if not p.can_vote:
        raise Invalid(_("Only participants with a voting right can give a proxy."), "no_voting_right")
    target = meeting.participants.filter(pk=proxy_to).first() if proxy_to else None
    if target is None or target.pk == p.pk:
        raise Invalid(_("Choose another participant of this meeting to hold your proxy."), "bad_proxy", field="proxy_to")
    if not target.can_vote:
        raise Invalid(_("The proxy must go to a participant with a voting right."), "proxy_not_voter", field="proxy_to")
    if target.rsvp in (P.Rsvp.DECLINED, P.Rsvp.SUBSTITUTED, P.Rsvp.PROXY):
        raise Invalid(
            _("%(name)s will not attend and cannot hold your proxy.") % {"name": target.user},
            "proxy_target_absent", field="proxy_to",
        )
    return target
