"""Several media workers sharing briefings: who is alive and how loaded, and the trunks between them.

Every worker writes a heartbeat into Redis each second (``<prefix>:mediaworker:<name>``, expiring after
``EXPIRES`` seconds): its trunk address, how many sessions it holds and which meetings it has rooms for.
Daphne processes read them to place each new session on the least loaded live worker and to notice a
worker that died (media/backend.py ``WorkerBackend``). Workers read them to find, for each meeting they
host, the other workers hosting it, and subscribe to its feeds there over a trunk (media/trunk.py); the
frames come in as ``RemoteFeed``s (media/remote.py). So each publisher's stream crosses to each other
worker of its briefing once, however many subscribers sit behind it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from media.remote import RemotePublisher
from media.trunk import Frame, Link, handshake_server, pack_frame, proof

log = logging.getLogger(__name__)

HEARTBEAT = 1.0  # seconds between heartbeats
EXPIRES = 3  # seconds: a worker whose heartbeat is this old is dead


def registry_prefix(channel_prefix: str | None) -> str:
    return f"{channel_prefix or 'phonghop'}:mediaworker:"


async def read_workers(redis: Any, prefix: str) -> dict[str, dict[str, Any]]:
    """Every live worker's last heartbeat, by name."""
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*", count=100)]
    return _by_name(prefix, keys, await redis.mget(keys) if keys else [])


def _by_name(prefix: str, keys: list[Any], values: list[Any]) -> dict[str, dict[str, Any]]:
    return {(k.decode() if isinstance(k, bytes) else k)[len(prefix):]: json.loads(v)
            for k, v in zip(keys, values, strict=True) if v}


def read_workers_sync(redis_url: str, prefix: str) -> dict[str, dict[str, Any]]:
    """``read_workers`` for sync code (the live room's floor, in a process that has no media session)."""
    import redis

    client = redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=100))
        values = client.mget(keys) if keys else []
    finally:
        client.close()
    return _by_name(prefix, keys, values)


def cluster_for(name: str) -> Cluster:
    """The cluster part of ``phonghop mediaworker --name``, from the settings (the trunk on
    ``PHONGHOP_MEDIA_TRUNK_HOST``, a private address; the secret derived from ``SECRET_KEY``, which every
    process of a deployment shares)."""
    import hashlib

    from django.conf import settings

    secret = hashlib.sha256(f"media-trunk:{settings.SECRET_KEY}".encode()).hexdigest()
    return Cluster(name, None, settings.REDIS_URL, registry_prefix(settings.CHANNEL_PREFIX), secret,
                   settings.PHONGHOP_MEDIA_TRUNK_HOST, settings.PHONGHOP_MEDIA_TRUNK_PORT)


