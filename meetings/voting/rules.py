"""The rules engine: which count decides, against what, and whether the vote may open at all.

``decide(rule, tally, electorate)`` is a pure function. Every comparison is exact rational arithmetic
(``fractions.Fraction`` or integer cross-multiplication); floats appear nowhere in a decision. The
percentage printed in the record is rounded for people; the decision never looks at it.

Terms:
- **electorate**: ``members`` with a voting right (tổng số đại biểu) and how many of them are
  ``present`` (or represented by a proxy holder who is present);
- **tally**: weighted votes per option, the weight of all ballots ``cast`` and of the ``abstaining``
  ones (blank, or only "Không biểu quyết");
- **rule**: the ``denominator`` (members / present / votes cast), the ``threshold`` (more than 1/2, at
  least 2/3, any fraction with "more than" or "at least"), the ``quorum`` needed to open the vote, and
  whether abstentions count as votes cast (they matter only with the votes-cast denominator).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import Any

from .errors import InvalidRule, QuorumNotMet, VotingError
from .options import Ballot, Kind, Question, Role


class Denominator(StrEnum):
    MEMBERS = "members"  # all members with a voting right: the People's Council rule
    PRESENT = "present"  # members present (or represented) when the vote is taken
    CAST = "cast"  # ballots cast


class Comparison(StrEnum):
    MORE_THAN = "more_than"  # quá, trên
    AT_LEAST = "at_least"  # ít nhất, từ ... trở lên


class Abstentions(StrEnum):
    COUNT = "count"  # abstaining and blank ballots are votes cast (they weigh like "against")
    EXCLUDE = "exclude"  # left out of the votes cast


@dataclass(frozen=True)
class Threshold:
    fraction: Fraction
    comparison: Comparison = Comparison.MORE_THAN

    def __post_init__(self) -> None:
        try:
            value = Fraction(self.fraction)
        except (TypeError, ValueError, ZeroDivisionError) as exc:
            raise InvalidRule("Tỷ lệ không hợp lệ.", "Invalid fraction.") from exc
        object.__setattr__(self, "fraction", value)
        object.__setattr__(self, "comparison", Comparison(self.comparison))
        ok = 0 <= value < 1 if self.comparison is Comparison.MORE_THAN else 0 < value <= 1
        if not ok:
            raise InvalidRule("Tỷ lệ phải nằm trong khoảng từ 0 đến 1 và có thể đạt được.",
                              "The fraction must lie between 0 and 1 and be reachable.")

    def met(self, votes: int, total: int) -> bool:
        """``votes`` out of ``total`` meet the threshold; nothing meets it out of zero."""
        if total <= 0:
            return False
        if self.comparison is Comparison.MORE_THAN:
            return votes > self.fraction * total
        return votes >= self.fraction * total

    def required(self, total: int) -> int:
        """The fewest votes out of ``total`` that meet the threshold (1 when ``total`` is 0: unreachable)."""
        if self.comparison is Comparison.MORE_THAN:
            return math.floor(self.fraction * total) + 1
        return max(1, math.ceil(self.fraction * total))

    def to_dict(self) -> dict[str, str]:
        return {"fraction": str(self.fraction), "comparison": str(self.comparison)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Threshold:
        return cls(Fraction(data["fraction"]), Comparison(data["comparison"]))


MORE_THAN_HALF = Threshold(Fraction(1, 2), Comparison.MORE_THAN)
TWO_THIRDS = Threshold(Fraction(2, 3), Comparison.AT_LEAST)
# The live room's quorum rule names (meetings.models.LiveState.QuorumRule) as thresholds of the members.
QUORUM_BY_NAME: dict[str, Threshold | None] = {"majority": MORE_THAN_HALF, "two_thirds": TWO_THIRDS, "none": None}


@dataclass(frozen=True)
class Rule:
    threshold: Threshold = MORE_THAN_HALF
    denominator: Denominator = Denominator.MEMBERS
    quorum: Threshold | None = MORE_THAN_HALF  # of the members, present to open the vote; None: no quorum
    abstentions: Abstentions = Abstentions.COUNT

    def __post_init__(self) -> None:
        object.__setattr__(self, "denominator", Denominator(self.denominator))
        object.__setattr__(self, "abstentions", Abstentions(self.abstentions))

    def to_dict(self) -> dict[str, Any]:
        return {"threshold": self.threshold.to_dict(), "denominator": str(self.denominator),
                "quorum": self.quorum.to_dict() if self.quorum else None, "abstentions": str(self.abstentions)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rule:
        quorum = data.get("quorum")
        return cls(threshold=Threshold.from_dict(data["threshold"]), denominator=Denominator(data["denominator"]),
                   quorum=Threshold.from_dict(quorum) if quorum else None,
                   abstentions=Abstentions(data.get("abstentions", Abstentions.COUNT)))

    def describe_vi(self, question: Question | None = None, noun: str = "đại biểu") -> str:
        from .wording import rule_vi

        return rule_vi(self, question, noun)

    def describe_en(self, question: Question | None = None, noun: str = "members") -> str:
        from .wording import rule_en

        return rule_en(self, question, noun)


# People's Council (HĐND): more than half of all delegates; some decisions at least two thirds of all.
HDND_MAJORITY = Rule()
HDND_TWO_THIRDS = Rule(threshold=TWO_THIRDS)


@dataclass(frozen=True)
class Electorate:
    members: int  # members with a voting right
    present: int  # of them, present, or represented by a present proxy holder

    def __post_init__(self) -> None:
        if not 0 <= self.present <= self.members:
            raise VotingError("Số đại biểu có mặt không hợp lệ.", "Present must lie between 0 and the members.")


@dataclass(frozen=True)
class Tally:
    """Weighted votes per option key, with the weight of all ballots cast and of the abstaining ones."""

    question: Question
    votes: Mapping[str, int]
    cast: int
    abstaining: int = 0

    def __post_init__(self) -> None:
        q = self.question
        votes = {o.key: int(self.votes.get(o.key, 0)) for o in q.options}
        if set(self.votes) - set(votes):
            raise VotingError("Kết quả có phương án lạ.", "The tally names an unknown option.")
        object.__setattr__(self, "votes", votes)
        taking_position = self.cast - self.abstaining
        if not 0 <= self.abstaining <= self.cast:
            raise VotingError("Số phiếu không hợp lệ.", "Invalid numbers of ballots.")
        for o in q.options:
            limit = self.abstaining if o.role is Role.ABSTAIN else taking_position
            if not 0 <= votes[o.key] <= limit:
                raise VotingError("Số phiếu của một phương án không hợp lệ.", "Invalid number of votes for an option.")


def count(question: Question, ballots: Iterable[Ballot]) -> Tally:
    """Count ballots (each re-checked against the question) into a ``Tally``."""
    votes = dict.fromkeys(question.by_key, 0)
    cast = abstaining = 0
    for raw in ballots:
        ballot = question.check(raw.choices, raw.text, raw.weight)
        cast += ballot.weight
        if question.abstains(ballot):
            abstaining += ballot.weight
        for key in ballot.choices:
            votes[key] += ballot.weight
    return Tally(question, votes, cast, abstaining)


# Results -----------------------------------------------------------------------------------------


class Status(StrEnum):
    MET = "met"  # meets the rule (motion passed; option reached the threshold)
    NOT_MET = "not_met"
    ELECTED = "elected"
    TIE = "tie"  # meets the rule, but tied with others for the last seat(s): a new round among them
    OUTRANKED = "outranked"  # meets the rule, but others with more votes took the seats
    COUNTED = "counted"  # an abstain option: counted, not judged


@dataclass(frozen=True)
class OptionResult:
    key: str
    label: str
    label_en: str
    role: Role
    votes: int
    share: Fraction  # votes / denominator; 0 when the denominator is 0
    status: Status

    @property
    def met(self) -> bool:
        return self.status in (Status.MET, Status.ELECTED, Status.TIE, Status.OUTRANKED)


@dataclass(frozen=True)
class Result:
    question: Question
    rule: Rule
    members: int
    present: int
    cast: int
    abstaining: int
    denominator: int  # what the votes are divided by, per the rule
    required: int  # the fewest votes that meet the rule
    options: tuple[OptionResult, ...]
    passed: bool | None  # motions; None for elections and choices
    elected: tuple[str, ...] = ()
    tied: tuple[str, ...] = ()
    by_key: Mapping[str, OptionResult] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_key", {o.key: o for o in self.options})

    def sentence_vi(self, noun: str = "đại biểu") -> str:
        """The record's sentence: "Thông qua: 27/45 đại biểu tán thành (60,0 %), quá nửa tổng số đại biểu"."""
        from .wording import sentence_vi

        return sentence_vi(self, noun)

    def lines_vi(self, noun: str = "đại biểu") -> list[str]:
        from .wording import lines_vi

        return lines_vi(self, noun)

    def sentence_en(self, noun: str = "members") -> str:
        from .wording import sentence_en

        return sentence_en(self, noun)

    def lines_en(self, noun: str = "members") -> list[str]:
        from .wording import lines_en

        return lines_en(self, noun)

    def to_dict(self, noun_vi: str = "đại biểu", noun_en: str = "members") -> dict[str, Any]:
        from .wording import percent_en, percent_vi

        return {
            "question": self.question.to_dict(), "rule": self.rule.to_dict(),
            "members": self.members, "present": self.present, "cast": self.cast, "abstaining": self.abstaining,
            "denominator": self.denominator, "required": self.required, "passed": self.passed,
            "elected": list(self.elected), "tied": list(self.tied),
            "options": [{"key": o.key, "label": o.label, "votes": o.votes, "share": str(o.share),
                         "percent_vi": percent_vi(o.share), "percent_en": percent_en(o.share),
                         "status": str(o.status)} for o in self.options],
            "sentence_vi": self.sentence_vi(noun_vi), "lines_vi": self.lines_vi(noun_vi),
            "sentence_en": self.sentence_en(noun_en), "lines_en": self.lines_en(noun_en),
        }


