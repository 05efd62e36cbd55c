"""The bench meetings' common ground, for the set-up scripts (after ``django.setup()``): a unit, a chair,
N delegates, a meeting with agenda items, published and in progress; API tokens for sockets."""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command
from django.utils import timezone

from accounts.models import ApiToken, Unit, User
from meetings.models import AgendaItem, Meeting
from meetings.services import agenda, meetings, participants


def meeting_in_progress(n: int, items: list[str]) -> tuple[User, list[User], Meeting, list[AgendaItem]]:
    """Migrate the scratch database, then: (chair, delegates, meeting, agenda items)."""
    call_command("migrate", verbosity=0)
    unit = Unit.objects.create(code="bench", name="Bench unit")
    chair = User.objects.create(username="chair", full_name="Chủ trì", unit=unit, role="chair")
    delegates = User.objects.bulk_create(
        [User(username=f"d{i}", full_name=f"Đại biểu {i}", unit=unit, role="delegate", calendar_token=f"c{i}")
         for i in range(n)]
    )
    start = timezone.now() + dt.timedelta(days=30)
    meeting = meetings.create_meeting(
        chair, title="Bench", host_unit=unit, chair=chair, start=start, end=start + dt.timedelta(hours=2), urgent=True
    )
    agenda_items = [agenda.add_item(chair, meeting, title=title) for title in items]
    for user in delegates:
        participants.add_participant(chair, meeting, user)
    meetings.publish_meeting(chair, meeting)
    meetings.change_status(chair, meeting, "in_progress")
    return chair, delegates, meeting, agenda_items


def token(user: User) -> str:
    return ApiToken.issue(user, "bench")[1]
