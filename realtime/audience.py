"""Audiences: the groups of sockets that see the same bytes. Content is filtered once per audience.

Editors (chair, secretary, host-unit administrators, system administrators) see everything; members
(every other participant) do not see reasons for absence. Filtering happens when an event is
published or replayed and when a snapshot is built, never per socket.
"""

from __future__ import annotations

from typing import Any

EDITORS = "editors"
MEMBERS = "members"
AUDIENCES = (EDITORS, MEMBERS)

# Keys of event data and of participant rows that only editors may see.
EDITOR_ONLY_FIELDS = frozenset({"rsvp_reason", "absence_reason"})


def _strip(row: dict[str, Any]) -> dict[str, Any]:
    if EDITOR_ONLY_FIELDS.isdisjoint(row):
        return row
    return {k: v for k, v in row.items() if k not in EDITOR_ONLY_FIELDS}


def event_data(data: dict[str, Any], audience: str) -> dict[str, Any]:
    return data if audience == EDITORS else _strip(data)


def state(state: dict[str, Any], audience: str) -> dict[str, Any]:
    if audience == EDITORS:
        return state
    return {**state, "participants": [_strip(p) for p in state["participants"]]}