def denominator(rule: Rule, tally: Tally, electorate: Electorate) -> int:
    if rule.denominator is Denominator.MEMBERS:
        return electorate.members
    if rule.denominator is Denominator.PRESENT:
        # Whoever cast a ballot was there, even if they arrived after the roll call was taken.
        return max(electorate.present, tally.cast)
    return tally.cast - (tally.abstaining if rule.abstentions is Abstentions.EXCLUDE else 0)


def decide(rule: Rule, tally: Tally, electorate: Electorate) -> Result:
    """Judge a closed vote: each option against the rule, the motion passed or not, who is elected."""
    q = tally.question
    if tally.cast > electorate.members:
        raise VotingError("Số phiếu nhiều hơn số đại biểu có quyền biểu quyết.",
                          "More ballots than members with a voting right.")
    total = denominator(rule, tally, electorate)
    judged = {o.key: rule.threshold.met(tally.votes[o.key], total) for o in q.options if o.role is not Role.ABSTAIN}
    status = {key: Status.MET if ok else Status.NOT_MET for key, ok in judged.items()}
    passed: bool | None = None
    elected: list[str] = []
    tied: list[str] = []
    if q.kind is Kind.MOTION:
        passed = judged[q.for_option.key]  # type: ignore[union-attr]  # a motion always has one
    elif q.kind is Kind.ELECTION:
        seats = q.seats or 1
        qualified = [key for key, ok in judged.items() if ok]
        for key in qualified:
            votes = tally.votes[key]
            above = sum(1 for other in qualified if tally.votes[other] > votes)
            level = sum(1 for other in qualified if tally.votes[other] >= votes)
            if level <= seats:
                status[key] = Status.ELECTED
                elected.append(key)
            elif above < seats:
                status[key] = Status.TIE
                tied.append(key)
            else:
                status[key] = Status.OUTRANKED
    options = tuple(
        OptionResult(o.key, o.label, o.english, o.role, tally.votes[o.key],
                     Fraction(tally.votes[o.key], total) if total else Fraction(0),
                     status.get(o.key, Status.COUNTED))
        for o in q.options
    )
    return Result(q, rule, electorate.members, electorate.present, tally.cast, tally.abstaining, total,
                  rule.threshold.required(total), options, passed, tuple(elected), tuple(tied))


# Quorum ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuorumCheck:
    threshold: Threshold | None
    members: int
    present: int
    required: int  # 0 when no quorum is required

    @property
    def reached(self) -> bool:
        return self.present >= self.required

    def message_vi(self, noun: str = "đại biểu") -> str:
        from .wording import quorum_vi

        return quorum_vi(self, noun)

    def message_en(self, noun: str = "members") -> str:
        from .wording import quorum_en

        return quorum_en(self, noun)


def check_quorum(rule: Rule | Threshold | None, electorate: Electorate) -> QuorumCheck:
    """Whether enough members are present (or represented) to open a vote under ``rule``'s quorum."""
    threshold = rule.quorum if isinstance(rule, Rule) else rule
    required = threshold.required(electorate.members) if threshold else 0
    return QuorumCheck(threshold, electorate.members, electorate.present, required)


def require_quorum(rule: Rule | Threshold | None, electorate: Electorate) -> QuorumCheck:
    """``check_quorum``, raising ``QuorumNotMet`` with the refusal in Vietnamese and English."""
    check = check_quorum(rule, electorate)
    if not check.reached:
        raise QuorumNotMet(check.message_vi(), check.message_en())
    return check
