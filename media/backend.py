"""Where the media server runs, behind one interface the meeting socket talks to.

    request(info, frame, send)   a ``media`` frame from a socket; replies come through ``send``
    leave(info)                  the socket closed
    control(meeting, action, a)  from sync code (the live room's floor): fire and forget

``send`` must be callable from any thread; media/signaling.py gives one that hops onto the socket's loop.

- ``InProcessBackend``: the embedded default. The media server runs in this process, on an event
  loop of its own in a thread (``PHONGHOP_MEDIA_BACKEND=thread``, the default) or on Daphne's loop
  (``loop``). Measured (docs/benchmarks.md, "Video"): forwarding on Daphne's loop delays every socket
  frame behind the packets of that turn; the thread keeps the loop's lag near idle, and costs only
  two thread hops per signaling message.
- ``WorkerBackend``: ``phonghop mediaworker --name N`` processes reached through the channel layer
  (Redis), so briefings spread over processes and machines. A meeting goes to one worker, chosen by
  its id among ``PHONGHOP_MEDIA_WORKERS``; replies come back to a channel of the Daphne process.
- ``JanusBackend`` (media/janus/backend.py, ``PHONGHOP_MEDIA_BACKEND=janus``): the same loop thread, but the
  browsers' media goes through Janus's VideoRoom, driven over its HTTP API; our server keeps the decisions.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Coroutine
from typing import Any

from media.ports import new_loop, parse_range
from media.room import MediaError, MediaSettings, Send, SessionInfo
from media.server import MediaServer

log = logging.getLogger(__name__)


def settings_from_django() -> MediaSettings:
    from django.conf import settings

    return MediaSettings(
        ice_servers=list(settings.PHONGHOP_ICE_SERVERS),
        max_videos=settings.PHONGHOP_MEDIA_MAX_VIDEOS,
        max_audio=settings.PHONGHOP_MEDIA_MAX_AUDIO,
        video_codec=settings.PHONGHOP_MEDIA_VIDEO_CODEC,
        record_dir=str(settings.MEDIA_ROOT / "recordings"),
        udp_ports=parse_range(settings.PHONGHOP_MEDIA_UDP_PORTS),
    )


class MediaBackend(ABC):
    @abstractmethod
    async def request(self, info: SessionInfo, frame: dict[str, Any], send: Send) -> None: ...

    @abstractmethod
    async def leave(self, info: SessionInfo) -> None: ...

    @abstractmethod
    def control(self, meeting_id: int, action: str, args: dict[str, Any]) -> None: ...


class InProcessBackend(MediaBackend):
    def __init__(self, settings: MediaSettings, own_thread: bool = True) -> None:
        self.settings, self.own_thread = settings, own_thread
        self.loop: asyncio.AbstractEventLoop | None = None
        self.server: MediaServer | None = None
        self.thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _start(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self.loop is None:
                self.server = self.make_server()
                if self.own_thread:
                    loop = new_loop(getattr(self.settings, "udp_ports", None))
                    self.thread = threading.Thread(target=self._run, args=(loop,), name="media-loop", daemon=True)
                    self.thread.start()
                    self.loop = loop
                else:
                    self.loop = asyncio.get_running_loop()
            return self.loop

    def make_server(self) -> Any:
        return MediaServer(self.settings, roll_call=True)

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        loop.run_forever()
        # Closed here, in its own thread: channels_redis wraps loop.close() to flush its layer with
        # run_until_complete, which fails from a thread where another loop is running.
        loop.close()

    async def _call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        loop = self._start()
        if loop is asyncio.get_running_loop():
            return await coro
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))

    async def request(self, info: SessionInfo, frame: dict[str, Any], send: Send) -> None:
        self._start()
        await self._call(self.server.handle(info, frame, send))

    async def leave(self, info: SessionInfo) -> None:
        if self.server is not None:
            await self._call(self.server.close(info.id))

    def control(self, meeting_id: int, action: str, args: dict[str, Any]) -> None:
        if self.loop is None:
            return  # no briefing has started in this process

        async def run() -> None:
            try:
                await self.server.control(meeting_id, action, args)
            except MediaError as e:
                log.info("media control %s for meeting %s: %s", action, meeting_id, e.message)

        asyncio.run_coroutine_threadsafe(run(), self.loop)

    def stop(self) -> None:
        """Close every room and stop the media loop (tests, shutdown)."""
        if self.loop is None or not self.own_thread:
            return
        asyncio.run_coroutine_threadsafe(self.server.shutdown(), self.loop).result(10)
        asyncio.run_coroutine_threadsafe(asyncio.sleep(0.05), self.loop).result(1)  # cancelled tasks finish
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop = self.server = self.thread = None


class WorkerBackend(MediaBackend):
    """Media workers over the channel layer; the replies of all sockets of this process come back to
    one channel, read by one task that hands each to its socket's ``send``.

    With ``redis_url`` (the workers' heartbeats, media/cluster.py) each new session goes to the least
    loaded live worker, so one briefing spreads over several (its workers pass each other the feeds over
    trunks); a worker whose heartbeat stops has its sessions told to offer again (``moved``), and their
    new offers land on the live ones. Without it a meeting goes to one worker chosen by its id."""

    def __init__(self, workers: list[str], layer: Any = None, redis_url: str | None = None,
                 prefix: str = "phonghop") -> None:
        if not workers:
            raise RuntimeError("PHONGHOP_MEDIA_BACKEND=workers needs PHONGHOP_MEDIA_WORKERS")
        self.workers = workers
        self._layer = layer
        self.sends: dict[str, Send] = {}
        self.reply_channel: str | None = None
        self.listener: asyncio.Task | None = None
        self.redis_url, self.prefix = redis_url, prefix
        self.placement: dict[str, str] = {}  # session id → worker
        self.meetings: dict[str, int] = {}  # session id → meeting
        self.alive: dict[str, dict[str, Any]] = {}  # worker → its last heartbeat
        self.placed_since: dict[str, list[float]] = {}  # worker → when this process placed sessions on it
        self.monitor: asyncio.Task | None = None
        self._redis: Any = None

    def channel(self, meeting_id: int) -> str:
        return worker_channel(self.workers[meeting_id % len(self.workers)])

    def layer(self) -> Any:
        from channels.layers import get_channel_layer

        return self._layer or get_channel_layer()

    async def _listen(self) -> None:
        if self.listener is None or self.listener.done():
            self.reply_channel = await self.layer().new_channel("media.reply.")
            self.listener = asyncio.get_running_loop().create_task(self._replies(self.reply_channel))
        if self.redis_url and (self.monitor is None or self.monitor.done()):
            import redis.asyncio

            self._redis = redis.asyncio.from_url(self.redis_url)
            await self._refresh()
            self.monitor = asyncio.get_running_loop().create_task(self._watch())

    async def _replies(self, channel: str) -> None:
        layer = self.layer()
        while True:
            message = await layer.receive(channel)
            send = self.sends.get(message.get("session"))
            if send is not None:
                send(message["frame"])

    # Placement and failover ------------------------------------------------------------------------

    async def _refresh(self) -> None:
        from media.cluster import read_workers, registry_prefix

        self.alive = await read_workers(self._redis, registry_prefix(self.prefix))

    async def _watch(self) -> None:
        from media.cluster import HEARTBEAT

        while True:
            await asyncio.sleep(HEARTBEAT)
            try:
                await self._refresh()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("media workers: reading heartbeats failed")
                continue
            self._move_from_dead()

    def _move_from_dead(self) -> None:
        from django.utils.translation import gettext as _

        for session, worker in list(self.placement.items()):
            if worker in self.alive:
                continue
            del self.placement[session]
            send = self.sends.get(session)
            log.warning("media worker %s is gone: session %s offers again", worker, session)
            if send is not None:
                send({"type": "media", "event": "error", "action": "offer", "code": "moved",
                      "message": _("The video server changed; reconnecting…")})

    def _place(self, info: SessionInfo) -> str:
        placed = self.placement.get(info.id)
        if placed is not None:
            return placed
        live = [w for w in self.workers if w in self.alive] or [w for w in self.alive]
        if not live:
            worker = self.workers[info.meeting_id % len(self.workers)]
        else:
            # Heartbeats lag by up to a second: count this process's own placements since each one, so a
            # burst of joins does not all land on the worker that looked emptiest.
            def load(w: str) -> tuple[int, str]:
                since = self.alive[w].get("at", 0)
                recent = [t for t in self.placed_since.get(w, []) if t >= since]
                self.placed_since[w] = recent
                return int(self.alive[w].get("sessions", 0)) + len(recent), w

            worker = min(live, key=load)
        self.placement[info.id] = worker
        self.meetings[info.id] = info.meeting_id
        self.placed_since.setdefault(worker, []).append(time.time())
        return worker

    def _others(self, meeting_id: int, besides: str | None = None) -> list[str]:
        hosting = [w for w, r in self.alive.items() if meeting_id in r.get("rooms", ())]
        return [w for w in hosting if w != besides]

    # The interface ---------------------------------------------------------------------------------

    async def request(self, info: SessionInfo, frame: dict[str, Any], send: Send) -> None:
        await self._listen()
        self.sends[info.id] = send
        worker = self._place(info) if self.redis_url else None
        channel = worker_channel(worker) if worker else self.channel(info.meeting_id)
        await self.layer().send(channel, {
            "type": "media.request", "info": info.as_dict(), "frame": frame, "reply_to": self.reply_channel})
        # The chair's mute and spotlight hold for the whole briefing: every other worker of it is told.
        if worker and info.controls and frame.get("action") in ("mute", "spotlight"):
            for other in self._others(info.meeting_id, besides=worker):
                await self.layer().send(worker_channel(other), {
                    "type": "media.control", "meeting": info.meeting_id, "action": frame["action"], "args": frame})

    async def leave(self, info: SessionInfo) -> None:
        self.sends.pop(info.id, None)
        worker = self.placement.pop(info.id, None)
        self.meetings.pop(info.id, None)
        channel = worker_channel(worker) if worker else self.channel(info.meeting_id)
        await self.layer().send(channel, {"type": "media.leave", "session": info.id})

    def control(self, meeting_id: int, action: str, args: dict[str, Any]) -> None:
        from asgiref.sync import async_to_sync

        if self.redis_url and (self.monitor is None or self.monitor.done()):
            # No media session in this process yet, so no fresh heartbeats: read them now.
            from media.cluster import read_workers_sync, registry_prefix

            try:
                self.alive = read_workers_sync(self.redis_url, registry_prefix(self.prefix))
            except Exception:
                log.exception("media workers: reading heartbeats failed")
        channels = ([worker_channel(w) for w in self._others(meeting_id)] if self.redis_url and self.alive
                    else [self.channel(meeting_id)])
        for channel in channels:
            async_to_sync(self.layer().send)(channel, {
                "type": "media.control", "meeting": meeting_id, "action": action, "args": args})


def worker_channel(name: str) -> str:
    return f"mediaworker.{name}"


def uses_janus() -> bool:
    """Whether the sites' media goes through Janus: ``PHONGHOP_MEDIA_BACKEND=janus`` (this process drives it),
    or ``workers`` with ``PHONGHOP_JANUS_URL`` set (the media workers drive it, for several web processes)."""
    from django.conf import settings

    kind = settings.PHONGHOP_MEDIA_BACKEND
    return kind == "janus" or (kind == "workers" and bool(settings.PHONGHOP_JANUS_URL))


_backend: MediaBackend | None = None
_backend_lock = threading.Lock()


def get_backend() -> MediaBackend:
    global _backend
    with _backend_lock:
        if _backend is None:
            from django.conf import settings

            kind = settings.PHONGHOP_MEDIA_BACKEND
            if kind == "workers":
                # Workers driving Janus send no heartbeats: each takes whole briefings by meeting id, so a
                # briefing's decisions live in one place (Janus carries the media, and the load).
                _backend = WorkerBackend(list(settings.PHONGHOP_MEDIA_WORKERS),
                                         redis_url=None if uses_janus() else settings.REDIS_URL,
                                         prefix=settings.CHANNEL_PREFIX)
            elif kind in ("thread", "loop"):
                _backend = InProcessBackend(settings_from_django(), own_thread=kind == "thread")
            elif kind == "janus":
                from media.janus import backend as janus

                _backend = janus.JanusBackend(janus.settings_from_django())
            else:
                raise RuntimeError(f"PHONGHOP_MEDIA_BACKEND must be thread, loop, workers or janus, not {kind!r}")
        return _backend


def reset_backend(backend: MediaBackend | None = None) -> MediaBackend | None:
    """Replace the process's backend (tests); returns the old one, stopped if it was in-process."""
    global _backend
    with _backend_lock:
        old, _backend = _backend, backend
    if isinstance(old, InProcessBackend):
        old.stop()
    return old
