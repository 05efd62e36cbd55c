"""A meeting-socket client for tests: speaks docs/protocol.md over a WebsocketCommunicator.

It keeps what a real client keeps (the state from the snapshot, the seq) and applies events with
the server's reducer, so tests read as stories: ``await hoa.command("queue.request", kind="speak")``.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from realtime import reducer

# How long a test waits for a frame before it fails: a bound for a broken run, not a timing claim (a
# busy CI machine with PostgreSQL and Redis can take seconds for what takes milliseconds here).
TIMEOUT = 30
_ids = itertools.count(1)


def db(fn):
    """Run ORM code from an async test."""
    return database_sync_to_async(fn)


class Closed(Exception):
    def __init__(self, code: int | None):
        super().__init__(f"socket closed with {code}")
        self.code = code


class Client:
    def __init__(self, app, meeting_id: int, token: str | None, origin: str = "http://testserver"):
        path = f"/ws/meetings/{meeting_id}/" + (f"?token={token}" if token else "")
        self.comm = WebsocketCommunicator(app, path, headers=[(b"origin", origin.encode())])
        self.meeting_id = meeting_id
        self.seq = 0
        self.state: dict[str, Any] | None = None
        self.frames: list[dict[str, Any]] = []  # everything received, in order
        self.events: list[dict[str, Any]] = []  # event frames, in order
        self.you: dict[str, Any] | None = None

    # Connection ---------------------------------------------------------------------------------

    async def connect(self) -> None:
        connected, _ = await self.comm.connect(timeout=TIMEOUT)
        assert connected

    async def open(self, last_seq: int | None = None) -> Client:
        """Connect and resume: hello, then frames up to ``ready``."""
        await self.connect()
        if last_seq is not None:
            self.seq = last_seq
        await self.hello(self.seq)
        return self

    async def hello(self, last_seq: int) -> dict[str, Any]:
        await self.send({"type": "hello", "last_seq": last_seq})
        return await self.until(lambda f: f["type"] == "ready")

    async def close_code(self) -> int | None:
        """Wait for the server to close the socket (skipping other frames) and return its code."""
        while True:
            out = await self.comm.receive_output(TIMEOUT)
            if out["type"] == "websocket.close":
                return out.get("code")

    async def disconnect(self) -> None:
        await self.comm.disconnect()

    # Frames -------------------------------------------------------------------------------------

    async def send(self, frame: dict[str, Any]) -> None:
        await self.comm.send_to(text_data=json.dumps(frame))

    async def send_raw(self, text: str | None = None, data: bytes | None = None) -> None:
        await self.comm.send_to(text_data=text, bytes_data=data)

    async def recv(self) -> dict[str, Any]:
        out = await self.comm.receive_output(TIMEOUT)
        if out["type"] == "websocket.close":
            raise Closed(out.get("code"))
        frame = json.loads(out["text"])
        self._take(frame)
        return frame

    def _take(self, frame: dict[str, Any]) -> None:
        self.frames.append(frame)
        if frame["type"] == "snapshot":
            self.state, self.seq = frame["state"], frame["seq"]
        elif frame["type"] == "event":
            assert frame["seq"] == self.seq + 1, f"gap or duplicate: have {self.seq}, got {frame['seq']}"
            self.events.append(frame)
            self.seq = frame["seq"]
            if self.state is not None:
                self.state = reducer.apply(self.state, frame["event"], frame["data"])
        elif frame["type"] == "ready":
            assert frame["seq"] == self.seq
            self.you = frame["you"]

    async def until(self, done) -> dict[str, Any]:
        while True:
            frame = await self.recv()
            if done(frame):
                return frame

    async def until_seq(self, seq: int) -> None:
        while self.seq < seq:
            await self.recv()

    async def command(self, name: str, _id: str | None = None, **args: Any) -> dict[str, Any]:
        """Send a command and return its reply; events that come first are applied on the way."""
        cid = _id or f"c-{next(_ids)}"
        await self.send({"type": "command", "id": cid, "name": name, "args": args})
        return await self.until(lambda f: f["type"] == "reply" and f["id"] == cid)

    async def ok(self, name: str, **args: Any) -> dict[str, Any]:
        reply = await self.command(name, **args)
        assert reply["ok"], reply
        return reply

    async def refused(self, name: str, **args: Any) -> str:
        reply = await self.command(name, **args)
        assert not reply["ok"], reply
        assert reply["error"]["message"]
        return reply["error"]["code"]

    async def nothing_pending(self) -> bool:
        return await self.comm.receive_nothing(timeout=0.05)
