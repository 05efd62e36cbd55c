"""Who is connected to a meeting, across all server processes, and the coalesced ``presence`` frame.

Each open socket is a ``LiveConnection`` row, so every process sees every connection whatever the
channel layer. A process refreshes ``last_seen`` of all its rows in one UPDATE every
``HEARTBEAT`` seconds; rows of a process that died stop counting after ``STALE`` seconds.
A change marks the meeting dirty; one task per meeting and process then broadcasts a presence
frame, and a timestamp on the meeting's LiveState row, claimed with a conditional UPDATE, keeps
all processes together to at most one frame per interval (1 s) per meeting.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import secrets
import socket
import weakref
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from meetings.models import LiveConnection, LiveState
from operations import metrics
from realtime.audience import EDITORS, MEMBERS
from realtime.publish import frame_message, send_all
from realtime.snapshot import current_seq

log = logging.getLogger(__name__)

SERVER_ID = f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"
HEARTBEAT = 30.0
STALE = dt.timedelta(seconds=90)
FORGET = dt.timedelta(minutes=10)


def interval() -> float:
    return float(getattr(settings, "PHONGHOP_PRESENCE_INTERVAL", 1.0))


# Database side (sync) ----------------------------------------------------------------------------

def register(channel_name: str, meeting_id: int, user_id: int, site_id: int | None) -> None:
    LiveConnection.objects.update_or_create(
        channel_name=channel_name,
        defaults={"meeting_id": meeting_id, "user_id": user_id, "site_id": site_id, "server": SERVER_ID,
                  "last_seen": timezone.now()},
    )


def unregister(channel_name: str) -> None:
    LiveConnection.objects.filter(channel_name=channel_name).delete()


def register_many(sockets: list[tuple[str, int, int, int | None]]) -> list[None]:
    """``register`` for the sockets that opened together (channel, meeting, user, site): one INSERT."""
    now = timezone.now()
    LiveConnection.objects.bulk_create(
        [LiveConnection(channel_name=c, meeting_id=m, user_id=u, site_id=s, server=SERVER_ID, last_seen=now)
         for c, m, u, s in sockets],
        update_conflicts=True, unique_fields=["channel_name"],
        update_fields=["meeting", "user", "site", "server", "last_seen"])
    return [None] * len(sockets)


def unregister_many(channel_names: list[str]) -> list[None]:
    LiveConnection.objects.filter(channel_name__in=channel_names).delete()
    return [None] * len(channel_names)


def heartbeat(server: str = SERVER_ID) -> None:
    now = timezone.now()
    LiveConnection.objects.filter(server=server).update(last_seen=now)
    LiveConnection.objects.filter(last_seen__lt=now - FORGET).delete()


def online(meeting_id: int) -> list[dict[str, Any]]:
    rows = (LiveConnection.objects.filter(meeting_id=meeting_id, last_seen__gte=timezone.now() - STALE)
            .values("user_id", "site_id").annotate(connections=Count("id")).order_by("user_id", "site_id"))
    return [{"user_id": r["user_id"], "site_id": r["site_id"], "connections": r["connections"]} for r in rows]


def connected(meeting_id: int) -> int:
    """How many people have a live socket on the meeting."""
    return (LiveConnection.objects.filter(meeting_id=meeting_id, last_seen__gte=timezone.now() - STALE)
            .values("user_id").distinct().count())


def presence_frames(meeting_id: int) -> dict[str, dict[str, Any]]:
    """Each audience's presence frame, from one read. The organisers see who is connected and from where;
    delegates only how many: the list is for the chair's roll call, and sending it to every delegate would
    cost 1,000 × 1,000 entries a second while a large meeting gathers (about 45 KB a second on each
    commune link)."""
    seq, rows = current_seq(meeting_id), online(meeting_id)
    members = {"type": "presence", "seq": seq, "connected": len({r["user_id"] for r in rows})}
    return {EDITORS: {**members, "online": rows}, MEMBERS: members}


def presence_frame(meeting_id: int, audience: str, seq: int | None = None) -> dict[str, Any]:
    """One socket's presence frame (after ``ready``); a delegate's costs a count, not the list. ``seq``: the
    meeting's last_seq when the caller has just read it."""
    seq = current_seq(meeting_id) if seq is None else seq
    if audience == EDITORS:
        rows = online(meeting_id)
        return {"type": "presence", "seq": seq, "connected": len({r["user_id"] for r in rows}), "online": rows}
    return {"type": "presence", "seq": seq, "connected": connected(meeting_id)}


def claim_broadcast(meeting_id: int, gap: float) -> float:
    """0 when this process may broadcast now, else the seconds to wait for the shared slot."""
    now = timezone.now()
    free = Q(presence_sent_at__isnull=True) | Q(presence_sent_at__lte=now - dt.timedelta(seconds=gap))
    if LiveState.objects.filter(free, meeting_id=meeting_id).update(presence_sent_at=now):
        return 0.0
    try:
        with transaction.atomic():
            live, created = LiveState.objects.get_or_create(meeting_id=meeting_id, defaults={"presence_sent_at": now})
    except IntegrityError:  # another process created the row at the same moment: its broadcast comes first
        live, created = LiveState.objects.get(meeting_id=meeting_id), False
    if created:
        return 0.0
    if live.presence_sent_at is None:
        return 0.01
    return max(0.01, (live.presence_sent_at + dt.timedelta(seconds=gap) - now).total_seconds())


# This process's side (async) ---------------------------------------------------------------------

class Hub:
    """Per event loop: the heartbeat task and the pending presence broadcasts."""

    def __init__(self) -> None:
        self.sockets = 0
        self.heartbeat_task: asyncio.Task | None = None
        self.pending: dict[int, asyncio.Task] = {}
        self.dirty: set[int] = set()

    def opened(self) -> None:
        self.sockets += 1
        metrics.SOCKETS_OPEN.inc()
        if self.heartbeat_task is None:
            self.heartbeat_task = asyncio.get_running_loop().create_task(self._heartbeat())

    def closed(self) -> None:
        self.sockets -= 1
        metrics.SOCKETS_OPEN.dec()
        if self.sockets <= 0 and self.heartbeat_task is not None:
            self.heartbeat_task.cancel()
            self.heartbeat_task = None

    def touch(self, meeting_id: int) -> None:
        self.dirty.add(meeting_id)
        if meeting_id not in self.pending:
            self.pending[meeting_id] = asyncio.get_running_loop().create_task(self._flush(meeting_id))

    async def drain(self) -> None:
        """Wait until no broadcast is pending (tests, shutdown)."""
        while self.pending:
            await asyncio.gather(*list(self.pending.values()), return_exceptions=True)

    async def _flush(self, meeting_id: int) -> None:
        try:
            while meeting_id in self.dirty:
                wait = await database_sync_to_async(claim_broadcast)(meeting_id, interval())
                if wait > 0:
                    await asyncio.sleep(wait)
                    continue
                self.dirty.discard(meeting_id)
                frames = await database_sync_to_async(presence_frames)(meeting_id)
                await send_all([frame_message(meeting_id, frame, audience) for audience, frame in frames.items()])
        except Exception:
            log.exception("presence broadcast for meeting %s failed", meeting_id)
            self.dirty.discard(meeting_id)  # the next connect or disconnect tries again
        finally:
            self.pending.pop(meeting_id, None)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT)
            try:
                await database_sync_to_async(heartbeat)()
            except Exception:
                log.exception("presence heartbeat failed")


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    loop = asyncio.get_running_loop()
    if loop not in _hubs:
        _hubs[loop] = Hub()
    return _hubs[loop]
