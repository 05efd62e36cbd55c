"""Ballots that reach a server process together, cast in one transaction (issue 14): the socket's ``vote.cast``.

A process's sockets hand their ``vote.cast`` commands to one batcher (``realtime/batching.py``): the commands
that arrive while the previous batch's transaction runs, or in the same turn of the event loop, form the next
batch. An idle server casts a lone ballot at once (no fixed delay); a burst is cast in a few transactions of
many ballots each (group commit). ``cast_many`` does for a batch what ``live.execute`` and ``services.cast``
do for one ballot, with the same checks in the same order (``services.check_*``), the same stored replies
and the same errors, in far fewer round trips:

- one transaction per meeting in the batch, its locks taken once, in the order every ballot takes them: the
  meeting's row ``FOR KEY SHARE`` (``live.lock_meeting``), then the votes' rows ``FOR SHARE``, so ballots on
  several processes do not wait for each other and a close waits for the batch (docs/voting.md, "Locks");
- one read of the command receipts already stored (a retried command id gets its stored answer), one of the
  senders' participant ids; the voters' rights and proxies come from a cache kept for the vote's life (the
  electorate is taken when the vote opens and never changes while it is open: ``take_electorate``);
- one ``INSERT ... ON CONFLICT DO NOTHING`` for the participations (the unique constraint still decides who
  has voted, across processes), one for the sealed boxes, one for the audit entries, one for the command
  receipts of every answered ballot, refusals included;
- after commit: one nudge of each vote's coalesced tally, then each sender's own reply (its receipt codes,
  which never leave the process otherwise); the audit trail is sealed off this thread (``Sealer``).

A ballot refused (no voting right, an invalid choice, a second ballot) is refused alone and its refusal is
stored, as ``execute`` stores it; an unexpected error in one ballot (sealing it) is that sender's alone
(answered ``internal``, not stored, so the same command id may be sent again). A transaction that fails as a
whole is run again when PostgreSQL aborted it as a deadlock victim (three tries, as ``execute``), and
otherwise rolled back and its ballots cast one by one by ``live.execute``: the batch never answers worse
than the path without it.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import logging
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from channels.db import database_sync_to_async
from django.db import OperationalError, connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from meetings.errors import Conflict, NotFound, ServiceError
from meetings.models import AuditEntry, CommandReceipt, Meeting, Participant
from meetings.record import seal
from meetings.services import live
from meetings.voting import options as opts
from meetings.voting import secrecy, services
from meetings.voting.models import Participation, SealedBallot, Voter, VotingItem
from operations import metrics

log = logging.getLogger(__name__)

NAME = "vote.cast"


# The electorate of each open vote, per process ------------------------------------------------------

@dataclass(frozen=True)
class Electorate:
    """What a vote's ballots are checked against, read once per process while it is open."""

    opened_at: dt.datetime
    question: opts.Question
    rights: dict[int, tuple[int, int | None]]  # participant → (weight, proxy holder's participant)
    names: dict[int, str]  # participant → name, for "you gave your proxy to ..."


_electorates: OrderedDict[int, Electorate] = OrderedDict()
MAX_CACHED = 32  # open votes at once across the meetings a process serves


def electorate(item: VotingItem) -> Electorate:
    """The vote's electorate, from the cache when it was read since the vote opened. Keyed by the vote and
    its opening time, so a vote opened again (should that ever be allowed) is read again."""
    found = _electorates.get(item.pk)
    if found is not None and found.opened_at == item.opened_at:
        _electorates.move_to_end(item.pk)
        return found
    rows = Voter.objects.filter(item_id=item.pk).values_list("participant_id", "weight", "proxy_holder_id", "name")
    found = Electorate(item.opened_at, services.question_of(item),
                       {p: (w, h) for p, w, h, _n in rows}, {p: n for p, _w, _h, n in rows})
    _electorates[item.pk] = found
    while len(_electorates) > MAX_CACHED:
        _electorates.popitem(last=False)
    return found


def forget(item_id: int) -> None:
    """Drop a vote's cached electorate (it is no longer open)."""
    _electorates.pop(item_id, None)


# The audit trail's seal, off the ballots' path --------------------------------------------------------

