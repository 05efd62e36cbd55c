"""Votes as the council lives them: prepared, opened on a quorum, cast once, closed, announced.

Ballots go through ``live.execute`` exactly as the socket sends them (``vote.cast`` with a command id),
so idempotency, refusals and the stored reply are the real ones."""

from __future__ import annotations

import itertools

import pytest

pytestmark = pytest.mark.django_db

_ids = itertools.count(1)


def prepare(meeting, people, **spec):
    from meetings.voting import services

    spec.setdefault("question", "Thông qua Nghị quyết về dự toán ngân sách năm 2027")
    return services.prepare(people["lan"], meeting, spec)


def run(person, meeting, name, cid=None, **args):
    from meetings.services import live

    return live.execute(person, meeting.pk, cid or f"c-{next(_ids)}", name, args)


def ok(person, meeting, name, **args):
    reply = run(person, meeting, name, **args)
    assert reply["ok"], reply
    return reply


def refused(person, meeting, name, **args) -> str:
    reply = run(person, meeting, name, **args)
    assert not reply["ok"], reply
    assert reply["error"]["message"]
    return reply["error"]["code"]


def pid(meeting, person) -> int:
    return meeting.participants.get(user=person).pk


def opened(meeting, people, **spec):
    item = prepare(meeting, people, **spec)
    ok(people["minh"], meeting, "vote.open", item_id=item.pk)
    item.refresh_from_db()
    return item


# The lifecycle -------------------------------------------------------------------------------------

def test_a_named_vote_from_prepared_to_announced(council, people):
    from meetings.models import MeetingEvent

    item = opened(council, people)
    assert item.status == "open" and item.electorate["members"] == 4 and item.electorate["present"] == 4
    for name, choice in (("minh", "for"), ("hoa", "for"), ("binh", "for"), ("tuan", "against")):
        reply = ok(people[name], council, "vote.cast", item_id=item.pk, choices=[choice])
        assert reply["voted"] is True and reply["seq"] is None  # a ballot appends no event
    ok(people["lan"], council, "vote.close", item_id=item.pk)
    item.refresh_from_db()
    assert item.status == "closed"
    assert item.sentence == "Thông qua: 3/4 đại biểu tán thành (75,0 %), quá nửa tổng số đại biểu"
    assert item.result["passed"] is True and item.result["cast"] == 4
    ok(people["minh"], council, "vote.publish", item_id=item.pk)
    item.refresh_from_db()
    assert item.status == "published"
    kinds = list(MeetingEvent.objects.filter(meeting=council, type__startswith="vote.").values_list("type", flat=True))
    assert kinds == ["vote.prepared", "vote.opened", "vote.closed", "vote.published"]


def test_a_closed_vote_is_never_reopened_and_nothing_skips_a_step(council, people):
    item = prepare(council, people)
    assert refused(people["minh"], council, "vote.close", item_id=item.pk) == "vote_prepared"
    assert refused(people["minh"], council, "vote.publish", item_id=item.pk) == "vote_prepared"
    ok(people["minh"], council, "vote.open", item_id=item.pk)
    assert refused(people["minh"], council, "vote.publish", item_id=item.pk) == "vote_open"
    ok(people["minh"], council, "vote.close", item_id=item.pk)
    assert refused(people["minh"], council, "vote.open", item_id=item.pk) == "vote_closed"
    assert refused(people["minh"], council, "vote.close", item_id=item.pk) == "vote_closed"


def test_only_the_chair_or_the_secretary_runs_a_vote(council, people):
    item = prepare(council, people)
    assert refused(people["hoa"], council, "vote.open", item_id=item.pk) == "forbidden"
    assert refused(people["root"], council, "vote.open", item_id=item.pk) == "forbidden"  # an editor, not an organiser
    ok(people["lan"], council, "vote.open", item_id=item.pk)
    assert refused(people["hoa"], council, "vote.close", item_id=item.pk) == "forbidden"


def test_several_votes_may_be_open_at_once(council, people):
    first = opened(council, people)
    second = prepare(council, people, question="Thông qua chương trình giám sát năm 2027")
    ok(people["minh"], council, "vote.open", item_id=second.pk)  # test_several_votes.py has the rest
    assert {first.pk, second.pk} == set(council.voting_items.filter(status="open").values_list("pk", flat=True))


