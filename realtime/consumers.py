"""The meeting socket (docs/protocol.md): resume by seq, live events, commands, presence.

One consumer per socket. Everything it sends goes through a bounded queue drained by a writer
task; a socket whose queue overflows is closed (4408) and resyncs on reconnect. Events reach it
through the channel layer (at most once) and are deduplicated and gap-filled by ``seq`` from the
event log, so the client sees every event exactly once, in order.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from meetings.errors import ServiceError
from meetings.services import live
from operations import logs
from realtime import batching, fanout, opening, presence, snapshot
from realtime.publish import audience_group, group_name

log = logging.getLogger(__name__)

# Frames of later features by "type" (e.g. "media"): async fn(consumer, frame), and what they do when a
# socket closes: async fn(consumer). Registered from the feature's AppConfig.ready.
FRAME_HANDLERS: dict[str, Callable[[Any, dict[str, Any]], Awaitable[None]]] = {}
CLOSE_HANDLERS: list[Callable[[Any], Awaitable[None]]] = []

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_SLOW = 4408
CLOSE_RIGHTS_CHANGED = 4409
CLOSE_TOO_LARGE = 4413
CLOSE_FLOOD = 4429


def now_iso() -> str:
    return timezone.localtime().isoformat(timespec="milliseconds")


class Window:
    """How many things happened in the last ``seconds``."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.seconds, self.times = limit, seconds, collections.deque()

    def hit(self) -> bool:
        """Count one; False when that goes over the limit."""
        now = time.monotonic()
        while self.times and self.times[0] <= now - self.seconds:
            self.times.popleft()
        self.times.append(now)
        return len(self.times) <= self.limit


_socket_ids = itertools.count(1)


