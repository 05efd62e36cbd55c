"""The votes in the live room's state: the ``votes`` section, its reducer and what delegates may not see.

``state["votes"]`` is the list of the meeting's votes (``services.item_data``), sorted by id. Every
``vote.*`` event carries the whole vote (``vote.deleted`` only its id), so the reducer is an upsert.
Delegates (the members' audience) do not see prepared votes, nor a result before it is published:
their copy of a prepared vote's event is ``{"id": ..., "hidden": true}``, which removes it.
Ballots are not in the state at all (docs/protocol.md, "Votes").
"""

from __future__ import annotations

from typing import Any

SECTION = "votes"
PREFIX = "vote"


def reduce(state: dict[str, Any], kind: str, data: dict[str, Any]) -> None:
    """realtime.reducer.REDUCERS["vote"]: mutates the (already copied) state."""
    votes = [v for v in state.get(SECTION, []) if v["id"] != data["id"]]
    if kind != "vote.deleted" and not data.get("hidden"):
        votes.append(data)
    state[SECTION] = sorted(votes, key=lambda v: v["id"])


def for_members(vote: dict[str, Any]) -> dict[str, Any]:
    if vote.get("status") == "prepared":
        return {"id": vote["id"], "hidden": True}
    if vote.get("status") != "published" and vote.get("result") is not None:
        return {**vote, "result": None}
    return vote


def members_section(votes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [for_members(v) for v in votes if v.get("status") != "prepared"]


def members_event(data: dict[str, Any]) -> dict[str, Any]:
    return for_members(data) if "status" in data else data


def section(meeting) -> list[dict[str, Any]]:
    from meetings.voting.services import votes_section

    return votes_section(meeting)


def register() -> None:
    from realtime import audience, reducer, snapshot

    snapshot.SECTIONS[SECTION] = section
    reducer.REDUCERS[PREFIX] = reduce
    if hasattr(reducer, "INITIAL"):  # the section before any vote event: a meeting without votes
        reducer.INITIAL[SECTION] = []
    audience.SECTION_FILTERS[SECTION] = members_section
    audience.EVENT_FILTERS[PREFIX] = members_event
