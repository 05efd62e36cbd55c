"""Checking the chains: recompute every hash and report the first entry that does not match."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from meetings.models import AuditEntry, MeetingEvent, RecordChain
from meetings.record import chain
from meetings.record.seal import AUDIT


@dataclass(frozen=True)
class Break:
    chain: str  # "audit" or "meeting <id>"
    entry_id: int
    position: int  # seq, or the audit chain index
    reason: str

    def __str__(self) -> str:
        return f"{self.chain}: entry {self.entry_id} at {self.position}: {self.reason}"


def audit_trail() -> Break | None:
    previous, expected = chain.GENESIS, 1
    for entry in AuditEntry.objects.filter(chain_index__isnull=False).order_by("chain_index").iterator(2000):
        if entry.chain_index != expected:
            return Break(AUDIT, entry.id, entry.chain_index, f"entry {expected} is missing")
        computed = chain.link(previous, chain.audit_fields(entry.chain_index, entry.actor_id, entry.action,
                                                            entry.meeting_id, entry.target, entry.data, entry.at))
        if computed != entry.chain_hash:
            return Break(AUDIT, entry.id, entry.chain_index, "changed after it was written")
        previous, expected = entry.chain_hash, expected + 1
    head = RecordChain.objects.filter(name=AUDIT).first()
    if head and (head.head_index, head.head_hash) != (expected - 1, previous):
        return Break(AUDIT, 0, head.head_index, "the last entries were removed")
    return None


def meeting_log(meeting_id: int) -> Break | None:
    previous, expected = chain.GENESIS, 1
    events = MeetingEvent.objects.filter(meeting_id=meeting_id).order_by("seq")
    for event in events.iterator(2000):
        where = f"meeting {meeting_id}"
        if event.seq != expected:
            return Break(where, event.id, event.seq, f"event {expected} is missing")
        computed = chain.link(previous, chain.event_fields(meeting_id, event.seq, event.type, event.data,
                                                            event.actor_id, event.at))
        if computed != event.hash:
            return Break(where, event.id, event.seq, "changed after it was written")
        previous, expected = event.hash, expected + 1
    return None


def meeting_logs(meeting_ids: list[int] | None = None) -> Iterator[Break]:
    ids = meeting_ids if meeting_ids is not None else list(
        MeetingEvent.objects.values_list("meeting_id", flat=True).distinct().order_by("meeting_id"))
    for meeting_id in ids:
        found = meeting_log(meeting_id)
        if found:
            yield found
