"""The live room's floor moves the picture: giving the floor to a delegate at a site spotlights that
site; when the turn ends, a spotlight the floor set is cleared (one the chair set stays). When the
meeting ends or is cancelled, its briefing closes.

It listens to the event log (a ``MeetingEvent`` saved by ``events.record``) and tells the media
backend after the transaction commits, from whichever thread ran the command.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save

CLOSING = ("ended", "cancelled")


def _site_of(meeting_id: int, participant_id: int) -> int | None:
    from meetings.models import Meeting, Participant

    site = Participant.objects.filter(pk=participant_id, meeting_id=meeting_id).values_list("site_id", flat=True).first()
    if site is None:
        site = Meeting.objects.filter(pk=meeting_id).values_list("host_unit_id", flat=True).first()
    return site


def on_event(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if not created:
        return
    from media.backend import get_backend

    meeting_id = instance.meeting_id
    if instance.type == "speaker.changed":
        speaker = instance.data.get("speaker")
        site = _site_of(meeting_id, speaker["participant_id"]) if speaker else None
        transaction.on_commit(lambda: get_backend().control(meeting_id, "floor", {"site": site}))
    elif instance.type == "meeting.status" and instance.data.get("status") in CLOSING:
        transaction.on_commit(lambda: get_backend().control(meeting_id, "close", {}))


def connect() -> None:
    from meetings.models import MeetingEvent

    post_save.connect(on_event, sender=MeetingEvent, dispatch_uid="media.floor")
