"""Proxies and substitutes at the edges (issue 14, item 5; docs/voting.md, "Proxies, substitutes and two
channels"). The rule behind all of them: the electorate is taken when the vote opens (``take_electorate``)
and frozen for that vote; what changes later counts from the next vote on."""

from __future__ import annotations

import itertools

import pytest
from django.test import Client

_ids = itertools.count(1)


def prepare(meeting, people, **spec):
    from meetings.voting import services

    spec.setdefault("question", "Thông qua Nghị quyết về dự toán ngân sách năm 2027")
    return services.prepare(people["lan"], meeting, spec)


def run(person, meeting, name, **args):
    from meetings.services import live

    return live.execute(person, meeting.pk, f"e-{next(_ids)}", name, args)


def ok(person, meeting, name, **args):
    reply = run(person, meeting, name, **args)
    assert reply["ok"], reply
    return reply


def refused(person, meeting, name, **args) -> str:
    reply = run(person, meeting, name, **args)
    assert not reply["ok"], reply
    assert reply["error"]["message"]
    return reply["error"]["code"]


def opened(meeting, people, **spec):
    item = prepare(meeting, people, **spec)
    ok(people["minh"], meeting, "vote.open", item_id=item.pk)
    item.refresh_from_db()
    return item


def pid(meeting, person) -> int:
    return meeting.participants.get(user=person).pk


def weights(item) -> dict[str, int]:
    return dict(item.voters.values_list("user__username", "weight"))


def counted(item) -> dict[str, int]:
    item.refresh_from_db()
    return {o["key"]: o["votes"] for o in item.result["options"]}


# A proxy given, then withdrawn -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_proxy_withdrawn_before_the_vote_opens_gives_the_giver_their_own_vote_back(council, people):
    from meetings.services import participants

    participants.respond(people["binh"], council, answer="proxy", proxy_to=pid(council, people["hoa"]))
    participants.respond(people["binh"], council, answer="confirmed")  # binh comes after all
    item = opened(council, people)
    assert weights(item) == {"minh": 1, "hoa": 1, "binh": 1, "tuan": 1}
    assert ok(people["hoa"], council, "vote.cast", item_id=item.pk, choices=["for"])["weight"] == 1  # her own only
    assert ok(people["binh"], council, "vote.cast", item_id=item.pk, choices=["against"])["weight"] == 1
    ok(people["minh"], council, "vote.close", item_id=item.pk)
    assert counted(item) == {"for": 1, "against": 1, "abstain": 0}


@pytest.mark.django_db
def test_a_proxy_withdrawn_while_a_vote_is_open_counts_from_the_next_vote(council, people):
    from meetings.services import participants

    participants.respond(people["binh"], council, answer="proxy", proxy_to=pid(council, people["hoa"]))
    first = opened(council, people)
    participants.respond(people["binh"], council, answer="confirmed")
    # The open vote keeps the electorate it opened with: hoa still holds binh's vote in it.
    assert refused(people["binh"], council, "vote.cast", item_id=first.pk, choices=["against"]) == "proxy_given"
    assert ok(people["hoa"], council, "vote.cast", item_id=first.pk, choices=["for"])["weight"] == 2
    second = opened(council, people, question="Thông qua chương trình giám sát năm 2027")
    assert weights(second) == {"minh": 1, "hoa": 1, "binh": 1, "tuan": 1}
    assert ok(people["binh"], council, "vote.cast", item_id=second.pk, choices=["against"])["weight"] == 1


# A substitute -----------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_substitute_named_before_the_vote_who_arrives_after_it_opened_votes_in_it(council, people):
    """tuan sends nam; nam is not in the hall when the vote opens (not counted present), arrives, and votes:
    the right was his from the opening. tuan holds none."""
    from meetings.services import participants

    participants.respond(people["tuan"], council, answer="substituted", substitute=people["nam"])
    item = opened(council, people)
    assert weights(item) == {"minh": 1, "hoa": 1, "binh": 1, "nam": 1}
    assert item.electorate["members"] == 4 and item.electorate["present"] == 3
    ok(people["nam"], council, "checkin", mode="online")
    assert ok(people["nam"], council, "vote.cast", item_id=item.pk, choices=["for"])["weight"] == 1
    assert refused(people["tuan"], council, "vote.cast", item_id=item.pk, choices=["against"]) == "not_a_voter"