class Sealer:
    """Per event loop: seals the audit trail after the batches commit, in a worker thread of its own (with its
    own pooled connection), one seal at a time and at most one per ``GATHER`` seconds. The batches' database
    thread goes on to the next batch (and the replies of this one leave) instead of waiting for the seal, and
    the batches that commit meanwhile share the next one: a seal costs about as much as a small batch, so one
    per batch was half the cost of a burst of 200 ballots a second. An entry stays unsealed that much longer;
    after a crash in between, the next seal or ``verify_record`` seals it (meetings/record/seal.py)."""

    GATHER = 0.05

    def __init__(self) -> None:
        self.task: asyncio.Task | None = None
        self.again = False

    def request(self) -> None:
        if self.task is not None:
            self.again = True
            return
        # A fresh context, as the tally's task has (tally.Hub.touch): not the batch's sync_to_async marks.
        self.task = asyncio.get_running_loop().create_task(self._run(), context=contextvars.Context())

    async def drain(self) -> None:
        while self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)

    async def _run(self) -> None:
        run = database_sync_to_async(_seal_off_thread, thread_sensitive=False)
        try:
            while True:
                await asyncio.sleep(self.GATHER)
                self.again = False
                await run()
                if not self.again:
                    return
        finally:
            self.task = None


def _seal_off_thread() -> None:
    try:
        seal.seal_audit_trail()
    except Exception:  # the entries are committed; the next seal or verify_record seals them
        log.exception("sealing the audit trail failed")
    finally:
        connection.close()  # back to the pool: this worker thread may not run again soon


_sealers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Sealer] = weakref.WeakKeyDictionary()


def sealer(loop: asyncio.AbstractEventLoop | None = None) -> Sealer:
    loop = loop or asyncio.get_running_loop()
    if loop not in _sealers:
        _sealers[loop] = Sealer()
    return _sealers[loop]


def seal_soon() -> None:
    """After a batch commits. Without a server loop (a batch run outside a server: tests, commands), at once."""
    from meetings.voting.tally import _server_loop

    loop = _server_loop()
    if loop is None:
        seal.seal_audit_trail_logged()
        return
    loop.call_soon_threadsafe(lambda: sealer(loop).request(), context=contextvars.Context())


# One batch -------------------------------------------------------------------------------------------

@dataclass
class _Ballot:
    cmd: live.Batched
    participant_id: int | None = None
    item: VotingItem | None = None
    weight: int = 0
    ballot: opts.Ballot | None = None
    previous: Participation | None = None
    sealed: secrecy.Sealed | None = None
    tag: str = ""
    receipts_sealed: str = ""
    reply: dict[str, Any] | None = None  # what is stored (an ok reply, or a refusal)
    stored: tuple[str, dict[str, Any]] | None = None  # (name, reply) already stored under this command id
    error: BaseException | None = None  # unexpected: answered to this sender alone, not stored
    pending: bool = field(default=True)

    def refuse(self, error: ServiceError) -> None:
        self.reply, self.pending = live.error_reply(error), False

    def fail(self, error: BaseException) -> None:
        self.error, self.pending = error, False


def cast_many(commands: list[live.Batched]) -> list[dict[str, Any] | BaseException]:
    """``live.BATCHES["vote.cast"]``: one answer per command, in order, as ``live.execute`` would give it."""
    answers: list[dict[str, Any] | BaseException | None] = [None] * len(commands)
    # A sender with two commands in one batch (two sockets, or a resend) has them run one after the other,
    # each in its own round, as they would be one by one.
    rounds: list[list[int]] = []
    seen: dict[tuple[int, int], int] = {}
    for i, cmd in enumerate(commands):
        key = (cmd.meeting_id, cmd.user.pk)
        k = seen.get(key, 0)
        seen[key] = k + 1
        if k == len(rounds):
            rounds.append([])
        rounds[k].append(i)
    for indexes in rounds:
        by_meeting: dict[int, list[int]] = {}
        for i in indexes:
            by_meeting.setdefault(commands[i].meeting_id, []).append(i)
        for meeting_id in sorted(by_meeting):
            group = by_meeting[meeting_id]
            for i, answer in zip(group, _cast_group(meeting_id, [commands[i] for i in group]), strict=True):
                answers[i] = answer
    return answers  # type: ignore[return-value]  (every slot is filled)


