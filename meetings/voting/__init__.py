"""The voting engine: options, rules, results in words, proxies and secret-ballot sealing.

Pure Python, no Django models: the voting models and services build on it (see docs/voting.md).
"""

from .errors import InvalidBallot, InvalidQuestion, InvalidRule, QuorumNotMet, TamperedBallot, VotingError
from .options import (
    Ballot,
    Kind,
    Option,
    Preset,
    Question,
    Role,
    approval,
    confidence,
    consultation,
    custom,
    custom_motion,
    election,
    preset,
)
from .proxies import Member, Proxies, resolve_proxies
from .rules import (
    HDND_MAJORITY,
    HDND_TWO_THIRDS,
    MORE_THAN_HALF,
    TWO_THIRDS,
    Abstentions,
    Comparison,
    Denominator,
    Electorate,
    QuorumCheck,
    Result,
    Rule,
    Status,
    Tally,
    Threshold,
    check_quorum,
    count,
    decide,
    require_quorum,
)

__all__ = [
    "HDND_MAJORITY", "HDND_TWO_THIRDS", "MORE_THAN_HALF", "TWO_THIRDS", "Abstentions", "Ballot", "Comparison",
    "Denominator", "Electorate", "InvalidBallot", "InvalidQuestion", "InvalidRule", "Kind", "Member", "Option",
    "Preset", "Proxies", "Question", "QuorumCheck", "QuorumNotMet", "Result", "Role", "Rule", "Status", "Tally",
    "TamperedBallot", "Threshold", "VotingError", "approval", "check_quorum", "confidence", "consultation",
    "count", "custom", "custom_motion", "decide", "election", "preset", "require_quorum", "resolve_proxies",
]