class MeetingConsumer(AsyncWebsocketConsumer):
    # No channel of its own on the channel layer: events reach a socket through its process's hub
    # (realtime/fanout.py) and nothing sends to one socket by name. Channels gives every consumer a channel
    # when a layer is configured, which on Redis meant a SUBSCRIBE and a reader task per socket, paid by
    # every socket of a mass reconnect (issue 18). An alias that names no layer turns that off.
    channel_layer_alias = "phonghop.sockets-need-no-channel"
    max_frame_bytes = 64 * 1024
    send_queue_size = 256
    command_rate = (20, 10.0)  # commands per window; more get a rate_limited reply
    frame_rate = (60, 10.0)  # frames of any kind per window; more close the socket (4429)
    replay_limit = snapshot.REPLAY_LIMIT
    replay_timeout = 30.0  # seconds a replay may wait for room in the send queue
    gap_grace = 0.5  # seconds an early event waits for the ones before it, before they are read from the log
    batch_gather = 0.003  # seconds a batch of commands (ballots) that follows another waits for more (batching.py)

    async def __call__(self, scope, receive, send) -> None:
        # The socket's name in the presence rows and media sessions: unique across processes.
        self.channel_name = f"socket.{presence.SERVER_ID}.{next(_socket_ids)}"
        return await super().__call__(scope, receive, send)

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels' dispatch first closes stale database connections, a hop to the one database thread for every
        # message of every socket (connect, each frame, disconnect): during a mass reconnect those hops queued
        # behind the batches (py-spy, bench/reconnect). Every database call here goes through
        # database_sync_to_async, which closes stale connections itself, before and after.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # Connecting ----------------------------------------------------------------------------------

    async def connect(self) -> None:
        self.meeting_id = int(self.scope["url_route"]["kwargs"]["meeting_id"])
        # Every log line of this socket's task names the meeting and the connection (operations/logs.py).
        logs.meeting_id.set(self.meeting_id)
        logs.request_id.set(logs.new_request_id(None))
        self.access: live.Access | None = None
        self.last_sent: int | None = None  # the seq the client has; None until hello is answered
        self.closing = False
        self.registered = False
        self.writer: asyncio.Task | None = None
        self.joined: list[str] = []
        self.held: dict[int, dict[str, Any]] = {}  # events that came before their predecessors
        self.held_frames: list[dict[str, Any]] = []  # frames whose seq this socket has not reached yet
        self.repair: asyncio.Task | None = None
        self.delivering = asyncio.Lock()
        self.writing = asyncio.Lock()  # one write at a time, whether from the writer task or the hub
        self.tasks: set[asyncio.Task] = set()  # follow-ups started by deliver(), kept alive until done
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return await self._refuse(CLOSE_UNAUTHENTICATED)
        try:
            self.access = await opening.access(user, self.meeting_id)
        except ServiceError as e:
            return await self._refuse(CLOSE_NOT_FOUND if e.status == 404 else CLOSE_FORBIDDEN)
        self.commands = Window(*self.command_rate)
        self.frames = Window(*self.frame_rate)
        self.queue: asyncio.Queue[str | int] = asyncio.Queue(self.send_queue_size)
        # Join the groups before anything is read from the database: no event can fall in between.
        self.joined = [group_name(self.meeting_id), audience_group(self.meeting_id, self.access.audience)]
        self.hub = fanout.hub()
        for group in self.joined:
            await self.hub.join(group, self)
        await self.accept()
        self.writer = asyncio.get_running_loop().create_task(self._write_loop())
        await opening.register(self.channel_name, self.meeting_id, self.access.user_id, self.access.site_id)
        self.registered = True
        hub = presence.hub()
        hub.opened()
        hub.touch(self.meeting_id)

    async def _refuse(self, code: int) -> None:
        # Accept first: a close code can only be given on an open socket.
        await self.accept()
        self.closing = True
        await self.close(code=code)

    async def disconnect(self, code: int) -> None:
        self.closing = True
        for task in (self.writer, self.repair):
            if task is not None:
                task.cancel()
        for group in self.joined:
            await self.hub.leave(group, self)
        for on_close in CLOSE_HANDLERS:
            await on_close(self)
        if self.registered:
            self.registered = False
            try:
                await opening.unregister(self.channel_name)
            finally:
                hub = presence.hub()
                hub.closed()
                hub.touch(self.meeting_id)

    async def _shut(self, code: int) -> None:
        if self.closing:
            return
        self.closing = True
        if self.writer is not None:
            self.writer.cancel()
        await self.close(code=code)

    # Sending -------------------------------------------------------------------------------------

    async def _write_loop(self) -> None:
        try:
            while True:
                item = await self.queue.get()
                if isinstance(item, int):  # a close code queued behind the frames it follows
                    self.closing = True
                    return await self.close(code=item)
                async with self.writing:
                    await self._write(item)
        except asyncio.CancelledError:
            raise
        except Exception:  # the socket went away; disconnect cleans up
            log.debug("meeting %s: writer stopped", self.meeting_id, exc_info=True)

    async def _write(self, text: str) -> None:
        await self.send(text_data=text)

    async def _enqueue(self, text: str, wait: bool = False) -> None:
        """Queue a frame. Live frames never wait: a full queue closes the socket. A replay (``wait``), which
        may be longer than the queue, waits for room, but not longer than ``replay_timeout``."""
        if self.closing:
            return
        try:
            if wait and self.queue.full():
                await asyncio.wait_for(self.queue.put(text), self.replay_timeout)
            else:
                # With room in the queue, no timer: wait_for costs a task per frame, and a replay to hundreds of
                # returning sockets is thousands of frames.
                self.queue.put_nowait(text)
        except (asyncio.QueueFull, TimeoutError):
            log.info("meeting %s: closing a socket of user %s that cannot keep up", self.meeting_id,
                     self.access.user_id if self.access else None)
            await self._shut(CLOSE_TOO_SLOW)

    async def _close_after_queue(self, code: int) -> None:
        try:
            self.queue.put_nowait(code)
        except asyncio.QueueFull:
            await self._shut(code)

    async def _frame(self, frame: dict[str, Any]) -> None:
        await self._enqueue(snapshot.dumps(frame))

    async def _error(self, code: str, message: str) -> None:
        await self._frame({"type": "error", "error": {"code": code, "message": message}})

    # Receiving -----------------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closing or self.access is None:
            return
        size = len(bytes_data) if bytes_data is not None else len(text_data.encode())
        if size > self.max_frame_bytes:
            return await self._shut(CLOSE_TOO_LARGE)
        if not self.frames.hit():
            return await self._shut(CLOSE_FLOOD)
        if bytes_data is not None:
            return await self._error("bad_message", _("Only text frames (JSON) are accepted."))
        try:
            frame = json.loads(text_data)
        except ValueError:
            return await self._error("bad_message", _("The message is not valid JSON."))
        if not isinstance(frame, dict):
            return await self._error("bad_message", _("A message must be a JSON object with a “type”."))
        kind = frame.get("type")
        try:
            if kind == "hello":
                await self._hello(frame)
            elif kind == "ping":
                await self._frame({"type": "pong", "server_time": now_iso(), "seq": self.last_sent})
            elif kind == "command":
                await self._command(frame)
            elif kind in FRAME_HANDLERS:
                await FRAME_HANDLERS[kind](self, frame)
            else:
                await self._error("bad_message", _("Unknown message type."))
        except Exception:
            log.exception("meeting %s: socket message failed", self.meeting_id)
            await self._error("internal", _("Something went wrong on the server. Please try again."))

    async def _hello(self, frame: dict[str, Any]) -> None:
        last_seq = frame.get("last_seq", 0)
        if not isinstance(last_seq, int) or isinstance(last_seq, bool) or last_seq < 0:
            return await self._error("bad_message", _("“last_seq” must be a whole number, 0 or more."))
        async with self.delivering:
            found, now = await opening.resume(self.meeting_id, last_seq, self.access.audience, self.replay_limit)
            await self._send_resume(found)
            await self._catch_up(now["seq"])
            await self._frame(now)
            await self._release_held()

    async def _send_resume(self, found: dict[str, Any]) -> None:
        if "snapshot" in found:
            # The state's text is shared by every socket of the audience: spliced in, not encoded again.
            head = snapshot.dumps({"type": "snapshot", "seq": found["seq"], "server_time": now_iso()})
            await self._enqueue(f'{head[:-1]},"state":{found["snapshot"]}}}', wait=True)
        else:
            for _seq, text, _kind, _data in found["events"]:
                await self._enqueue(text, wait=True)
        self.last_sent = found["seq"]
        a = self.access
        await self._frame({"type": "ready", "seq": self.last_sent, "server_time": now_iso(), "you": {
            "user_id": a.user_id, "participant_id": a.participant_id, "audience": a.audience, "roles": a.roles}})

    async def _command(self, frame: dict[str, Any]) -> None:
        cid, name, args = frame.get("id"), frame.get("name"), frame.get("args", {})
        if not isinstance(cid, str) or not 0 < len(cid) <= live.MAX_COMMAND_ID:
            return await self._error("bad_message", _("A command needs an “id”: a text of 1 to 64 characters."))
        if not isinstance(name, str) or not isinstance(args, dict):
            return await self._reply(cid, live.error_reply(ServiceError(
                _("A command needs a “name” and an “args” object."), "bad_message")))
        if frame.get("meeting", self.meeting_id) != self.meeting_id:
            return await self._reply(cid, live.error_reply(ServiceError(
                _("This command is for another meeting than this connection's."), "wrong_meeting")))
        if not self.commands.hit():
            return await self._reply(cid, live.error_reply(ServiceError(
                _("Too many commands; wait a moment."), "rate_limited")))
        try:
            batch = live.BATCHES.get(name) if settings.PHONGHOP_BALLOT_BATCH else None
            if batch is not None:
                # With the same command from the process's other sockets (a burst of ballots): one transaction
                # for those that arrive together, each answered after it commits (meetings/voting/batch.py).
                reply = await batching.batcher(batch, gather=self.batch_gather).ask(
                    live.Batched(self.scope["user"], self.meeting_id, cid, name, args))
            else:
                reply = await database_sync_to_async(live.execute)(self.scope["user"], self.meeting_id, cid, name,
                                                                   args)
        except Exception as e:
            # Answered all the same, and not stored: the client may send the same id again.
            live.report_failure(name, e)
            return await self._reply(cid, live.error_reply(ServiceError(
                _("Something went wrong on the server. Please try again."), "internal")))
        if reply.get("seq") and self.last_sent is not None:
            # The command's events go out before its reply, whatever the channel layer does.
            async with self.delivering:
                await self._catch_up(reply["seq"])
                await self._release_held()
        await self._reply(cid, reply)

    async def _reply(self, cid: str, reply: dict[str, Any]) -> None:
        await self._frame({"type": "reply", "id": cid, **reply})

    # From the channel layer ----------------------------------------------------------------------
    # Events go out in seq order, each once. One that arrives early (the layer reordered or lost one) is
    # held for ``gap_grace`` seconds in case the missing ones follow, then the gap is read from the log:
    # a brief reordering costs no database work, and a loss costs one query per socket. A frame that
    # carries a seq (presence) waits until the events up to it have been sent.

    async def deliver(self, message: dict[str, Any]) -> None:
        """A message from the process's fan-out hub (realtime.fanout). It never waits for the network: a
        frame for an idle socket is handed to the server at once (Daphne's send returns without suspending),
        otherwise it joins the socket's bounded send queue; anything slower is left to a task."""
        if self.last_sent is None or self.closing:
            return  # before hello is answered, the replay or snapshot will have it
        if message["type"] == "meeting.frame":
            if (message.get("seq") or 0) > self.last_sent:
                self.held_frames = [*self.held_frames[-7:], message]
                return self._repair_soon()
            await self._put(message["text"])
            return
        if message["seq"] <= self.last_sent:
            return
        self.held[message["seq"]] = message
        if not self.delivering.locked():
            # Whoever holds the lock (hello, a command's catch-up, a repair) releases what is held when done.
            # Taken here too (free, so without waiting): should a server's send ever suspend, a catch-up
            # starting meanwhile must not send the same events again.
            async with self.delivering:
                while (event := self.held.pop(self.last_sent + 1, None)) is not None:
                    if not await self._put(event["text"]):
                        return
                    self.last_sent = event["seq"]
                    if event.get("revoke") is not None or event.get("roles") is not None:
                        self._later(self._consequences(event.get("revoke"), event.get("roles")))
                for seq in [s for s in self.held if s <= self.last_sent]:
                    del self.held[seq]
                due = [m for m in self.held_frames if m["seq"] <= self.last_sent]
                self.held_frames = [m for m in self.held_frames if m["seq"] > self.last_sent]
                for frame in due:
                    await self._put(frame["text"])
        if len(self.held) > self.send_queue_size:
            self._later(self._shut(CLOSE_TOO_SLOW))
        elif self.held:
            self._repair_soon()

    async def _put(self, text: str) -> bool:
        """Send a live frame now when nothing is waiting before it, else queue it; a full queue closes the
        socket (the client resyncs when it returns). Writing directly spares the socket's writer task a
        wake-up per frame (and the collector the futures that wake-up leaves behind: bench/fanout)."""
        if self.closing:
            return False
        if self.queue.empty() and not self.writing.locked():
            try:
                async with self.writing:
                    await self._write(text)
                return True
            except Exception:  # the socket went away; disconnect cleans up
                log.debug("meeting %s: direct write failed", self.meeting_id, exc_info=True)
                return False
        try:
            self.queue.put_nowait(text)
            return True
        except asyncio.QueueFull:
            log.info("meeting %s: closing a socket of user %s that cannot keep up", self.meeting_id,
                     self.access.user_id if self.access else None)
            self._later(self._shut(CLOSE_TOO_SLOW))
            return False

    def _later(self, coroutine) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _release_held(self) -> None:
        while (message := self.held.pop(self.last_sent + 1, None)) is not None:
            await self._sent_event(message["seq"], message["text"])
            await self._consequences(message.get("revoke"), message.get("roles"))
        for seq in [s for s in self.held if s <= self.last_sent]:
            del self.held[seq]
        due = [m for m in self.held_frames if m["seq"] <= self.last_sent]
        self.held_frames = [m for m in self.held_frames if m["seq"] > self.last_sent]
        for message in due:
            await self._enqueue(message["text"])

    async def _sent_event(self, seq: int, text: str, wait: bool = False) -> None:
        await self._enqueue(text, wait=wait)
        self.last_sent = seq

    async def _consequences(self, revoke: int | None, roles: dict[str, Any] | str | None) -> None:
        """After an event that may end this socket's right to be here, or change its audience."""
        if revoke is not None and revoke == self.access.user_id and not self.access.editor:
            await self._close_after_queue(CLOSE_FORBIDDEN)  # removed from the meeting, told so first
        elif roles == "unknown" or (isinstance(roles, dict) and self.access.may_have_changed(
                roles["chair_id"], roles["secretary_id"], roles["host_unit_id"])):
            await self._check_access_again()

    async def _check_access_again(self) -> None:
        try:
            access = await database_sync_to_async(live.socket_access)(self.scope["user"], self.meeting_id)
        except ServiceError as e:
            return await self._close_after_queue(CLOSE_NOT_FOUND if e.status == 404 else CLOSE_FORBIDDEN)
        if access.audience != self.access.audience:
            return await self._close_after_queue(CLOSE_RIGHTS_CHANGED)  # reconnect: the other audience's view
        self.access = access

    def _repair_soon(self) -> None:
        if self.repair is None and not self.closing:
            self.repair = asyncio.get_running_loop().create_task(self._repair_after(self.gap_grace))

    async def _repair_after(self, delay: float) -> None:
        try:
            await asyncio.sleep(delay)
            wanted = max([*self.held, *(m["seq"] for m in self.held_frames)], default=0)
            async with self.delivering:
                await self._catch_up(wanted)
                await self._release_held()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("meeting %s: repairing a gap failed", self.meeting_id)
        finally:
            self.repair = None
        if self.held or self.held_frames:  # more came early while the gap was being read
            self._repair_soon()

    async def _catch_up(self, upto: int) -> None:
        """Send the events up to ``upto`` this socket has not had, from the event log (under ``delivering``)."""
        if self.closing or upto <= self.last_sent:
            return
        if upto - self.last_sent > self.replay_limit:
            found = await database_sync_to_async(snapshot.resume)(self.meeting_id, 0, self.access.audience)
            return await self._send_resume(found)
        found = await database_sync_to_async(snapshot.events_after)(
            self.meeting_id, self.last_sent, self.access.audience, upto - self.last_sent, upto=upto)
        for seq, text, kind, data in found:
            if seq != self.last_sent + 1:
                break
            await self._sent_event(seq, text, wait=True)
            await self._consequences(data.get("user_id") if kind == "participant.removed" else None,
                                     "unknown" if kind == "meeting.updated" else None)
