"""The server's video reassembly alone (media/reassembly.py): packets in by hand, frames out. A hole never
holds the frames behind it longer than HOLE_TIMEOUT; a repair releases the whole backlog at once; a
keyframe after a hole is released at once; a hole given up restarts the stream on a keyframe."""

from __future__ import annotations

import asyncio

import pytest
from aiortc.rtp import RtpPacket

from media.forwarding import is_keyframe
from media.reassembly import HOLE_TIMEOUT, NACK_INTERVAL, FrameAssembler, starts_frame, unwrap

pytestmark = pytest.mark.timeout(20)
STEP = 3000  # RTP timestamp units per frame at 30 fps


def vp8(seq: int, frame: int, *, first: bool = True, last: bool = True, key: bool = False) -> RtpPacket:
    """A VP8 packet of frame number ``frame`` (its timestamp), as aiortc's receiver hands it on: depayloaded."""
    body = bytes([0x00 if key else 0x01]) + frame.to_bytes(4, "big") if first else b"more"
    packet = RtpPacket(payload_type=96, marker=last, sequence_number=seq & 0xFFFF, timestamp=(frame * STEP) & 0xFFFFFFFF,
                       ssrc=1234, payload=bytes([0x10 if first else 0x00]) + body)
    packet._data = body  # type: ignore[attr-defined]
    return packet


class Harness:
    def __init__(self) -> None:
        self.frames: list[tuple[int, bool]] = []  # (frame number, keyframe)
        self.nacks: list[list[int]] = []
        self.plis = 0
        self.assembler = FrameAssembler(self.emit, lambda pt: "VP8", lambda ssrc, lost: self.nacks.append(lost),
                                        self.loss, is_keyframe)

    def emit(self, codec: str, data: bytes, timestamp: int) -> None:
        self.frames.append((int.from_bytes(data[1:5], "big"), is_keyframe(codec, data)))

    def loss(self, ssrc: int) -> None:
        self.plis += 1

    def add(self, *packets: RtpPacket) -> None:
        for packet in packets:
            self.assembler.add(packet)

    @property
    def numbers(self) -> list[int]:
        return [n for n, _key in self.frames]


async def test_a_frame_leaves_on_its_last_packet():
    h = Harness()
    h.add(vp8(10, 0, key=True), vp8(11, 1, last=False))
    assert h.numbers == [0]
    h.add(vp8(12, 1, first=False))
    assert h.numbers == [0, 1]


async def test_a_late_repair_releases_the_whole_backlog_at_once():
    h = Harness()
    h.add(vp8(100, 0, key=True))
    h.add(*(vp8(100 + n, n) for n in range(2, 8)))  # frame 1 (packet 101) lost
    assert h.numbers == [0]
    h.add(vp8(101, 1))  # the retransmission
    assert h.numbers == list(range(8)), "every complete frame leaves with the repair, not one per packet"
    h.add(vp8(108, 8))
    assert h.numbers[-1] == 8
    assert h.assembler.counters.repaired == 1 and h.assembler.counters.freezes == 0


async def test_a_hole_is_asked_for_again_while_young_then_given_up_for_a_keyframe():
    h = Harness()
    h.add(vp8(0, 0, key=True), vp8(2, 2))  # packet 1 lost
    await asyncio.sleep(HOLE_TIMEOUT * 0.8)
    assert h.nacks and all(lost == [1] for lost in h.nacks), "the retransmission is asked for again"
    assert len(h.nacks) >= int(HOLE_TIMEOUT * 0.8 / NACK_INTERVAL) - 1
    assert h.plis == 0
    await asyncio.sleep(HOLE_TIMEOUT * 0.4)
    assert h.plis == 1, "given up: a keyframe is asked for at once"
    assert h.assembler.counters.freezes == 1 and h.assembler.need_key
    h.add(vp8(3, 3), vp8(4, 4))
    assert h.numbers == [0], "delta frames after a given-up hole are not forwarded"
    h.add(vp8(1, 1))  # the repair, too late
    h.add(vp8(5, 5, key=True), vp8(6, 6))
    assert h.numbers == [0, 5, 6]
    assert h.assembler.counters.frames_lost >= 4
    nacks = len(h.nacks)
    await asyncio.sleep(2 * NACK_INTERVAL)
    assert len(h.nacks) == nacks, "nothing is asked for once the hole is gone"


async def test_a_keyframe_is_asked_for_again_while_none_comes():
    from media.reassembly import ASK_AGAIN

    h = Harness()
    h.add(vp8(0, 0, key=True), vp8(2, 2))
    await asyncio.sleep(HOLE_TIMEOUT * 1.3)
    assert h.plis == 1
    h.add(vp8(3, 3))
    assert h.plis == 1, "not at once"
    await asyncio.sleep(ASK_AGAIN)
    h.add(vp8(4, 4))
    assert h.plis == 2, "the request or its keyframe was lost: asked again"
    h.add(vp8(5, 5, key=True))
    assert h.numbers == [0, 5]


