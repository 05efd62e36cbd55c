"""Trunks: media workers passing encoded frames to each other, so one briefing can be spread over several.

A worker that hosts sessions of a meeting subscribes, over one TCP connection per pair of workers, to the
meeting's feeds on every other worker that hosts it; the other worker then sends each frame of its local
feeds once over that connection, whatever the number of subscribers behind it (media/remote.py turns the
frames back into feeds). TCP and not the channel layer: a briefing moves thousands of frames a second
and Redis would add a hop and a copy to each; and not UDP: the link is a data-centre LAN, where ordered
delivery costs nothing, and a frame lost between workers would freeze a picture until a keyframe.

Wire format: a 4-byte big-endian length, then one byte of type and the body.

- ``J`` + JSON: ``hello`` (the worker's name and a proof of the shared secret), ``subscribe`` /
  ``unsubscribe`` a meeting, ``feeds`` (a meeting's local feeds on the sender: site, label, kind, codec,
  name), ``pli`` (a subscriber needs a keyframe of a feed).
- ``F`` + a frame: ``FRAME_HEAD`` (meeting, site, RTP timestamp, keyframe, audio level or -1, kind), the
  label and the codec as short strings, then the encoded frame.

The trunk port listens on a private address (``PHONGHOP_MEDIA_TRUNK_HOST``); a peer must prove it knows
the deployment's secret before anything else is read.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

FRAME_HEAD = struct.Struct("!IIIBbB")  # meeting, site, timestamp, keyframe, level (-1: none), kind (0 audio, 1 video)
MAX_MESSAGE = 4 * 1024 * 1024  # a 4K keyframe is well under this; anything larger is a broken peer
HELLO_TIMEOUT = 5.0
WRITE_BUFFER = 8 * 1024 * 1024  # a peer that falls this far behind is cut, not waited for


def proof(secret: str, name: str) -> str:
    return hmac.new(secret.encode(), f"media-trunk:{name}".encode(), hashlib.sha256).hexdigest()


@dataclass
class Frame:
    meeting: int
    site: int
    label: str
    kind: str
    codec: str
    timestamp: int
    keyframe: bool
    level: int | None
    data: bytes


def pack_frame(f: Frame) -> bytes:
    label, codec = f.label.encode(), f.codec.encode()
    body = b"".join((b"F", FRAME_HEAD.pack(f.meeting, f.site, f.timestamp & 0xFFFFFFFF, f.keyframe,
                                           -1 if f.level is None else max(-128, min(127, f.level)),
                                           f.kind == "video"),
                     bytes([len(label)]), label, bytes([len(codec)]), codec, f.data))
    return struct.pack("!I", len(body)) + body


def unpack_frame(body: bytes) -> Frame:
    meeting, site, timestamp, keyframe, level, video = FRAME_HEAD.unpack_from(body, 1)
    at = 1 + FRAME_HEAD.size
    label_len = body[at]
    label = body[at + 1:at + 1 + label_len].decode()
    at += 1 + label_len
    codec_len = body[at]
    codec = body[at + 1:at + 1 + codec_len].decode()
    data = body[at + 1 + codec_len:]
    return Frame(meeting, site, label, "video" if video else "audio", codec, timestamp, bool(keyframe),
                 None if level == -1 else level, data)


def pack_json(message: dict[str, Any]) -> bytes:
    body = b"J" + json.dumps(message, separators=(",", ":")).encode()
    return struct.pack("!I", len(body)) + body


async def read_message(reader: asyncio.StreamReader) -> bytes:
    size = struct.unpack("!I", await reader.readexactly(4))[0]
    if size == 0 or size > MAX_MESSAGE:
        raise ConnectionError(f"trunk message of {size} bytes")
    return await reader.readexactly(size)


class Link:
    """One trunk connection, either side. ``on_json(link, message)`` and ``on_frame(link, frame)`` are called
    on the loop for what the peer sends; ``subscribed``: the meetings the peer asked for."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 on_json: Callable[[Link, dict[str, Any]], None], on_frame: Callable[[Link, Frame], None],
                 on_close: Callable[[Link], None]) -> None:
        self.reader, self.writer = reader, writer
        self.on_json, self.on_frame, self.on_close = on_json, on_frame, on_close
        self.peer = ""
        self.subscribed: set[int] = set()
        self.announced: set[tuple[int, int, str]] = set()  # (meeting, site, label) the peer was told of
        self.closed = False
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._read())

    def send_json(self, message: dict[str, Any]) -> None:
        self.write(pack_json(message))

    def send_frame(self, frame: Frame) -> None:
        self.write(pack_frame(frame))

    def write(self, data: bytes) -> None:
        """Packed messages (a frame packed once for several peers)."""
        if self.closed:
            return
        transport = self.writer.transport
        if transport.get_write_buffer_size() > WRITE_BUFFER:
            log.warning("media trunk to %s: peer too slow, cutting the link", self.peer)
            self.close()
            return
        self.writer.write(data)

    async def _read(self) -> None:
        try:
            while True:
                body = await read_message(self.reader)
                if body[:1] == b"F":
                    self.on_frame(self, unpack_frame(body))
                elif body[:1] == b"J":
                    self.on_json(self, json.loads(body[1:]))
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("media trunk from %s: bad message", self.peer)
        finally:
            self.close()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.writer.close()
        if self.task is not None and self.task is not asyncio.current_task():
            self.task.cancel()
        self.on_close(self)


async def handshake_server(reader: asyncio.StreamReader, secret: str) -> str | None:
    """The accepting side: the peer's name if its first message proves the secret, else None."""
    try:
        body = await asyncio.wait_for(read_message(reader), HELLO_TIMEOUT)
        message = json.loads(body[1:]) if body[:1] == b"J" else {}
    except (TimeoutError, asyncio.IncompleteReadError, ConnectionError, ValueError):
        return None
    name = str(message.get("worker", ""))
    if message.get("op") != "hello" or not hmac.compare_digest(str(message.get("proof", "")), proof(secret, name)):
        return None
    return name
