"""The result in words, as the record states it.

Vietnamese is the official wording of the minutes (biên bản), so it is written here rather than
through gettext: "Thông qua: 27/45 đại biểu tán thành (60,0 %), quá nửa tổng số đại biểu". English
renderings serve the English UI. Percentages: one decimal, rounded half up from the exact fraction,
decimal comma and a space before "%" in Vietnamese. Only people read them: decisions use fractions.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from .options import Kind, Question
from .rules import Abstentions, Comparison, Denominator, Rule, Status, Threshold

if TYPE_CHECKING:
    from .rules import OptionResult, QuorumCheck, Result

NUMBERS_VI = {1: "một", 2: "hai", 3: "ba", 4: "bốn", 5: "năm", 6: "sáu", 7: "bảy", 8: "tám", 9: "chín", 10: "mười"}
NUMBERS_EN = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}
PARTS_EN = {3: "third", 4: "quarter", 5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth", 9: "ninth", 10: "tenth"}


def tenths(share: Fraction) -> int:
    """The share in tenths of a percent, rounded half up."""
    scaled = share * 1000 + Fraction(1, 2)
    return scaled.numerator // scaled.denominator


def percent_vi(share: Fraction) -> str:
    n = tenths(share)
    return f"{n // 10},{n % 10} %"


def percent_en(share: Fraction) -> str:
    n = tenths(share)
    return f"{n // 10}.{n % 10}%"


# The rule -----------------------------------------------------------------------------------------


def fraction_vi(value: Fraction) -> str:
    n, d = value.numerator, value.denominator
    if value == Fraction(1, 2):
        return "một nửa"
    if 1 <= n < d <= 10:
        return f"{NUMBERS_VI[n]} phần {'tư' if d == 4 else NUMBERS_VI[d]}"
    if 100 % d == 0:
        return f"{n * (100 // d)} %"
    return f"{n}/{d}"


def fraction_en(value: Fraction) -> str:
    n, d = value.numerator, value.denominator
    if value == Fraction(1, 2):
        return "half"
    if 1 <= n < d <= 10:
        return f"{NUMBERS_EN[n]} {PARTS_EN[d]}{'s' if n > 1 else ''}"
    if 100 % d == 0:
        return f"{n * (100 // d)}%"
    return f"{n}/{d}"


def threshold_vi(t: Threshold, met: bool = True) -> str:
    """ "quá nửa", "ít nhất hai phần ba"; when not met: "không đạt quá nửa", "không đạt hai phần ba"."""
    if t.comparison is Comparison.MORE_THAN:
        if t.fraction == Fraction(1, 2):
            return "quá nửa" if met else "không đạt quá nửa"
        return f"{'trên' if met else 'không vượt quá'} {fraction_vi(t.fraction)}"
    return f"{'ít nhất' if met else 'không đạt'} {fraction_vi(t.fraction)}"


def threshold_en(t: Threshold, met: bool = True) -> str:
    if t.comparison is Comparison.MORE_THAN:
        word = "more than" if met else "not more than"
    else:
        word = "at least" if met else "less than"
    return f"{word} {fraction_en(t.fraction)}"


def _left_out(question: Question | None) -> tuple[list[str], list[str]]:
    vi, en = [], []
    if question is None or question.abstain_keys:
        vi.append("phiếu không biểu quyết")
        en.append("abstentions")
    if question is None or question.min_choices == 0:
        vi.append("phiếu trắng")
        en.append("blank ballots")
    return vi, en


def denominator_vi(rule: Rule, question: Question | None, noun: str) -> str:
    if rule.denominator is Denominator.MEMBERS:
        return f"tổng số {noun}"
    if rule.denominator is Denominator.PRESENT:
        return f"số {noun} có mặt"
    left_out = _left_out(question)[0]
    if rule.abstentions is Abstentions.EXCLUDE and left_out:
        return f"số phiếu biểu quyết (không tính {' và '.join(left_out)})"
    return "tổng số phiếu biểu quyết"


def denominator_en(rule: Rule, question: Question | None, noun: str) -> str:
    if rule.denominator is Denominator.MEMBERS:
        return f"all {noun}"
    if rule.denominator is Denominator.PRESENT:
        return f"the {noun} present"
    left_out = _left_out(question)[1]
    if rule.abstentions is Abstentions.EXCLUDE and left_out:
        return f"the votes cast (not counting {' and '.join(left_out)})"
    return "the votes cast"


def rule_vi(rule: Rule, question: Question | None = None, noun: str = "đại biểu", met: bool = True) -> str:
    """ "quá nửa tổng số đại biểu", "ít nhất hai phần ba tổng số đại biểu", "trên ba phần năm số đại biểu có
    mặt"; with ``met=False`` the rule as missed: "không đạt quá nửa tổng số đại biểu"."""
    return f"{threshold_vi(rule.threshold, met)} {denominator_vi(rule, question, noun)}"


