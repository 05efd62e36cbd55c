"""Hand committed events to the channel layer. Delivery is at-most-once; the event log is the truth.

Groups: ``meeting.<id>`` holds every socket of the meeting; ``meeting.<id>.editors`` and
``meeting.<id>.members`` hold each audience. An event whose content is the same for both
audiences is published once to the meeting group; otherwise each audience gets its own filtered
copy. The frame text is built here, once per audience, and consumers forward the same bytes.
"""

from __future__ import annotations

import time
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from meetings.models import Meeting, MeetingEvent
from realtime.audience import AUDIENCES, EDITORS, MEMBERS
from realtime.snapshot import dumps, event_frame


def group_name(meeting_id: int) -> str:
    return f"meeting.{meeting_id}"


def audience_group(meeting_id: int, audience: str) -> str:
    return f"meeting.{meeting_id}.{audience}"


def event_messages(event: MeetingEvent) -> list[tuple[str, dict[str, Any]]]:
    at = event.at.isoformat()
    texts = {a: event_frame(event.seq, event.type, event.data, at, a) for a in AUDIENCES}
    # Who may lose or gain rights: a removed participant's socket closes itself after this event;
    # after a change of chair, secretary or host unit, the sockets it may concern check again.
    revoke = event.data.get("user_id") if event.type == "participant.removed" else None
    roles = None
    if event.type == "meeting.updated":
        roles = Meeting.objects.filter(pk=event.meeting_id).values("chair_id", "secretary_id", "host_unit_id").first()

    def message(group: str, text: str) -> tuple[str, dict[str, Any]]:
        return group, {"type": "meeting.event", "group": group, "seq": event.seq, "text": text, "revoke": revoke,
                       "roles": roles}

    if texts[EDITORS] == texts[MEMBERS]:
        return [message(group_name(event.meeting_id), texts[EDITORS])]
    return [message(audience_group(event.meeting_id, a), texts[a]) for a in AUDIENCES]


async def send_all(messages: list[tuple[str, dict[str, Any]]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for group, message in messages:
        # When it left, for the fan-out latency histogram (operations/metrics.py) in every receiving process.
        await layer.group_send(group, dict(message, sent_at=time.time()))


def publish_event(event: MeetingEvent) -> None:
    async_to_sync(send_all)(event_messages(event))


def frame_message(meeting_id: int, frame: dict[str, Any], audience: str | None = None) -> tuple[str, dict[str, Any]]:
    """A frame outside the event log (e.g. presence, a presenter's page turn) for every socket of a meeting,
    or of one audience. Not replayed: use it only for state a client can do without after a reconnect."""
    group = group_name(meeting_id) if audience is None else audience_group(meeting_id, audience)
    return group, {"type": "meeting.frame", "group": group, "seq": frame.get("seq"), "text": dumps(frame)}


def publish_frame(meeting_id: int, frame: dict[str, Any], audience: str | None = None) -> None:
    """From sync code (services, views): send a non-event frame now. When it reflects a database change,
    call it from ``transaction.on_commit``."""
    if audience not in (None, EDITORS, MEMBERS):
        raise ValueError(audience)
    async_to_sync(send_all)([frame_message(meeting_id, frame, audience)])
