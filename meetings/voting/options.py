"""What a ballot offers: the question, its options (presets or custom), and how many may be chosen.

Pure data, no Django. A ``Question`` is what the voting item stores (``to_dict`` / ``from_dict`` for a
JSON column); ``Question.check`` turns what a voter sent into a normalised ``Ballot`` or refuses it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .errors import InvalidBallot, InvalidQuestion

MAX_TEXT = 1000  # characters of an "Ý kiến khác" opinion
KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


class Role(StrEnum):
    """What choosing an option means for the count."""

    FOR = "for"  # the motion's yes: Tán thành, Đồng ý
    AGAINST = "against"  # Không tán thành, Không đồng ý
    ABSTAIN = "abstain"  # Không biểu quyết: takes no position, chosen alone
    OTHER = "other"  # Ý kiến khác, a custom option, a confidence level
    CANDIDATE = "candidate"  # a person in an election


class Kind(StrEnum):
    MOTION = "motion"  # passes when its FOR option meets the rule
    ELECTION = "election"  # each candidate meeting the rule is elected, up to ``seats``
    CHOICE = "choice"  # each option is reported against the rule (confidence votes, custom options)


class Preset(StrEnum):
    APPROVAL = "approval"  # Tán thành / Không tán thành / Không biểu quyết
    CONSULTATION = "consultation"  # Đồng ý / Không đồng ý / Ý kiến khác (with a text)
    CONFIDENCE = "confidence"  # Tín nhiệm cao / Tín nhiệm / Tín nhiệm thấp


@dataclass(frozen=True)
class Option:
    key: str
    label: str  # Vietnamese: on the ballot and in the record
    label_en: str = ""
    role: Role = Role.OTHER
    needs_text: bool = False  # the voter must write their opinion (Ý kiến khác)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "label_en": self.label_en, "role": str(self.role),
                "needs_text": self.needs_text}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Option:
        return cls(key=data["key"], label=data["label"], label_en=data.get("label_en", ""),
                   role=Role(data.get("role", Role.OTHER)), needs_text=bool(data.get("needs_text", False)))

    @property
    def english(self) -> str:
        return self.label_en or self.label


@dataclass(frozen=True)
class Ballot:
    """One voter's choice as counted: option keys in the question's order (empty: a blank ballot)."""

    choices: tuple[str, ...]
    weight: int = 1  # a proxy holder votes with 1 + the proxies they hold
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"choices": list(self.choices), "weight": self.weight, "text": self.text}


@dataclass(frozen=True)
class Question:
    text: str
    options: tuple[Option, ...]
    kind: Kind = Kind.MOTION
    max_choices: int = 1
    min_choices: int = 1  # 0 allows a blank ballot (phiếu trắng)
    seats: int | None = None  # elections: how many may be elected (default: max_choices)
    by_key: Mapping[str, Option] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", tuple(self.options))
        object.__setattr__(self, "by_key", {o.key: o for o in self.options})
        if self.kind is Kind.ELECTION and self.seats is None:
            object.__setattr__(self, "seats", self.max_choices)
        self._validate()

    def _validate(self) -> None:
        def bad(vi: str, en: str) -> InvalidQuestion:
            return InvalidQuestion(vi, en)

        if not self.options:
            raise bad("Biểu quyết phải có ít nhất một phương án.", "A vote needs at least one option.")
        if len(self.by_key) != len(self.options):
            raise bad("Mã phương án bị trùng.", "Two options have the same key.")
        for o in self.options:
            if not KEY.match(o.key):
                raise bad(f"Mã phương án không hợp lệ: {o.key!r}.", f"Invalid option key: {o.key!r}.")
            if not o.label.strip():
                raise bad("Phương án phải có tên.", "Every option needs a label.")
        roles = [o.role for o in self.options]
        if not 0 <= self.min_choices <= self.max_choices:
            raise bad("Số lựa chọn tối thiểu và tối đa không hợp lệ.", "Invalid minimum or maximum of choices.")
        if self.kind is Kind.MOTION:
            if roles.count(Role.FOR) != 1:
                raise bad("Nội dung biểu quyết phải có đúng một phương án tán thành.",
                          "A motion needs exactly one option in favour.")
            if self.max_choices != 1 or Role.CANDIDATE in roles:
                raise bad("Nội dung biểu quyết chỉ cho chọn một phương án.", "A motion allows one choice only.")
        elif self.kind is Kind.ELECTION:
            candidates = roles.count(Role.CANDIDATE)
            if candidates == 0 or Role.FOR in roles or Role.AGAINST in roles:
                raise bad("Bầu cử phải có người ứng cử và không có phương án tán thành/không tán thành.",
                          "An election needs candidates and no for/against options.")
            if not 1 <= (self.seats or 0) <= candidates or self.max_choices > candidates:
                raise bad("Số người được bầu hoặc số lựa chọn vượt quá số người ứng cử.",
                          "More seats or choices than candidates.")
        elif Role.CANDIDATE in roles or Role.FOR in roles:
            raise bad("Phương án tán thành hoặc người ứng cử chỉ dùng trong biểu quyết hoặc bầu cử.",
                      "For-options and candidates belong to motions and elections.")
        if self.kind is not Kind.ELECTION and self.seats is not None:
            raise bad("Chỉ bầu cử mới có số người được bầu.", "Only an election has seats.")

    # ---------------------------------------------------------------------------------------------

    @property
    def abstain_keys(self) -> frozenset[str]:
        return frozenset(o.key for o in self.options if o.role is Role.ABSTAIN)

    @property
    def for_option(self) -> Option | None:
        return next((o for o in self.options if o.role is Role.FOR), None)

    @property
    def needs_text(self) -> bool:
        return any(o.needs_text for o in self.options)

    def check(self, choices: Iterable[str], text: str = "", weight: int = 1) -> Ballot:
        """The ballot a voter sent, normalised (choices in the question's order), or ``InvalidBallot``."""
        chosen = [] if isinstance(choices, str | bytes) else list(choices)
        if isinstance(choices, str | bytes) or not all(isinstance(c, str) for c in chosen):
            raise InvalidBallot("Lựa chọn không hợp lệ.", "Choices must be a list of option keys.", "bad_choices")
        unknown = [c for c in chosen if c not in self.by_key]
        if unknown:
            raise InvalidBallot("Phương án không có trong phiếu biểu quyết.", "No such option on this ballot.",
                                "unknown_option")
        if len(set(chosen)) != len(chosen):
            raise InvalidBallot("Một phương án được chọn hai lần.", "An option was chosen twice.", "duplicate_choice")
        if len(chosen) > self.max_choices:
            raise InvalidBallot(f"Chỉ được chọn tối đa {self.max_choices} phương án.",
                                f"At most {self.max_choices} choice(s) allowed.", "too_many_choices")
        if len(chosen) < self.min_choices:
            raise InvalidBallot(f"Phải chọn ít nhất {self.min_choices} phương án.",
                                f"Choose at least {self.min_choices} option(s).", "too_few_choices")
        if len(chosen) > 1 and self.abstain_keys & set(chosen):
            raise InvalidBallot("Phương án không biểu quyết không được chọn cùng phương án khác.",
                                "Abstaining cannot be combined with another choice.", "abstain_not_alone")
        if not isinstance(weight, int) or isinstance(weight, bool) or weight < 1:
            raise InvalidBallot("Trọng số phiếu không hợp lệ.", "Invalid ballot weight.", "bad_weight")
        text = (text or "").strip()
        wants_text = any(self.by_key[c].needs_text for c in chosen)
        if wants_text and not text:
            raise InvalidBallot("Vui lòng ghi rõ ý kiến khác.", "Please write your other opinion.", "text_required")
        if text and not wants_text:
            raise InvalidBallot("Phương án đã chọn không kèm ý kiến.", "The chosen option takes no text.",
                                "text_not_allowed")
        if any(ch < " " and ch not in "\n\t" or "\ud800" <= ch <= "\udfff" for ch in text):
            raise InvalidBallot("Ý kiến có ký tự không hợp lệ.", "The opinion contains control characters.",
                                "text_invalid")
        if len(text) > MAX_TEXT:
            raise InvalidBallot(f"Ý kiến dài quá {MAX_TEXT} ký tự.", f"The opinion exceeds {MAX_TEXT} characters.",
                                "text_too_long")
        order = {o.key: i for i, o in enumerate(self.options)}
        return Ballot(tuple(sorted(chosen, key=order.__getitem__)), weight, text)

    def abstains(self, ballot: Ballot) -> bool:
        """A blank ballot, or one that only says "Không biểu quyết"."""
        return all(c in self.abstain_keys for c in ballot.choices)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "kind": str(self.kind), "options": [o.to_dict() for o in self.options],
                "max_choices": self.max_choices, "min_choices": self.min_choices, "seats": self.seats}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Question:
        kind = Kind(data.get("kind", Kind.MOTION))
        return cls(text=data.get("text", ""), options=tuple(Option.from_dict(o) for o in data["options"]), kind=kind,
                   max_choices=int(data.get("max_choices", 1)), min_choices=int(data.get("min_choices", 1)),
                   seats=data.get("seats"))


