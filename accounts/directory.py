"""Who a person may find in the people directory, and whether they see contact details (read-only rules).

The tender's privacy rules: a person sees
- the people of their own unit and the units below it (a department sees its staff, a district its
  communes' officials);
- the people they meet: everyone taking part in a meeting they take part in (participants, chair,
  secretary), drafts included only for that draft's chair and secretary, who prepare it;
- everything their role allows: whoever organises meetings (secretaries, chairs, unit administrators,
  system administrators) chooses participants from every unit, so sees the whole directory.
A guest has no unit tree: only the people of meetings they take part in.

Phone numbers and e-mail addresses go to organisers only (``sees_contacts``); everyone else gets names,
units, positions and roles.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import User
from accounts.roles import CREATE_MEETING, Role


def organises(viewer: User) -> bool:
    """Organisers (the roles that create meetings) and system administrators: they see the whole directory,
    with phone numbers and e-mail addresses."""
    return viewer.is_authenticated and viewer.is_active and (viewer.is_system_admin or viewer.can(CREATE_MEETING))


sees_contacts = organises


def shared_meetings(viewer: User) -> QuerySet:
    from meetings.models import Meeting

    taking_part = Q(participants__user=viewer) & ~Q(status=Meeting.Status.DRAFT)
    return Meeting.objects.filter(taking_part | Q(chair=viewer) | Q(secretary=viewer))


def visible_people(viewer: User) -> QuerySet[User]:
    """The active people ``viewer`` may find."""
    people = User.objects.filter(is_active=True)
    if not viewer.is_authenticated or not viewer.is_active:
        return people.none()
    if organises(viewer):
        return people
    from meetings.models import Participant

    meetings = shared_meetings(viewer)
    rule = (Q(pk=viewer.pk)
            | Q(pk__in=Participant.objects.filter(meeting__in=meetings.values("pk")).values("user_id"))
            | Q(pk__in=meetings.values("chair_id")) | Q(pk__in=meetings.values("secretary_id")))
    if viewer.unit_id and viewer.role != Role.GUEST:
        rule |= Q(unit_id__in=viewer.unit.descendant_ids())
    return people.filter(rule)
