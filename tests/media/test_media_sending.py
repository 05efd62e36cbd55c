"""The send path (media/sending.py): the server writes each slot's RTP itself, so what aiortc's sender did
for us must still reach a subscriber: one unbroken sequence per slot across a change of source, VP8 picture
ids in order, lost packets sent again when the subscriber asks (RTX), sender reports that give the
server the round trip of a site that only receives."""

from __future__ import annotations

import asyncio
from itertools import pairwise

import pytest
from lossy_link import LossyLink, retransmission_of, video
from sfu_clients import Site, clip, info, join, wait_for
from test_media_controls import control

pytestmark = pytest.mark.timeout(90)

STILL = {"frames": 60, "width": 320, "height": 240, "bitrate": 100_000}  # one RTP packet a frame


def record_packets(site: Site, mid: str) -> dict[int, tuple[int, int, bool]]:
    """By sequence number: (timestamp, VP8 picture id, marker) of each packet the slot ``mid`` receives; a
    retransmission (RTX) counts as the packet it repeats, so a loss the server repaired leaves no gap."""
    from aiortc.codecs import is_rtx

    transceiver = next(t for t in site.pc.getTransceivers() if t.mid == mid)
    rtx_types = {c.payloadType for c in transceiver._codecs if is_rtx(c)}
    handle, seen = transceiver.receiver._handle_rtp_packet, {}

    async def handle_rtp_packet(packet, arrival_time_ms):
        payload, sequence = packet.payload, packet.sequence_number
        if packet.payload_type in rtx_types:
            sequence, payload = int.from_bytes(payload[:2], "big"), payload[2:]
        seen[sequence] = (packet.timestamp, int.from_bytes(payload[2:4], "big") & 0x7FFF, bool(packet.marker))
        await handle(packet, arrival_time_ms)

    transceiver.receiver._handle_rtp_packet = handle_rtp_packet
    return seen


async def test_a_slot_keeps_one_sequence_and_picture_id_order_across_a_change_of_source(server, sites,
                                                                                      media_settings):
    media_settings.max_videos = 1
    chair = info(site=1, roles=["chair"], controls=True)
    sites(await join(server, Site("tinh", slots=0), chair))
    sites(await join(server, Site("xa-a", slots=0), info(site=3)))
    commune = sites(await join(server, Site("xa", video=False, slots=1), info(site=9)))
    assert await wait_for(lambda: commune.layout["video"][0]["site"] == 1 and commune.total() >= 10, 5)
    mid = commune.layout["video"][0]["mid"]
    seen = record_packets(commune, mid)
    assert await wait_for(lambda: len(seen) >= 20, 5)

    await control(server, chair, action="spotlight", site=3)
    assert await wait_for(lambda: commune.layout["video"][0]["site"] == 3, 5)
    switched = len(seen)
    assert await wait_for(lambda: len(seen) >= switched + 30, 10), "the new site's video arrives"

    sequences = sorted(seen)  # as the subscriber's jitter buffer puts them (they may arrive out of order)
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences))), "no gap, no jump: nothing lost"
    # Frames: the picture id goes up by one per frame, and the timestamps never go back (a jump back would
    # be a frame from the past to the subscriber's decoder).
    frames = [(ts, pid) for ts, pid, marker in (seen[s] for s in sequences) if marker]
    assert all(b[1] == (a[1] + 1) & 0x7FFF for a, b in pairwise(frames)), frames
    assert all(0 < (b[0] - a[0]) & 0xFFFFFFFF < 90_000 for a, b in pairwise(frames)), frames


async def test_a_packet_lost_on_the_way_to_a_site_is_sent_again(server, sites):
    sites(await join(server, Site("huyen", slots=0, stamp=True, clip_source=clip("VP8", **STILL)), info(site=2)))
    commune = sites(await join(server, Site("xa", video=False, slots=1), info(site=3)))
    assert await wait_for(lambda: commune.slot_of(2) in commune.received
                          and len(commune.received[commune.slot_of(2)].stamped) >= 10, 10)
    stamped = commune.received[commune.slot_of(2)].stamped
    link = LossyLink(commune.pc)
    lost = link.downlink.drop(video, times=1)
    again = link.downlink.delay(retransmission_of(lost), 0.0)
    assert await wait_for(lambda: again.delivered_at, 10), "the server sent the lost packet again"
    lost_at = lost.at[0]
    assert await wait_for(lambda: sum(s.received > lost_at for s in stamped) >= 15, 10)
    indexes = [s.index for s in stamped]
    assert indexes == list(range(indexes[0], indexes[0] + len(indexes))), "every frame, the repaired one too"


async def test_the_server_knows_the_round_trip_of_a_site_that_only_receives(server, sites):
    sites(await join(server, Site("huyen", slots=0), info(site=2)))
    commune = sites(await join(server, Site("xa", video=False, slots=1), info(site=3)))
    assert await wait_for(lambda: commune.total() >= 10, 5)
    session = next(iter(s for s in server.rooms[1].sessions.values() if s.site == 3))

    async def round_trip() -> int | None:
        return (await session.quality())["rtt_ms"]

    # From the site's receiver reports answering the server's sender reports (every 0.5–1.5 s).
    rtt = None
    for _ in range(60):
        rtt = await round_trip()
        if rtt is not None:
            break
        await asyncio.sleep(0.5)
    assert rtt is not None and rtt >= 0