# Presets ------------------------------------------------------------------------------------------

APPROVAL_OPTIONS = (
    Option("for", "Tán thành", "For", Role.FOR),
    Option("against", "Không tán thành", "Against", Role.AGAINST),
    Option("abstain", "Không biểu quyết", "Abstain", Role.ABSTAIN),
)
CONSULTATION_OPTIONS = (
    Option("agree", "Đồng ý", "Agree", Role.FOR),
    Option("disagree", "Không đồng ý", "Disagree", Role.AGAINST),
    Option("other", "Ý kiến khác", "Other opinion", Role.OTHER, needs_text=True),
)
CONFIDENCE_OPTIONS = (
    Option("high", "Tín nhiệm cao", "High confidence"),
    Option("medium", "Tín nhiệm", "Confidence"),
    Option("low", "Tín nhiệm thấp", "Low confidence"),
)


def approval(text: str) -> Question:
    """Tán thành / Không tán thành / Không biểu quyết: the People's Council motion."""
    return Question(text, APPROVAL_OPTIONS, Kind.MOTION)


def consultation(text: str) -> Question:
    """Đồng ý / Không đồng ý / Ý kiến khác (with a text): written consultations and some bodies' votes."""
    return Question(text, CONSULTATION_OPTIONS, Kind.MOTION)


