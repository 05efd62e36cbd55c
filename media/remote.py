"""Feeds that publish on another media worker, as this worker's room sees them (media/trunk.py carries them).

A ``RemoteFeed`` stands where a local ``Feed`` would (media/room.py): slots and the recorder take its
frames the same way, and a keyframe request goes back over the trunk to the worker where the site's
peer connection is, which asks the site (at most once per its interval, as for its own subscribers).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import Any

from media.trunk import Frame


class RemoteFeed:
    def __init__(self, publisher: RemotePublisher, kind: str, label: str, codec: str | None) -> None:
        self.publisher, self.kind, self.label, self.codec = publisher, kind, label, codec
        self.site = publisher.site
        self.session = publisher  # what Room.feed_started compares, as for a local feed
        self.sinks: set[Any] = set()
        self.frames = self.keyframes = self.bytes = 0
        self.last_request = -math.inf
        self.assembler = None  # loss is counted where the site's packets arrive

    @property
    def key(self) -> tuple[int, str]:
        return self.site, self.label

    @property
    def muted(self) -> bool:
        return self.kind == "audio" and self.site in self.publisher.room.muted

    def on_frame(self, frame: Frame) -> None:
        room = self.publisher.room
        if self.muted:
            return
        self.codec = frame.codec
        self.frames += 1
        self.bytes += len(frame.data)
        self.keyframes += frame.keyframe and self.kind == "video"
        if frame.level is not None and room.remote.get(self.site) is self.publisher:
            room.detector.level(self.site, frame.level)
        if self.frames == 1:
            room.feed_started(self)
        for sink in tuple(self.sinks):
            sink.offer(self, frame.data, frame.timestamp, frame.keyframe)

    def request_keyframe(self, lost: bool = False) -> None:
        if self.kind != "video":
            return
        self.last_request = asyncio.get_running_loop().time()
        self.publisher.ask_keyframe(self.label)

    def waiting(self) -> bool:
        return any(getattr(sink, "waiting", False) for sink in self.sinks)

    def close(self) -> None:
        for sink in tuple(self.sinks):
            sink.assign(None)
        self.sinks.clear()


class RemotePublisher:
    """A site whose peer connection is on worker ``peer``: its feeds, as the peer last listed them."""

    def __init__(self, room: Any, peer: str, site: int, ask_keyframe: Callable[[int, str], None]) -> None:
        self.room, self.peer, self.site = room, peer, site
        self.feeds: list[RemoteFeed] = []
        self._ask = ask_keyframe

    def ask_keyframe(self, label: str) -> None:
        self._ask(self.site, label)

    def feed(self, kind: str, label: str) -> RemoteFeed | None:
        return next((f for f in self.feeds if f.kind == kind and f.label == label), None)

    def update(self, listed: list[dict[str, Any]]) -> bool:
        """The peer's current list of this site's feeds; True when feeds came or went."""
        wanted = {(row["kind"], row["label"]) for row in listed}
        have = {(f.kind, f.label) for f in self.feeds}
        if wanted == have:
            return False
        for f in [f for f in self.feeds if (f.kind, f.label) not in wanted]:
            f.close()
            self.feeds.remove(f)
        for row in listed:
            if (row["kind"], row["label"]) not in have:
                self.feeds.append(RemoteFeed(self, row["kind"], row["label"], row.get("codec")))
        return True

    def send(self, frame: dict[str, Any]) -> None:
        """A remote publisher has no socket here (``Room`` tells a replaced publisher through this)."""

    def close(self) -> None:
        for f in self.feeds:
            f.close()
        self.feeds.clear()
