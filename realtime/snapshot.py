"""Read side of the socket: snapshots and event replay, filtered per audience. Nothing here writes.

A snapshot is read in one transaction that sees a single committed moment (REPEATABLE READ on
PostgreSQL, SQLite's own read snapshot), so its ``seq`` and its state always agree: every change is
committed together with the event that numbers it.
"""

from __future__ import annotations

import collections
import json
import threading
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction

from meetings.models import Attendance, LiveState, Meeting, MeetingEvent
from meetings.services.agenda import agenda_data
from meetings.services.live import attendance_data, live_data, queue_data
from meetings.services.meetings import meeting_data
from meetings.services.participants import participant_data
from realtime import audience as audiences
from realtime.reducer import roll_call

REPLAY_LIMIT = 500
# State sections of later features (documents, votes, video): name → builder(meeting) → JSON-able value.
# Registered from the feature's AppConfig.ready; the reducer needs a matching entry in reducer.REDUCERS.
SECTIONS: dict[str, Callable[[Meeting], Any]] = {}


def dumps(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def participant_rows(meeting: Meeting) -> list[dict[str, Any]]:
    people = meeting.participants.select_related("user").order_by("id")
    marks = {a.participant_id: a for a in Attendance.objects.filter(participant__meeting=meeting)}
    rows = []
    for p in people:
        att = attendance_data(p.pk, marks.get(p.pk))
        row = participant_data(p) | {
            "attendance": att["attendance"], "attendance_site_id": att["site_id"], "attendance_at": att["at"],
        }
        if att["absence_reason"]:
            row["absence_reason"] = att["absence_reason"]
        rows.append(row)
    return rows


def _consistent_read() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def build(meeting_id: int, audience: str = audiences.EDITORS) -> tuple[int, dict[str, Any]]:
    """(seq, state) of the meeting as ``audience`` sees it."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            _consistent_read()
        meeting = Meeting.objects.select_related("room").get(pk=meeting_id)
        state: dict[str, Any] = {
            "meeting": meeting_data(meeting),
            "agenda": agenda_data(meeting),
            "participants": participant_rows(meeting),
            "live": live_data(meeting.pk, LiveState.objects.filter(meeting=meeting).first()),
            "queue": queue_data(meeting.pk),
        }
        for name, section in SECTIONS.items():
            state[name] = section(meeting)
        state["roll_call"] = roll_call(state)
        return meeting.last_seq, audiences.state(state, audience)


def event_frame(seq: int, kind: str, data: dict[str, Any], at: str, audience: str) -> str:
    return dumps({"type": "event", "seq": seq, "event": kind, "data": audiences.event_data(data, audience, kind), "at": at})


def events_after(meeting_id: int, after: int, audience: str,
                 limit: int = REPLAY_LIMIT, upto: int | None = None) -> list[tuple[int, str, str, dict[str, Any]]]:
    """Up to ``limit`` events with seq > ``after``, as (seq, frame text, kind, data) in order. With ``upto`` (a
    seq known to be committed), events already read by this process are taken from memory: an event never
    changes once committed, and hundreds of reconnecting sockets ask for the same few."""
    if upto is not None:
        wanted = range(after + 1, min(upto, after + limit) + 1)
        with _events_lock:
            known = _events.get(meeting_id, {})
            rows = [known.get(seq) for seq in wanted]
        if all(row is not None for row in rows):
            return [(seq, _event_text(meeting_id, seq, row, audience), row[0], row[1])
                    for seq, row in zip(wanted, rows, strict=True)]
    read = [(e.seq, (e.type, e.data, e.at.isoformat())) for e in
            MeetingEvent.objects.filter(meeting_id=meeting_id, seq__gt=after).order_by("seq")[:limit]]
    with _events_lock:
        known = _events.setdefault(meeting_id, {})
        _events.move_to_end(meeting_id)
        known.update(read)
        for seq in sorted(known)[:-CACHED_EVENTS] if len(known) > CACHED_EVENTS else ():
            del known[seq]
            for a in audiences.AUDIENCES:
                _event_texts.pop((meeting_id, a, seq), None)
        while len(_events) > CACHED_SNAPSHOTS:
            gone, rows_gone = _events.popitem(last=False)
            for seq in rows_gone:
                for a in audiences.AUDIENCES:
                    _event_texts.pop((gone, a, seq), None)
    return [(seq, _event_text(meeting_id, seq, row, audience), row[0], row[1]) for seq, row in read]


# Events read lately, per meeting: seq → (kind, data, at), and their frame text per audience.
_events: collections.OrderedDict[int, dict[int, tuple[str, dict[str, Any], str]]] = collections.OrderedDict()
_event_texts: dict[tuple[int, str, int], str] = {}
_events_lock = threading.Lock()
CACHED_EVENTS = REPLAY_LIMIT + 50  # per meeting: a replay's worth


def _event_text(meeting_id: int, seq: int, row: tuple[str, dict[str, Any], str], audience: str) -> str:
    key = (meeting_id, audience, seq)
    text = _event_texts.get(key)
    if text is None:
        text = _event_texts[key] = event_frame(seq, row[0], row[1], row[2], audience)
    return text


def current_seq(meeting_id: int) -> int:
    return Meeting.objects.filter(pk=meeting_id).values_list("last_seq", flat=True).first() or 0


# The last snapshot text per (meeting, audience), reused while the meeting's seq has not moved: after a
# restart or a network blip, hundreds of sockets ask for the same snapshot at the same moment.
_texts: collections.OrderedDict[tuple[int, str], tuple[int, str]] = collections.OrderedDict()
_texts_lock = threading.Lock()
CACHED_SNAPSHOTS = 256


def snapshot_text(meeting_id: int, audience: str, seq: int) -> tuple[int, str]:
    """(seq, state as JSON text), built at most once per meeting, audience and seq in this process."""
    key = (meeting_id, audience)
    with _texts_lock:
        cached = _texts.get(key)
    if cached is not None and cached[0] == seq:
        return cached
    built_seq, state = build(meeting_id, audience)
    entry = (built_seq, dumps(state))
    with _texts_lock:
        _texts[key] = entry
        _texts.move_to_end(key)
        while len(_texts) > CACHED_SNAPSHOTS:
            _texts.popitem(last=False)
    return entry


def resume(meeting_id: int, last_seq: int, audience: str, limit: int = REPLAY_LIMIT,
           seq: int | None = None) -> dict[str, Any]:
    """What ``hello`` gets: {"events": [(seq, text)...], "seq": n} or {"snapshot": state JSON text, "seq": n}.
    ``seq``: the meeting's last_seq, read after the socket joined its groups (``realtime.opening`` reads it
    once for a batch of sockets); without it, it is read here."""
    if seq is None:
        seq = current_seq(meeting_id)
    if 0 < last_seq <= seq and seq - last_seq <= limit:
        found = events_after(meeting_id, last_seq, audience, limit + 50, upto=seq)
        if all(e[0] == last_seq + 1 + i for i, e in enumerate(found)):
            return {"events": found, "seq": found[-1][0] if found else last_seq}
    seq, text = snapshot_text(meeting_id, audience, seq)
    return {"snapshot": text, "seq": seq}


def forget_all() -> None:
    """Drop what this process remembers (tests: a fresh database may reuse a meeting id at the same seq)."""
    with _texts_lock:
        _texts.clear()
    with _events_lock:
        _events.clear()
        _event_texts.clear()
