"""Ballots that arrive together, cast in one transaction (meetings/voting/batch.py, issue 14).

A batch must answer every ballot as ``live.execute`` would have answered it alone: the same replies, the
same refusals, the same stored command receipts, each ballot stored once, and a secret ballot's choice and
receipt codes written nowhere beside its voter. The service tests hand ``cast_many`` a batch directly (what
a server process does with the ballots its sockets received together); the socket tests send ballots from
several sockets at once and hold the first batch until the others have arrived, so the rest are cast
together.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading

import pytest
from rt_client import db
from vote_lock_helpers import in_thread, waiting_on_a_lock

pytestmark = pytest.mark.django_db

_ids = itertools.count(1)


def prepare(meeting, people, **spec):
    from meetings.voting import services

    spec.setdefault("question", "Thông qua Nghị quyết về dự toán ngân sách năm 2027")
    return services.prepare(people["lan"], meeting, spec)


def run(person, meeting, name, cid=None, **args):
    from meetings.services import live

    return live.execute(person, meeting.pk, cid or f"c-{next(_ids)}", name, args)


def opened(meeting, people, **spec):
    item = prepare(meeting, people, **spec)
    assert run(people["minh"], meeting, "vote.open", item_id=item.pk)["ok"]
    item.refresh_from_db()
    return item


def together(meeting, *ballots):
    """One batch: ballots are (person, command id, args); the answers, in order."""
    from meetings.services import live
    from meetings.voting import batch

    return batch.cast_many([live.Batched(person, meeting.pk, cid, "vote.cast", args) for person, cid, args in ballots])


def one_by_one(meeting, *ballots):
    from meetings.services import live

    return [live.execute(person, meeting.pk, cid, "vote.cast", args) for person, cid, args in ballots]


def result_of(item) -> dict[str, int]:
    item.refresh_from_db()
    return {o["key"]: o["votes"] for o in item.result["options"]}


def without_codes(reply):
    """A reply with its receipt codes replaced by how many there are (codes are random)."""
    return {**reply, "receipts": len(reply["receipts"])} if "receipts" in reply else reply


@pytest.mark.parametrize("secret", [False, True], ids=["named", "secret"])
def test_a_batch_answers_and_stores_each_ballot_as_one_by_one_would(council, people, units, secret):
    """Four voters, a guest, the secretary (no voting right), someone who may not see the meeting, an invalid
    choice and a vote id that is not a number, all in one batch; then the same ballots one by one on a second
    vote. The answers, the stored receipts, the audit entries and the results are the same."""
    from personas import make_user

    from meetings.models import AuditEntry, CommandReceipt
    from meetings.voting.models import Participation, SealedBallot

    thu = make_user("thu", units["finance"], "delegate", "Hồ Thị Thu")
    answers, stored, audit = {}, {}, {}
    for how, cast in (("batch", together), ("alone", one_by_one)):
        item = opened(council, people, secret=secret)
        args = {"item_id": item.pk}
        ballots = [(people["hoa"], f"{how}-hoa", {**args, "choices": ["for"]}),
                   (people["khach"], f"{how}-khach", {**args, "choices": ["for"]}),
                   (people["binh"], f"{how}-binh", {**args, "choices": ["maybe"]}),
                   (people["lan"], f"{how}-lan", {**args, "choices": ["against"]}),
                   (thu, f"{how}-thu", {**args, "choices": ["for"]}),
                   (people["tuan"], f"{how}-tuan", {"item_id": "x", "choices": ["for"]}),
                   (people["minh"], f"{how}-minh", {**args, "choices": ["against"]}),
                   (people["tuan"], f"{how}-tuan-2", {**args, "choices": ["abstain"]})]
        answers[how] = [without_codes(a) | ({"item_id": "vote"} if a.get("item_id") else {}) for a in cast(council, *ballots)]
        stored[how] = [r | ({"item_id": "vote"} if r.get("item_id") else {}) for r in CommandReceipt.objects.filter(
            command_id__startswith=f"{how}-").order_by("command_id").values_list("reply", flat=True)]
        assert Participation.objects.filter(item=item).count() == 3  # hoa, minh, tuan: once each
        assert SealedBallot.objects.filter(item=item).count() == (3 if secret else 0)
        audit[how] = sorted(AuditEntry.objects.filter(target=f"vote {item.pk}", action="vote.cast")
                            .values_list("actor__username", "data"))
        assert run(people["minh"], council, "vote.close", item_id=item.pk)["ok"]
        assert result_of(item) == {"for": 1, "against": 1, "abstain": 1}
    assert answers["batch"] == answers["alone"]
    assert [a["ok"] for a in answers["batch"]] == [True, False, False, False, False, False, True, True]
    assert [a.get("error", {}).get("code") for a in answers["batch"]] == [
        None, "not_a_voter", "unknown_option", "not_a_voter", "not_found", "bad_args", None, None]
    if secret:
        assert [a.get("receipts") for a in answers["batch"] if a["ok"]] == [1, 1, 1]
    assert stored["batch"] == stored["alone"] and len(stored["batch"]) == 8
    assert audit["batch"] == audit["alone"] == [("hoa", {}), ("minh", {}), ("tuan", {})]


@pytest.mark.parametrize("secret", [False, True], ids=["named", "secret"])
def test_a_command_id_sent_again_gets_its_stored_answer_and_no_second_ballot(council, people, secret):
    from meetings.voting.models import Participation, SealedBallot

    item = opened(council, people, secret=secret)
    (first,) = one_by_one(council, (people["hoa"], "hoa-1", {"item_id": item.pk, "choices": ["for"]}))
    # The page resends the same command (a reconnect), alongside another voter's first ballot, and the same
    # command twice in one batch (two sockets of the same person).
    again, binh, binh_again = together(council, (people["hoa"], "hoa-1", {"item_id": item.pk, "choices": ["against"]}),
                                       (people["binh"], "binh-1", {"item_id": item.pk, "choices": ["against"]}),
                                       (people["binh"], "binh-1", {"item_id": item.pk, "choices": ["for"]}))
    assert again == first and first["ok"]
    assert binh["ok"] and binh_again == binh
    if secret:
        assert len(first["receipts"]) == 1 and binh["receipts"] != first["receipts"]
    assert Participation.objects.filter(item=item).count() == 2
    assert SealedBallot.objects.filter(item=item).count() == (2 if secret else 0)
    assert run(people["minh"], council, "vote.close", item_id=item.pk)["ok"]
    assert result_of(item) == {"for": 1, "against": 1, "abstain": 0}


def test_two_ballots_of_one_voter_in_one_batch_are_cast_one_after_the_other(council, people):
    item = opened(council, people, secret=True)
    first, second = together(council, (people["hoa"], "hoa-1", {"item_id": item.pk, "choices": ["for"]}),
                             (people["hoa"], "hoa-2", {"item_id": item.pk, "choices": ["against"]}))
    assert first["ok"] and second["error"]["code"] == "already_voted"
    assert run(people["minh"], council, "vote.close", item_id=item.pk)["ok"]
    assert result_of(item) == {"for": 1, "against": 0, "abstain": 0}


@pytest.mark.parametrize("secret", [False, True], ids=["named", "secret"])
def test_a_change_of_ballot_in_the_same_batch_as_another_first_ballot(council, people, secret):
    from meetings.voting.models import Participation, SealedBallot

    item = opened(council, people, secret=secret, allow_change=True)
    (first,) = one_by_one(council, (people["hoa"], "hoa-1", {"item_id": item.pk, "choices": ["against"]}))
    changed, binh = together(council, (people["hoa"], "hoa-2", {"item_id": item.pk, "choices": ["for"]}),
                             (people["binh"], "binh-1", {"item_id": item.pk, "choices": ["against"]}))
    assert changed["ok"] and changed["changed"] is True
    assert binh["ok"] and binh["changed"] is False
    if secret:
        assert changed["receipts"] == first["receipts"]  # the receipt stays; the sealed box is new
        assert SealedBallot.objects.filter(item=item).count() == 2
    else:
        assert Participation.objects.get(item=item, user=people["hoa"]).choices == ["for"]
    # A second change: the receipt still stays.
    (again,) = together(council, (people["hoa"], "hoa-3", {"item_id": item.pk, "choices": ["abstain"]}))
    assert again["ok"] and again["changed"] is True
    assert run(people["minh"], council, "vote.close", item_id=item.pk)["ok"]
    assert result_of(item) == {"for": 0, "against": 1, "abstain": 1}


@pytest.mark.parametrize("secret", [False, True], ids=["named", "secret"])
def test_a_proxy_holder_and_the_giver_in_one_batch(council, people, secret):
    """binh gives his proxy to hoa: in the batch hoa's ballot weighs 2 (two receipts on a secret vote), binh
    is told who votes for him."""
    from meetings.services import participants

    participants.respond(people["binh"], council, answer="proxy",
                         proxy_to=council.participants.get(user=people["hoa"]).pk)
    item = opened(council, people, secret=secret)
    hoa, binh, tuan = together(council, (people["hoa"], "hoa", {"item_id": item.pk, "choices": ["for"]}),
                               (people["binh"], "binh", {"item_id": item.pk, "choices": ["against"]}),
                               (people["tuan"], "tuan", {"item_id": item.pk, "choices": ["against"]}))
    assert hoa["ok"] and hoa["weight"] == 2 and tuan["ok"] and tuan["weight"] == 1
    if secret:
        assert len(hoa["receipts"]) == 2 and len(set(hoa["receipts"]) | set(tuan["receipts"])) == 3
    assert binh["error"] == {"code": "proxy_given", "message": "Bạn đã ủy quyền cho Phạm Thị Hoa biểu quyết thay."}
    assert run(people["minh"], council, "vote.close", item_id=item.pk)["ok"]
    assert result_of(item) == {"for": 2, "against": 1, "abstain": 0}


def test_a_batch_after_the_close_is_refused_whole(council, people):
    item = opened(council, people)
    assert run(people["minh"], council, "vote.close", item_id=item.pk)["ok"]
    answers = together(council, (people["hoa"], "hoa", {"item_id": item.pk, "choices": ["for"]}),
                       (people["binh"], "binh", {"item_id": item.pk, "choices": ["for"]}))
    assert [a["error"]["code"] for a in answers] == ["vote_closed", "vote_closed"]


def test_an_unexpected_error_in_one_ballot_is_that_sender_s_alone(council, people, monkeypatch):
    """A fault while sealing hoa's ballot: she is answered with the error (the socket says ``internal``, and
    nothing is stored, so she may send it again); binh's ballot in the same batch is cast."""
    from meetings.models import CommandReceipt
    from meetings.voting import secrecy
    from meetings.voting.models import Participation

    item = opened(council, people, secret=True)
    real = secrecy.seal_ballot

    def fails_for_against(question, key, ref, ballot, receipts=None):
        if ballot.choices == ("against",):
            raise KeyError("against")
        return real(question, key, ref, ballot, receipts=receipts)

    monkeypatch.setattr(secrecy, "seal_ballot", fails_for_against)
    hoa, binh = together(council, (people["hoa"], "hoa-1", {"item_id": item.pk, "choices": ["against"]}),
                         (people["binh"], "binh-1", {"item_id": item.pk, "choices": ["for"]}))
    assert isinstance(hoa, KeyError)
    assert binh["ok"] and len(binh["receipts"]) == 1
    assert not CommandReceipt.objects.filter(command_id="hoa-1").exists()
    assert list(Participation.objects.filter(item=item).values_list("user__username", flat=True)) == ["binh"]
    monkeypatch.setattr(secrecy, "seal_ballot", real)
    (again,) = together(council, (people["hoa"], "hoa-1", {"item_id": item.pk, "choices": ["against"]}))
    assert again["ok"] and len(again["receipts"]) == 1


