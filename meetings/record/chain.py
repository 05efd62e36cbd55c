"""How an entry of a chain is hashed: SHA-256 over the previous entry's hash and a canonical JSON of the
entry's fields, so changing any field of any entry, removing one or reordering them shows at verification.

Fields are hashed as the database gives them back (JSON normalised, times in UTC with microseconds), so an
entry hashed when written and the same entry read back years later give the same hash. People and meetings
are referenced by id: they are deactivated or archived, never deleted (deleting one would change the rows
that point at it, and verification would rightly say so)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

GENESIS = "0" * 64  # the "previous hash" of a chain's first entry


def _canonical(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def link(previous: str, fields: dict[str, Any]) -> str:
    body = json.dumps(_canonical(fields), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{previous}\n{body}".encode()).hexdigest()


def event_fields(meeting_id: int, seq: int, type: str, data: Any, actor_id: int | None,
                 at: dt.datetime) -> dict[str, Any]:
    return {"meeting": meeting_id, "seq": seq, "type": type, "data": data, "actor": actor_id, "at": _time(at)}


def audit_fields(index: int, actor_id: int | None, action: str, meeting_id: int | None, target: str, data: Any,
                 at: dt.datetime) -> dict[str, Any]:
    return {"index": index, "actor": actor_id, "action": action, "meeting": meeting_id, "target": target,
            "data": data, "at": _time(at)}