def confidence(text: str) -> Question:
    """Tín nhiệm cao / Tín nhiệm / Tín nhiệm thấp: a confidence vote (secret by law)."""
    return Question(text, CONFIDENCE_OPTIONS, Kind.CHOICE)


def preset(name: Preset | str, text: str) -> Question:
    return {Preset.APPROVAL: approval, Preset.CONSULTATION: consultation, Preset.CONFIDENCE: confidence}[
        Preset(name)](text)


def _options(labels: Sequence[str | Option], role: Role, prefix: str) -> tuple[Option, ...]:
    return tuple(x if isinstance(x, Option) else Option(f"{prefix}{i}", x, role=role)
                 for i, x in enumerate(labels, start=1))


def election(text: str, candidates: Sequence[str | Option], seats: int = 1, max_choices: int | None = None,
             allow_blank: bool = True) -> Question:
    """Electing people: up to ``max_choices`` (default: ``seats``) names per ballot."""
    return Question(text, _options(candidates, Role.CANDIDATE, "c"), Kind.ELECTION,
                    max_choices=max_choices or seats, min_choices=0 if allow_blank else 1, seats=seats)


def custom(text: str, options: Sequence[str | Option], max_choices: int = 1, min_choices: int = 1) -> Question:
    """Custom options, each reported against the rule (choose between plans A, B, C...)."""
    return Question(text, _options(options, Role.OTHER, "o"), Kind.CHOICE, max_choices=max_choices,
                    min_choices=min_choices)


def custom_motion(text: str, for_label: str, against_label: str | None = None,
                  abstain_label: str | None = None) -> Question:
    """A motion with custom wording of its for / against / abstain options."""
    options = [Option("for", for_label, role=Role.FOR)]
    if against_label:
        options.append(Option("against", against_label, role=Role.AGAINST))
    if abstain_label:
        options.append(Option("abstain", abstain_label, role=Role.ABSTAIN))
    return Question(text, tuple(options), Kind.MOTION)
