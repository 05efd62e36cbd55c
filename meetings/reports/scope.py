"""Whose figures a person may see. Organisers (secretaries, chairs, unit and system administrators) see the
meetings of the units they serve and the people in them; everyone else sees only their own figures."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import User
from accounts.roles import CREATE_MEETING, Role
from meetings.models import Meeting
from meetings.permissions import admin_unit_ids


def is_organiser(user: User) -> bool:
    return user.is_authenticated and user.is_active and (user.is_system_admin or user.can(CREATE_MEETING))


def organised_meetings(user: User) -> QuerySet[Meeting]:
    """The meetings whose figures ``user`` may see as an organiser (none for a delegate, guest or site)."""
    meetings = Meeting.objects.all()
    if not is_organiser(user):
        return meetings.none()
    if user.is_system_admin:
        return meetings
    rule = Q(chair=user) | Q(secretary=user)
    if user.role == Role.UNIT_ADMIN:
        rule |= Q(host_unit_id__in=admin_unit_ids(user))
    elif user.unit_id:
        # A secretary or chair serves their unit and what lies under it (a department's divisions).
        rule |= Q(host_unit_id__in=user.unit.descendant_ids())
    return meetings.filter(rule)


def own_meetings(user: User) -> QuerySet[Meeting]:
    """The meetings a person was invited to: the base of their own figures."""
    return Meeting.objects.filter(participants__user=user)