def _cast_group(meeting_id: int, commands: list[live.Batched]) -> list[dict[str, Any] | BaseException]:
    for attempt in range(live.RETRIES):
        try:
            return _cast_once(meeting_id, commands)
        except OperationalError as e:
            sqlstate = getattr(e.__cause__, "sqlstate", None)
            if attempt + 1 < live.RETRIES and sqlstate in live.RETRY_SQLSTATES:
                log.warning("%d ballots: transaction aborted (%s), running it again", len(commands), sqlstate)
                continue
            failure: BaseException = e
        except Exception as e:  # noqa: BLE001 - the ballots are cast one by one below, which reports its own
            failure = e
        break
    # The type only: a database error's message may quote a row's values (the arguments are private).
    log.warning("%d ballots: the batch failed (%s), casting them one by one", len(commands), type(failure).__name__)
    return [_one(cmd) for cmd in commands]


def _one(cmd: live.Batched) -> dict[str, Any] | BaseException:
    try:
        return live.execute(cmd.user, cmd.meeting_id, cmd.command_id, cmd.name, cmd.args)
    except Exception as e:  # noqa: BLE001 - answered to its sender, who may send it again
        return e


def _cast_once(meeting_id: int, commands: list[live.Batched]) -> list[dict[str, Any] | BaseException]:
    ballots = [_Ballot(cmd) for cmd in commands]
    with transaction.atomic():
        meeting = live.lock_meeting(NAME, meeting_id)
        if meeting is None:  # not stored, as execute answers it
            return [live.error_reply(NotFound()) for _b in ballots]
        _stored_replies(meeting_id, ballots)
        fresh = [b for b in ballots if b.stored is None]
        _check(meeting, fresh)
        _write(meeting, [b for b in fresh if b.pending])
        _store_replies(meeting_id, [b for b in fresh if b.reply is not None])
        done = [b for b in fresh if b.reply is not None and b.reply.get("ok")]
        if done:
            transaction.on_commit(lambda: metrics.BALLOTS.inc(len(done)))
            for item_id in sorted({b.item.pk for b in done}):
                transaction.on_commit(lambda item_id=item_id: services._tally_changed(meeting_id, item_id))
    return [_answer(b) for b in ballots]


def _answer(b: _Ballot) -> dict[str, Any] | BaseException:
    if b.stored is not None:
        return live.view(b.cmd.user, *b.stored)
    if b.error is not None:
        return b.error
    assert b.reply is not None
    if b.sealed is not None and b.reply.get("ok"):
        # What reply_view opens from the participation row, given from memory: the same codes.
        return {**b.reply, "receipts": list(b.sealed.receipts)}
    return b.reply