def test_a_batch_that_fails_whole_is_cast_one_by_one(council, people, monkeypatch):
    """hoa's command id was stored by another process just after this batch looked (simulated: the batch does
    not see it): storing its answer again fails the batch's transaction, which is rolled back, and every ballot
    of the batch is cast alone, hoa's answered from what is stored."""
    from meetings.voting import batch
    from meetings.voting.models import Participation, SealedBallot

    item = opened(council, people, secret=True)
    (first,) = one_by_one(council, (people["hoa"], "hoa-1", {"item_id": item.pk, "choices": ["for"]}))
    monkeypatch.setattr(batch, "_stored_replies", lambda meeting_id, ballots: None)
    hoa, binh = together(council, (people["hoa"], "hoa-1", {"item_id": item.pk, "choices": ["against"]}),
                         (people["binh"], "binh-1", {"item_id": item.pk, "choices": ["against"]}))
    assert hoa == first
    assert binh["ok"] and len(binh["receipts"]) == 1
    assert Participation.objects.filter(item=item).count() == 2 and SealedBallot.objects.filter(item=item).count() == 2
    assert run(people["minh"], council, "vote.close", item_id=item.pk)["ok"]
    assert result_of(item) == {"for": 1, "against": 1, "abstain": 0}


def _everything() -> str:
    from django.apps import apps

    rows = []
    for model in apps.get_models():
        for row in model.objects.all().values():
            rows.append(json.dumps({"table": model._meta.db_table, **row}, default=str))
    return "\n".join(rows)


