"""The lossy link test double (tests/media/lossy_link.py) between two aiortc peers, no server: a publisher's
stamped clip to a receiver that reassembles it as the server does (media/reassembly.py)."""

from __future__ import annotations

import pytest
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from lossy_link import LossyLink, audio, video
from sfu_clients import STAMP, Site, clip, wait_for

from media import codecs
from media.forwarding import tap_receiver

pytestmark = pytest.mark.timeout(60)
QUIET = {"frames": 60, "width": 320, "height": 240, "bitrate": 100_000}


@pytest.fixture
async def pair():
    """(publisher Site, receiver peer connection, frame numbers received, the receiver's assembler)."""
    publisher = Site("pub", slots=0, audio=True, stamp=True, clip_source=clip("VP8", **QUIET))
    receiver = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
    received: list[int] = []

    def on_frame(codec: str, data: bytes, timestamp: int) -> None:
        if data[-16:-12] == STAMP:
            received.append(int.from_bytes(data[-4:], "little"))

    await receiver.setRemoteDescription(RTCSessionDescription(**{k: v for k, v in (await publisher.offer()).items()
                                                                   if k == "sdp"}, type="offer"))
    assemblers = []
    for t in receiver.getTransceivers():
        t.setCodecPreferences(codecs.preferences(t.kind, "VP8"))
        assemblers.append(tap_receiver(t.receiver, t.kind, on_frame if t.kind == "video" else lambda *a: None))
    await receiver.setLocalDescription(await receiver.createAnswer())
    await publisher.answer(receiver.localDescription.sdp)
    assert await wait_for(lambda: len(received) >= 10, 10), "the clip flows"
    yield publisher, receiver, received, next(a for a in assemblers if a is not None)
    await publisher.close()
    await receiver.close()


async def test_a_reordered_packet_is_taken_in_order(pair):
    publisher, receiver, received, assembler = pair
    link = LossyLink(publisher.pc)
    held = link.uplink.reorder(video)
    assert await wait_for(lambda: held.seqs, 5)
    seen = len(received)
    assert await wait_for(lambda: len(received) >= seen + 10, 5)
    assert await wait_for(lambda: assembler.counters.repaired >= 1, 5), "the gap it left was filled"
    assert received == sorted(received) and assembler.counters.frames_lost == 0


async def test_a_delayed_packet_repairs_its_hole_without_a_freeze(pair):
    publisher, receiver, received, assembler = pair
    link = LossyLink(receiver)
    late = link.downlink.delay(video, 0.1, times=1)
    assert await wait_for(lambda: late.delivered_at, 5)
    seen = len(received)
    assert await wait_for(lambda: len(received) >= seen + 10, 5)
    assert assembler.counters.repaired >= 1 and assembler.counters.freezes == 0
    assert received == sorted(received)


async def test_random_loss_is_repaired_by_retransmissions(pair):
    publisher, receiver, received, assembler = pair
    link = LossyLink(receiver)
    lost = link.downlink.loss(0.1, match=video, seed=3)
    quiet = link.downlink.loss(1.0, match=audio)  # and every sound, which is none of the video's business
    start = len(received)
    assert await wait_for(lambda: len(received) >= start + 60, 10), "the picture goes on"
    assert lost.seqs and quiet.seqs
    assert assembler.counters.repaired >= 1, "retransmissions filled holes"
    assert received == sorted(received)