def test_no_quorum_no_vote(council, people):
    from meetings.services import live

    for name in ("hoa", "binh"):
        live.execute(people["lan"], council.pk, f"out-{name}", "checkout", {"participant_id": pid(council, people[name])})
    item = prepare(council, people)
    reply = run(people["minh"], council, "vote.open", item_id=item.pk)
    assert reply["error"]["code"] == "no_quorum"
    assert reply["error"]["message"] == ("Chưa đủ túc số để biểu quyết: có mặt 2/4 đại biểu, cần ít nhất 3 đại biểu "
                                         "(quá nửa tổng số đại biểu); còn thiếu 1.")
    unquorate = prepare(council, people, rule={"quorum": "none"})
    ok(people["minh"], council, "vote.open", item_id=unquorate.pk)


# Exactly once ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("secret", [False, True], ids=["named", "secret"])
def test_a_second_ballot_is_refused(council, people, secret):
    from meetings.voting.models import Participation, SealedBallot

    item = opened(council, people, secret=secret)
    ok(people["hoa"], council, "vote.cast", item_id=item.pk, choices=["for"])
    reply = run(people["hoa"], council, "vote.cast", item_id=item.pk, choices=["against"])
    assert reply["error"]["code"] == "already_voted"
    assert reply["error"]["message"] == "Bạn đã biểu quyết nội dung này; không thể thay đổi phiếu."
    assert Participation.objects.filter(item=item).count() == 1
    assert SealedBallot.objects.filter(item=item).count() == (1 if secret else 0)
    ok(people["lan"], council, "vote.close", item_id=item.pk)
    item.refresh_from_db()
    assert item.result["cast"] == 1
    assert {o["key"]: o["votes"] for o in item.result["options"]} == {"for": 1, "against": 0, "abstain": 0}


