"""Concurrent transactions between the steps of a ballot, on PostgreSQL (issue 17, items 1 and 3).

A ballot is stopped half way (its vote's row held ``FOR SHARE``, the box sealed, nothing inserted yet);
meanwhile the secretary prepares another vote (an event of the same meeting commits) and the chair sends
``vote.extend`` (which must wait for the ballot: it takes the vote's row ``FOR UPDATE``). Then the ballot
goes on. What must hold: the ballot is taken for a command without events (no audit entry with its
choice), and both commands are answered and take effect: no deadlock. Before the fix the ballot's first
insert (its command receipt, whose foreign key takes ``FOR KEY SHARE`` on the meeting row) waited for the
chair's ``FOR UPDATE`` on the meeting row while the chair waited for the ballot's vote row: PostgreSQL
aborted one of them as a deadlock victim, and the socket answered nothing.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from vote_lock_helpers import in_thread, waiting_on_a_lock

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

CHOICE = "against"


@pytest.fixture(autouse=True)
def on_postgresql():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): row locks are what is tested")


def test_organisers_commit_and_the_chair_extends_while_a_ballot_is_half_way(council, people, monkeypatch, caplog):
    from meetings.models import AuditEntry, CommandReceipt
    from meetings.services import live
    from meetings.voting import secrecy, services
    from meetings.voting.models import VotingItem

    item = services.prepare(people["lan"], council, {"question": "Miễn nhiệm", "secret": True, "duration": 600})
    assert live.execute(people["minh"], council.pk, "open", "vote.open", {"item_id": item.pk})["ok"]
    deadline_before = VotingItem.objects.get(pk=item.pk).deadline

    half_way, go_on = threading.Event(), threading.Event()
    real = secrecy.seal_ballot

    def seal_and_pause(*args, **kwargs):
        sealed = real(*args, **kwargs)
        half_way.set()
        assert go_on.wait(60)
        return sealed

    monkeypatch.setattr(secrecy, "seal_ballot", seal_and_pause)
    ballot, ballot_box = in_thread(live.execute, people["hoa"], council.pk, "ballot-1", "vote.cast",
                                    {"item_id": item.pk, "choices": [CHOICE]})
    assert half_way.wait(60)

    # Organiser work commits an event of the meeting while the ballot is half way.
    prepared, prepared_box = in_thread(services.prepare, people["lan"], council.pk, {"question": "Khác"})
    prepared.join(60)
    assert "value" in prepared_box, prepared_box
    # The chair extends: it waits for the ballot (the vote's row), and must not deadlock with it.
    extend, extend_box = in_thread(live.execute, people["minh"], council.pk, "extend-1", "vote.extend",
                                    {"item_id": item.pk, "seconds": 60})
    waiting_on_a_lock(1)
    go_on.set()
    ballot.join(60)
    extend.join(60)

    assert ballot_box.get("value", {}).get("ok"), ballot_box
    assert extend_box.get("value", {}).get("ok"), extend_box
    assert "transaction aborted" not in caplog.text  # no deadlock victim retried: the lock order holds
    cast = ballot_box["value"]
    assert cast["seq"] is None and len(cast["receipts"]) == 1
    assert VotingItem.objects.get(pk=item.pk).deadline > deadline_before
    # Nothing names hoa beside her choice: one audit entry, without arguments; a stored reply without it.
    assert list(AuditEntry.objects.filter(actor=people["hoa"]).values_list("action", "data")) == [("vote.cast", {})]
    stored = CommandReceipt.objects.get(user=people["hoa"], command_id="ballot-1").reply
    assert CHOICE not in json.dumps(stored) and cast["receipts"][0] not in json.dumps(stored)


def test_a_close_waits_for_the_ballot_in_flight_and_counts_it(council, people, monkeypatch, caplog):
    from meetings.services import live
    from meetings.voting import secrecy, services
    from meetings.voting.models import VotingItem

    item = services.prepare(people["lan"], council, {"question": "Miễn nhiệm", "secret": True})
    assert live.execute(people["minh"], council.pk, "open", "vote.open", {"item_id": item.pk})["ok"]
    half_way, go_on = threading.Event(), threading.Event()
    real = secrecy.seal_ballot

    def seal_and_pause(*args, **kwargs):
        sealed = real(*args, **kwargs)
        half_way.set()
        assert go_on.wait(60)
        return sealed

    monkeypatch.setattr(secrecy, "seal_ballot", seal_and_pause)
    ballot, ballot_box = in_thread(live.execute, people["binh"], council.pk, "ballot-1", "vote.cast",
                                    {"item_id": item.pk, "choices": ["for"]})
    assert half_way.wait(60)
    close, close_box = in_thread(live.execute, people["lan"], council.pk, "close-1", "vote.close",
                                  {"item_id": item.pk})
    waiting_on_a_lock(1)
    go_on.set()
    ballot.join(60)
    close.join(60)
    assert ballot_box.get("value", {}).get("ok"), ballot_box
    assert close_box.get("value", {}).get("ok"), close_box
    assert "transaction aborted" not in caplog.text
    closed = VotingItem.objects.get(pk=item.pk)
    assert closed.status == "closed" and closed.result["cast"] == 1


def _lock_waiters() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                       "AND datname = current_database()")
        return cursor.fetchone()[0]


def test_the_chair_locks_the_vote_without_the_meeting_row_while_ballots_hold_it_shared(council, people, monkeypatch,
                                                                                       caplog):
    """The deadlock seen in a 200-ballot burst: ballot 2 holds the meeting row FOR KEY SHARE and is about to
    read the vote's row; the chair's extend gets the vote's row once ballot 1 is done. Locking the vote's
    row must not lock the meeting row FOR UPDATE as well (the model's ordering joined the meeting table
    into the FOR UPDATE): the chair would wait for ballot 2, and ballot 2 for the chair."""
    from meetings.services import live
    from meetings.voting import secrecy, services

    item = services.prepare(people["lan"], council, {"question": "Miễn nhiệm", "secret": True, "duration": 600})
    assert live.execute(people["minh"], council.pk, "open", "vote.open", {"item_id": item.pk})["ok"]
    hoa = council.participants.get(user=people["hoa"]).pk
    first_half_way, first_go, second_at_vote, second_go = (threading.Event() for _ in range(4))
    real_seal, real_lock = secrecy.seal_ballot, services._lock_shared

    def seal_and_pause(*args, **kwargs):
        sealed = real_seal(*args, **kwargs)
        if not first_half_way.is_set():
            first_half_way.set()
            assert first_go.wait(60)
        return sealed

    def pause_before_the_vote(meeting, item_id, participant_id):
        if participant_id == hoa:  # ballot 2: the meeting row is held FOR KEY SHARE, the vote's not yet
            second_at_vote.set()
            assert second_go.wait(60)
        return real_lock(meeting, item_id, participant_id)

    monkeypatch.setattr(secrecy, "seal_ballot", seal_and_pause)
    monkeypatch.setattr(services, "_lock_shared", pause_before_the_vote)
    first, first_box = in_thread(live.execute, people["binh"], council.pk, "ballot-1", "vote.cast",
                                  {"item_id": item.pk, "choices": ["for"]})
    assert first_half_way.wait(60)
    second, second_box = in_thread(live.execute, people["hoa"], council.pk, "ballot-2", "vote.cast",
                                    {"item_id": item.pk, "choices": ["against"]})
    assert second_at_vote.wait(60)
    extend, extend_box = in_thread(live.execute, people["minh"], council.pk, "extend-1", "vote.extend",
                                    {"item_id": item.pk, "seconds": 60})
    waiting_on_a_lock(1)  # the chair waits for ballot 1's shared lock on the vote
    first_go.set()
    first.join(60)
    # Ballot 1 is committed: the chair either finishes or waits for something else (ballot 2: the bug).
    while extend.is_alive() and _lock_waiters() == 0:
        time.sleep(0.05)
    second_go.set()
    for thread in (second, extend):
        thread.join(60)
    for box in (first_box, second_box, extend_box):
        assert box.get("value", {}).get("ok"), box
    assert "transaction aborted" not in caplog.text  # no deadlock victim