def rule_en(rule: Rule, question: Question | None = None, noun: str = "members", met: bool = True) -> str:
    return f"{threshold_en(rule.threshold, met)} of {denominator_en(rule, question, noun)}"


def _unit(result: Result, noun: str, ballots: str) -> str:
    return ballots if result.rule.denominator is Denominator.CAST else noun


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


# The result ---------------------------------------------------------------------------------------


def _share_vi(result: Result, o: OptionResult, noun: str) -> str:
    return f"{o.votes}/{result.denominator} {_unit(result, noun, 'phiếu')}"


def _share_en(result: Result, o: OptionResult, noun: str) -> str:
    return f"{o.votes}/{result.denominator} {_unit(result, noun, 'votes')}"


def _judged_vi(result: Result, o: OptionResult, noun: str) -> str:
    return rule_vi(result.rule, result.question, noun, o.met)


def _judged_en(result: Result, o: OptionResult, noun: str) -> str:
    return rule_en(result.rule, result.question, noun, o.met)


def sentence_vi(result: Result, noun: str = "đại biểu") -> str:
    q = result.question
    rule = rule_vi(result.rule, q, noun)
    if q.kind is Kind.MOTION:
        fo = result.by_key[q.for_option.key]  # type: ignore[union-attr]
        verdict = "Thông qua" if result.passed else "Không thông qua"
        return (f"{verdict}: {_share_vi(result, fo, noun)} {_lower_first(fo.label)} ({percent_vi(fo.share)}), "
                f"{_judged_vi(result, fo, noun)}")
    if q.kind is Kind.ELECTION:
        def names(keys: tuple[str, ...]) -> str:
            return ", ".join(
                f"{result.by_key[k].label} ({_share_vi(result, result.by_key[k], noun)}, "
                f"{percent_vi(result.by_key[k].share)})" for k in keys)

        parts = [f"Trúng cử: {names(result.elected)}" if result.elected else "Không có người trúng cử"]
        if result.tied:
            parts.append(f"bằng phiếu, cần bầu lại: {names(result.tied)}")
        parts.append(f"điều kiện trúng cử: {rule}")
        return "; ".join(parts)
    judged = [o for o in result.options if o.status is not Status.COUNTED]
    parts = [f"{o.label}: {_share_vi(result, o, noun)} ({percent_vi(o.share)})" for o in judged]
    met = [o.label for o in judged if o.met]
    parts.append(f"đạt {rule}: {', '.join(met)}" if met else f"không phương án nào đạt {rule}")
    return "; ".join(parts)


def sentence_en(result: Result, noun: str = "members") -> str:
    q = result.question
    rule = rule_en(result.rule, q, noun)
    if q.kind is Kind.MOTION:
        fo = result.by_key[q.for_option.key]  # type: ignore[union-attr]
        verdict = "Passed" if result.passed else "Not passed"
        return (f"{verdict}: {_share_en(result, fo, noun)} in favour ({percent_en(fo.share)}), "
                f"{_judged_en(result, fo, noun)}")
    if q.kind is Kind.ELECTION:
        def names(keys: tuple[str, ...]) -> str:
            return ", ".join(
                f"{result.by_key[k].label} ({_share_en(result, result.by_key[k], noun)}, "
                f"{percent_en(result.by_key[k].share)})" for k in keys)

        parts = [f"Elected: {names(result.elected)}" if result.elected else "Nobody elected"]
        if result.tied:
            parts.append(f"tied, new round needed: {names(result.tied)}")
        parts.append(f"required: {rule}")
        return "; ".join(parts)
    judged = [o for o in result.options if o.status is not Status.COUNTED]
    parts = [f"{o.label_en or o.label}: {_share_en(result, o, noun)} ({percent_en(o.share)})" for o in judged]
    met = [o.label_en or o.label for o in judged if o.met]
    parts.append(f"reaching {rule}: {', '.join(met)}" if met else f"no option reaches {rule}")
    return "; ".join(parts)


ELECTION_VI = {Status.ELECTED: "Trúng cử", Status.NOT_MET: "Không trúng cử", Status.OUTRANKED: "Không trúng cử",
               Status.TIE: "Bằng phiếu, cần bầu lại"}
