"""The database work of opening a socket, done for the sockets that open together (``realtime.batching``).

Per batch, whatever its size: the meetings' seqs and, when a meeting changed since this process last
looked, its entry facts (``realtime.entry``); one INSERT for the presence rows; for the ``hello``s, the
seqs again (read after the sockets joined their groups, so nothing committed before falls between the
read and the live events), the snapshot per meeting, audience and seq (built once in the process and
shared: ``snapshot.snapshot_text``), the replayed events (from memory when already read), and one
presence frame per meeting and audience.
"""

from __future__ import annotations

from typing import Any

from accounts.models import User
from meetings.services import live
from realtime import entry, presence, snapshot
from realtime.batching import batcher


async def access(user: User, meeting_id: int) -> live.Access:
    """``live.socket_access``, answered with the other sockets opening now; raises its ServiceError."""
    return await batcher(entry.access_many).ask((user, meeting_id))


async def register(channel_name: str, meeting_id: int, user_id: int, site_id: int | None) -> None:
    await batcher(presence.register_many).ask((channel_name, meeting_id, user_id, site_id))


async def unregister(channel_name: str) -> None:
    await batcher(presence.unregister_many).ask(channel_name)


Resumed = tuple[dict[str, Any], dict[str, Any]]


def resume_many(requests: list[tuple[int, int, str, int]]) -> list[Resumed | Exception]:
    """For each (meeting, last_seq, audience, replay limit): what ``hello`` gets, and the presence frame."""
    seqs = entry.last_seqs({meeting_id for meeting_id, *_rest in requests})
    frames: dict[tuple[int, str], dict[str, Any]] = {}
    answers: list[Resumed | Exception] = []
    for meeting_id, last_seq, audience, limit in requests:
        try:
            found = snapshot.resume(meeting_id, last_seq, audience, limit, seq=seqs.get(meeting_id, 0))
            if (meeting_id, audience) not in frames:
                frames[meeting_id, audience] = presence.presence_frame(meeting_id, audience, seqs.get(meeting_id, 0))
            answers.append((found, frames[meeting_id, audience]))
        except Exception as exc:  # this socket gets an ``internal`` error; the others go on
            answers.append(exc)
    return answers


async def resume(meeting_id: int, last_seq: int, audience: str, limit: int) -> Resumed:
    return await batcher(resume_many).ask((meeting_id, last_seq, audience, limit))