def test_a_batch_of_secret_ballots_writes_no_choice_and_no_code_beside_a_voter(council, people, caplog):
    """What test_cast_privacy.py asks of one ballot, of a batch: the audit entries carry no arguments, the stored
    replies neither choice nor code, no code is anywhere in clear, no log line has a choice; the sealed boxes
    have one size and lie in the order of their random ids, not in the order of the voters."""
    import logging

    from django.db import connection

    from meetings.models import AuditEntry, CommandReceipt
    from meetings.voting.models import SealedBallot

    item = opened(council, people, secret=True)
    caplog.set_level(logging.DEBUG)
    voters = [people[n] for n in ("hoa", "binh", "tuan", "minh")]
    answers = together(council, *[(p, f"cast-{p.username}", {"item_id": item.pk, "choices": ["against"]})
                                  for p in voters])
    assert all(a["ok"] for a in answers)
    codes = [c for a in answers for c in a["receipts"]]
    assert len(set(codes)) == 4
    everything = _everything()
    assert not any(code in everything for code in codes)
    assert list(AuditEntry.objects.filter(action="vote.cast").values_list("data", flat=True)) == [{}] * 4
    for reply in CommandReceipt.objects.filter(command_id__startswith="cast-").values_list("reply", flat=True):
        assert "against" not in json.dumps(reply) and "receipts" not in reply
    assert not any("against" in r.getMessage() for r in caplog.records)
    assert len({len(bytes(b)) for b in SealedBallot.objects.filter(item=item).values_list("box", flat=True)}) == 1
    place = "ctid" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {SealedBallot._meta.db_table} ORDER BY {place}")
        by_place = [str(row[0]).replace("-", "") for row in cursor.fetchall()]
    assert by_place == sorted(by_place)