ELECTION_EN = {Status.ELECTED: "Elected", Status.NOT_MET: "Not elected", Status.OUTRANKED: "Not elected",
               Status.TIE: "Tied, new round needed"}


def _option_line_vi(result: Result, o: OptionResult, rule: str, noun: str) -> str:
    if o.status is Status.COUNTED:
        if result.rule.denominator is Denominator.CAST and result.rule.abstentions is Abstentions.EXCLUDE:
            return f"{o.label}: {o.votes} phiếu (không tính vào số phiếu biểu quyết)"
        return f"{o.label}: {_share_vi(result, o, noun)} ({percent_vi(o.share)})"
    share = f"{_share_vi(result, o, noun)}"
    if result.question.kind is Kind.ELECTION:
        tail = {Status.OUTRANKED: f"{rule} nhưng ít phiếu hơn người trúng cử",
                Status.TIE: f"{rule}, số người bằng phiếu nhiều hơn số còn phải bầu"}.get(o.status, _judged_vi(
                    result, o, noun))
        return f"{ELECTION_VI[o.status]}: {o.label}, {share} bầu ({percent_vi(o.share)}), {tail}"
    if result.question.kind is Kind.MOTION:
        return f"{o.label}: {share} ({percent_vi(o.share)})"
    return f"{o.label}: {share} ({percent_vi(o.share)}), {_judged_vi(result, o, noun)}"


def _option_line_en(result: Result, o: OptionResult, rule: str, noun: str) -> str:
    label = o.label_en or o.label
    if o.status is Status.COUNTED:
        if result.rule.denominator is Denominator.CAST and result.rule.abstentions is Abstentions.EXCLUDE:
            return f"{label}: {o.votes} votes (not counted as cast)"
        return f"{label}: {_share_en(result, o, noun)} ({percent_en(o.share)})"
    share = _share_en(result, o, noun)
    if result.question.kind is Kind.ELECTION:
        tail = {Status.OUTRANKED: f"{rule}, but others had more votes",
                Status.TIE: f"{rule}, more people tied than seats left"}.get(o.status, _judged_en(result, o, noun))
        return f"{ELECTION_EN[o.status]}: {o.label}, {share} ({percent_en(o.share)}), {tail}"
    if result.question.kind is Kind.MOTION:
        return f"{label}: {share} ({percent_en(o.share)})"
    return f"{label}: {share} ({percent_en(o.share)}), {_judged_en(result, o, noun)}"


def lines_vi(result: Result, noun: str = "đại biểu") -> list[str]:
    """The breakdown for the minutes: who could vote, who took part, then each option."""
    rule = rule_vi(result.rule, result.question, noun)
    head = (f"Tổng số {noun}: {result.members}; có mặt: {max(result.present, result.cast)}; "
            f"tham gia biểu quyết: {result.cast}")
    return [head, *(_option_line_vi(result, o, rule, noun) for o in result.options)]


def lines_en(result: Result, noun: str = "members") -> list[str]:
    rule = rule_en(result.rule, result.question, noun)
    head = f"{noun.capitalize()}: {result.members}; present: {max(result.present, result.cast)}; voted: {result.cast}"
    return [head, *(_option_line_en(result, o, rule, noun) for o in result.options)]


# Quorum ------------------------------------------------------------------------------------------


def quorum_vi(check: QuorumCheck, noun: str = "đại biểu") -> str:
    present = f"có mặt {check.present}/{check.members} {noun}"
    if check.threshold is None:
        return f"Không yêu cầu túc số: {present}."
    rule = f"{threshold_vi(check.threshold)} tổng số {noun}"
    if check.reached:
        return f"Đủ túc số: {present}, cần ít nhất {check.required} ({rule})."
    return (f"Chưa đủ túc số để biểu quyết: {present}, cần ít nhất {check.required} {noun} ({rule}); "
            f"còn thiếu {check.required - check.present}.")


def quorum_en(check: QuorumCheck, noun: str = "members") -> str:
    present = f"{check.present} of {check.members} {noun} present"
    if check.threshold is None:
        return f"No quorum required: {present}."
    rule = f"{threshold_en(check.threshold)} of all {noun}"
    if check.reached:
        return f"Quorum reached: {present}, at least {check.required} needed ({rule})."
    return (f"No quorum, the vote cannot open: {present}, at least {check.required} needed ({rule}); "
            f"{check.required - check.present} missing.")

