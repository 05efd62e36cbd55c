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

from django.db import connection, transaction

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
            index, previous = _lock_head()
            pending = list(AuditEntry.objects.filter(chain_index__isnull=True).order_by("id").values_list(
                "id", "actor_id", "action", "meeting_id", "target", "data", "at")[:BATCH])
            if not pending:
                return sealed
            links = []
            for pk, actor_id, action, meeting_id, target, data, at in pending:
                index += 1
                previous = chain.link(previous, chain.audit_fields(index, actor_id, action, meeting_id, target, data, at))
                links.append((pk, index, previous))
            _write_links(links)
            with connection.cursor() as cursor:
                cursor.execute(f"UPDATE {RecordChain._meta.db_table} SET head_index = %s, head_hash = %s WHERE name = %s",
                               [index, previous, AUDIT])
            sealed += len(pending)
        if len(pending) < BATCH:
            # Everything committed before this seal began is sealed. An entry committed since has its own seal
            # coming (every transaction that writes one seals after it commits): no second pass to find none.
            return sealed


def _lock_head() -> tuple[int, str]:
    """The chain's head (index, hash), locked until the transaction ends; made on the first seal. A plain read:
    a burst of ballots seals often, and the ORM's get_or_create was a good part of each seal's cost."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT head_index, head_hash FROM {RecordChain._meta.db_table} WHERE name = %s{lock}", [AUDIT])
        row = cursor.fetchone()
    if row is not None:
        return row[0], row[1]
    head, _created = RecordChain.objects.select_for_update().get_or_create(
        name=AUDIT, defaults={"head_index": 0, "head_hash": chain.GENESIS})
    return head.head_index, head.head_hash


def _write_links(links: list[tuple[int, int, str]]) -> None:
    """(id, chain_index, chain_hash) of each entry, in one UPDATE joined to a VALUES list. ``bulk_update``
    wrote a CASE with a branch per entry, built from a Q and a When per entry and field: after a burst of
    ballots (hundreds of entries per seal) that took most of a server's CPU, and the database compared every
    row with every branch."""
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    row = "(CAST(%s AS bigint), CAST(%s AS bigint), %s)" if connection.vendor == "postgresql" else "(%s, %s, %s)"
    with connection.cursor() as cursor:
        for start in range(0, len(links), 300):  # 900 parameters: within SQLite's limit of 999
            chunk = links[start:start + 300]
            cursor.execute(f"WITH v(id, idx, hash) AS (VALUES {', '.join([row] * len(chunk))}) "
                           f"UPDATE {table} SET chain_index = v.idx, chain_hash = v.hash FROM v "
                           f"WHERE {table}.id = v.id", [x for link in chunk for x in link])


def seal_audit_trail_logged() -> None:
    """``seal_audit_trail`` after a commit: a failure is logged, not raised (the entries are committed)."""
    try:
        seal_audit_trail()
    except Exception:  # the entry is committed; the next seal or verify_record seals it
        log.exception("sealing the audit trail failed")


def seal_after_commit() -> None:
    transaction.on_commit(seal_audit_trail_logged)