async def test_a_keyframe_behind_a_hole_leaves_at_once():
    h = Harness()
    h.add(vp8(0, 0, key=True), vp8(2, 2), vp8(3, 3))  # packet 1 lost
    h.add(vp8(4, 4, key=True, last=False))
    assert h.numbers == [0]
    h.add(vp8(5, 4, first=False), vp8(6, 5))
    assert h.numbers == [0, 4, 5], "the keyframe needs nothing before it"
    assert h.plis == 0


async def test_a_lost_first_packet_of_a_keyframe_after_a_hole_is_not_mistaken_for_a_frame_start():
    h = Harness()
    h.add(vp8(0, 0, key=True))
    # Frame 1's first packet (1) and frame 2's first packet (3) lost; 2 and 4 are continuations.
    h.add(vp8(2, 1, first=False), vp8(4, 2, first=False), vp8(5, 3))
    await asyncio.sleep(HOLE_TIMEOUT * 1.3)
    assert h.numbers == [0] and h.plis == 1
    h.add(vp8(6, 4, key=True))
    assert h.numbers == [0, 4]


async def test_sequence_numbers_and_timestamps_wrap():
    h = Harness()
    h.add(*(vp8(65534 + n, (1 << 32) // STEP - 1 + n, key=n == 0) for n in range(4)))
    assert len(h.frames) == 4
    assert unwrap(1, 65535, 16) == 65537 and unwrap(65535, 65537, 16) == 65535


async def test_a_packet_before_the_first_frame_start_is_skipped():
    h = Harness()
    h.add(vp8(7, 0, first=False), vp8(8, 1, key=True), vp8(9, 2))
    assert h.numbers == [1, 2]


async def test_the_first_frame_start_is_also_told_by_the_end_of_the_frame_before():
    h = Harness()
    unknown = Harness()
    unknown.assembler.codec_of = lambda pt: None  # a payload we cannot read: only the marker tells
    for harness in (h, unknown):
        harness.add(vp8(7, 0, first=False), vp8(8, 1, key=True), vp8(9, 2))
    assert unknown.numbers == [1, 2]


async def test_a_publisher_that_starts_again_is_followed_from_its_next_keyframe():
    h = Harness()
    h.add(vp8(1000, 0, key=True), vp8(1001, 1))
    h.add(vp8(20_000, 2), vp8(20_001, 3, key=True), vp8(20_002, 4))  # a jump no loss explains
    assert h.numbers == [0, 1, 3, 4]
    restarted = vp8(5, 5, key=True)
    restarted.ssrc = 99  # a new encoder
    h.add(restarted)
    assert h.numbers[-1] == 5
    assert not h.assembler.missing


def test_frame_starts_are_read_from_the_payload_header():
    assert starts_frame("VP8", bytes([0x10, 0])) and not starts_frame("VP8", bytes([0x00, 0]))
    assert not starts_frame("VP8", bytes([0x11, 0]))  # a later partition
    assert starts_frame("H264", bytes([24, 0]))  # STAP-A: SPS and PPS
    assert starts_frame("H264", bytes([0x65, 0x88]))  # IDR slice, first_mb_in_slice = 0
    assert not starts_frame("H264", bytes([0x41, 0x40]))  # a later slice
    assert starts_frame("H264", bytes([0x7C, 0x85, 0x88]))  # FU-A start of an IDR slice
    assert not starts_frame("H264", bytes([0x7C, 0x05, 0x88]))  # FU-A continuation


async def test_a_keyframe_for_a_loss_does_not_wait_out_a_joiners_interval(monkeypatch):
    from types import SimpleNamespace

    from media import room
    from media.room import LOSS_KEYFRAME_GAP, Feed, MediaSettings

    sent: list[float] = []
    monkeypatch.setattr(room, "send_pli", lambda receiver, ssrc: sent.append(asyncio.get_running_loop().time()))
    feed = Feed(SimpleNamespace(settings=MediaSettings(keyframe_interval=0.5), keyframe_requests=0),
                SimpleNamespace(info=SimpleNamespace(site=1)), "video", "camera")
    feed.receiver, feed.ssrc = object(), 1
    feed.request_keyframe()  # a site joins: asked at once
    feed.request_keyframe()  # another joins: its request waits for the end of the 0.5 s interval
    feed.request_keyframe(lost=True)  # a hole given up: after LOSS_KEYFRAME_GAP, not 0.5 s
    await asyncio.sleep(LOSS_KEYFRAME_GAP + 0.2)
    assert len(sent) == 2, "the loss's request went after 0.1 s (and served the second joiner too)"
    feed.close()
