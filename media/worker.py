"""A media worker: a MediaServer in its own process, reached through the channel layer.

``phonghop mediaworker --name w1`` (or ``manage.py mediaworker``) reads ``mediaworker.w1``: requests
from the meeting sockets of every Daphne process (``media.request``: a socket's media frame with
who sent it and where to answer), their closing (``media.leave``) and the live room's floor
(``media.control``). Replies go back, in order, to the reply channel of the Daphne process that
asked (media/backend.py ``WorkerBackend``). The requests of one socket are handled in order; those
of different sockets at the same time.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from media.backend import settings_from_django, worker_channel
from media.cluster import Cluster
from media.room import MediaError, SessionInfo
from media.server import MediaServer

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, name: str, layer: Any, server: Any = None, cluster: Cluster | None = None) -> None:
        """``server``: a ``MediaServer`` (default) or a ``JanusServer`` (the same calls). ``cluster``: this
        worker's heartbeat and trunks (media/cluster.py), so Daphne places sessions by load and a briefing can
        spread over workers; without it the worker takes what is sent to it (a Janus worker: whole meetings)."""
        self.name, self.layer = name, layer
        self.channel = worker_channel(name)
        self.server = server or MediaServer(settings_from_django(), roll_call=True)
        self.cluster = cluster
        if cluster is not None:
            cluster.server = self.server
        self.outbox: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self.chains: dict[str, asyncio.Future] = {}

    async def run(self) -> None:
        sender = asyncio.get_running_loop().create_task(self._send_replies())
        if self.cluster is not None:
            await self.cluster.start()
        try:
            while True:
                message = await self.layer.receive(self.channel)
                try:
                    self.dispatch(message)
                except Exception:
                    log.exception("media worker %s: bad message %r", self.name, message.get("type"))
        finally:
            sender.cancel()
            if self.cluster is not None:
                await self.cluster.stop()
            await self.server.shutdown()

    def dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "media.request":
            info = SessionInfo.from_dict(message["info"])
            reply_to = message["reply_to"]

            def send(frame: dict[str, Any], session: str = info.id) -> None:
                self.outbox.put_nowait((reply_to, {"type": "media.reply", "session": session, "frame": frame}))

            self._in_order(info.id, self.server.handle(info, message["frame"], send))
        elif kind == "media.leave":
            self._in_order(message["session"], self.server.close(message["session"]))
            self.chains.pop(message["session"], None)
        elif kind == "media.control":
            asyncio.ensure_future(self._control(message["meeting"], message["action"], message.get("args") or {}))

    def _in_order(self, session: str, coro: Any) -> None:
        previous = self.chains.get(session)

        async def run() -> None:
            if previous is not None:
                await asyncio.gather(previous, return_exceptions=True)
            await coro

        self.chains[session] = asyncio.ensure_future(run())

    async def _control(self, meeting_id: int, action: str, args: dict[str, Any]) -> None:
        try:
            await self.server.control(meeting_id, action, args)
        except MediaError as e:
            log.info("media control %s for meeting %s: %s", action, meeting_id, e.message)

    async def _send_replies(self) -> None:
        while True:
            channel, message = await self.outbox.get()
            try:
                await self.layer.send(channel, message)
            except Exception:
                log.exception("media worker %s: a reply to %s was lost", self.name, channel)
