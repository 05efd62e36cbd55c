"""The rules engine against a plain reference written here, plus the People's Council examples.

The reference below is deliberately naive: integers and cross-multiplication, elections settled by
walking the candidates in groups of equal votes. It shares no code with meetings.voting.rules.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetings.voting import (
    HDND_MAJORITY,
    HDND_TWO_THIRDS,
    Abstentions,
    Ballot,
    Comparison,
    Denominator,
    Electorate,
    InvalidBallot,
    InvalidQuestion,
    InvalidRule,
    Member,
    Option,
    Question,
    QuorumNotMet,
    Role,
    Rule,
    Status,
    Tally,
    Threshold,
    approval,
    check_quorum,
    confidence,
    consultation,
    count,
    custom,
    custom_motion,
    decide,
    election,
    require_quorum,
    resolve_proxies,
)
from meetings.voting.wording import percent_en, percent_vi
from realtime.reducer import quorum_required as live_room_quorum

SOME = settings(max_examples=150, deadline=None)


# The reference -----------------------------------------------------------------------------------


def reference(question, ballots, members, present, num, den, strict, basis, exclude_abstentions):
    """What the rule says, computed the long way. Returns (denominator, votes, status, passed, elected, tied)."""
    roles = {o.key: o.role.value for o in question.options}
    votes = {key: 0 for key in roles}
    cast = 0
    abstaining = 0
    for ballot in ballots:
        cast += ballot.weight
        if all(roles[c] == "abstain" for c in ballot.choices):
            abstaining += ballot.weight
        for c in ballot.choices:
            votes[c] += ballot.weight

    if basis == "members":
        total = members
    elif basis == "present":
        total = present if present > cast else cast
    elif exclude_abstentions:
        total = cast - abstaining
    else:
        total = cast

    def reaches(v):
        if total == 0:
            return False
        if strict:
            return v * den > num * total
        return v * den >= num * total

    status = {}
    for key, role in roles.items():
        if role == "abstain":
            status[key] = "counted"
        elif reaches(votes[key]):
            status[key] = "met"
        else:
            status[key] = "not_met"

    passed = None
    elected, tied = set(), set()
    if question.kind.value == "motion":
        yes = [key for key, role in roles.items() if role == "for"][0]
        passed = status[yes] == "met"
    elif question.kind.value == "election":
        seats_left = question.seats
        qualified = [key for key in roles if status[key] == "met"]
        for level in sorted({votes[k] for k in qualified}, reverse=True):
            group = [k for k in qualified if votes[k] == level]
            if len(group) <= seats_left:
                for k in group:
                    status[k] = "elected"
                    elected.add(k)
                seats_left -= len(group)
            elif seats_left > 0:
                for k in group:
                    status[k] = "tie"
                    tied.add(k)
                seats_left = 0
            else:
                for k in group:
                    status[k] = "outranked"
    return total, votes, status, passed, elected, tied


def reference_percent(votes, total):
    """Tenths of a percent, half up, by integer arithmetic."""
    if total == 0:
        return 0
    return (2 * votes * 1000 + total) // (2 * total)


# Strategies --------------------------------------------------------------------------------------


@st.composite
def questions(draw):
    kind = draw(st.sampled_from(["approval", "consultation", "motion", "election", "confidence", "custom"]))
    if kind == "approval":
        return approval("Nghị quyết")
    if kind == "consultation":
        return consultation("Dự thảo")
    if kind == "confidence":
        return confidence("Lấy phiếu tín nhiệm")
    if kind == "motion":
        against = draw(st.sampled_from([None, "Không đồng ý"]))
        abstain = draw(st.sampled_from([None, "Không ý kiến"]))
        return custom_motion("Phương án", "Đồng ý", against, abstain)
    n = draw(st.integers(1, 6) if kind == "election" else st.integers(2, 5))
    if kind == "election":
        seats = draw(st.integers(1, n))
        return election("Bầu", [f"Ứng cử viên {i}" for i in range(n)], seats=seats,
                        max_choices=draw(st.integers(seats, n)), allow_blank=draw(st.booleans()))
    most = draw(st.integers(1, n))
    return custom("Chọn", [f"Phương án {i}" for i in range(n)], max_choices=most, min_choices=draw(st.integers(0, most)))


@st.composite
def ballots_for(draw, question):
    abstain = sorted(question.abstain_keys)
    others = [o.key for o in question.options if o.key not in question.abstain_keys]
    weight = draw(st.integers(1, 4))
    if abstain and question.min_choices <= 1 and draw(st.integers(0, 3)) == 0:
        return Ballot((draw(st.sampled_from(abstain)),), weight)
    size = draw(st.integers(question.min_choices, min(question.max_choices, len(others))))
    choices = tuple(draw(st.permutations(others))[:size])
    text = "Đề nghị làm rõ" if any(question.by_key[c].needs_text for c in choices) else ""
    return Ballot(choices, weight, text)


@st.composite
def cases(draw):
    question = draw(questions())
    ballots = draw(st.lists(ballots_for(question), max_size=30))
    cast = sum(b.weight for b in ballots)
    members = cast + draw(st.integers(0, 20))
    present = draw(st.integers(0, members))
    den = draw(st.integers(1, 12))
    strict = draw(st.booleans())
    num = draw(st.integers(0, den - 1)) if strict else draw(st.integers(1, den))
    basis = draw(st.sampled_from(["members", "present", "cast"]))
    exclude = draw(st.booleans())
    return question, ballots, members, present, num, den, strict, basis, exclude


def build_rule(num, den, strict, basis, exclude):
    comparison = Comparison.MORE_THAN if strict else Comparison.AT_LEAST
    return Rule(Threshold(f"{num}/{den}", comparison), Denominator(basis),
                abstentions=Abstentions.EXCLUDE if exclude else Abstentions.COUNT)


# Properties --------------------------------------------------------------------------------------


@SOME
@given(cases())
def test_decide_agrees_with_the_reference(case):
    question, ballots, members, present, num, den, strict, basis, exclude = case
    result = decide(build_rule(num, den, strict, basis, exclude), count(question, ballots), Electorate(members, present))
    total, votes, status, passed, elected, tied = reference(*case)
    assert result.denominator == total
    assert {o.key: o.votes for o in result.options} == votes
    assert {o.key: o.status.value for o in result.options} == status
    assert result.passed == passed
    assert set(result.elected) == elected and set(result.tied) == tied
    assert len(result.elected) <= (question.seats or len(question.options))


@SOME
@given(cases())
def test_the_sentence_states_the_decision_and_its_numbers(case):
    question, ballots, members, present, num, den, strict, basis, exclude = case
    result = decide(build_rule(num, den, strict, basis, exclude), count(question, ballots), Electorate(members, present))
    total, votes, status, passed, *_ = reference(*case)
    sentence = result.sentence_vi()
    assert "." not in sentence.replace("...", "")  # decimal comma only
    if question.kind.value == "motion":
        yes = question.for_option.key
        tenths = reference_percent(votes[yes], total)
        assert sentence.startswith("Thông qua: " if passed else "Không thông qua: ")
        assert f": {votes[yes]}/{total} " in sentence
        assert f"({tenths // 10},{tenths % 10} %)" in sentence
        assert result.sentence_en().startswith("Passed: " if passed else "Not passed: ")
    for o in result.options:
        assert percent_vi(o.share) == f"{reference_percent(o.votes, total) // 10},{reference_percent(o.votes, total) % 10} %"
        assert percent_en(o.share) == percent_vi(o.share).replace(",", ".").replace(" %", "%")
    assert len(result.lines_vi()) == len(question.options) + 1


@SOME
@given(cases())
def test_a_weighted_ballot_counts_like_that_many_single_ballots(case):
    question, ballots, members, present, num, den, strict, basis, exclude = case
    rule = build_rule(num, den, strict, basis, exclude)
    unit = [Ballot(b.choices, 1, b.text) for b in ballots for _ in range(b.weight)]
    electorate = Electorate(members, present)
    assert decide(rule, count(question, ballots), electorate) == decide(rule, count(question, unit), electorate)


@SOME
@given(cases(), st.data())
def test_one_more_vote_in_favour_never_turns_a_pass_into_a_failure(case, data):
    question, ballots, members, present, num, den, strict, basis, exclude = case
    if question.kind.value != "motion":
        return
    rule = build_rule(num, den, strict, basis, exclude)
    before = decide(rule, count(question, ballots), Electorate(members + 1, min(present + 1, members + 1)))
    more = [*ballots, Ballot((question.for_option.key,))]
    after = decide(rule, count(question, more), Electorate(members + 1, min(present + 1, members + 1)))
    assert not (before.passed and not after.passed)


@SOME
@given(st.integers(1, 12).flatmap(lambda d: st.tuples(st.just(d), st.integers(0, d))), st.booleans(),
       st.integers(0, 200), st.data())
def test_required_is_the_least_number_of_votes_that_meets_the_threshold(fraction, strict, total, data):
    den, num = fraction
    if (strict and num == den) or (not strict and num == 0):
        with pytest.raises(InvalidRule):
            Threshold(f"{num}/{den}", Comparison.MORE_THAN if strict else Comparison.AT_LEAST)
        return
    t = Threshold(f"{num}/{den}", Comparison.MORE_THAN if strict else Comparison.AT_LEAST)
    votes = data.draw(st.integers(0, total))
    assert t.met(votes, total) == (votes >= t.required(total))
    assert t.met(votes, total) == (total > 0 and (votes * den > num * total if strict else votes * den >= num * total))


@SOME
@given(st.integers(1, 120).flatmap(lambda m: st.tuples(st.just(m), st.integers(0, m))),
       st.sampled_from(["majority", "two_thirds", "none"]))
def test_quorum_agrees_with_the_reference_and_with_the_live_room(electorate, name):
    members, present = electorate
    threshold = {"majority": HDND_MAJORITY.quorum, "two_thirds": HDND_TWO_THIRDS.threshold, "none": None}[name]
    check = check_quorum(threshold, Electorate(members, present))
    expected = {"majority": 2 * present > members, "two_thirds": 3 * present >= 2 * members, "none": True}[name]
    assert check.reached == expected
    assert check.required == live_room_quorum(name, members)


@st.composite
def rosters(draw):
    refs = list(range(draw(st.integers(0, 15))))
    return [Member(ref, can_vote=draw(st.integers(0, 5)) > 0, present=draw(st.booleans()),
                   proxy_to=draw(st.one_of(st.none(), st.integers(-1, len(refs))))) for ref in refs]


@SOME
@given(rosters(), st.one_of(st.none(), st.integers(1, 3)))
def test_every_voting_right_ends_with_exactly_one_person(roster, cap):
    proxies = resolve_proxies(roster, max_per_holder=cap)
    voters = [m for m in roster if m.can_vote]
    assert sum(proxies.weights.values()) == len(voters) == proxies.electorate.members
    held = {}
    for holder, givers in proxies.givers.items():
        assert proxies.weights[holder] == 1 + len(givers)
        assert cap is None or len(givers) <= cap
        for giver in givers:
            assert giver not in held and proxies.weights[giver] == 0
            held[giver] = holder
    by_ref = {m.ref: m for m in roster}
    for m in voters:
        if m.ref in held:
            holder = by_ref[held[m.ref]]
            assert m.proxy_to == holder.ref != m.ref and holder.can_vote and holder.proxy_to is None
        elif m.proxy_to is not None:
            assert any(r.giver == m.ref for r in proxies.refused)
    assert proxies.electorate.present == sum(proxies.weights[m.ref] for m in voters if m.present)


# The People's Council, by example ---------------------------------------------------------------


def council_vote(in_favour, against=0, abstain=0, members=45, present=None):
    q = approval("Nghị quyết về dự toán ngân sách năm 2027")
    cast = in_favour + against + abstain
    return q, Tally(q, {"for": in_favour, "against": against, "abstain": abstain}, cast, abstain), \
        Electorate(members, present if present is not None else cast)


def test_a_resolution_passes_with_more_than_half_of_all_delegates():
    _, tally, electorate = council_vote(27, 10, 3)
    result = decide(HDND_MAJORITY, tally, electorate)
    assert result.passed
    assert result.sentence_vi() == "Thông qua: 27/45 đại biểu tán thành (60,0 %), quá nửa tổng số đại biểu"
    assert result.sentence_en() == "Passed: 27/45 members in favour (60.0%), more than half of all members"
    assert result.lines_vi() == [
        "Tổng số đại biểu: 45; có mặt: 40; tham gia biểu quyết: 40",
        "Tán thành: 27/45 đại biểu (60,0 %)",
        "Không tán thành: 10/45 đại biểu (22,2 %)",
        "Không biểu quyết: 3/45 đại biểu (6,7 %)",
    ]


def test_a_majority_of_those_present_is_not_enough():
    # 22 of the 30 present are in favour: a clear majority of the room, but not of the 45 delegates.
    _, tally, electorate = council_vote(22, 5, 3, present=30)
    result = decide(HDND_MAJORITY, tally, electorate)
    assert not result.passed
    assert result.sentence_vi() == "Không thông qua: 22/45 đại biểu tán thành (48,9 %), không đạt quá nửa tổng số đại biểu"
    assert decide(Rule(denominator=Denominator.PRESENT), tally, electorate).passed
    assert decide(HDND_MAJORITY, council_vote(23)[1], Electorate(45, 23)).passed  # 23/45: the least that passes


def test_two_thirds_of_all_delegates():
    passes = decide(HDND_TWO_THIRDS, *council_vote(30, 15)[1:])
    fails = decide(HDND_TWO_THIRDS, *council_vote(29, 16)[1:])
    assert passes.passed and passes.required == 30
    assert passes.sentence_vi() == "Thông qua: 30/45 đại biểu tán thành (66,7 %), ít nhất hai phần ba tổng số đại biểu"
    assert not fails.passed
    assert fails.sentence_vi() == "Không thông qua: 29/45 đại biểu tán thành (64,4 %), không đạt hai phần ba tổng số đại biểu"
    assert fails.sentence_en() == "Not passed: 29/45 members in favour (64.4%), less than two thirds of all members"


def test_abstentions_count_only_where_the_rule_says_so():
    # 20 for, 15 against, 10 abstain, of 45: not half of all, not half of the votes cast, but more than
    # half of the votes that took a position.
    _, tally, electorate = council_vote(20, 15, 10)
    assert not decide(HDND_MAJORITY, tally, electorate).passed
    counted = decide(Rule(denominator=Denominator.CAST, abstentions=Abstentions.COUNT), tally, electorate)
    excluded = decide(Rule(denominator=Denominator.CAST, abstentions=Abstentions.EXCLUDE), tally, electorate)
    assert not counted.passed and counted.denominator == 45
    assert excluded.passed and excluded.denominator == 35
    assert counted.sentence_vi() == ("Không thông qua: 20/45 phiếu tán thành (44,4 %), "
                                     "không đạt quá nửa tổng số phiếu biểu quyết")
    assert excluded.sentence_vi() == ("Thông qua: 20/35 phiếu tán thành (57,1 %), "
                                      "quá nửa số phiếu biểu quyết (không tính phiếu không biểu quyết)")
    assert excluded.lines_vi()[-1] == "Không biểu quyết: 10 phiếu (không tính vào số phiếu biểu quyết)"


def test_a_proxy_votes_once_with_the_weight_of_those_who_gave_it():
    roster = [Member(1, present=True), Member(2, proxy_to=1), Member(3, proxy_to=1), Member(4, present=True),
              Member(5, present=True, proxy_to=4), Member(6, proxy_to=5), Member(7, can_vote=False, present=True),
              Member(8, proxy_to=7)]
    proxies = resolve_proxies(roster)
    assert proxies.weights == {1: 3, 2: 0, 3: 0, 4: 2, 5: 0, 6: 1, 8: 1}
    assert proxies.givers == {1: (2, 3), 4: (5,)}
    assert {(r.giver, r.code) for r in proxies.refused} == {(6, "chained"), (8, "holder_no_right")}
    assert proxies.electorate == Electorate(members=7, present=5)

    q = approval("Tờ trình")
    ballots = [Ballot(("for",), proxies.weights[1]), Ballot(("against",), proxies.weights[4])]
    result = decide(Rule(denominator=Denominator.PRESENT), count(q, ballots), proxies.electorate)
    assert result.by_key["for"].votes == 3 and result.by_key["against"].votes == 2
    assert result.sentence_vi() == "Thông qua: 3/5 đại biểu tán thành (60,0 %), quá nửa số đại biểu có mặt"
    assert resolve_proxies(roster, max_per_holder=1).weights[3] == 1


def test_the_vote_does_not_open_without_a_quorum():
    with pytest.raises(QuorumNotMet) as refused:
        require_quorum(HDND_MAJORITY, Electorate(45, 22))
    assert refused.value.code == "no_quorum"
    assert refused.value.message("vi") == ("Chưa đủ túc số để biểu quyết: có mặt 22/45 đại biểu, cần ít nhất 23 "
                                           "đại biểu (quá nửa tổng số đại biểu); còn thiếu 1.")
    assert refused.value.message("en") == ("No quorum, the vote cannot open: 22 of 45 members present, at least 23 "
                                           "needed (more than half of all members); 1 missing.")
    assert require_quorum(HDND_MAJORITY, Electorate(45, 23)).message_vi() == (
        "Đủ túc số: có mặt 23/45 đại biểu, cần ít nhất 23 (quá nửa tổng số đại biểu).")
    assert require_quorum(Rule(quorum=None), Electorate(45, 0)).message_vi() == (
        "Không yêu cầu túc số: có mặt 0/45 đại biểu.")
    assert not check_quorum(HDND_TWO_THIRDS.threshold, Electorate(45, 29)).reached
    assert check_quorum(HDND_TWO_THIRDS.threshold, Electorate(45, 30)).reached


def test_an_election_elects_up_to_the_seats_and_reports_a_tie():
    q = election("Bầu Phó Chủ tịch HĐND tỉnh", ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"], seats=1,
                 max_choices=2)
    tie = decide(HDND_MAJORITY, Tally(q, {"c1": 30, "c2": 30, "c3": 2}, 45, 0), Electorate(45, 45))
    assert tie.elected == () and set(tie.tied) == {"c1", "c2"}
    assert tie.sentence_vi() == ("Không có người trúng cử; bằng phiếu, cần bầu lại: Nguyễn Văn An (30/45 đại biểu, "
                                 "66,7 %), Trần Thị Bình (30/45 đại biểu, 66,7 %); điều kiện trúng cử: quá nửa tổng "
                                 "số đại biểu")
    two = election("Bầu Ủy viên Thường trực", ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"], seats=2,
                   max_choices=3)
    ballots = [Ballot(("c1", "c2", "c3"))] * 30 + [Ballot(("c1", "c2"))] * 5 + [Ballot(("c1",))] * 5
    result = decide(HDND_MAJORITY, count(two, ballots), Electorate(45, 40))
    assert result.elected == ("c1", "c2")
    assert result.by_key["c3"].status is Status.OUTRANKED
    assert result.sentence_vi() == ("Trúng cử: Nguyễn Văn An (40/45 đại biểu, 88,9 %), Trần Thị Bình (35/45 đại biểu, "
                                    "77,8 %); điều kiện trúng cử: quá nửa tổng số đại biểu")
    assert result.lines_vi()[3] == ("Không trúng cử: Lê Văn Cường, 30/45 đại biểu bầu (66,7 %), quá nửa tổng số đại "
                                    "biểu nhưng ít phiếu hơn người trúng cử")


def test_a_confidence_vote_reports_each_level():
    q = confidence("Lấy phiếu tín nhiệm đối với Chủ tịch UBND tỉnh")
    ballots = [Ballot(("high",))] * 20 + [Ballot(("medium",))] * 12 + [Ballot(("low",))] * 10
    result = decide(HDND_MAJORITY, count(q, ballots), Electorate(45, 42))
    assert result.passed is None
    assert result.sentence_vi() == ("Tín nhiệm cao: 20/45 đại biểu (44,4 %); Tín nhiệm: 12/45 đại biểu (26,7 %); "
                                    "Tín nhiệm thấp: 10/45 đại biểu (22,2 %); không phương án nào đạt quá nửa "
                                    "tổng số đại biểu")


def test_custom_fractions_are_named_in_words():
    _, tally, electorate = council_vote(28, 10, 2)
    three_fifths = Rule(Threshold("3/5", Comparison.AT_LEAST))
    assert decide(three_fifths, tally, electorate).sentence_vi().endswith(", ít nhất ba phần năm tổng số đại biểu")
    three_quarters = Rule(Threshold("3/4", Comparison.MORE_THAN), Denominator.PRESENT)
    assert decide(three_quarters, tally, electorate).sentence_vi().endswith(
        ", không vượt quá ba phần tư số đại biểu có mặt")
    assert Rule(Threshold("11/20", "at_least")).describe_vi() == "ít nhất 55 % tổng số đại biểu"
    assert Rule(Threshold("7/13", "at_least")).describe_vi() == "ít nhất 7/13 tổng số đại biểu"


def test_ballots_are_checked_against_the_question():
    q = approval("Tờ trình")
    assert q.check(["for"]) == Ballot(("for",))
    for choices, code in ((["maybe"], "unknown_option"), (["for", "against"], "too_many_choices"), ([], "too_few_choices"),
                          ("for", "bad_choices")):
        with pytest.raises(InvalidBallot) as bad:
            q.check(choices)
        assert bad.value.code == code
    opinion = consultation("Dự thảo quy chế")
    with pytest.raises(InvalidBallot, match="other opinion") as bad:
        opinion.check(["other"], "   ")
    assert bad.value.vi == "Vui lòng ghi rõ ý kiến khác."
    assert opinion.check(["other"], " Bổ sung điều 5 ").text == "Bổ sung điều 5"
    with pytest.raises(InvalidBallot):
        opinion.check(["agree"], "không cần")
    with pytest.raises(InvalidBallot):
        q.check(["for"], weight=0)
    mixed = custom("Chọn", ["A", "B", "C"], max_choices=2)
    assert mixed.check(["o3", "o1"]).choices == ("o1", "o3")
    with pytest.raises(InvalidQuestion):
        Question("Sai", approval("x").options, max_choices=2)
    with pytest.raises(InvalidBallot) as bad:
        custom_motion("x", "Đồng ý", "Không", "Không ý kiến").check(["for", "abstain"])
    assert bad.value.code == "too_many_choices"
    plans = custom("Chọn phương án", ["A", "B", Option("none", "Không chọn phương án nào", role=Role.ABSTAIN)],
                   max_choices=2)
    with pytest.raises(InvalidBallot) as bad:
        plans.check(["o1", "none"])
    assert bad.value.code == "abstain_not_alone"
    assert plans.abstains(plans.check(["none"]))


def test_rules_and_questions_survive_a_json_column():
    for rule in (HDND_MAJORITY, HDND_TWO_THIRDS, Rule(Threshold("3/5", "at_least"), "cast", None, "exclude")):
        assert Rule.from_dict(rule.to_dict()) == rule
    for q in (approval("a"), consultation("b"), confidence("c"), election("d", ["X", "Y"], seats=1, max_choices=2)):
        assert Question.from_dict(q.to_dict()) == q
    _, tally, electorate = council_vote(27, 10, 3)
    stored = decide(HDND_MAJORITY, tally, electorate).to_dict()
    assert stored["passed"] is True and stored["options"][0]["share"] == "3/5"
    assert stored["options"][0]["percent_vi"] == "60,0 %"


def test_inconsistent_numbers_are_refused():
    q = approval("x")
    with pytest.raises(ValueError):
        Tally(q, {"for": 5}, cast=4)
    with pytest.raises(ValueError):
        decide(HDND_MAJORITY, Tally(q, {"for": 50}, cast=50), Electorate(45, 45))
    with pytest.raises(ValueError):
        Electorate(45, 46)