@pytest.mark.django_db
def test_a_substitute_named_after_the_vote_opened_votes_from_the_next_vote(council, people):
    """The electorate is frozen at the opening: in the open vote the right stays with tuan (who may still
    vote, from where he is); nam has none in it. The next vote is nam's, and tuan has none."""
    from meetings.services import participants

    item = opened(council, people)
    participants.respond(people["tuan"], council, answer="substituted", substitute=people["nam"])
    ok(people["nam"], council, "checkin", mode="in_person")
    assert refused(people["nam"], council, "vote.cast", item_id=item.pk, choices=["for"]) == "not_a_voter"
    ok(people["tuan"], council, "vote.cast", item_id=item.pk, choices=["against"])
    ok(people["minh"], council, "vote.close", item_id=item.pk)
    assert counted(item) == {"for": 0, "against": 1, "abstain": 0}

    second = opened(council, people, question="Thông qua chương trình giám sát năm 2027")
    assert weights(second) == {"minh": 1, "hoa": 1, "binh": 1, "nam": 1}
    ok(people["nam"], council, "vote.cast", item_id=second.pk, choices=["for"])
    assert refused(people["tuan"], council, "vote.cast", item_id=second.pk, choices=["for"]) == "not_a_voter"


# In the hall and online at once --------------------------------------------------------------------------------

def _rest(person, item, choices, key):
    from accounts.models import ApiToken

    token = ApiToken.issue(person, "phone")[1]
    return Client().post(f"/api/v1/votes/{item.pk}/ballots", {"choices": choices}, content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
@pytest.mark.parametrize("secret", [False, True], ids=["named", "secret"])
def test_in_the_hall_and_online_at_once_the_first_channel_votes_and_the_second_is_refused(council, people, secret):
    """hoa's tablet in the hall (the socket) and her phone online (REST): one ballot, whichever came first."""
    from meetings.voting.models import Participation, SealedBallot

    item = opened(council, people, secret=secret)
    ok(people["hoa"], council, "vote.cast", item_id=item.pk, choices=["for"])  # the tablet
    phone = _rest(people["hoa"], item, ["against"], "phone-1")
    assert phone.status_code == 409 and phone.json()["error"]["code"] == "already_voted"
    assert Participation.objects.filter(item=item).count() == 1
    if secret:
        assert SealedBallot.objects.filter(item=item).count() == 1
    # And the other way round, on another vote: the phone first, then the tablet.
    other = opened(council, people, question="Thông qua chương trình giám sát năm 2027", secret=secret)
    assert _rest(people["hoa"], other, ["against"], "phone-2").status_code == 201
    assert refused(people["hoa"], council, "vote.cast", item_id=other.pk, choices=["for"]) == "already_voted"
    ok(people["minh"], council, "vote.close", item_id=item.pk)
    ok(people["minh"], council, "vote.close", item_id=other.pk)
    assert counted(item) == {"for": 1, "against": 0, "abstain": 0}
    assert counted(other) == {"for": 0, "against": 1, "abstain": 0}


@pytest.mark.django_db
@pytest.mark.parametrize("secret", [False, True], ids=["named", "secret"])
def test_where_the_vote_allows_a_change_the_second_channel_changes_the_one_ballot(council, people, secret):
    from meetings.voting.models import Participation

    item = opened(council, people, secret=secret, allow_change=True)
    first = ok(people["hoa"], council, "vote.cast", item_id=item.pk, choices=["for"])
    phone = _rest(people["hoa"], item, ["against"], "phone-1")
    assert phone.status_code == 201 and phone.json()["changed"] is True
    if secret:
        assert phone.json()["receipts"] == first["receipts"]  # the same receipt, now for the new choice
    assert Participation.objects.filter(item=item).count() == 1
    ok(people["minh"], council, "vote.close", item_id=item.pk)
    assert counted(item) == {"for": 0, "against": 1, "abstain": 0}


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_both_channels_at_the_same_moment_still_make_one_ballot(council, people):
    """The tablet's socket command and the phone's REST request at once (threads, their own connections): one
    is counted, the other refused as a second ballot."""
    import threading

    from django.db import connection

    from meetings.services import live
    from meetings.voting.models import Participation

    item = opened(council, people)
    start = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def tablet() -> None:
        try:
            start.wait(60)
            reply = live.execute(people["hoa"], council.pk, "tablet-1", "vote.cast",
                                 {"item_id": item.pk, "choices": ["for"]})
            outcome["tablet"] = "ok" if reply["ok"] else reply["error"]["code"]
        finally:
            connection.close()

    def phone() -> None:
        try:
            start.wait(60)
            response = _rest(people["hoa"], item, ["against"], "phone-1")
            outcome["phone"] = "ok" if response.status_code == 201 else response.json()["error"]["code"]
        finally:
            connection.close()

    threads = [threading.Thread(target=tablet), threading.Thread(target=phone)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert sorted(map(str, outcome.values())) == ["already_voted", "ok"], outcome
    rows = list(Participation.objects.filter(item=item).values_list("choices", flat=True))
    assert rows == [["for"] if outcome["tablet"] == "ok" else ["against"]]
