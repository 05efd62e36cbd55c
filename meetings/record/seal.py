"""Sealing the audit trail: entries get their place and hash in the chain right after their transaction
commits, in one short transaction of their own that locks only the chain's head row.

Why after commit and not in the service's transaction: audit entries come from every service, across
meetings and processes; chaining them as they are written would make every service lock one shared row
until its commit (serialising unrelated meetings, and a new lock order beside the meeting and vote rows).
Ids are given at insert, commits land in another order, so the chain follows sealing order, not ids. An
entry is unsealed only between its commit and the sealer's run (or after a crash in between: the next seal,
or ``verify_record``, seals it)."""

from __future__ import annotations

import logging

from django.db import transaction

from meetings.models import AuditEntry, RecordChain
from meetings.record import chain

log = logging.getLogger(__name__)
AUDIT = "audit"
BATCH = 500


def seal_audit_trail() -> int:
    """Seal every entry not yet in the chain; the number sealed."""
    sealed = 0
    while True:
        with transaction.atomic():
            head, _created = RecordChain.objects.select_for_update().get_or_create(
                name=AUDIT, defaults={"head_index": 0, "head_hash": chain.GENESIS})
            pending = list(AuditEntry.objects.filter(chain_index__isnull=True).order_by("id")[:BATCH])
            if not pending:
                return sealed
            index, previous = head.head_index, head.head_hash
            for entry in pending:
                index += 1
                entry.chain_index = index
                entry.chain_hash = previous = chain.link(previous, chain.audit_fields(
                    index, entry.actor_id, entry.action, entry.meeting_id, entry.target, entry.data, entry.at))
            AuditEntry.objects.bulk_update(pending, ["chain_index", "chain_hash"])
            head.head_index, head.head_hash = index, previous
            head.save(update_fields=["head_index", "head_hash"])
            sealed += len(pending)


def seal_after_commit() -> None:
    def run() -> None:
        try:
            seal_audit_trail()
        except Exception:  # the entry is committed; the next seal or verify_record seals it
            log.exception("sealing the audit trail failed")

    transaction.on_commit(run)
