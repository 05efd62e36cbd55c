"""The forwarding path: encoded frames out of an aiortc receiver, into aiortc senders, never decoded.

aiortc's receiver reassembles each incoming frame in a jitter buffer and puts ``(codec, frame)`` on
a queue read by its decoder thread; its sender accepts ``av.Packet`` and only re-packetizes it.
``tap_receiver`` swaps that queue for one that hands each encoded frame to us on the event loop
(the decoder thread then waits on an empty queue until the receiver stops), and swaps the jitter
buffer: video for a ``FrameAssembler`` (media/reassembly.py), which releases a frame when its last
packet arrives instead of when the next frame begins, every complete frame at once, and never holds
frames behind a lost packet longer than 0.2 s; audio for one that passes each packet at once:
forwarding adds no frame of delay, and video loss never delays audio.

``Slot`` is what one sender of a subscriber forwards, sent by the slot itself as each frame arrives
(media/sending.py: no task or queue per subscriber). Whatever site fills the slot, the slot keeps its
own timestamps continuous, holds video until a keyframe after every switch or loss, and
asks for one through ``on_need_keyframe`` (the room rate-limits and sends the PLI to the publisher).

The attribute names below are aiortc 1.16's private ones; ``tap_receiver`` checks them and fails
loudly if a new aiortc renamed them (tests/media catch it).
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Callable
from typing import Any

from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import RtpPacket
from aiortc.utils import uint16_gt

from media.reassembly import FrameAssembler
from media.sending import RtpOut, packetize, take_over

VIDEO_CLOCK = 90_000
AUDIO_CLOCK = 48_000
VIDEO_STEP = VIDEO_CLOCK // 30  # one frame at 30 fps: the gap left when a slot switches source
AUDIO_STEP = AUDIO_CLOCK // 50  # one 20 ms Opus packet
MAX_GAP = {"video": 10 * VIDEO_CLOCK, "audio": 10 * AUDIO_CLOCK}  # a larger jump is a restart

FrameHandler = Callable[[str, bytes, int], None]  # (codec name, frame bytes, timestamp)


# Receiving ---------------------------------------------------------------------------------------

def is_keyframe(codec: str, data: bytes) -> bool:
    """Whether an encoded frame can be decoded on its own (VP8: RFC 6386 9.1; H.264: an IDR NAL unit)."""
    if not data:
        return False
    if codec == "VP8":
        return data[0] & 0x01 == 0
    if codec == "H264":
        # The depayloader writes Annex B: NAL units after 00 00 00 01 start codes.
        start = 0
        while True:
            start = data.find(b"\x00\x00\x01", start)
            if start < 0 or start + 3 >= len(data):
                return False
            if data[start + 3] & 0x1F == 5:
                return True
            start += 3
    return True  # audio: every packet stands alone


class _FrameTap(queue.Queue):
    """Stands in for the receiver's decoder queue: frames go to ``handler`` on the event loop."""

    def __init__(self, handler: FrameHandler) -> None:
        super().__init__()
        self.handler = handler

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None:  # the receiver stops: let its idle decoder thread end
            super().put(None)
            return
        codec, frame = item
        self.handler(codec.name, frame.data, frame.timestamp)


class PassAudioBuffer:
    """Audio: each Opus packet is a frame; pass it on at once, dropping one older than the last."""

    capacity = 16

    def __init__(self) -> None:
        self.last: int | None = None

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        if self.last is not None and not uint16_gt(packet.sequence_number, self.last):
            return False, None
        self.last = packet.sequence_number
        return False, JitterFrame(data=packet._data, timestamp=packet.timestamp)  # type: ignore[attr-defined]

    def remove(self, count: int) -> None:
        pass


