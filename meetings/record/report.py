"""One verification run as people read it: seal what is pending, then check every chain."""

from __future__ import annotations

from dataclasses import dataclass, field

from meetings.models import AuditEntry, MeetingEvent
from meetings.record import seal, verify


@dataclass
class Verification:
    sealed_now: int
    audit_entries: int
    meetings: int
    events: int
    breaks: list[verify.Break] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.breaks


def run(meeting_ids: list[int] | None = None) -> Verification:
    sealed = seal.seal_audit_trail()
    breaks = []
    audit = verify.audit_trail()
    if audit:
        breaks.append(audit)
    breaks += list(verify.meeting_logs(meeting_ids))
    events = MeetingEvent.objects.all()
    if meeting_ids is not None:
        events = events.filter(meeting_id__in=meeting_ids)
    return Verification(sealed_now=sealed, audit_entries=AuditEntry.objects.count(),
                        meetings=events.values("meeting_id").distinct().count(), events=events.count(),
                        breaks=breaks)
