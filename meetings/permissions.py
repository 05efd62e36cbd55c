"""Who may see and who may change a meeting. Read-only: nothing here writes."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import User
from accounts.roles import CREATE_MEETING, OPERATE_SITE, SEE_ALL_MEETINGS, SEE_UNIT_MEETINGS, Role
from meetings.errors import Forbidden, NotFound
from meetings.models import Meeting


def admin_unit_ids(user: User) -> set[int]:
    """Units a unit administrator manages: their own and everything below it."""
    if user.role != Role.UNIT_ADMIN or not user.unit_id:
        return set()
    return user.unit.descendant_ids()


def visible_meetings(user: User) -> QuerySet[Meeting]:
    """Meetings the person takes part in or that their unit hosts; drafts only to their editors."""
    meetings = Meeting.objects.all()
    if not user.is_authenticated or not user.is_active:
        return meetings.none()
    if user.can(SEE_ALL_MEETINGS):
        return meetings
    # A meeting cancelled before it was ever published was never announced: it stays with its editors.
    not_draft = ~Q(status=Meeting.Status.DRAFT) & ~Q(status=Meeting.Status.CANCELLED, published_at__isnull=True)
    rule = Q(chair=user) | Q(secretary=user) | (Q(participants__user=user) & not_draft)
    if user.unit_id and user.can(SEE_UNIT_MEETINGS):
        rule |= Q(host_unit_id=user.unit_id) & not_draft
    if user.unit_id and user.can(OPERATE_SITE):
        rule |= Q(remote_sites=user.unit_id) & not_draft
    managed = admin_unit_ids(user)
    if managed:
        rule |= Q(host_unit_id__in=managed)
    return meetings.filter(rule).distinct()


def can_view(user: User, meeting: Meeting) -> bool:
    return visible_meetings(user).filter(pk=meeting.pk).exists()


def can_edit(user: User, meeting: Meeting) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_system_admin:
        return True
    if user.pk in (meeting.chair_id, meeting.secretary_id):
        return True
    return meeting.host_unit_id in admin_unit_ids(user)


def can_create_in(user: User, unit_id: int) -> bool:
    if not user.can(CREATE_MEETING):
        return False
    if user.is_system_admin:
        return True
    if user.role == Role.UNIT_ADMIN:
        return unit_id in admin_unit_ids(user)
    return unit_id == user.unit_id


def get_visible(user: User, meeting_id: int) -> Meeting:
    meeting = visible_meetings(user).filter(pk=meeting_id).select_related(
        "host_unit", "chair", "secretary", "room", "kind"
    ).first()
    if meeting is None:
        raise NotFound()
    return meeting


def require_edit(user: User, meeting: Meeting) -> None:
    if not can_edit(user, meeting):
        raise Forbidden()