def test_the_database_refuses_a_second_participation_whatever_the_code_does(council, people):
    from django.db import IntegrityError, transaction

    from meetings.voting.models import Participation

    item = opened(council, people)
    ok(people["hoa"], council, "vote.cast", item_id=item.pk, choices=["for"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Participation.objects.create(item=item, participant_id=pid(council, people["hoa"]), user=people["hoa"],
                                     choices=["against"])


@pytest.mark.parametrize("secret", [False, True], ids=["named", "secret"])
def test_a_retried_command_has_no_second_effect_and_gets_the_same_answer(council, people, secret):
    from meetings.models import AuditEntry, CommandReceipt
    from meetings.voting.models import Participation, SealedBallot

    item = opened(council, people, secret=secret)
    first = run(people["hoa"], council, "vote.cast", cid="hoa-1", item_id=item.pk, choices=["for"])
    again = run(people["hoa"], council, "vote.cast", cid="hoa-1", item_id=item.pk, choices=["against"])
    assert first == again and first["ok"]
    if secret:
        assert len(first["receipts"]) == 1
    assert Participation.objects.filter(item=item).count() == 1
    assert SealedBallot.objects.filter(item=item).count() == (1 if secret else 0)
    assert AuditEntry.objects.filter(action="vote.cast").count() == 1
    stored = CommandReceipt.objects.get(command_id="hoa-1").reply
    assert "receipts" not in stored and "choices" not in str(stored)  # never kept beside the voter


def test_a_ballot_after_close_is_refused(council, people):
    from meetings.voting.models import Participation

    item = opened(council, people)
    ok(people["hoa"], council, "vote.cast", item_id=item.pk, choices=["for"])
    ok(people["minh"], council, "vote.close", item_id=item.pk)
    reply = run(people["binh"], council, "vote.cast", item_id=item.pk, choices=["against"])
    assert reply["error"]["code"] == "vote_closed"
    assert reply["error"]["message"] == "Biểu quyết này đã kết thúc, không nhận thêm phiếu."
    assert Participation.objects.filter(item=item).count() == 1
    ok(people["minh"], council, "vote.publish", item_id=item.pk)
    assert refused(people["binh"], council, "vote.cast", item_id=item.pk, choices=["for"]) == "vote_closed"


def test_a_ballot_before_the_vote_opens_is_refused(council, people):
    item = prepare(council, people)
    assert refused(people["hoa"], council, "vote.cast", item_id=item.pk, choices=["for"]) == "vote_not_open"


@pytest.mark.parametrize("who", ["khach", "lan", "nam", "operator", "root"])
def test_a_non_voter_is_refused(council, people, who):
    """A guest, the secretary (no voting right), someone of the host unit who is not invited, the operator of a
    remote site (watches only), a system administrator."""
    from meetings.voting.models import Participation

    item = opened(council, people)
    reply = run(people[who], council, "vote.cast", item_id=item.pk, choices=["for"])
    assert reply["error"] == {"code": "not_a_voter", "message": "Bạn không có quyền biểu quyết nội dung này."}
    assert not Participation.objects.filter(item=item).exists()


def test_someone_who_may_not_see_the_meeting_is_told_it_does_not_exist(council, people, units):
    from personas import make_user

    thu = make_user("thu", units["finance"], "delegate", "Hồ Thị Thu")
    item = opened(council, people)
    assert refused(thu, council, "vote.cast", item_id=item.pk, choices=["for"]) == "not_found"


def test_someone_added_after_the_vote_opened_does_not_vote_in_it(council, people):
    from meetings.services import participants

    item = opened(council, people)
    participants.add_participant(people["lan"], council, people["nam"])
    assert refused(people["nam"], council, "vote.cast", item_id=item.pk, choices=["for"]) == "not_a_voter"


def test_an_invalid_ballot_is_refused_with_its_reason(council, people):
    item = opened(council, people)
    assert refused(people["hoa"], council, "vote.cast", item_id=item.pk, choices=["maybe"]) == "unknown_option"
    assert refused(people["hoa"], council, "vote.cast", item_id=item.pk, choices=["for", "against"]) == "too_many_choices"
    assert refused(people["hoa"], council, "vote.cast", item_id=item.pk, choices="for") == "bad_choices"
    assert refused(people["hoa"], council, "vote.cast", item_id=item.pk, choices=[]) == "too_few_choices"
    assert refused(people["hoa"], council, "vote.cast", item_id="x", choices=["for"]) == "bad_args"
    ok(people["hoa"], council, "vote.cast", item_id=item.pk, choices=["for"])  # refusals left nothing behind


# Proxies --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("secret", [False, True], ids=["named", "secret"])
def test_a_proxy_is_counted_once_with_its_weight(council, people, secret):
    """binh gives his proxy to hoa: hoa's one ballot weighs 2, binh cannot vote, 4 voting rights in all."""
    from meetings.services import participants
    from meetings.voting import services
    from meetings.voting.models import Participation, SealedBallot

    participants.respond(people["binh"], council, answer="proxy", proxy_to=pid(council, people["hoa"]))
    item = opened(council, people, secret=secret)
    assert dict(item.voters.values_list("name", "weight")) == {
        "Trần Văn Minh": 1, "Phạm Thị Hoa": 2, "Lê Văn Bình": 0, "Đỗ Minh Tuấn": 1}
    assert item.electorate["members"] == 4 and item.electorate["present"] == 4

    reply = ok(people["hoa"], council, "vote.cast", item_id=item.pk, choices=["for"])
    assert reply["weight"] == 2
    if secret:
        assert len(reply["receipts"]) == 2  # one per voting right: a weight never singles out its holder
        assert SealedBallot.objects.filter(item=item).count() == 2
    assert services.my_state(people["binh"], item) | {"receipts": None} == {
        "item_id": item.pk, "status": "open", "eligible": False, "weight": 0, "voted": False,
        "proxy_to": "Phạm Thị Hoa", "can_change": False, "receipts": None}
    reply = run(people["binh"], council, "vote.cast", item_id=item.pk, choices=["against"])
    assert reply["error"] == {"code": "proxy_given", "message": "Bạn đã ủy quyền cho Phạm Thị Hoa biểu quyết thay."}
    assert refused(people["hoa"], council, "vote.cast", item_id=item.pk, choices=["for"]) == "already_voted"
    ok(people["tuan"], council, "vote.cast", item_id=item.pk, choices=["against"])

    assert Participation.objects.filter(item=item).count() == 2
    ok(people["minh"], council, "vote.close", item_id=item.pk)
    item.refresh_from_db()
    assert item.result["cast"] == 3
    assert {o["key"]: o["votes"] for o in item.result["options"]} == {"for": 2, "against": 1, "abstain": 0}
    assert item.sentence == "Không thông qua: 2/4 đại biểu tán thành (50,0 %), không đạt quá nửa tổng số đại biểu"


# Changing one's choice, time limits -----------------------------------------------------------------

@pytest.mark.parametrize("secret", [False, True], ids=["named", "secret"])
def test_a_choice_may_change_before_close_only_where_the_vote_allows_it(council, people, secret):
    from meetings.voting.models import SealedBallot

    item = opened(council, people, secret=secret, allow_change=True)
    first = ok(people["hoa"], council, "vote.cast", item_id=item.pk, choices=["against"])
    second = ok(people["hoa"], council, "vote.cast", item_id=item.pk, choices=["for"])
    assert second["changed"] is True
    if secret:
        assert first["receipts"] == second["receipts"]  # the receipt stays; the sealed box is new
        assert SealedBallot.objects.filter(item=item).count() == 1
    ok(people["minh"], council, "vote.close", item_id=item.pk)
    item.refresh_from_db()
    assert {o["key"]: o["votes"] for o in item.result["options"]} == {"for": 1, "against": 0, "abstain": 0}
    assert refused(people["hoa"], council, "vote.cast", item_id=item.pk, choices=["against"]) == "vote_closed"


def test_the_time_limit_and_its_extension(council, people):
    import datetime as dt

    from meetings.voting.models import VotingItem

    item = opened(council, people, duration=60)
    assert (item.deadline - item.opened_at).total_seconds() == 60
    VotingItem.objects.filter(pk=item.pk).update(deadline=item.opened_at - dt.timedelta(seconds=1))
    assert refused(people["hoa"], council, "vote.cast", item_id=item.pk, choices=["for"]) == "vote_time_up"
    reply = ok(people["minh"], council, "vote.extend", item_id=item.pk, seconds=30)
    item.refresh_from_db()
    assert reply["deadline"] == item.deadline.isoformat()
    ok(people["hoa"], council, "vote.cast", item_id=item.pk, choices=["for"])
    assert refused(people["minh"], council, "vote.extend", item_id=item.pk, seconds=5) == "bad_args"
    untimed = prepare(council, people, question="Không giới hạn thời gian")
    ok(people["minh"], council, "vote.close", item_id=item.pk)
    ok(people["minh"], council, "vote.open", item_id=untimed.pk)
    assert refused(people["minh"], council, "vote.extend", item_id=untimed.pk, seconds=30) == "no_deadline"


# Preparing ------------------------------------------------------------------------------------------

def test_preparing_checks_what_the_organiser_typed(council, people):
    from meetings.errors import Forbidden, Invalid
    from meetings.voting import services

    lan = people["lan"]
    with pytest.raises(Invalid) as e:
        services.prepare(lan, council, {"question": "  "})
    assert e.value.code == "question_required"
    with pytest.raises(Invalid) as e:
        services.prepare(lan, council, {"question": "Bầu", "preset": "election", "options": []})
    assert e.value.code == "bad_options"
    with pytest.raises(Invalid) as e:
        services.prepare(lan, council, {"question": "Lấy ý kiến", "preset": "consultation", "secret": True})
    assert e.value.code == "text_on_secret"
    with pytest.raises(Invalid) as e:
        services.prepare(lan, council, {"question": "X", "rule": {"threshold": "custom", "fraction": "3/2"}})
    assert e.value.code == "invalid_rule"
    with pytest.raises(Forbidden):
        services.prepare(people["hoa"], council, {"question": "X"})
    item = services.prepare(lan, council, {"question": "Bầu Phó Chủ tịch", "preset": "election", "secret": True,
                                           "options": ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"],
                                           "seats": 1, "rule": {"threshold": "two_thirds"}})
    assert item.question["kind"] == "election" and item.question["max_choices"] == 1
    assert services.item_data(item)["rule_vi"] == "ít nhất hai phần ba tổng số đại biểu"
    changed = services.edit(lan, council, item.pk, {"question": "Bầu Phó Chủ tịch UBND tỉnh", "preset": "election",
                                                    "options": ["Nguyễn Văn An", "Trần Thị Bình"], "secret": True})
    assert changed.question["text"] == "Bầu Phó Chủ tịch UBND tỉnh" and len(changed.question["options"]) == 2
    services.delete(lan, council, item.pk)


def test_an_open_vote_cannot_be_edited_or_deleted(council, people):
    from meetings.errors import Invalid
    from meetings.voting import services

    item = opened(council, people)
    with pytest.raises(Invalid):
        services.edit(people["lan"], council, item.pk, {"question": "Khác"})
    with pytest.raises(Invalid):
        services.delete(people["lan"], council, item.pk)


def test_a_secret_election_with_two_seats(council, people):
    """Up to K choices for electing people, secret, counted after mixing."""
    item = opened(council, people, question="Bầu 2 Ủy viên", preset="election", secret=True, seats=2,
                  options=["An", "Bình", "Cường"])
    ok(people["minh"], council, "vote.cast", item_id=item.pk, choices=["c1", "c2"])
    ok(people["hoa"], council, "vote.cast", item_id=item.pk, choices=["c1", "c2"])
    ok(people["binh"], council, "vote.cast", item_id=item.pk, choices=["c1", "c3"])
    ok(people["tuan"], council, "vote.cast", item_id=item.pk, choices=[])  # a blank ballot
    assert refused(people["tuan"], council, "vote.cast", item_id=item.pk, choices=["c1"]) == "already_voted"
    ok(people["minh"], council, "vote.close", item_id=item.pk)
    item.refresh_from_db()
    assert item.result["elected"] == ["c1"] and item.result["cast"] == 4  # Bình's 2 of 4 is not more than half
    assert item.sentence == "Trúng cử: An (3/4 đại biểu, 75,0 %); điều kiện trúng cử: quá nửa tổng số đại biểu"


# What each person sees ------------------------------------------------------------------------------

def test_my_state_says_voted_or_not_and_holds_my_receipts_while_open(council, people):
    from meetings.voting import services
    from meetings.voting.models import Participation

    item = opened(council, people, secret=True)
    assert services.my_state(people["hoa"], item)["voted"] is False
    reply = ok(people["hoa"], council, "vote.cast", item_id=item.pk, choices=["for"])
    mine = services.my_state(people["hoa"], item)
    assert mine["voted"] is True and mine["receipts"] == reply["receipts"] and "choices" not in mine
    ok(people["minh"], council, "vote.close", item_id=item.pk)
    item.refresh_from_db()
    assert "receipts" not in services.my_state(people["hoa"], item)
    assert Participation.objects.get(item=item).receipts_sealed == ""  # blanked at close
    # A retry after close gets its answer, without the codes: they are gone from the server.
    assert services.reply_view(people["hoa"], {"ok": True, "item_id": item.pk, "secret": True})["receipts_gone"] is True


def test_the_organisers_tally_counts_per_option_only_for_named_votes(council, people):
    from meetings.voting import services

    named = opened(council, people)
    ok(people["hoa"], council, "vote.cast", item_id=named.pk, choices=["for"])
    ok(people["binh"], council, "vote.cast", item_id=named.pk, choices=["against"])
    t = services.tally_data(named)
    assert t["counts"] == {"for": 1, "against": 1, "abstain": 0} and t["voted"] == 2 and t["voters"] == 4
    assert sorted(t["not_voted"]) == sorted([pid(council, people["minh"]), pid(council, people["tuan"])])
    ok(people["minh"], council, "vote.close", item_id=named.pk)
    secret = opened(council, people, secret=True, question="Bỏ phiếu kín")
    ok(people["hoa"], council, "vote.cast", item_id=secret.pk, choices=["for"])
    t = services.tally_data(secret)
    assert t["voted"] == 1 and t["weight_cast"] == 1 and "counts" not in t and "not_voted" not in t


def test_the_ballot_secret_file_is_made_once_with_mode_0600(monkeypatch, settings, tmp_path):
    from meetings.voting import keys

    monkeypatch.delenv("PHONGHOP_BALLOT_SECRET")
    settings.DATA_DIR = tmp_path
    first = keys.master_secret()
    path = tmp_path / "ballot_secret"
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(first) == 32 and keys.master_secret() == first
    monkeypatch.setenv("PHONGHOP_BALLOT_SECRET", "short")
    with pytest.raises(keys.BallotSecretError):
        keys.master_secret()
