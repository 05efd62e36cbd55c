"""Which sources a site receives when it may receive only a few, and in which of its slots.

Pure functions over hashable keys; the room (media/room.py) decides the order of preference
(for video: shared screen, spotlight, the chair's site, the speaker, what the page asked for,
recent speakers, then everyone else in the order they joined).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def choose(limit: int, preferred: Iterable[K | None], available: Sequence[K], exclude: Iterable[K] = ()) -> list[K]:
    """Up to ``limit`` keys of ``available``: the ``preferred`` ones first, in their order, then the others
    in the order of ``available``; none twice, none of ``exclude``."""
    allowed = set(available) - set(exclude)
    chosen: list[K] = []
    for key in [*preferred, *available]:
        if len(chosen) >= limit:
            break
        if key is not None and key in allowed and key not in chosen:
            chosen.append(key)
    return chosen


def place(current: Sequence[K | None], chosen: Sequence[K]) -> list[K | None]:
    """Put ``chosen`` into slots, leaving a key that stays in the slot it had (a move would cost the
    subscriber a keyframe) and filling the slots that free up in order."""
    wanted = set(chosen)
    slots: list[K | None] = [key if key in wanted else None for key in current]
    placed = {key for key in slots if key is not None}
    free = iter(i for i, key in enumerate(slots) if key is None)
    for key in chosen:
        if key not in placed:
            slots[next(free)] = key
    return slots