# Over the socket ---------------------------------------------------------------------------------------

@pytest.fixture
def held_batches(monkeypatch):
    """The vote.cast batch function, wrapped: its first call waits until ``release()``; every call's ballots
    are recorded, so a test knows which ballots were cast together."""
    from meetings.services import live

    real = live.BATCHES["vote.cast"]
    go = threading.Event()
    calls: list[list[str]] = []

    def held(commands):
        calls.append([c.command_id for c in commands])
        if len(calls) == 1:
            assert go.wait(30)
        return real(commands)

    monkeypatch.setitem(live.BATCHES, "vote.cast", held)
    held.calls, held.release = calls, go.set
    return held


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
@pytest.mark.parametrize("secret", [False, True], ids=["named", "secret"])
async def test_ballots_from_many_sockets_arriving_together_are_each_acknowledged_once(council, people, connect,
                                                                                    held_batches, secret):
    """Four voters and a guest send their ballots at once, each from their own socket; the first batch is held
    until all the others have reached the server, so those are cast together. Each socket gets its own reply
    (its own receipt codes), the guest alone is refused, each ballot is stored once, and after the result is
    announced each voter finds their codes with their choice."""
    from meetings.models import AuditEntry
    from meetings.voting import batch, services
    from meetings.voting.models import Participation, SealedBallot
    from realtime import batching

    item = await db(prepare)(council, people, secret=secret)
    minh = await connect("minh", council)
    await minh.ok("vote.open", item_id=item.pk)
    choices = {"minh": "for", "hoa": "against", "binh": "for", "tuan": "abstain", "khach": "for"}
    sockets = {name: minh if name == "minh" else await connect(name, council) for name in choices}
    for name, client in sockets.items():
        await client.send({"type": "command", "id": f"cast-{name}", "name": "vote.cast",
                           "args": {"item_id": item.pk, "choices": [choices[name]]}})
    waiting = batching.batcher(held_batches)
    while len(held_batches.calls) != 1 or len(held_batches.calls[0]) + len(waiting.pending) < len(choices):
        await asyncio.sleep(0.01)  # until every ballot has reached the server (no timing asserted)
    held_batches.release()
    replies = {name: await client.until(lambda f, name=name: f["type"] == "reply" and f["id"] == f"cast-{name}")
               for name, client in sockets.items()}

    assert max(len(c) for c in held_batches.calls) >= 2  # cast together
    assert sorted(c for call in held_batches.calls for c in call) == sorted(f"cast-{n}" for n in choices)
    assert replies["khach"]["error"]["code"] == "not_a_voter"
    voters = [n for n in choices if n != "khach"]
    assert all(replies[n]["ok"] and replies[n]["voted"] and replies[n]["weight"] == 1 for n in voters)
    assert await db(Participation.objects.filter(item=item).count)() == 4
    assert await db(SealedBallot.objects.filter(item=item).count)() == (4 if secret else 0)
    if secret:
        codes = [replies[n]["receipts"] for n in voters]
        assert all(len(c) == 1 for c in codes) and len({c[0] for c in codes}) == 4
    # The audit trail: one entry per ballot, no arguments, each sealed into the chain once the seal has run.
    await batch.sealer().drain()
    entries = await db(lambda: list(AuditEntry.objects.filter(action="vote.cast", target=f"vote {item.pk}")
                                    .values_list("data", "chain_index")))()
    assert len(entries) == 4 and all(data == {} and index is not None for data, index in entries)
    await minh.ok("vote.close", item_id=item.pk)
    await minh.ok("vote.publish", item_id=item.pk)
    closed = await db(lambda: type(item).objects.get(pk=item.pk))()
    assert {o["key"]: o["votes"] for o in closed.result["options"]} == {"for": 2, "against": 1, "abstain": 1}
    if secret:
        published = {r["receipt"]: r["choices"] for r in await db(services.published_receipts)(closed)}
        assert all(published[replies[n]["receipts"][0]] == [choices[n]] for n in voters)


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(60)
async def test_with_batching_off_each_ballot_is_cast_alone_and_answered_the_same(council, people, connect, settings):
    from meetings.voting.models import SealedBallot

    settings.PHONGHOP_BALLOT_BATCH = False
    item = await db(prepare)(council, people, secret=True)
    minh = await connect("minh", council)
    hoa = await connect("hoa", council)
    await minh.ok("vote.open", item_id=item.pk)
    reply = await hoa.command("vote.cast", _id="hoa-1", item_id=item.pk, choices=["for"])
    assert reply["ok"] and len(reply["receipts"]) == 1
    assert await hoa.command("vote.cast", _id="hoa-1", item_id=item.pk, choices=["against"]) == reply
    assert await db(SealedBallot.objects.filter(item=item).count)() == 1


