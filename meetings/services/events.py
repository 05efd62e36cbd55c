"""The meeting's event log: the one place that hands out ``seq`` and publishes after commit."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from meetings.models import AuditEntry, Meeting, MeetingEvent
from meetings.record import chain, seal

log = logging.getLogger(__name__)


def record(meeting: Meeting, type: str, data: dict[str, Any], actor: User | None) -> MeetingEvent:
    """Append one event, numbered in the caller's transaction, and publish it once that commits.

    ``seq`` comes from an UPDATE on the meeting row, which takes the row lock on every database we
    run on, so two writers can never get the same number and a rolled-back change leaves no gap.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("events.record must run inside the service's transaction")
    Meeting.objects.filter(pk=meeting.pk).update(last_seq=F("last_seq") + 1)
    seq = Meeting.objects.filter(pk=meeting.pk).values_list("last_seq", flat=True).get()
    meeting.last_seq = seq
    # The log is a hash chain (meetings/record): the previous event is stable here, under the row lock.
    previous = MeetingEvent.objects.filter(meeting_id=meeting.pk, seq=seq - 1).values_list("hash", flat=True).first()
    at = timezone.now()
    digest = chain.link(previous or chain.GENESIS,
                        chain.event_fields(meeting.pk, seq, type, data, actor.pk if actor else None, at))
    event = MeetingEvent.objects.create(meeting=meeting, seq=seq, type=type, data=data, actor=actor, at=at,
                                        hash=digest)
    transaction.on_commit(lambda: _publish(event))
    return event


def audit(actor: User | None, action: str, meeting: Meeting | None = None, target: str = "", **data: Any) -> None:
    AuditEntry.objects.create(actor=actor, action=action, meeting=meeting, target=target[:255], data=data)
    seal.seal_after_commit()


def _publish(event: MeetingEvent) -> None:
    # Imported late: the realtime app depends on meetings, not the other way round.
    try:
        from realtime.publish import publish_event
    except ImportError:  # pragma: no cover - realtime not installed
        return
    try:
        publish_event(event)
    except Exception:  # the event is committed; clients will find it by seq when they resync
        log.exception("publishing event %s/%s failed", event.meeting_id, event.seq)
