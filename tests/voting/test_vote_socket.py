"""Votes over the meeting socket: acknowledgements, the organisers' live tally, what delegates see."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from rt_client import db

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]


def prepare(meeting, people, **spec):
    from meetings.voting import services

    spec.setdefault("question", "Thông qua Nghị quyết về dự toán ngân sách năm 2027")
    return services.prepare(people["lan"], meeting, spec)


async def tallies(client, item_id, until_voted, seconds=60.0):
    """The vote.tally frames the client gets until one counts ``until_voted`` voters, each with the server's
    time of its slot (``at``). The deadline only bounds a broken run: a busy machine may be slow."""
    got = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        frame = await client.recv()
        if frame["type"] == "vote.tally" and frame["item_id"] == item_id:
            got.append((dt.datetime.fromisoformat(frame["at"]), frame))
            if frame["voted"] >= until_voted:
                return got
    raise AssertionError(f"no tally with {until_voted} voters: {[f for _t, f in got]}")


async def test_a_ballot_is_acknowledged_once_committed_with_its_receipts(council, people, connect):
    from meetings.voting.models import Participation, SealedBallot

    item = await db(prepare)(council, people, secret=True)
    minh = await connect("minh", council)
    hoa = await connect("hoa", council)
    await minh.ok("vote.open", item_id=item.pk)
    reply = await hoa.command("vote.cast", _id="hoa-cast-1", item_id=item.pk, choices=["for"])
    assert reply["ok"] and reply["voted"] and reply["weight"] == 1 and len(reply["receipts"]) == 1
    assert await db(Participation.objects.filter(item=item).count)() == 1  # committed before the reply
    assert await db(SealedBallot.objects.filter(item=item).count)() == 1
    # The same command id from another socket (a reconnect): the same answer, no second ballot.
    again = await connect("hoa", council)
    assert await again.command("vote.cast", _id="hoa-cast-1", item_id=item.pk, choices=["against"]) == reply
    assert await db(SealedBallot.objects.filter(item=item).count)() == 1


async def test_the_live_tally_reaches_the_organisers_only_and_at_most_twice_a_second(council, people, connect):
    item = await db(prepare)(council, people)
    minh = await connect("minh", council)
    lan = await connect("lan", council)
    hoa = await connect("hoa", council)
    binh = await connect("binh", council)
    tuan = await connect("tuan", council)
    await lan.ok("vote.open", item_id=item.pk)
    for client, choice in ((hoa, "for"), (binh, "against"), (tuan, "for"), (minh, "abstain")):
        await client.ok("vote.cast", item_id=item.pk, choices=[choice])
    frames = await tallies(lan, item.pk, 4)
    last = frames[-1][1]
    assert last["counts"] == {"for": 2, "against": 1, "abstain": 1} and last["voters"] == 4
    assert last["not_voted"] == [] and last["seq"] == lan.seq
    # Coalesced: the server's own slot times (``at``) are at least 0.5 s apart, so at most two frames a
    # second leave it, whenever they reach this client (a busy machine may bunch them up on the way).
    times = [t for t, _f in frames]
    assert all((b - a).total_seconds() >= 0.5 for a, b in zip(times, times[1:], strict=False)), times
    voted = [f["voted"] for _t, f in frames]
    assert voted == sorted(voted), "a later frame never counts fewer ballots"
    await minh.ok("vote.close", item_id=item.pk)
    await hoa.until_seq(minh.seq)
    assert not any(f["type"] == "vote.tally" for f in hoa.frames + binh.frames + tuan.frames)


async def test_a_named_vote_shows_the_chair_who_has_not_voted(council, people, connect):
    item = await db(prepare)(council, people)
    minh = await connect("minh", council)
    hoa = await connect("hoa", council)
    await minh.ok("vote.open", item_id=item.pk)
    await hoa.ok("vote.cast", item_id=item.pk, choices=["for"])
    frame = (await tallies(minh, item.pk, 1))[-1][1]
    ids = {p["name"]: p["id"] for p in minh.state["participants"]}
    assert sorted(frame["not_voted"]) == sorted([ids["Trần Văn Minh"], ids["Lê Văn Bình"], ids["Đỗ Minh Tuấn"]])


async def test_a_secret_vote_shows_the_chair_only_how_many_voted(council, people, connect):
    item = await db(prepare)(council, people, secret=True)
    minh = await connect("minh", council)
    hoa = await connect("hoa", council)
    await minh.ok("vote.open", item_id=item.pk)
    await hoa.ok("vote.cast", item_id=item.pk, choices=["against"])
    frame = (await tallies(minh, item.pk, 1))[-1][1]
    assert frame["voted"] == 1 and "counts" not in frame and "not_voted" not in frame


async def test_delegates_see_a_vote_when_it_opens_and_its_result_when_it_is_announced(council, people, connect):
    minh = await connect("minh", council)
    hoa = await connect("hoa", council)
    item = await db(prepare)(council, people)
    await minh.until_seq(await db(lambda: type(council).objects.get(pk=council.pk).last_seq)())
    assert [v["id"] for v in minh.state["votes"]] == [item.pk]
    await hoa.until_seq(minh.seq)
    assert hoa.state["votes"] == []  # a prepared vote is the organisers' draft

    await minh.ok("vote.open", item_id=item.pk)
    await hoa.until_seq(minh.seq)
    (vote,) = hoa.state["votes"]
    assert vote["status"] == "open" and vote["question"]["text"].startswith("Thông qua")
    assert vote["electorate"] == {"members": 4, "present": 4, "voters": 4}
    reply = await hoa.ok("vote.cast", item_id=item.pk, choices=["for"])
    assert reply["seq"] is None and hoa.seq == minh.seq  # a ballot moves no shared state

    await minh.ok("vote.close", item_id=item.pk)
    await hoa.until_seq(minh.seq)
    assert minh.state["votes"][0]["result"]["passed"] is False  # 1 of 4: the organisers know at once
    assert hoa.state["votes"][0]["status"] == "closed" and hoa.state["votes"][0]["result"] is None

    await minh.ok("vote.publish", item_id=item.pk)
    await hoa.until_seq(minh.seq)
    assert hoa.state["votes"][0]["result"]["sentence_vi"] == (
        "Không thông qua: 1/4 đại biểu tán thành (25,0 %), không đạt quá nửa tổng số đại biểu")
    assert hoa.state["votes"] == minh.state["votes"]
