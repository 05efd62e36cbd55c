"""Proxies (ủy quyền): who casts a ballot, and with what weight.

A member with a voting right who gave a valid proxy casts nothing; the holder casts one ballot with
weight 1 + the proxies they hold. Every voting right ends up with exactly one person, so the weights
add up to the number of members. A proxy is refused, and its giver keeps their own vote, when the
holder is unknown or has no voting right, when it points to the giver, when the holder has given their
own proxy (a proxy is not passed on), or beyond ``max_per_holder``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

from .rules import Electorate


@dataclass(frozen=True)
class Member:
    ref: Hashable  # the participant's id
    can_vote: bool = True
    present: bool = False  # in person or online when the vote opens
    proxy_to: Hashable | None = None


@dataclass(frozen=True)
class RefusedProxy:
    giver: Hashable
    holder: Hashable
    code: str
    vi: str
    en: str


@dataclass(frozen=True)
class Proxies:
    weights: Mapping[Hashable, int]  # every member with a voting right → their ballot's weight (0: gave a proxy)
    givers: Mapping[Hashable, tuple[Hashable, ...]]  # holder → the members whose proxies they hold
    refused: tuple[RefusedProxy, ...]
    electorate: Electorate  # members; present = voting rights held by members who are present


REASONS = {
    "self": ("Không thể ủy quyền cho chính mình.", "A proxy cannot be given to oneself."),
    "holder_unknown": ("Người nhận ủy quyền không có trong danh sách.", "The proxy holder is not a participant."),
    "holder_no_right": ("Người nhận ủy quyền không có quyền biểu quyết.", "The proxy holder has no voting right."),
    "chained": ("Người nhận ủy quyền đã ủy quyền cho người khác; không được ủy quyền lại.",
                "The proxy holder has given their own proxy; a proxy is not passed on."),
    "too_many": ("Người nhận ủy quyền đã nhận đủ số ủy quyền cho phép.", "The holder already holds the most proxies allowed."),
}


def resolve_proxies(members: Iterable[Member], max_per_holder: int | None = None) -> Proxies:
    """Weights of the members' ballots (input order decides which proxies exceed ``max_per_holder``)."""
    members = list(members)
    by_ref = {m.ref: m for m in members}
    voters = [m for m in members if m.can_vote]
    weights = {m.ref: 1 for m in voters}
    givers: dict[Hashable, list[Hashable]] = {}
    refused: list[RefusedProxy] = []
    for m in voters:
        if m.proxy_to is None:
            continue
        holder = by_ref.get(m.proxy_to)
        if m.proxy_to == m.ref:
            code = "self"
        elif holder is None:
            code = "holder_unknown"
        elif not holder.can_vote:
            code = "holder_no_right"
        elif holder.proxy_to is not None:
            code = "chained"
        elif max_per_holder is not None and len(givers.get(holder.ref, ())) >= max_per_holder:
            code = "too_many"
        else:
            givers.setdefault(holder.ref, []).append(m.ref)
            weights[holder.ref] += 1
            weights[m.ref] -= 1
            continue
        refused.append(RefusedProxy(m.ref, m.proxy_to, code, *REASONS[code]))
    present = sum(weights[m.ref] for m in voters if m.present)
    return Proxies(weights, {k: tuple(v) for k, v in givers.items()}, tuple(refused), Electorate(len(voters), present))
