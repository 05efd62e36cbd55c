"""Roles and their preset permissions.

A role is a person's standing in the system (not in one meeting: see ``Participant.role``).
Permissions are plain strings so services can ask ``has_perm(user, CREATE_MEETING)`` without a
database round trip; per-user grants come from Django's own permission system on top.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    UNIT_ADMIN = "unit_admin", _("Unit administrator")
    SECRETARY = "secretary", _("Secretary")
    CHAIR = "chair", _("Chair")
    DELEGATE = "delegate", _("Delegate")
    GUEST = "guest", _("Guest")
    SITE_OPERATOR = "site_operator", _("Site operator")


CREATE_MEETING = "create_meeting"
MANAGE_UNIT_USERS = "manage_unit_users"
MANAGE_ALL = "manage_all"
SEE_ALL_MEETINGS = "see_all_meetings"
SEE_UNIT_MEETINGS = "see_unit_meetings"
OPERATE_SITE = "operate_site"

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.SYSTEM_ADMIN: frozenset(
        {CREATE_MEETING, MANAGE_UNIT_USERS, MANAGE_ALL, SEE_ALL_MEETINGS, SEE_UNIT_MEETINGS}
    ),
    Role.UNIT_ADMIN: frozenset({CREATE_MEETING, MANAGE_UNIT_USERS, SEE_UNIT_MEETINGS}),
    Role.SECRETARY: frozenset({CREATE_MEETING, SEE_UNIT_MEETINGS}),
    Role.CHAIR: frozenset({CREATE_MEETING, SEE_UNIT_MEETINGS}),
    Role.DELEGATE: frozenset({SEE_UNIT_MEETINGS}),
    Role.GUEST: frozenset(),
    Role.SITE_OPERATOR: frozenset({OPERATE_SITE, SEE_UNIT_MEETINGS}),
}


def role_has(role: str, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())