def _rows(sql: str, params: Sequence[Any]) -> list[tuple]:
    """A plain read: the per-batch reads are the fixed cost of every batch, and the ORM's query building was
    most of it (cProfile, batches of one)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _in(values: Iterable[Any]) -> tuple[str, list[Any]]:
    values = list(values)
    return ", ".join(["%s"] * len(values)), values


def _stored_replies(meeting_id: int, ballots: list[_Ballot]) -> None:
    wanted = {(b.cmd.user.pk, b.cmd.command_id) for b in ballots}
    cids, cid_params = _in({c for _u, c in wanted})
    rows = _rows(f"SELECT user_id, command_id, name, reply FROM {CommandReceipt._meta.db_table} "
                 f"WHERE meeting_id = %s AND command_id IN ({cids})", [meeting_id, *cid_params])
    reply = CommandReceipt._meta.get_field("reply")
    found = {(u, c): (n, reply.from_db_value(r, None, connection)) for u, c, n, r in rows if (u, c) in wanted}
    for b in ballots:
        b.stored = found.get((b.cmd.user.pk, b.cmd.command_id))


def _check(meeting: Meeting, ballots: list[_Ballot]) -> None:
    """Every check of ``execute`` and ``cast``, in their order; a refused ballot is no longer pending."""
    users, user_params = _in({b.cmd.user.pk for b in ballots})
    participants = dict(_rows(f"SELECT user_id, id FROM {Participant._meta.db_table} "
                              f"WHERE meeting_id = %s AND user_id IN ({users})", [meeting.pk, *user_params]))
    for b in ballots:
        b.participant_id = participants.get(b.cmd.user.pk)
        try:
            if not live.may_view(b.cmd.user, meeting, b.participant_id):
                raise NotFound()
            services.check_item_id(b.cmd.args.get("item_id"))
        except ServiceError as e:
            b.refuse(e)
    items = _lock_votes(meeting, {b.cmd.args["item_id"] for b in ballots if b.pending})
    now = timezone.now()
    for item in items.values():
        if item.status != VotingItem.Status.OPEN:
            forget(item.pk)
    for b in (b for b in ballots if b.pending):
        b.item = items.get(b.cmd.args["item_id"])
        try:
            if b.item is None:
                raise NotFound(_("This vote does not exist in this meeting."))
            services.check_taking_ballots(meeting, b.item, now)
            found = electorate(b.item)
            weight, holder = found.rights.get(b.participant_id, (0, None)) if b.participant_id else (0, None)
            if weight < 1:
                raise services.non_voter(None if holder is None else (found.names.get(holder) or "?"))
            b.weight = weight
            b.ballot = services.check_ballot(found.question, b.cmd.args.get("choices"), b.cmd.args.get("text", ""),
                                             weight)
        except ServiceError as e:
            b.refuse(e)


def _lock_votes(meeting: Meeting, item_ids: set[int]) -> dict[int, VotingItem]:
    """The votes' rows, locked against closing but not against other ballots (``services._lock_shared``), in
    the order of their ids."""
    if not item_ids:
        return {}
    table = VotingItem._meta.db_table
    lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
    ids = sorted(item_ids)
    return {i.pk: i for i in VotingItem.objects.raw(
        f"SELECT * FROM {table} WHERE meeting_id = %s AND id IN ({', '.join(['%s'] * len(ids))}) ORDER BY id{lock}",
        [meeting.pk, *ids])}


def _write(meeting: Meeting, ballots: list[_Ballot]) -> None:
    if not ballots:
        return
    now = timezone.now()
    keys: dict[int, tuple[bytes, str]] = {}
    _previous(ballots)
    for b in ballots:
        item = b.item
        if not item.secret:
            continue
        if item.pk not in keys:
            keys[item.pk] = (services.vote_key(item), services.vote_ref(item))
        key, ref = keys[item.pk]
        try:
            old = secrecy.open_receipts(key, ref, b.previous.receipts_sealed) if b.previous is not None else None
            b.sealed = secrecy.seal_ballot(electorate(item).question, key, ref, b.ballot, receipts=old)
            b.tag = secrecy.voter_tag(key, str(b.participant_id)) if item.allow_change else ""
            b.receipts_sealed = secrecy.seal_receipts(key, ref, b.sealed.receipts)
        except Exception as e:  # noqa: BLE001 - this sender's alone (reported without its arguments)
            b.fail(e)
    ballots = [b for b in ballots if b.pending]
    first = [b for b in ballots if b.previous is None]
    inserted = _insert_participations(first, now)
    for b in first:
        if (b.item.pk, b.participant_id) not in inserted:
            b.refuse(Conflict(_("You have already voted on this question; a ballot cannot be changed."),
                              "already_voted"))
    changes = [b for b in ballots if b.previous is not None]
    _change(changes, now)
    cast = [b for b in ballots if b.pending]
    boxes = [SealedBallot(id=r.id, item_id=b.item.pk, box=r.box, tag=b.tag) for b in cast if b.sealed
             for r in b.sealed.rows]
    # In the order of their random ids, not the ballots': within a batch the boxes' places say nothing of whose
    # they are (one ballot per transaction could not hide that from someone holding the key; docs/voting.md).
    boxes.sort(key=lambda box: box.id.bytes)
    _insert(SealedBallot, ["id", "item", "box", "tag"], [[x.id, x.item_id, x.box, x.tag] for x in boxes])
    _insert(AuditEntry, ["actor", "action", "meeting", "target", "data", "at", "chain_hash"],
            [[b.cmd.user.pk, "vote.change" if b.previous else "vote.cast", meeting.pk, f"vote {b.item.pk}", {}, now, ""]
             for b in cast])
    if cast:
        transaction.on_commit(seal_soon)
    for b in cast:
        b.reply = {"ok": True, "seq": None, "item_id": b.item.pk, "secret": b.item.secret, "voted": True,
                   "weight": b.weight, "changed": b.previous is not None}
        b.pending = False


def _previous(ballots: list[_Ballot]) -> None:
    """The voters' earlier ballots, where the vote lets them change their choice (one query per such vote)."""
    by_item: dict[int, list[_Ballot]] = {}
    for b in ballots:
        if b.item.allow_change:
            by_item.setdefault(b.item.pk, []).append(b)
    for item_id, group in by_item.items():
        rows = {r.participant_id: r for r in Participation.objects.filter(
            item_id=item_id, participant_id__in=[b.participant_id for b in group])}
        for b in group:
            b.previous = rows.get(b.participant_id)


