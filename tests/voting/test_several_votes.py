"""Several votes open at once in one meeting (issue 14, item 2): a slate of resolutions, an election with
several posts. Each has its own rule, electorate, ballots, tally and result."""

from __future__ import annotations

import itertools

import pytest
from rt_client import db

_ids = itertools.count(1)


def prepare(meeting, people, **spec):
    from meetings.voting import services

    spec.setdefault("question", "Thông qua Nghị quyết về dự toán ngân sách năm 2027")
    return services.prepare(people["lan"], meeting, spec)


def ok(person, meeting, name, **args):
    from meetings.services import live

    reply = live.execute(person, meeting.pk, f"s-{next(_ids)}", name, args)
    assert reply["ok"], reply
    return reply


@pytest.mark.django_db
def test_two_votes_open_at_once_each_with_an_exact_tally_and_result(council, people):
    from meetings.models import MeetingEvent
    from meetings.voting import services

    budget = prepare(council, people)  # named, more than half of all members
    chair = prepare(council, people, question="Bầu Trưởng ban Kinh tế - Ngân sách", preset="election", secret=True,
                    options=["Nguyễn Văn An", "Trần Thị Bình"], rule={"threshold": "two_thirds"})
    ok(people["minh"], council, "vote.open", item_id=budget.pk)
    ok(people["minh"], council, "vote.open", item_id=chair.pk)  # no "another vote is open" any more
    for name, on_budget, on_chair in (("minh", "for", ["c1"]), ("hoa", "for", ["c1"]), ("binh", "against", ["c2"]),
                                      ("tuan", "abstain", ["c1"])):
        ok(people[name], council, "vote.cast", item_id=budget.pk, choices=[on_budget])
        ok(people[name], council, "vote.cast", item_id=chair.pk, choices=on_chair)
    budget.refresh_from_db()
    chair.refresh_from_db()
    assert services.tally_data(budget)["counts"] == {"for": 2, "against": 1, "abstain": 1}
    assert services.tally_data(chair) | {"status": None} == {
        "item_id": chair.pk, "status": None, "secret": True, "voted": 4, "voters": 4, "weight_cast": 4, "members": 4}

    ok(people["minh"], council, "vote.close", item_id=chair.pk)  # in any order
    ok(people["lan"], council, "vote.close", item_id=budget.pk)
    budget.refresh_from_db()
    chair.refresh_from_db()
    assert budget.sentence == "Không thông qua: 2/4 đại biểu tán thành (50,0 %), không đạt quá nửa tổng số đại biểu"
    assert {o["key"]: o["votes"] for o in budget.result["options"]} == {"for": 2, "against": 1, "abstain": 1}
    assert {o["key"]: o["votes"] for o in chair.result["options"]} == {"c1": 3, "c2": 1}
    assert chair.sentence.startswith("Trúng cử: Nguyễn Văn An (3/4 đại biểu, 75,0 %)")
    assert MeetingEvent.objects.filter(meeting=council, type="vote.closed").count() == 2


@pytest.mark.django_db
def test_a_ballot_in_one_vote_is_not_a_ballot_in_the_other(council, people):
    from meetings.services import live

    first, second = prepare(council, people), prepare(council, people, question="Thông qua chương trình giám sát")
    ok(people["minh"], council, "vote.open", item_id=first.pk)
    ok(people["minh"], council, "vote.open", item_id=second.pk)
    ok(people["hoa"], council, "vote.cast", item_id=first.pk, choices=["for"])
    again = live.execute(people["hoa"], council.pk, "again", "vote.cast", {"item_id": first.pk, "choices": ["for"]})
    assert again["error"]["code"] == "already_voted"
    ok(people["hoa"], council, "vote.cast", item_id=second.pk, choices=["against"])  # still free in the other


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(90)
async def test_the_delegate_sees_every_open_vote_and_the_chair_each_tally(council, people, connect):
    from meetings.voting import services

    first = await db(prepare)(council, people)
    second = await db(prepare)(council, people, question="Thông qua chương trình giám sát năm 2027")
    minh = await connect("minh", council)
    lan = await connect("lan", council)
    hoa = await connect("hoa", council)
    await minh.ok("vote.open", item_id=first.pk)
    await minh.ok("vote.open", item_id=second.pk)
    await hoa.until_seq(minh.seq)
    assert [(v["id"], v["status"]) for v in hoa.state["votes"]] == [(first.pk, "open"), (second.pk, "open")]
    one = await hoa.ok("vote.cast", item_id=second.pk, choices=["against"])
    two = await hoa.ok("vote.cast", item_id=first.pk, choices=["for"])
    assert (one["item_id"], two["item_id"]) == (second.pk, first.pk)
    seen: dict[int, dict] = {}
    while len(seen) < 2 or any(f["voted"] < 1 for f in seen.values()):
        frame = await lan.recv()
        if frame["type"] == "vote.tally":
            seen[frame["item_id"]] = frame
    assert seen[first.pk]["counts"] == {"for": 1, "against": 0, "abstain": 0}
    assert seen[second.pk]["counts"] == {"for": 0, "against": 1, "abstain": 0}
    assert (await db(services.tally_data)(first))["not_voted"] != []
