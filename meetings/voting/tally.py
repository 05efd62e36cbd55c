"""The organisers' live tally: a coalesced ``vote.tally`` frame, at most two per second per vote.

A ballot appends no event. When one commits, ``changed`` marks its vote dirty in this process's hub (on
the server's event loop); one task per vote then reads the count from the database and sends it to the
editors' audience only (``publish_frame``: not in the event log, not replayed; a page that connects asks
``GET .../votes/{id}/tally`` once). A timestamp on the vote's row, claimed with a conditional UPDATE
after the count is read, keeps all server processes together to one frame per ``INTERVAL``; ballots in
between are counted in the next frame, and the last ballot is always followed by a frame that includes
it. The reads run off the process's database thread, so a burst of queued ballots does not delay them.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import logging
import os
import weakref
from typing import Any

from asgiref.sync import SyncToAsync
from channels.db import database_sync_to_async
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from meetings.voting.models import VotingItem

log = logging.getLogger(__name__)

INTERVAL = 0.5  # seconds between two tally frames of one vote, across all processes


def claim(item_id: int, gap: float = INTERVAL) -> tuple[float, dt.datetime | None]:
    """(0, the slot's time) when this process may send the vote's frame now, else (seconds to wait, None)."""
    now = timezone.now()
    free = Q(tally_sent_at__isnull=True) | Q(tally_sent_at__lte=now - dt.timedelta(seconds=gap))
    if VotingItem.objects.filter(free, pk=item_id).update(tally_sent_at=now):
        return 0.0, now
    sent = VotingItem.objects.filter(pk=item_id).values_list("tally_sent_at", flat=True).first()
    if sent is None:
        return (0.0, now) if not VotingItem.objects.filter(pk=item_id).exists() else (0.01, None)
    return max(0.01, (sent + dt.timedelta(seconds=gap) - now).total_seconds()), None


def frame(item_id: int) -> dict[str, Any] | None:
    """The count as of now, then the shared slot: the frame is sent only if this process wins the slot, so
    frames leave at least ``INTERVAL`` apart whichever processes send them (``at`` is the slot's time)."""
    from meetings.voting.services import tally_data
    from realtime.snapshot import current_seq

    item = VotingItem.objects.filter(pk=item_id).first()
    if item is None:
        return None
    # The seq makes a socket send the events up to it first (the vote.opened this tally belongs to).
    data = {"type": "vote.tally", "seq": current_seq(item.meeting_id), **tally_data(item)}
    wait, at = claim(item_id)
    if at is None:
        return {"wait": wait}
    return {**data, "at": at.isoformat()}


def frame_off_thread(item_id: int) -> dict[str, Any] | None:
    """``frame`` in a worker thread of the loop's pool, giving the thread's database connection back when done
    (measured: under pytest-asyncio, Channels' own clean-up after the call did not see the connection, and
    each vote left one checked out of the PostgreSQL pool)."""
    try:
        return frame(item_id)
    finally:
        connection.close()


class Hub:
    """Per event loop: the pending tally broadcasts, by vote."""

    def __init__(self) -> None:
        self.pending: dict[int, asyncio.Task] = {}
        self.dirty: set[int] = set()

    def touch(self, meeting_id: int, item_id: int) -> None:
        self.dirty.add(item_id)
        if item_id not in self.pending:
            # A fresh context: the task must not inherit the ballot's (its sync_to_async marks would make the
            # task's own database calls look like a deadlock to asgiref).
            self.pending[item_id] = asyncio.get_running_loop().create_task(
                self._flush(meeting_id, item_id), context=contextvars.Context())

    async def drain(self) -> None:
        while self.pending:
            await asyncio.gather(*list(self.pending.values()), return_exceptions=True)

    async def _flush(self, meeting_id: int, item_id: int) -> None:
        from realtime.audience import EDITORS
        from realtime.publish import frame_message, send_all

        # Off the process's database thread: during a burst that thread has hundreds of ballots queued, and
        # the chair's count would wait behind all of them.
        frame_async = database_sync_to_async(frame_off_thread, thread_sensitive=False)
        try:
            while item_id in self.dirty:
                self.dirty.discard(item_id)
                data = await frame_async(item_id)
                if data is None:
                    break
                if "wait" in data:  # another process sent one a moment ago: count again when the slot is free
                    self.dirty.add(item_id)
                    await asyncio.sleep(data["wait"])
                    continue
                await send_all([frame_message(meeting_id, data, EDITORS)])
        except Exception:
            log.exception("tally broadcast for vote %s failed", item_id)
            self.dirty.discard(item_id)  # the next ballot tries again
        finally:
            self.pending.pop(item_id, None)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub(loop: asyncio.AbstractEventLoop | None = None) -> Hub:
    loop = loop or asyncio.get_running_loop()
    if loop not in _hubs:
        _hubs[loop] = Hub()
    return _hubs[loop]


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of the server when called from its database thread (``database_sync_to_async``)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    local = SyncToAsync.threadlocal
    if getattr(local, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(local, "main_event_loop", None)
    return loop if loop is not None and not loop.is_closed() else None


def changed(meeting_id: int, item_id: int) -> None:
    """After a ballot (or the close) committed. Without a server loop (a management command, a plain
    request in tests) there is no socket to tell, and nothing is sent."""
    loop = _server_loop()
    if loop is None:
        return
    try:
        asyncio.get_running_loop()
        hub(loop).touch(meeting_id, item_id)
    except RuntimeError:
        loop.call_soon_threadsafe(lambda: hub(loop).touch(meeting_id, item_id), context=contextvars.Context())