def _insert_participations(ballots: list[_Ballot], now: dt.datetime) -> set[tuple[int, int]]:
    """``services._insert_participation`` for many: the (vote, participant) pairs this statement inserted; a
    pair it did not insert had a ballot already (the same voter through another socket or process waits for
    the other transaction, then inserts nothing)."""
    if not ballots:
        return set()
    rows = [[b.item.pk, b.participant_id, b.cmd.user.pk, b.weight, now,
             None if b.item.secret else list(b.ballot.choices), "" if b.item.secret else b.ballot.text,
             b.receipts_sealed] for b in ballots]
    fields = ["item", "participant", "user", "weight", "cast_at", "choices", "text", "receipts_sealed"]
    returned = _insert(Participation, fields, rows, " ON CONFLICT (item_id, participant_id) DO NOTHING "
                                                    "RETURNING item_id, participant_id")
    return {(i, p) for i, p in returned}


def _change(ballots: list[_Ballot], now: dt.datetime) -> None:
    """A new choice in place of the voter's earlier one (only where the vote allows it), as ``cast`` does."""
    for b in ballots:
        row = b.previous
        if b.item.secret:
            SealedBallot.objects.filter(item_id=b.item.pk, tag=b.tag).delete()
            row.receipts_sealed = b.receipts_sealed
            row.save(update_fields=["receipts_sealed"])
        else:
            row.choices, row.text, row.cast_at = list(b.ballot.choices), b.ballot.text, now
            row.save(update_fields=["choices", "text", "cast_at"])


def _store_replies(meeting_id: int, ballots: list[_Ballot]) -> None:
    """Every answered ballot's reply under its command id, refusals too (``execute`` stores both). No
    ``ON CONFLICT``: the same command id stored meanwhile by another process fails the batch, whose ballots
    are then cast one by one, and ``execute`` answers that one from the stored reply."""
    now = timezone.now()
    _insert(CommandReceipt, ["meeting", "user", "command_id", "name", "reply", "at"],
            [[meeting_id, b.cmd.user.pk, b.cmd.command_id, NAME, b.reply, now] for b in ballots])


PLAIN = {"ForeignKey", "BigAutoField", "AutoField", "IntegerField", "BigIntegerField", "PositiveIntegerField",
         "PositiveBigIntegerField", "CharField", "TextField"}


def _insert(model: type[Model], names: Sequence[str], rows: Iterable[Sequence[Any]], suffix: str = "") -> list[tuple]:
    """One multi-row INSERT (in chunks the database accepts) of values prepared as the ORM prepares them;
    the rows that ``suffix``'s RETURNING gives."""
    rows = list(rows)
    if not rows:
        return []
    fields = [model._meta.get_field(n) for n in names]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    one = f"({', '.join(['%s'] * len(fields))})"
    size = max(1, min(500, connection.ops.bulk_batch_size(fields, rows)))
    # The field's own preparation where the database needs one (times, JSON, UUIDs and bytes on SQLite);
    # whole numbers and texts go as they are: a burst has thousands of them, and this is its hot loop.
    prepare = [None if f.get_internal_type() in PLAIN else f.get_db_prep_save for f in fields]
    returned: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start:start + size]
            params = [v if p is None else p(v, connection) for row in chunk for p, v in zip(prepare, row, strict=True)]
            cursor.execute(f"INSERT INTO {model._meta.db_table} ({columns}) VALUES {', '.join([one] * len(chunk))}"
                           f"{suffix}", params)
            if "RETURNING" in suffix:
                returned.extend(cursor.fetchall())
    return returned