def tap_receiver(receiver: RTCRtpReceiver, kind: str, on_frame: FrameHandler,
                 on_packet: Callable[[RtpPacket], None] | None = None,
                 on_loss: Callable[[int], None] | None = None) -> FrameAssembler | None:
    """Take ``receiver``'s encoded frames instead of decoding them. Call before the connection starts.

    Video is reassembled by a ``FrameAssembler`` (media/reassembly.py), returned so its loss counters
    can be read; ``on_loss(ssrc)`` is called when it gives a hole up and needs a keyframe (default: a
    PLI from this receiver at once)."""
    for name in ("_RTCRtpReceiver__decoder_queue", "_RTCRtpReceiver__jitter_buffer", "_RTCRtpReceiver__codecs",
                 "_handle_rtp_packet", "_send_rtcp_nack", "_send_rtcp_pli"):
        if not hasattr(receiver, name):
            raise RuntimeError(f"aiortc changed: RTCRtpReceiver has no {name}; media/forwarding.py needs updating")
    receiver._RTCRtpReceiver__decoder_queue = _FrameTap(on_frame)  # type: ignore[attr-defined]
    assembler = None
    if kind == "video":
        codecs = receiver._RTCRtpReceiver__codecs  # type: ignore[attr-defined]  # payload type → codec, filled later

        def codec_of(payload_type: int) -> str | None:
            codec = codecs.get(payload_type)
            return codec.name if codec is not None else None

        def nack(ssrc: int, lost: list[int]) -> None:
            asyncio.ensure_future(receiver._send_rtcp_nack(ssrc, lost))

        assembler = FrameAssembler(on_frame, codec_of, nack, on_loss or (lambda ssrc: send_pli(receiver, ssrc)),
                                   is_keyframe)
        receiver._RTCRtpReceiver__jitter_buffer = assembler  # type: ignore[attr-defined]
    else:
        receiver._RTCRtpReceiver__jitter_buffer = PassAudioBuffer()  # type: ignore[attr-defined]
    if on_packet is not None:
        handle = receiver._handle_rtp_packet

        async def handle_rtp_packet(packet: RtpPacket, arrival_time_ms: int) -> None:
            on_packet(packet)
            await handle(packet, arrival_time_ms)

        receiver._handle_rtp_packet = handle_rtp_packet  # type: ignore[method-assign]
    return assembler


def send_pli(receiver: RTCRtpReceiver, media_ssrc: int) -> asyncio.Future:
    """Ask the remote sender of ``receiver`` for a keyframe (RTCP PLI, RFC 4585 6.3.1)."""
    return asyncio.ensure_future(receiver._send_rtcp_pli(media_ssrc))


def on_keyframe_request(sender: RTCRtpSender, callback: Callable[[], None]) -> None:
    """A PLI or FIR from the subscriber calls ``callback`` (aiortc would only flag its own encoder)."""
    if not hasattr(sender, "_send_keyframe"):
        raise RuntimeError("aiortc changed: RTCRtpSender has no _send_keyframe")
    sender._send_keyframe = callback  # type: ignore[method-assign]


# Sending -----------------------------------------------------------------------------------------

class Slot(MediaStreamTrack):
    """What one sender of a subscriber forwards: the encoded frames of the site that currently fills it.

    The slot sends each frame itself, in the call that offers it (media/sending.py): aiortc's sender task
    never reads this track. Until the subscriber's connection is up there is nowhere to send, and video
    waits for a keyframe asked for when it comes up."""

    def __init__(self, kind: str, on_need_keyframe: Callable[[Any], None] | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.clock = VIDEO_CLOCK if kind == "video" else AUDIO_CLOCK
        self.step = VIDEO_STEP if kind == "video" else AUDIO_STEP
        self.source: Any = None  # the Feed (or whatever) whose frames this slot forwards
        self.waiting = kind == "video"  # video waits for a keyframe
        self.on_need_keyframe = on_need_keyframe
        self.frames = 0  # forwarded
        self.out: RtpOut | None = None  # the sender's packets, once its connection is up
        self._last_in: int | None = None
        self._last_out: int | None = None

    def attach(self, sender: RTCRtpSender) -> None:
        """Send through ``sender`` (before its connection starts)."""
        take_over(sender, self._started, self._stopped)

    def _started(self, out: RtpOut) -> None:
        self.out = out
        self.keyframe_lost()

    def _stopped(self) -> None:
        self.out = None

    # Fed by the room, on the loop

    def assign(self, source: Any) -> bool:
        """Forward ``source`` from now on (None: nothing). True when that is a change."""
        if source is self.source:
            return False
        self.source = source
        self._last_in = None
        if self.kind == "video":
            self.waiting = True
            if source is not None and self.out is not None:
                self._need_keyframe()
        return True

    def offer(self, source: Any, data: bytes, timestamp: int, keyframe: bool) -> None:
        if source is not self.source or self.out is None or self.readyState != "live":
            return
        if self.waiting:
            if not keyframe:
                return
            self.waiting = False
        if self._last_in is None:
            out = 0 if self._last_out is None else self._last_out + self.step
        else:
            delta = timestamp - self._last_in
            out = self._last_out + (delta if 0 < delta <= MAX_GAP[self.kind] else self.step)
        payloads, ntp = packetize(self.out.codec, data)
        if not self.out.send(payloads, out, ntp):
            self.waiting = self.kind == "video"  # the connection went: start again at a keyframe
            return
        self._last_in, self._last_out = timestamp, out
        self.frames += 1

    def keyframe_lost(self) -> None:
        """The subscriber asked for a keyframe (it lost sync), or can now receive: hold video until one comes."""
        if self.kind == "video" and self.source is not None:
            self.waiting = True
            self._need_keyframe()

    def _need_keyframe(self) -> None:
        if self.on_need_keyframe is not None and self.source is not None:
            self.on_need_keyframe(self.source)

    async def recv(self) -> Any:
        raise MediaStreamError  # never read: the slot sends its frames itself