# Locks (PostgreSQL) -------------------------------------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
@pytest.mark.parametrize("command", ["vote.extend", "vote.close"])
def test_the_chair_waits_for_a_batch_half_way_and_neither_deadlocks(council, people, monkeypatch, caplog, command):
    """A batch is stopped half way (the meeting row held FOR KEY SHARE, the vote's row FOR SHARE, the boxes
    sealed, nothing inserted), while the secretary prepares another vote (an event of the meeting commits) and
    the chair extends or closes the vote: the chair waits for the batch (the vote's row) and both are answered;
    a close counts every ballot of the batch."""

    from django.db import connection

    from meetings.voting import secrecy
    from meetings.voting import services as votes
    from meetings.voting.models import VotingItem

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): row locks are what is tested")
    item = opened(council, people, secret=True, duration=600)
    half_way, go_on = threading.Event(), threading.Event()
    real = secrecy.seal_ballot

    def seal_and_pause(*args, **kwargs):
        sealed = real(*args, **kwargs)
        if not half_way.is_set():
            half_way.set()
            assert go_on.wait(60)
        return sealed

    monkeypatch.setattr(secrecy, "seal_ballot", seal_and_pause)
    ballots = [(people[n], f"cast-{n}", {"item_id": item.pk, "choices": ["for"]}) for n in ("hoa", "binh", "tuan")]
    batch_thread, batch_box = in_thread(together, council, *ballots)
    assert half_way.wait(60)
    prepared, prepared_box = in_thread(votes.prepare, people["lan"], council.pk, {"question": "Khác"})
    prepared.join(60)
    assert "value" in prepared_box, prepared_box
    args = {"item_id": item.pk, "seconds": 60} if command == "vote.extend" else {"item_id": item.pk}
    chair, chair_box = in_thread(lambda: run(people["minh"], council, command, "chair-1", **args))
    waiting_on_a_lock(1)  # the chair waits for the batch's lock
    go_on.set()
    batch_thread.join(60)
    chair.join(60)
    assert all(a["ok"] for a in batch_box.get("value", [])) and len(batch_box["value"]) == 3, batch_box
    assert chair_box.get("value", {}).get("ok"), chair_box
    assert "transaction aborted" not in caplog.text and "the batch failed" not in caplog.text
    item = VotingItem.objects.get(pk=item.pk)
    if command == "vote.close":
        assert item.status == "closed" and item.result["cast"] == 3
