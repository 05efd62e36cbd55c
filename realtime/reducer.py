"""The pure reducer: ``apply(state, kind, data)`` → the next state. No database, no clock.

Mirrored in JavaScript by the live-room pages (see docs/protocol.md, "State" and "Event kinds").
The test that keeps both honest: snapshot, act, apply the events to the old snapshot, compare with
a fresh snapshot; they must be equal (tests/realtime/test_reducer_equivalence.py).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

ATTENDANCE = ("not_yet", "in_person", "online", "absent", "left")
PRESENT = ("in_person", "online")
NO_ATTENDANCE = {"attendance": "not_yet", "attendance_site_id": None, "attendance_at": None}


def quorum_required(rule: str, members: int) -> int:
    if rule == "majority":
        return members // 2 + 1
    if rule == "two_thirds":
        return (2 * members + 2) // 3
    return 0


def roll_call(state: dict[str, Any]) -> dict[str, Any]:
    """Derived counts: recomputed from the participants after every event, never sent as an event."""
    counts = dict.fromkeys(ATTENDANCE, 0)
    for p in state["participants"]:
        counts[p["attendance"]] += 1
    # Members with a voting right; someone who sent a substitute is counted through the substitute.
    members = [p for p in state["participants"] if p["can_vote"] and p["rsvp"] != "substituted"]
    present = sum(1 for p in members if p["attendance"] in PRESENT)
    rule = state["live"]["quorum_rule"]
    required = quorum_required(rule, len(members))
    return {**counts, "members": len(members), "members_present": present, "quorum_required": required,
            "quorum_reached": present >= required}


def participant_row(data: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    """A participant event's row, keeping the attendance the event does not carry."""
    base = {k: v for k, v in (old or NO_ATTENDANCE).items() if k in NO_ATTENDANCE or k == "absence_reason"}
    return {**data, **base}


def set_attendance(row: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    row = {**row, "attendance": data["attendance"], "attendance_site_id": data["site_id"],
           "attendance_at": data["at"]}
    row.pop("absence_reason", None)
    if data.get("absence_reason"):
        row["absence_reason"] = data["absence_reason"]
    return row


# Reducers of later features by event-kind prefix ("vote" for "vote.opened"): fn(state, kind, data),
# mutating the (already copied) state. Registered from the feature's AppConfig.ready, together with
# its snapshot section (snapshot.SECTIONS) and the JavaScript mirror.
REDUCERS: dict[str, Callable[[dict[str, Any], str, dict[str, Any]], None]] = {}
# Each such section's value before any of its events (what a snapshot of a new meeting holds), so the
# whole log replayed from an empty state gives today's snapshot.
INITIAL: dict[str, Any] = {}


def apply(state: dict[str, Any], kind: str, data: dict[str, Any]) -> dict[str, Any]:
    s = copy.deepcopy(state)
    live = s["live"]
    if kind in ("meeting.created", "meeting.updated", "meeting.status"):
        s["meeting"] = data
    elif kind == "agenda.changed":
        s["agenda"] = data["items"]
        ids = {str(item["id"]) for item in data["items"]}
        live["item_elapsed"] = {k: v for k, v in live["item_elapsed"].items() if k in ids}
        if live["current_item"] is not None and str(live["current_item"]["item_id"]) not in ids:
            live["current_item"] = None
    elif kind == "agenda.current":
        live["current_item"] = None if data["item_id"] is None else {
            "item_id": data["item_id"], "started_at": data["started_at"], "elapsed_before": data["elapsed_before"]}
        live["item_elapsed"] = data["item_elapsed"]
    elif kind in ("participant.added", "participant.updated", "participant.rsvp"):
        rows = {p["id"]: p for p in s["participants"]}
        rows[data["id"]] = participant_row(data, rows.get(data["id"]))
        s["participants"] = [rows[k] for k in sorted(rows)]
    elif kind == "participant.removed":
        s["participants"] = [p for p in s["participants"] if p["id"] != data["id"]]
        s["queue"] = [r for r in s["queue"] if r["participant_id"] != data["id"]]
        if live["speaker"] is not None and live["speaker"]["participant_id"] == data["id"]:
            live["speaker"] = None
    elif kind == "attendance.changed":
        s["participants"] = [set_attendance(p, data) if p["id"] == data["participant_id"] else p
                             for p in s["participants"]]
    elif kind == "floor.changed":
        live["floor"], live["speaking_limit"] = data["floor"], data["speaking_limit"]
    elif kind == "queue.changed":
        s["queue"] = data["queue"]
    elif kind == "speaker.changed":
        live["speaker"] = data["speaker"]
    elif kind == "quorum.changed":
        live["quorum_rule"] = data["quorum_rule"]
    elif kind.split(".", 1)[0] in REDUCERS:
        REDUCERS[kind.split(".", 1)[0]](s, kind, data)
    # Unknown kinds leave the state as it is.
    s["roll_call"] = roll_call(s)
    return s
