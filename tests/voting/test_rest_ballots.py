"""Casting over REST: ``POST /api/v1/votes/{id}/ballots`` with an ``Idempotency-Key``, the same service and
the same receipts as the socket's ``vote.cast`` (docs/voting.md, "Casting over REST")."""

from __future__ import annotations

import itertools

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

_ids = itertools.count(1)


def prepare(meeting, people, **spec):
    from meetings.voting import services

    spec.setdefault("question", "Thông qua Nghị quyết về dự toán ngân sách năm 2027")
    return services.prepare(people["lan"], meeting, spec)


def opened(meeting, people, **spec):
    from meetings.voting import services

    item = prepare(meeting, people, **spec)
    services.open_vote(people["minh"], meeting, item.pk)
    item.refresh_from_db()
    return item


def ballot(client, token, item, choices, key=None, text=None):
    body = {"choices": choices}
    if text is not None:
        body["text"] = text
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if key is not False:
        headers["HTTP_IDEMPOTENCY_KEY"] = key or f"k-{next(_ids)}"
    return client.post(f"/api/v1/votes{'' if item is None else f'/{item.pk}'}/ballots", body,
                       content_type="application/json", **headers)


def code(response) -> str:
    assert response.json()["error"]["message"]
    return response.json()["error"]["code"]


@pytest.mark.parametrize("secret", [False, True], ids=["named", "secret"])
def test_a_retry_with_the_same_key_is_stored_once_and_gets_the_same_receipt(client, council, people, tokens,
                                                                             secret):
    from meetings.voting.models import BallotRequest, Participation, SealedBallot

    item = opened(council, people, secret=secret)
    first = ballot(client, tokens["hoa"], item, ["for"], key="lan-1")
    assert first.status_code == 201, first.content
    again = ballot(client, tokens["hoa"], item, ["for"], key="lan-1")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert first.json()["voted"] is True and first.json()["weight"] == 1 and first.json()["changed"] is False
    if secret:
        assert len(first.json()["receipts"]) == 1  # the receipt code, the same on the retry
        assert SealedBallot.objects.filter(item=item).count() == 1
    assert Participation.objects.filter(item=item).count() == 1
    assert BallotRequest.objects.filter(item=item).count() == 1
    # The choices in another order are the same ballot (an election).
    assert ballot(client, tokens["hoa"], item, ["for"], key="lan-1").status_code == 200


def test_the_same_key_with_another_choice_is_refused(client, council, people, tokens):
    from meetings.voting.models import Participation

    item = opened(council, people, allow_change=True)
    assert ballot(client, tokens["hoa"], item, ["for"], key="k1").status_code == 201
    refused = ballot(client, tokens["hoa"], item, ["against"], key="k1")
    assert refused.status_code == 409 and code(refused) == "idempotency_key_reused"
    assert "Idempotency-Key" in refused.json()["error"]["message"]
    # Nothing changed, even though this vote allows a change: a change needs a new key.
    assert Participation.objects.get(item=item).choices == ["for"]
    changed = ballot(client, tokens["hoa"], item, ["against"], key="k2")
    assert changed.status_code == 201 and changed.json()["changed"] is True
    assert Participation.objects.get(item=item).choices == ["against"]


def test_a_second_ballot_under_a_new_key_is_refused_as_on_the_socket(client, council, people, tokens):
    item = opened(council, people)
    assert ballot(client, tokens["hoa"], item, ["for"]).status_code == 201
    second = ballot(client, tokens["hoa"], item, ["against"])
    assert second.status_code == 409 and code(second) == "already_voted"


def test_a_refusal_is_not_kept_so_the_same_key_works_once_the_ballot_can_be_taken(client, council, people, tokens):
    item = prepare(council, people)
    from meetings.voting import services

    early = ballot(client, tokens["minh"], item, ["for"], key="early")  # minh is the chair: he sees prepared votes
    assert early.status_code == 400 and code(early) == "vote_not_open"
    services.open_vote(people["minh"], council, item.pk)
    assert ballot(client, tokens["minh"], item, ["for"], key="early").status_code == 201


def test_the_rules_of_the_socket_apply(client, council, people, tokens):
    from meetings.voting import services

    item = opened(council, people, duration=60)
    assert code(ballot(client, tokens["hoa"], item, ["maybe"])) == "unknown_option"
    assert code(ballot(client, tokens["hoa"], item, ["for", "against"])) == "too_many_choices"
    missing = ballot(client, tokens["hoa"], item, ["for"], key=False)
    assert missing.status_code == 400 and code(missing) == "idempotency_key_required"
    assert code(ballot(client, tokens["hoa"], item, ["for"], key="x" * 65)) == "bad_idempotency_key"
    services.close(people["minh"], council, item.pk)
    late = ballot(client, tokens["hoa"], item, ["for"])
    assert late.status_code == 400 and code(late) == "vote_closed"


