"""Hand committed events to the channel layer. Delivery is at-most-once; the event log is the truth."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from meetings.models import MeetingEvent


def group_name(meeting_id: int) -> str:
    return f"meeting.{meeting_id}"


def event_message(event: MeetingEvent) -> dict:
    return {
        "type": "meeting.event",
        "seq": event.seq,
        "event": event.type,
        "data": event.data,
        "at": event.at.isoformat(),
    }


def publish_event(event: MeetingEvent) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group_name(event.meeting_id), event_message(event))
