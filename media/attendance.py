"""Roll call from the briefing: a remote site whose connection comes up counts as online attendance
for the participants registered at it who have not been marked yet (present in person, absent or
gone stay as the roll call says). One transaction with the meeting row locked, through the live
room's own attendance step, so the change is an ``attendance.changed`` event like a check-in."""

from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async
from django.db import transaction
from django.utils import timezone

from meetings.models import Attendance, Meeting
from meetings.services import live

log = logging.getLogger(__name__)


def count_site_soon(meeting_id: int, site_id: int) -> None:
    """On the media loop: count the site as connected in a task, so the loop never waits for the database."""

    async def mark() -> None:
        try:
            await database_sync_to_async(site_connected)(meeting_id, site_id)
        except Exception:
            log.exception("meeting %s: roll call of site %s failed", meeting_id, site_id)

    asyncio.get_running_loop().create_task(mark())


def site_connected(meeting_id: int, site_id: int) -> int:
    """Mark the site's people online; returns how many changed."""
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().filter(pk=meeting_id).first()
        if meeting is None or meeting.status not in (Meeting.Status.PUBLISHED, Meeting.Status.IN_PROGRESS):
            return 0
        marked = {a.participant_id: a.status for a in Attendance.objects.filter(participant__meeting=meeting)}
        ctx = live.Context(None, meeting, None, timezone.now())
        changed = 0
        for participant in meeting.participants.filter(site_id=site_id).order_by("pk"):
            if marked.get(participant.pk, Attendance.Status.NOT_YET) == Attendance.Status.NOT_YET:
                live._set_attendance(ctx, participant, Attendance.Status.ONLINE, site_id)
                changed += 1
        return changed