@pytest.mark.parametrize("who, status, error", [
    ("khach", 403, "not_a_voter"),  # a guest: no voting right
    ("lan", 403, "not_a_voter"),  # the secretary: an organiser, not a member with a vote here
    ("operator", 403, "not_a_voter"),  # a remote site's operator watches the meeting, holds no vote
    ("nam", 403, "not_a_voter"),  # the host unit's staff, not invited: sees the meeting, holds no vote
    ("thu", 404, "not_found"),  # another unit's delegate, who may not see the meeting
    ("hanh", 403, "not_a_voter"),  # the unit administrator sees the meeting, holds no vote
    ("root", 403, "not_a_voter"),  # the system administrator likewise
], ids=["guest", "secretary", "site-operator", "not-invited", "outsider", "unit-admin",
                         "system-admin"])
def test_wrong_roles_are_refused(client, council, people, units, who, status, error):
    from personas import make_user

    from accounts.models import ApiToken
    from meetings.voting.models import BallotRequest, Participation

    if who == "thu":
        people["thu"] = make_user("thu", units["finance"], "delegate", "Hồ Thị Thu")
    item = opened(council, people)
    token = ApiToken.issue(people[who], "test")[1]
    refused = ballot(client, token, item, ["for"])
    assert (refused.status_code, code(refused)) == (status, error), refused.content
    assert not Participation.objects.filter(item=item).exists()
    assert not BallotRequest.objects.exists()


def test_a_delegate_who_gave_a_proxy_is_refused(client, council, people, tokens):
    from meetings.services import participants

    participants.respond(people["binh"], council, answer="proxy",
                         proxy_to=council.participants.get(user=people["hoa"]).pk)
    item = opened(council, people)
    refused = ballot(client, tokens["binh"], item, ["for"])
    assert refused.status_code == 403 and code(refused) == "proxy_given"
    held = ballot(client, tokens["hoa"], item, ["for"])
    assert held.status_code == 201 and held.json()["weight"] == 2


def test_a_delegate_does_not_learn_of_a_prepared_vote(client, council, people, tokens):
    item = prepare(council, people)
    assert code(ballot(client, tokens["hoa"], item, ["for"])) == "not_found"


def test_without_a_token_or_session_nobody_votes(client, council, people):
    item = opened(council, people)
    anonymous = client.post(f"/api/v1/votes/{item.pk}/ballots", {"choices": ["for"]}, content_type="application/json",
                            HTTP_IDEMPOTENCY_KEY="a")
    assert anonymous.status_code == 401


def test_a_session_ballot_needs_the_csrf_token(council, people):
    item = opened(council, people)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people["hoa"])
    refused = browser.post(f"/api/v1/votes/{item.pk}/ballots", {"choices": ["for"]}, content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY="s1")
    assert refused.status_code == 403 and code(refused) == "csrf_failed"
    secret = "k" * 32
    browser.cookies[settings.CSRF_COOKIE_NAME] = secret
    accepted = browser.post(f"/api/v1/votes/{item.pk}/ballots", {"choices": ["for"]}, content_type="application/json",
                            HTTP_IDEMPOTENCY_KEY="s1", HTTP_X_CSRFTOKEN=secret)
    assert accepted.status_code == 201, accepted.content


def test_a_rest_ballot_holds_no_choice_where_a_reader_could_join_it(client, council, people, tokens):
    """The stored reply has no choice and no code; the fingerprint of a secret vote is blanked at close."""
    import json

    from meetings.models import AuditEntry
    from meetings.voting import services
    from meetings.voting.models import BallotRequest

    item = opened(council, people, secret=True)
    codes = ballot(client, tokens["hoa"], item, ["against"], key="p1").json()["receipts"]
    stored = BallotRequest.objects.get(item=item)
    assert "against" not in json.dumps(stored.reply) and codes[0] not in json.dumps(stored.reply)
    assert stored.fingerprint and "against" not in stored.fingerprint
    assert "against" not in json.dumps(list(AuditEntry.objects.values_list("data", flat=True)))
    services.close(people["minh"], council, item.pk)
    assert BallotRequest.objects.get(item=item).fingerprint == ""
    # After close the retry still answers (the ballot was counted); the codes are gone, as on the socket.
    late = ballot(client, tokens["hoa"], item, ["against"], key="p1")
    assert late.status_code == 200 and late.json()["receipts_gone"] is True and late.json()["receipts"] == []


def test_the_endpoint_is_documented_in_openapi(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/votes/{item_id}/ballots"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in operation["parameters"])
    assert "409" in operation["responses"] and "Idempotency-Key" in operation["description"]
