"""A secret ballot, read by someone who dumps the whole database, during the vote and after it.

Thirteen voters (one holding a proxy) cast in a known order with a known pattern of choices. We dump
every table with every column, plus what the database itself adds (SQLite's ``rowid``; PostgreSQL's
``xmin`` and ``ctid``), in physical order, and look for anything that joins a voter to a choice:
a column, a shared value, an order, a transaction id, a receipt code beside a voter.

Runs on the configured database (SQLite by default); the ``postgres`` test runs it again on PostgreSQL
in a child pytest, where ``xmin`` and ``ctid`` exist. Each step commits on its own
(``transaction=True``), as in production, so transaction ids are real.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
PATTERN = ["for"] * 5 + ["against"] * 4 + ["abstain"] * 4  # the order in which the ballots are cast


def dump() -> dict[str, list[dict]]:
    """Every table, every row, in the order the database returns them without ORDER BY."""
    from django.db import connection

    tables = connection.introspection.table_names()
    out: dict[str, list[dict]] = {}
    with connection.cursor() as cursor:
        for table in tables:
            quoted = connection.ops.quote_name(table)
            if connection.vendor == "postgresql":
                cursor.execute(f"SELECT xmin::text AS _xmin, ctid::text AS _ctid, * FROM {quoted}")
            else:
                cursor.execute(f"SELECT rowid AS _rowid, * FROM {quoted}")
            names = [c[0] for c in cursor.description]
            out[table] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return out


def text_of(value) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return str(value)


def physical_key(row: dict):
    if "_ctid" in row:
        page, offset = row["_ctid"].strip("()").split(",")
        return int(page), int(offset)
    return row["_rowid"]


def sequences() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT sequencename FROM pg_sequences")
        else:
            cursor.execute("SELECT name FROM sqlite_sequence")
        return [r[0] for r in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("together", [False, True], ids=["one_by_one", "in_one_batch"])
def test_no_column_or_order_links_a_voter_to_a_choice(council, people, units, together):
    """``together``: the thirteen ballots reach the server at once and are cast in one transaction
    (meetings/voting/batch.py), as a burst on the socket is."""
    from personas import make_user

    from meetings.services import live, participants
    from meetings.voting import batch, services
    from meetings.voting.models import Participation, SealedBallot, SecretBallot, VotingItem

    lan, minh = people["lan"], people["minh"]
    extra = [make_user(f"db{i}", units["office"], "delegate", f"Đại biểu số {i}") for i in range(1, 11)]
    for user in extra:
        participants.add_participant(lan, council, user)
    # db10 gives a proxy to db9: db9's ballot weighs 2, split into two unit ballots with two receipts.
    giver, holder = (council.participants.get(user=u) for u in extra[-2:][::-1])
    participants.respond(extra[-1], council, answer="proxy", proxy_to=holder.pk)
    for p in council.participants.exclude(user=people["khach"]):
        live.execute(lan, council.pk, f"in-{p.pk}", "checkin", {"mode": "in_person", "participant_id": p.pk})
    item = services.prepare(lan, council, {"question": "Bỏ phiếu kín: miễn nhiệm", "secret": True})
    assert live.execute(minh, council.pk, "open", "vote.open", {"item_id": item.pk})["ok"]

    voters = [people[n] for n in ("minh", "hoa", "binh", "tuan")] + extra[:-1]  # 13 voters, 14 voting rights
    assert len(voters) == len(PATTERN)
    voter_ids = {u.pk for u in voters} | {extra[-1].pk}
    participant_ids = set(council.participants.filter(user_id__in=voter_ids).values_list("pk", flat=True))
    receipts: dict[int, list[str]] = {}
    commands = [live.Batched(user, council.pk, f"cast-{user.pk}", "vote.cast", {"item_id": item.pk, "choices": [choice]})
                for user, choice in zip(voters, PATTERN, strict=True)]
    replies = batch.cast_many(commands) if together else [
        live.execute(c.user, c.meeting_id, c.command_id, c.name, c.args) for c in commands]
    for user, reply in zip(voters, replies, strict=True):
        assert reply["ok"], reply
        receipts[user.pk] = reply["receipts"]
    assert len(receipts[holder.user_id]) == 2
    all_receipts = [r for codes in receipts.values() for r in codes]

    # During the vote ------------------------------------------------------------------------------
    during = dump()
    sealed_table = SealedBallot._meta.db_table
    boxes = during[sealed_table]
    assert len(boxes) == 14
    assert len({len(bytes(b["box"])) for b in boxes}) == 1  # one size: the length says nothing
    if together:
        # One transaction wrote them all, in the order of their random ids: not the voters' order.
        by_place = [uuid.UUID(str(b["id"])).bytes for b in sorted(boxes, key=physical_key)]
        assert by_place == sorted(by_place)
    for table, rows in during.items():
        for row in rows:
            blob = " ".join(text_of(v) for v in row.values())
            assert not any(code in blob for code in all_receipts), (table, row)  # no receipt in clear anywhere
            if table != VotingItem._meta.db_table:
                assert '["for"]' not in blob and '["against"]' not in blob and '["abstain"]' not in blob, (table, row)
    part_rows = during[Participation._meta.db_table]
    assert all(r["choices"] is None and r["text"] == "" for r in part_rows)
    assert {r["participant_id"] for r in part_rows} <= participant_ids

    # Close and announce -----------------------------------------------------------------------------
    assert live.execute(minh, council.pk, "close", "vote.close", {"item_id": item.pk})["ok"]
    assert live.execute(minh, council.pk, "publish", "vote.publish", {"item_id": item.pk})["ok"]
    after = dump()
    item.refresh_from_db()
    assert item.result["cast"] == 14
    assert {o["key"]: o["votes"] for o in item.result["options"]} == {"for": 5, "against": 4, "abstain": 5}
    assert after[sealed_table] == []

    ballot_table = SecretBallot._meta.db_table
    ballots = after[ballot_table]
    own_columns = {k for k in ballots[0] if not k.startswith("_")}
    assert own_columns == {"id", "item_id", "choices", "text", "receipt"}  # no voter, no time, no number, no weight
    assert len(ballots) == 14
    # Physical order (rowid / ctid) is the order of the ids, and the ids are random (UUID version 4),
    # fresh at close: no id of a sealed row survives, so a copy taken during the vote cannot be joined.
    ids = [uuid.UUID(str(b["id"])) for b in ballots]
    assert all(i.version == 4 for i in ids)
    by_place = [b["id"] for b in sorted(ballots, key=physical_key)]
    assert [uuid.UUID(str(i)).bytes for i in by_place] == sorted(i.bytes for i in ids)
    assert not {str(i) for i in ids} & {str(b["id"]) for b in boxes}
    if "_xmin" in ballots[0]:
        (close_xmin,) = {b["_xmin"] for b in ballots}  # written by one transaction, the close
        # The close also blanked every participation's sealed receipts: all of them share that id, or none.
        sharing = [r["_xmin"] == close_xmin for r in after[Participation._meta.db_table]]
        assert all(sharing) or not any(sharing)
    assert not any(table in name for name in sequences() for table in (ballot_table, sealed_table))
    # Receipts: each exactly once, in the ballots, and nowhere beside a voter.
    assert sorted(b["receipt"] for b in ballots) == sorted(all_receipts)
    for table, rows in after.items():
        if table == ballot_table:
            continue
        for row in rows:
            blob = " ".join(text_of(v) for v in row.values())
            assert not any(code in blob for code in all_receipts), (table, row)
            assert '["for"]' not in blob and '["against"]' not in blob, (table, row)
    assert all(r["receipts_sealed"] == "" for r in after[Participation._meta.db_table])
    # Nothing numbered per ballot: the event log has the vote's four events, no event per ballot.
    vote_events = [e for e in after["meetings_meetingevent"] if str(e["type"]).startswith("vote.")]
    assert [e["type"] for e in vote_events] == ["vote.prepared", "vote.opened", "vote.closed", "vote.published"]
    # What each voter can check: their receipts in the published list, with their choice.
    published = {r["receipt"]: r["choices"] for r in services.published_receipts(item)}
    for user, choice in zip(voters, PATTERN, strict=True):
        assert all(published[code] == [choice] for code in receipts[user.pk])
    print(f"\n{connection_vendor()}: {sum(len(r) for r in after.values())} rows in {len(after)} tables dumped; "
          f"{len(ballots)} secret ballots, one transaction, in random-id order")


def connection_vendor() -> str:
    from django.db import connection

    return connection.vendor


@pytest.mark.postgres
@pytest.mark.timeout(300)
def test_the_same_dump_on_postgresql_with_xmin_and_ctid():
    from django.db import connection

    if connection.vendor == "postgresql":
        pytest.skip("the test above already ran on PostgreSQL")
    base = os.environ.get("PHONGHOP_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")
    url = urlunparse(urlparse(base)._replace(path=f"/phonghop_vote_dump_{os.getpid()}"))
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "--create-db",
         f"{Path(__file__)}::test_no_column_or_order_links_a_voter_to_a_choice"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert done.stdout.count("postgresql:") == 2 and "2 passed" in done.stdout  # one by one, and in one batch
    print(json.dumps(done.stdout.strip().splitlines()[-3:], ensure_ascii=False))
