"""Audiences: the groups of sockets that see the same bytes. Content is filtered once per audience.

Editors (chair, secretary, host-unit administrators, system administrators) see everything; members
(every other participant) do not see reasons for absence. Filtering happens when an event is
published or replayed and when a snapshot is built, never per socket.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

EDITORS = "editors"
MEMBERS = "members"
AUDIENCES = (EDITORS, MEMBERS)

# Keys of event data and of participant rows that only editors may see.
EDITOR_ONLY_FIELDS = frozenset({"rsvp_reason", "absence_reason"})


# Later features: what members may not see of their state section / event data, by section name and
# event-kind prefix: fn(value) → the members' copy. Registered from the feature's AppConfig.ready.
SECTION_FILTERS: dict[str, Callable[[Any], Any]] = {}
EVENT_FILTERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def _strip(row: dict[str, Any]) -> dict[str, Any]:
    if EDITOR_ONLY_FIELDS.isdisjoint(row):
        return row
    return {k: v for k, v in row.items() if k not in EDITOR_ONLY_FIELDS}


def event_data(data: dict[str, Any], audience: str, kind: str = "") -> dict[str, Any]:
    if audience == EDITORS:
        return data
    feature_filter = EVENT_FILTERS.get(kind.split(".", 1)[0])
    return _strip(feature_filter(data) if feature_filter else data)


def state(state: dict[str, Any], audience: str) -> dict[str, Any]:
    if audience == EDITORS:
        return state
    members = {**state, "participants": [_strip(p) for p in state["participants"]]}
    for name, section_filter in SECTION_FILTERS.items():
        if name in members:
            members[name] = section_filter(members[name])
    return members
