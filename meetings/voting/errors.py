"""Errors of the voting engine. Pure Python: each carries a stable code and its message in Vietnamese and
English, so a service can turn it into a ``ServiceError`` in the user's language."""

from __future__ import annotations


class VotingError(ValueError):
    code = "invalid"

    def __init__(self, vi: str, en: str, code: str | None = None):
        super().__init__(en)
        self.vi = vi
        self.en = en
        if code:
            self.code = code

    def message(self, language: str = "vi") -> str:
        return self.en if language.startswith("en") else self.vi


class InvalidQuestion(VotingError):
    code = "invalid_question"


class InvalidRule(VotingError):
    code = "invalid_rule"


class InvalidBallot(VotingError):
    code = "invalid_ballot"


class QuorumNotMet(VotingError):
    code = "no_quorum"


class TamperedBallot(VotingError):
    code = "tampered_ballot"
