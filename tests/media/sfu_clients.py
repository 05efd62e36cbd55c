"""aiortc clients for the media tests and bench/sfu.py: sites that publish a pre-encoded clip paced by
the clock and receive without decoding, counting the frames of each slot.

The clip is encoded once (VP8 or H.264, a moving pattern) in two versions, every frame a delta
frame after the first and every frame a keyframe, so the publisher can answer a keyframe request
(PLI) at any frame, as a browser does, without encoding anything while the test runs.
"""

from __future__ import annotations

import asyncio
import fractions
import functools
import itertools
import math
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import av
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from media import codecs
from media.forwarding import is_keyframe, on_keyframe_request, tap_receiver

FPS = 30
VIDEO_TIME_BASE = fractions.Fraction(1, 90_000)
STAMP = b"PHTI"  # + float64 capture time + uint32 frame index, after the frame's data (forwarders pass it on)


@dataclass
class Clip:
    codec: str
    delta: list[bytes]  # frame 0 a keyframe, then delta frames
    key: list[bytes]  # every frame a keyframe

    def __len__(self) -> int:
        return len(self.delta)


@functools.cache
def clip(codec: str = "VP8", frames: int = 60, width: int = 320, height: int = 240, bitrate: int = 300_000) -> Clip:
    def encode(every_key: bool) -> list[bytes]:
        name = "libvpx" if codec == "VP8" else "libx264"
        ctx = av.CodecContext.create(name, "w")
        ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuv420p"
        ctx.time_base = fractions.Fraction(1, FPS)
        ctx.bit_rate = bitrate
        ctx.gop_size = 1 if every_key else 10_000
        if codec == "VP8":
            # Error resilient: no probabilities carried from frame to frame, so a delta frame after a
            # keyframe from the other version still decodes (with some drift in the picture).
            ctx.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0", "error-resilient": "1"}
        else:
            ctx.options = {"preset": "ultrafast", "tune": "zerolatency", "profile": "baseline",
                           "x264-params": "keyint=10000:scenecut=0:repeat-headers=1"}
        out = []
        base = bytes(range(256)) * (width * height // 256 + 2)
        frame = av.VideoFrame(width, height, "yuv420p")
        for i in range(frames):
            for n, plane in enumerate(frame.planes):
                shift = (i * 7 + n * 50) % 256
                plane.update(base[shift:shift + plane.buffer_size])
            frame.pts = i
            frame.pict_type = av.video.frame.PictureType.I if (every_key or i == 0) else av.video.frame.PictureType.NONE
            out += [bytes(p) for p in ctx.encode(frame)]
        out += [bytes(p) for p in ctx.encode(None)]
        return out[:frames]

    return Clip(codec, encode(False), encode(True))


class ClipTrack(MediaStreamTrack):
    """Video from a Clip, frame i at start + i / fps by the clock (not as fast as the sender can)."""

    kind = "video"

    def __init__(self, source: Clip, fps: int = FPS, stamp: bool = False) -> None:
        super().__init__()
        self.source, self.fps, self.stamp = source, fps, stamp
        self.index = 0
        self.start: float | None = None
        self.want_key = False
        self.keyframes_sent = 0
        self.requests = 0
        self.sent_at: dict[int, float] = {}  # pts → wall-clock time it was handed to the sender
        self.paused = asyncio.Event()

    def keyframe_requested(self) -> None:
        self.requests += 1
        self.want_key = True

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self.start is None:
            self.start = loop.time()
        due = self.start + self.index / self.fps
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        if self.paused.is_set():
            await asyncio.Future()  # until the sender stops
        # Frame 0 (a keyframe) opens the stream; then the delta frames loop, with no keyframe but those asked for.
        i = 1 + (self.index - 1) % (len(self.source) - 1) if self.index else 0
        key = self.want_key or self.index == 0
        data = self.source.key[i] if key else self.source.delta[i]
        self.keyframes_sent += key
        self.want_key = False
        if self.stamp:
            data += STAMP + struct.pack("<dI", time.time(), self.index)
        packet = av.Packet(data)
        packet.pts = self.index * (90_000 // self.fps)
        packet.time_base = VIDEO_TIME_BASE
        self.sent_at[packet.pts] = time.time()
        self.index += 1
        return packet


class ToneTrack(MediaStreamTrack):
    """Audio: 20 ms frames of a tone (``loud``) or near silence, paced by the clock. aiortc encodes it
    with Opus and writes its level into every packet (RFC 6464), which the server's speaker detection reads."""

    kind = "audio"

    def __init__(self, loud: bool = False) -> None:
        super().__init__()
        self.loud = loud
        self.index = 0
        self.start: float | None = None
        n = 960
        tone = b"".join(int(8000 * math.sin(2 * math.pi * 440 * t / 48_000)).to_bytes(2, "little", signed=True)
                        for t in range(n))
        self.samples = {True: tone, False: b"\x00\x00" * n}

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self.start is None:
            self.start = loop.time()
        due = self.start + self.index * 0.02
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        frame = av.AudioFrame(format="s16", layout="mono", samples=960)
        frame.planes[0].update(self.samples[self.loud])
        frame.sample_rate = 48_000
        frame.pts = self.index * 960
        frame.time_base = fractions.Fraction(1, 48_000)
        self.index += 1
        return frame


@dataclass
class Received:
    frames: int = 0
    keyframes: int = 0
    first_at: float | None = None
    first_keyframe: bool | None = None
    first_clock: int | None = None  # the site's ``clock()`` at the first frame (e.g. the publisher's frame index)
    bytes: int = 0
    arrivals: list[tuple[int, float]] = field(default_factory=list)  # (rtp timestamp, time) if kept
    stamped: list[Stamped] = field(default_factory=list)  # frames from a stamping publisher


@dataclass
class Stamped:
    index: int  # the publisher's frame number
    captured: float  # time.time() at the publisher
    received: float  # time.time() here
    keyframe: bool

    @property
    def delay(self) -> float:
        return self.received - self.captured


class Site:
    """One site's peer connection to the forwarder: it may publish, and it receives into slots."""

    def __init__(self, name: str, *, video: bool = True, audio: bool = False, loud: bool = False,
                 slots: int = 1, audio_slots: int = 0, codec: str = "VP8", clip_source: Clip | None = None,
                 keep_arrivals: bool = False, screen: bool = False, stamp: bool = False) -> None:
        self.name, self.codec = name, codec
        # Max-bundle, as the server: with aiortc's default, slots made before the answer may be left on a
        # transport of their own that never starts (media/room.py, MediaSettings.rtc_configuration).
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        self.video = ClipTrack(clip_source or clip(codec), stamp=stamp) if video else None
        self.audio = ToneTrack(loud) if audio else None
        self.screen = ClipTrack(clip_source or clip(codec)) if screen else None
        self.keep_arrivals = keep_arrivals
        self.received: dict[str, Received] = {}  # by mid
        self.mids: dict[Any, str] = {}
        self.layouts: list[dict[str, Any]] = []
        self.clock: Callable[[], int] | None = None
        self.frames: list[dict[str, Any]] = []
        for kind, track in (("audio", self.audio), ("video", self.video), ("video", self.screen)):
            if track is not None:
                t = self.pc.addTransceiver(track, direction="sendonly")
                t.setCodecPreferences(codecs.preferences(kind, codec))
                if kind == "video":
                    on_keyframe_request(t.sender, track.keyframe_requested)
        for kind, count in (("video", slots), ("audio", audio_slots)):
            for _ in range(count):
                t = self.pc.addTransceiver(kind, direction="recvonly")
                t.setCodecPreferences(codecs.preferences(kind, codec))
                self._count(t)

    def _count(self, transceiver: Any) -> None:
        kind = transceiver.kind

        def on_frame(codec: str, data: bytes, timestamp: int) -> None:
            mid = transceiver.mid
            r = self.received.setdefault(mid, Received())
            r.frames += 1
            key = kind == "video" and is_keyframe(codec, data)
            r.keyframes += key
            r.bytes += len(data)
            if r.first_at is None:
                r.first_at, r.first_keyframe = time.monotonic(), key
                r.first_clock = self.clock() if self.clock else None
            if self.keep_arrivals:
                r.arrivals.append((timestamp, time.time()))
            if data[-16:-12] == STAMP:
                captured, index = struct.unpack("<dI", data[-12:])
                r.stamped.append(Stamped(index, captured, time.time(), key))

        tap_receiver(transceiver.receiver, kind, on_frame)

    async def offer(self) -> dict[str, Any]:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return {"type": "media", "action": "offer", "sdp": self.pc.localDescription.sdp}

    async def answer(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    def on_frame(self, frame: dict[str, Any]) -> None:
        """A media frame from the server (through whichever signaling the test uses)."""
        self.frames.append(frame)
        if frame.get("event") == "layout":
            self.layouts.append(frame)

    @property
    def layout(self) -> dict[str, Any] | None:
        return self.layouts[-1] if self.layouts else None

    def slot_of(self, site: int, kind: str = "video") -> str | None:
        for slot in (self.layout or {}).get(kind, []):
            if slot["site"] == site:
                return slot["mid"]
        return None

    def count(self, mid: str | None) -> int:
        return self.received[mid].frames if mid in self.received else 0

    def total(self, kind: str = "video") -> int:
        mids = {s["mid"] for s in (self.layout or {}).get(kind, [])}
        return sum(r.frames for mid, r in self.received.items() if mid in mids)

    async def close(self) -> None:
        await self.pc.close()


# The least a wait may last before it gives up. A wait returns as soon as its predicate holds, so a
# generous bound costs a passing run nothing, while a busy CI machine (media threads, Chromium, PostgreSQL
# on two cores) can take seconds for what takes milliseconds here. The figures a wait's caller names are
# what a quiet machine needs; bench/sfu measures the timings.
LEAST_WAIT = 30.0


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, step: float = 0.05) -> bool:
    """True once ``predicate()`` holds; False after ``timeout`` (at least ``LEAST_WAIT``) seconds."""
    deadline = asyncio.get_running_loop().time() + max(timeout, LEAST_WAIT)
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(step)
    return True


_ids = itertools.count(1)


def info(meeting_id: int = 1, site: int = 1, main_site: int = 1, roles: list[str] | None = None,
         controls: bool = False, user_id: int | None = None):
    from media.room import SessionInfo

    n = next(_ids)
    return SessionInfo(id=f"s{n}", meeting_id=meeting_id, user_id=user_id or n, site=site,
                       site_name=f"Site {site}", main_site=main_site, roles=roles or ["participant"],
                       controls=controls)


async def join(server: Any, site: Site, session_info: Any) -> Site:
    """Signal ``site`` into ``server`` (a MediaServer on this loop) directly, without a socket."""
    answered = asyncio.get_running_loop().create_future()

    def send(frame: dict[str, Any]) -> None:
        site.on_frame(frame)
        if frame.get("event") in ("answer", "error") and not answered.done():
            answered.set_result(frame)

    site.info = session_info
    await server.handle(session_info, await site.offer(), send)
    reply = await answered
    assert reply["event"] == "answer", reply
    await site.answer(reply["sdp"])
    return site