class Cluster:
    """This worker's part: its heartbeat, its trunk port, its subscriptions to the other workers."""

    def __init__(self, name: str, server: Any, redis_url: str, prefix: str, secret: str,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.name, self.server, self.redis_url, self.prefix, self.secret, self.host = (
            name, server, redis_url, prefix, secret, host)
        self.listen_port = port
        self.redis: Any = None
        self.tcp: asyncio.AbstractServer | None = None
        self.port = 0
        self.peers: dict[str, dict[str, Any]] = {}
        self.out: dict[str, Link] = {}  # links this worker opened: it subscribes through them
        self.subscriptions: dict[str, set[int]] = {}  # peer → meetings subscribed there
        self.inbound: set[Link] = set()  # peers subscribed to this worker's feeds
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        import redis.asyncio

        self.redis = redis.asyncio.from_url(self.redis_url)
        self.tcp = await asyncio.start_server(self._accept, self.host, self.listen_port)
        self.port = self.tcp.sockets[0].getsockname()[1]
        await self.beat()
        self.task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
        for link in [*self.out.values(), *self.inbound]:
            link.close()
        if self.tcp is not None:
            self.tcp.close()
        if self.redis is not None:
            try:
                await self.redis.delete(f"{self.prefix}{self.name}")
            finally:
                await self.redis.aclose()

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT)
            try:
                await self.beat()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("media worker %s: heartbeat failed", self.name)

    async def beat(self) -> None:
        rooms = sorted(self.server.rooms)
        record = {"trunk": f"{self.host}:{self.port}", "sessions": len(self.server.where), "rooms": rooms,
                  "at": time.time()}
        await self.redis.set(f"{self.prefix}{self.name}", json.dumps(record), ex=EXPIRES)
        self.peers = {n: r for n, r in (await read_workers(self.redis, self.prefix)).items() if n != self.name}
        for room in self.server.rooms.values():
            room.exporter = self.export
        for peer, record in self.peers.items():
            wanted = set(record.get("rooms", ())) & set(rooms)
            link = self.out.get(peer)
            if wanted and link is None:
                link = await self._connect(peer, record["trunk"])
            if link is None:
                continue
            have = self.subscriptions.setdefault(peer, set())
            for meeting in sorted(wanted - have):
                link.send_json({"op": "subscribe", "meeting": meeting})
            for meeting in sorted(have - wanted):
                link.send_json({"op": "unsubscribe", "meeting": meeting})
                self._forget(peer, meeting)
            self.subscriptions[peer] = wanted
        for peer in [p for p in self.out if p not in self.peers]:
            self.out[peer].close()  # its heartbeat is gone: it died or left
        for link in list(self.inbound):
            for meeting in list(link.subscribed):
                self._send_feeds(link, meeting)

    # Links this worker opens: the feeds of a peer ---------------------------------------------------

    async def _connect(self, peer: str, address: str) -> Link | None:
        host, _, port = address.rpartition(":")
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 3)
        except (TimeoutError, OSError, ValueError):
            log.warning("media worker %s: trunk to %s at %s unreachable", self.name, peer, address)
            return None
        link = Link(reader, writer, self._from_peer, self._frame_from_peer, self._peer_closed)
        link.peer = peer
        link.send_json({"op": "hello", "worker": self.name, "proof": proof(self.secret, self.name)})
        self.out[peer] = link
        self.subscriptions[peer] = set()
        link.start()
        return link

    def _from_peer(self, link: Link, message: dict[str, Any]) -> None:
        if message.get("op") != "feeds":
            return
        room = self.server.rooms.get(message.get("meeting"))
        if room is None:
            return
        by_site: dict[int, list[dict[str, Any]]] = {}
        for row in message.get("feeds", []):
            by_site.setdefault(int(row["site"]), []).append(row)
            if row.get("name"):
                room.names.setdefault(int(row["site"]), row["name"])
        changed = False
        for site, rows in by_site.items():
            publisher = room.remote.get(site)
            if publisher is None or publisher.peer != link.peer:
                if publisher is not None:
                    publisher.close()
                publisher = room.remote[site] = RemotePublisher(room, link.peer, site, self._asker(link, room.meeting_id))
                changed = True
            changed |= publisher.update(rows)
        for site in [s for s, p in room.remote.items() if p.peer == link.peer and s not in by_site]:
            room.remote.pop(site).close()
            room.detector.forget(site)
            changed = True
        if changed:
            room.relayout_soon()

    def _asker(self, link: Link, meeting: int):
        def ask(site: int, label: str) -> None:
            link.send_json({"op": "pli", "meeting": meeting, "site": site, "label": label})
        return ask

    def _frame_from_peer(self, link: Link, frame: Frame) -> None:
        room = self.server.rooms.get(frame.meeting)
        publisher = room.remote.get(frame.site) if room is not None else None
        if publisher is None or publisher.peer != link.peer:
            return
        feed = publisher.feed(frame.kind, frame.label)
        if feed is not None:
            feed.on_frame(frame)

    def _peer_closed(self, link: Link) -> None:
        if self.out.get(link.peer) is link:
            del self.out[link.peer]
        for meeting in self.subscriptions.pop(link.peer, set()):
            self._forget(link.peer, meeting)

    def _forget(self, peer: str, meeting: int) -> None:
        room = self.server.rooms.get(meeting)
        if room is None:
            return
        gone = [site for site, p in room.remote.items() if p.peer == peer]
        for site in gone:
            room.remote.pop(site).close()
            room.detector.forget(site)
        if gone:
            room.relayout_soon()

    # Links peers open: this worker's feeds, for them ------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = await handshake_server(reader, self.secret)
        if peer is None:
            writer.close()
            return
        link = Link(reader, writer, self._from_subscriber, lambda _link, _frame: None, self.inbound.discard)
        link.peer = peer
        self.inbound.add(link)
        link.start()

    def _from_subscriber(self, link: Link, message: dict[str, Any]) -> None:
        op, meeting = message.get("op"), message.get("meeting")
        if op == "subscribe" and isinstance(meeting, int):
            link.subscribed.add(meeting)
            self._send_feeds(link, meeting)
        elif op == "unsubscribe":
            link.subscribed.discard(meeting)
        elif op == "pli":
            room = self.server.rooms.get(meeting)
            session = room.publishers.get(message.get("site")) if room is not None else None
            for feed in session.feeds if session is not None else ():
                if feed.label == message.get("label") and feed.kind == "video":
                    feed.request_keyframe()

    def _send_feeds(self, link: Link, meeting: int) -> None:
        room = self.server.rooms.get(meeting)
        rows = []
        if room is not None:
            for site in room.order:
                for feed in room.publishers[site].feeds:
                    rows.append({"site": site, "label": feed.label, "kind": feed.kind, "codec": feed.codec,
                                 "name": room.names.get(site, "")})
        link.announced = {(meeting, r["site"], r["label"]) for r in rows}
        link.send_json({"op": "feeds", "meeting": meeting, "feeds": rows})

    def export(self, feed: Any, data: bytes, timestamp: int, keyframe: bool) -> None:
        """A local feed's frame, once to each worker subscribed to its meeting."""
        meeting = feed.room.meeting_id
        packed: bytes | None = None
        for link in tuple(self.inbound):
            if meeting not in link.subscribed:
                continue
            if (meeting, feed.site, feed.label) not in link.announced:
                self._send_feeds(link, meeting)
            if packed is None:
                packed = pack_frame(Frame(meeting, feed.site, feed.label, feed.kind, feed.codec or "", timestamp,
                                          keyframe, feed.level if feed.kind == "audio" else None, data))
            link.write(packed)
