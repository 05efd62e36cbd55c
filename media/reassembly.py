"""Video reassembly on a forwarding hop: RTP packets in, whole encoded frames out, in order, and never
held behind a lost packet for longer than ``HOLE_TIMEOUT``.

aiortc's jitter buffer hands out at most one frame per arriving packet and keeps a hole until 512
packets have passed it. On a forwarder that is fatal: with one-packet frames (a still camera, a shared
screen) a repaired hole leaves a backlog that never drains, and an unrepaired one holds every later
frame, keyframes included, for ~17 s at 30 packets a second. Our server re-packetizes, so the
subscribers' own jitter buffers never see the gap and cannot skip or ask for a keyframe themselves:
the server must do it. ``FrameAssembler`` therefore

- releases every frame that is complete and next in line, as many as one packet completes
  (a late repair releases the whole backlog at once);
- asks again for the missing packets (NACK) every ``NACK_INTERVAL`` while a hole is young: aiortc asks
  once, when it sees the gap, and a lost retransmission is never asked for again;
- jumps at once to a complete keyframe that arrives after a hole (a keyframe needs nothing before it);
- gives a hole up after ``HOLE_TIMEOUT``: everything before it is dropped, frames are dropped until a
  keyframe (a delta frame after a lost one would decode into garbage that the subscriber cannot
  detect, since our packets reach it without a gap), and a keyframe is asked for at once (``on_loss``).

``HOLE_TIMEOUT`` is 0.2 s: a retransmission on the links we serve (commune sites, round trips up to
~150 ms) arrives well inside it, and a picture stalled longer is better restarted from a keyframe.

Sequence numbers and timestamps are unwrapped to plain integers here, so no arithmetic below is modular.
Frame starts after a hole are found from the payload (``starts_frame``) or from a present predecessor
that ended a frame (marker bit or another timestamp).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from aiortc.jitterbuffer import JitterFrame
from aiortc.rtp import RtpPacket

HOLE_TIMEOUT = 0.2  # seconds a hole may hold the frames behind it
NACK_INTERVAL = 0.05  # seconds between repeated retransmission requests for a young hole
CAPACITY = 512  # packets held at most; beyond that the oldest hole is given up at once
ASK_AGAIN = 0.5  # seconds: while frames are dropped waiting for a keyframe, ask again this often

Emit = Callable[[str, bytes, int], None]  # (codec name, frame bytes, timestamp)


def starts_frame(codec: str | None, payload: bytes) -> bool:
    """Whether an RTP payload is the first packet of a frame, read from the payload header alone."""
    if not payload:
        return False
    if codec == "VP8":  # RFC 7741 4.2: S bit set, partition index 0
        return payload[0] & 0x10 != 0 and payload[0] & 0x07 == 0
    if codec == "H264":  # RFC 6184: a STAP-A (parameter sets), an SEI, SPS or AUD, or the first slice (first_mb_in_slice 0)
        kind = payload[0] & 0x1F
        if kind == 24 or kind in (6, 7, 9):
            return True
        if kind in (1, 5):
            return len(payload) > 1 and payload[1] & 0x80 != 0
        if kind == 28 and len(payload) > 2 and payload[1] & 0x80:  # FU-A, its start fragment
            inner = payload[1] & 0x1F
            return inner in (6, 7, 9) or (inner in (1, 5) and payload[2] & 0x80 != 0)
    return False


def unwrap(value: int, reference: int, bits: int) -> int:
    """``value`` (mod 2**bits) as the integer nearest to ``reference``."""
    size = 1 << bits
    delta = (value - reference) % size
    return reference + delta - size if delta >= size // 2 else reference + delta


@dataclass
class LossCounters:
    frames_lost: int = 0  # frames dropped: incomplete when given up, or depending on one that was
    freezes: int = 0  # holes given up: the picture stopped until the next keyframe
    repaired: int = 0  # missing packets that arrived later (retransmitted or reordered)
    longest_stall: float = 0.0  # seconds, since last read: the longest time frames were held behind a hole


class FrameAssembler:
    """Stands in for aiortc's video ``JitterBuffer`` in a receiver: ``add`` takes each packet (depayloaded,
    retransmissions unwrapped) and frames leave through ``emit``; it returns no frame and no PLI flag, since
    more than one frame may be due and keyframe requests go through ``on_loss`` (the room rate-limits them)."""

    capacity = CAPACITY

    def __init__(self, emit: Emit, codec_of: Callable[[int], str | None],
                 nack: Callable[[int, list[int]], None], on_loss: Callable[[int], None],
                 is_keyframe: Callable[[str, bytes], bool]) -> None:
        self.emit, self.codec_of, self.nack, self.on_loss, self.is_keyframe = emit, codec_of, nack, on_loss, is_keyframe
        self.packets: dict[int, RtpPacket] = {}  # by unwrapped sequence number
        self.next: int | None = None  # the first packet of the next frame to release
        self.highest: int | None = None
        self.missing: dict[int, float] = {}  # unwrapped sequence number → when its absence was seen
        self.need_key = False
        self.ssrc = 0
        self.counters = LossCounters()
        self._stall_since: float | None = None
        self._last_nack = 0.0
        self._asked = -ASK_AGAIN  # when a keyframe was last asked for
        self._timer: asyncio.TimerHandle | None = None
        self._before_start: RtpPacket | None = None  # the last packet seen before the first frame start
        self._ts_origin: int | None = None
        self._ts_last = 0

    # The receiver's interface ----------------------------------------------------------------------

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        now = asyncio.get_running_loop().time()
        if self.highest is not None and packet.ssrc != self.ssrc:
            self._restart()  # the publisher's encoder started again (a new SSRC)
        self.ssrc = packet.ssrc
        if self.highest is None:
            seq = packet.sequence_number
            self.highest = seq - 1
        else:
            seq = unwrap(packet.sequence_number, self.highest, 16)
            if seq > self.highest + CAPACITY or (self.next is not None and seq < self.next - CAPACITY):
                self._restart()  # a jump no loss explains: start again from this packet
                seq, self.highest = packet.sequence_number, packet.sequence_number - 1
        if self.next is None:  # the first packets: start at a frame's first packet
            before, self._before_start = self._before_start, packet
            after_end = before is not None and unwrap(before.sequence_number, seq, 16) == seq - 1 and (
                before.marker or before.timestamp != packet.timestamp)
            if not after_end and not starts_frame(self.codec_of(packet.payload_type), packet.payload):
                self.highest = seq
                return False, None
            self.next = seq
        if seq < self.next or seq in self.packets:
            return False, None  # a duplicate, or too late: its frame was released or given up
        if seq > self.highest:
            for gap in range(self.highest + 1, seq):
                if gap >= self.next:
                    self.missing[gap] = now
            if seq > self.highest + 1:
                self._last_nack = now  # aiortc's receiver asks for the new gap itself, now
                if self._stall_since is None:
                    self._stall_since = now
            self.highest = seq
        elif self.missing.pop(seq, None) is not None:
            self.counters.repaired += 1
        self.packets[seq] = packet
        if self.highest - self.next >= CAPACITY:
            self._give_up()
        self._drain()
        if packet.marker and self.missing and seq in self.packets:
            self._jump_to(self._frame_start(seq), keyframe_only=True)
        self._arm()
        return False, None

    def _restart(self) -> None:
        self.packets.clear()
        self.missing.clear()
        self.next = self.highest = self._before_start = None
        self.need_key = True
        self._stall_since = None

    def remove(self, count: int) -> None:  # aiortc's JitterBuffer interface; the receiver does not call it
        pass

    # Releasing -------------------------------------------------------------------------------------

    def _frame(self, start: int) -> int | None:
        """The last packet of the frame starting at ``start``, if all its packets are here."""
        first = self.packets.get(start)
        if first is None:
            return None
        seq = start
        while True:
            packet = self.packets.get(seq)
            if packet is None:
                return None
            if packet.timestamp != first.timestamp:
                return seq - 1  # the marker was lost with nothing else: the timestamp says the frame ended
            if packet.marker:
                return seq
            seq += 1

    def _drain(self) -> None:
        while self.next is not None and (end := self._frame(self.next)) is not None:
            parts = [self.packets.pop(seq) for seq in range(self.next, end + 1)]
            self.next = end + 1
            codec = self.codec_of(parts[0].payload_type) or ""
            data = b"".join(p._data for p in parts)  # type: ignore[attr-defined]
            if self.need_key and not self.is_keyframe(codec, data):
                self.counters.frames_lost += 1
                # The request, or the keyframe, may have been lost: a receiver that only waits may wait for ever.
                if asyncio.get_running_loop().time() - self._asked >= ASK_AGAIN:
                    self._ask_keyframe()
                continue
            self.need_key = False
            self._released()
            self.emit(codec, data, self._timestamp(parts[0].timestamp))
        for seq in [s for s in self.missing if self.next is None or s < self.next]:
            del self.missing[seq]

    def _released(self) -> None:
        if self._stall_since is not None:
            stall = asyncio.get_running_loop().time() - self._stall_since
            self.counters.longest_stall = max(self.counters.longest_stall, stall)
            self._stall_since = asyncio.get_running_loop().time() if self.missing else None

    def _timestamp(self, rtp: int) -> int:
        """Unwrapped, from 0 at the first frame, as aiortc's receiver gives its decoder."""
        if self._ts_origin is None:
            self._ts_origin = rtp
        self._ts_last = unwrap(rtp - self._ts_origin, self._ts_last, 32)
        return self._ts_last

    def _is_start(self, seq: int) -> bool:
        packet = self.packets.get(seq)
        if packet is None:
            return False
        before = self.packets.get(seq - 1)
        if before is not None:
            return before.marker or before.timestamp != packet.timestamp
        return seq == self.next or starts_frame(self.codec_of(packet.payload_type), packet.payload)

    def _frame_start(self, last: int) -> int | None:
        """The first packet of the frame whose last packet is ``last``, if it can be told."""
        seq, timestamp = last, self.packets[last].timestamp
        while (before := self.packets.get(seq - 1)) is not None and before.timestamp == timestamp and not before.marker:
            seq -= 1
        return seq if self._is_start(seq) else None

    def _jump_to(self, start: int | None, keyframe_only: bool) -> bool:
        """Drop everything before ``start`` and release from there, if a whole frame (a keyframe when
        ``keyframe_only``) begins there."""
        if start is None or self.next is None or start <= self.next:
            return False
        end = self._frame(start)
        if end is None:
            return False
        if keyframe_only:
            packet = self.packets[start]
            data = b"".join(self.packets[s]._data for s in range(start, end + 1))  # type: ignore[attr-defined]
            if not self.is_keyframe(self.codec_of(packet.payload_type) or "", data):
                return False
        self._discard_before(start)
        self.need_key = False if keyframe_only else self.need_key
        self._drain()
        return True

    def _discard_before(self, start: int) -> None:
        dropped = {p.timestamp for seq, p in self.packets.items() if seq < start}
        hole = any(seq < start for seq in self.missing)
        self.counters.frames_lost += len(dropped) + hole
        for seq in [s for s in self.packets if s < start]:
            del self.packets[seq]
        for seq in [s for s in self.missing if s < start]:
            del self.missing[seq]
        self.next = start

    # Holes -----------------------------------------------------------------------------------------

    def _give_up(self) -> None:
        """The oldest hole will not be repaired in time: restart at the next frame after it, on a keyframe."""
        if self.next is None or self.highest is None:
            return
        hole = min(self.missing, default=self.next)
        start = next((seq for seq in sorted(self.packets) if seq > hole and self._is_start(seq)), self.highest + 1)
        self._discard_before(start)
        self.counters.freezes += 1
        self.need_key = True
        self._ask_keyframe()
        self._drain()
        # A keyframe may be whole further on, behind another hole.
        for seq in sorted(self.packets):
            if self.missing and self._is_start(seq) and self._jump_to(seq, keyframe_only=True):
                break

    def _ask_keyframe(self) -> None:
        self._asked = asyncio.get_running_loop().time()
        self.on_loss(self.ssrc)

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self.missing:
            return
        loop = asyncio.get_running_loop()
        oldest = min(self.missing.values())
        due = min(oldest + HOLE_TIMEOUT, self._last_nack + NACK_INTERVAL)
        self._timer = loop.call_at(due, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        now = asyncio.get_running_loop().time()
        while self.missing and min(self.missing.values()) + HOLE_TIMEOUT <= now:
            self._give_up()
        young = sorted(seq for seq, since in self.missing.items() if now - since < HOLE_TIMEOUT)
        if young and now - self._last_nack >= NACK_INTERVAL - 0.001:
            self._last_nack = now
            self.nack(self.ssrc, [seq & 0xFFFF for seq in young[-64:]])
        self._arm()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
