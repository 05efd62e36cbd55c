"""Loss on a site's uplink, through the meeting socket and the media server's own thread, as in production's
embedded default. The An Phú district (tuan) publishes a quiet picture: one RTP packet per frame, like a
still camera or a shared screen, the case where aiortc's reassembly never recovered (issue 19). Its frames
carry their capture time and number (sfu_clients.STAMP); hoa and minh watch from the province hall.

Times are read from the media: a frame's capture time at the publisher against the moment the loss or the
repair happened on the link (tests/media/lossy_link.py). The tight figures live in bench/sfu.py."""

from __future__ import annotations

import asyncio
import statistics

import pytest
from lossy_link import LossyLink, retransmission_of, video
from sfu_clients import Site, clip, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(90)]

QUIET = {"frames": 60, "width": 320, "height": 240, "bitrate": 100_000}  # ~400 bytes a frame: one packet


async def join(client, site):
    """Offer over the socket, apply the answer; a task then feeds the site every media frame of the socket."""
    await client.send({"type": "media", "action": "offer", "sdp": (await site.offer())["sdp"]})
    answer = await client.until(lambda f: f["type"] == "media" and f.get("event") in ("answer", "error"))
    assert answer["event"] == "answer", answer
    await site.answer(answer["sdp"])

    async def pump() -> None:
        while True:
            frame = await client.recv()
            if frame["type"] == "media":
                site.on_frame(frame)

    site.pump = asyncio.get_running_loop().create_task(pump())
    return site


def stamped(site):
    return [s for r in site.received.values() for s in r.stamped]


@pytest.fixture
async def district_and_hall(briefing, units, connect, sites, backend):
    """tuan publishes for the district; hoa and minh (the chair) each receive its video."""
    tuan, hoa, minh = [await connect(name, briefing) for name in ("tuan", "hoa", "minh")]
    publisher = sites(await join(tuan, Site("huyen", slots=0, audio=True, stamp=True,
                                            clip_source=clip("VP8", **QUIET))))
    viewers = [sites(await join(client, Site(name, video=False, slots=1, audio_slots=1, keep_arrivals=True)))
               for client, name in ((hoa, "tinh-hoa"), (minh, "tinh-minh"))]
    assert await wait_for(lambda: all(len(stamped(v)) >= 30 for v in viewers), 20), "the picture flows"
    yield publisher, viewers
    for site in (publisher, *viewers):
        site.pump.cancel()


def feed_of(backend, briefing, site):
    room = backend.server.rooms[briefing.pk]
    return next(f for f in room.publishers[site].feeds if f.kind == "video")


async def test_a_packet_repaired_late_leaves_no_lasting_delay(district_and_hall, backend, briefing, units):
    publisher, viewers = district_and_hall
    link = LossyLink(publisher.pc)
    lost = link.uplink.drop(video, times=1)
    late = link.uplink.delay(retransmission_of(lost), 0.4)  # every retransmission of it, 0.4 s late
    assert await wait_for(lambda: late.delivered_at, 10), "the server asked for the packet and it came, late"
    repaired = late.delivered_at[0]

    # Frames captured from 1 s after the repair on: arrived, and at the delay of a clean link.
    assert await wait_for(lambda: all(any(s.captured > repaired + 2 for s in stamped(v)) for v in viewers), 20)
    for v in viewers:
        before = [s.delay for s in stamped(v) if s.captured < lost.at[0]][-30:]
        after = [s.delay for s in stamped(v) if repaired + 1 <= s.captured <= repaired + 2]
        print(f"{v.name}: delay before the loss p50 {1000 * statistics.median(before):.1f} ms, from 1 s after "
              f"the repair p50 {1000 * statistics.median(after):.1f} ms, max {1000 * max(after):.1f} ms "
              f"({len(after)} frames)")
        assert len(after) >= 15, f"{v.name}: the picture kept coming after the repair"
        # aiortc's reassembly left every later frame ~0.45 s later than before the loss, for good. Measured
        # against the same viewer's own delay before the loss (a busy machine slows both alike), not a clock.
        assert statistics.median(after) < statistics.median(before) + 0.3, (
            f"{v.name} is still late: {statistics.median(after):.3f} s, was {statistics.median(before):.3f} s")
    counters = feed_of(backend, briefing, units["district"].pk).assembler.counters
    # Usually the hole is given up at 0.2 s, before the repair at 0.4 s; on a starved loop the repair may be read
    # first. Either way the picture is on time again (above): not asserted, shown.
    print(f"gaps given up: {counters.freezes}")


async def test_a_packet_never_repaired_costs_a_keyframe_not_a_frozen_picture(
        district_and_hall, backend, briefing, units, connect):
    publisher, viewers = district_and_hall
    district = units["district"].pk
    requests = publisher.video.requests
    link = LossyLink(publisher.pc)
    lost = link.uplink.drop(video, times=1)
    gone = link.uplink.drop(retransmission_of(lost))  # the retransmissions are lost as well
    assert await wait_for(lambda: lost.seqs, 5)
    lost_at = lost.at[0]

    # binh opens the briefing in the hall while the hole stands.
    binh = await connect("binh", briefing)
    late = await join(binh, Site("tinh-binh", video=False, slots=1))
    joined = late.pc.remoteDescription is not None and asyncio.get_running_loop().time()
    try:
        def resumed(site):
            return next((s for s in stamped(site) if s.captured > lost_at), None)

        assert await wait_for(lambda: all(resumed(v) for v in (*viewers, late)), 20), "the picture comes back"
        for v in viewers:
            first = resumed(v)
            print(f"{v.name}: the picture resumed with a frame captured {1000 * (first.captured - lost_at):.0f} ms "
                  f"after the loss (keyframe: {first.keyframe})")
            assert first.keyframe, "it resumes on a keyframe (a delta frame after the lost one would not decode)"
            # Bounds with room for a busy machine (about 0.2 s and a few ms on a quiet one: bench/sfu_loss.py);
            # aiortc's buffer held the picture 17-34 s.
            assert first.captured - lost_at < 3.0, "the next keyframe, asked for at once, not tens of seconds later"
            assert first.delay < 2.0, "and it came at once, not from behind the hole (aiortc's buffer: ~17-34 s)"
            sound = v.received[v.slot_of(district, "audio")].arrivals
            assert any(lost_at < at < first.received for _ts, at in sound), "the sound went on while the picture waited"
        first = stamped(late)[0]
        print(f"{late.name} (joined during the loss): first frame, a keyframe: {first.keyframe}, captured "
              f"{1000 * (first.captured - lost_at):.0f} ms after the loss")
        assert joined and first.keyframe and first.captured - lost_at < 3.0 and first.delay < 2.0
        assert publisher.video.requests > requests, "the server asked the publisher for a keyframe"
        assert gone.seqs, "the server asked for the packet again, and lost that too"

        # Either the hole was given up after 0.2 s, or binh's keyframe came first and the stream jumped to it.
        counters = feed_of(backend, briefing, district).assembler.counters
        assert counters.frames_lost >= 1
        # The chair sees it in the quality frame (every 2 s).
        chair = viewers[1]
        assert await wait_for(lambda: any(f.get("event") == "quality" and (f["sites"].get(str(district)) or {})
                                          .get("frames_lost") for f in chair.frames), 10), "the chair is told"
    finally:
        late.pump.cancel()
        await late.close()


# The recorder and the workers backend take their frames from the same Feed ------------------------

async def test_a_recording_goes_on_from_the_keyframe_after_a_lost_packet(server, sites, media_settings, tmp_path):
    import av
    from sfu_clients import info
    from sfu_clients import join as join_directly

    media_settings.record_dir = str(tmp_path)
    chair = info(site=1, roles=["chair"], controls=True)
    hall = sites(await join_directly(server, Site("tinh", audio=True, slots=0, clip_source=clip("VP8", **QUIET)),
                                     chair))
    assert await wait_for(lambda: hall.video.index >= 10, 5)
    await server.handle(chair, {"action": "record", "on": True}, hall.on_frame)
    assert await wait_for(lambda: hall.layout["recording"], 2)
    await asyncio.sleep(1)
    link = LossyLink(hall.pc)
    lost = link.uplink.drop(video, times=1)
    link.uplink.drop(retransmission_of(lost))
    assert await wait_for(lambda: lost.seqs, 5)
    lost_at = hall.video.index
    assert await wait_for(lambda: hall.video.index >= lost_at + 45, 10)  # 1.5 s more
    await server.handle(chair, {"action": "record", "on": False}, hall.on_frame)
    assert await wait_for(lambda: not hall.layout["recording"], 2)

    main = next(p for p in (tmp_path / "1").iterdir() if "main" in p.name)
    with av.open(str(main)) as container:
        keys = [p.is_keyframe for p in container.demux(video=0) if p.size]
    with av.open(str(main)) as container:
        decoded = sum(1 for _ in container.decode(video=0))
    print(f"{main.name}: {len(keys)} frames, {sum(keys)} keyframes, {decoded} decoded")
    assert keys[0] and sum(keys) >= 2, "it starts on a keyframe, and goes on from the one asked for after the loss"
    assert len(keys) >= 60, "the file goes on after the loss (2.5 s of video)"
    assert decoded == len(keys), "no frame that needed the lost one was written"


@pytest.mark.redis
async def test_a_worker_recovers_from_a_lost_packet_with_a_keyframe(sites):
    import os
    import uuid

    from channels_redis.pubsub import RedisPubSubChannelLayer
    from sfu_clients import info
    from test_media_worker import signal

    from media.backend import WorkerBackend
    from media.room import MediaSettings
    from media.server import MediaServer
    from media.worker import Worker

    layer = RedisPubSubChannelLayer(hosts=[os.environ.get("PHONGHOP_TEST_REDIS", "redis://127.0.0.1:6379/")],
                                    prefix=f"phonghop-test-{uuid.uuid4().hex[:8]}")
    worker = Worker("w-loss", layer, MediaServer(MediaSettings(max_videos=1)))
    running = asyncio.get_running_loop().create_task(worker.run())
    try:
        backend = WorkerBackend(["w-loss"], layer=layer)
        publisher = sites(await signal(backend, Site("huyen", slots=0, stamp=True, clip_source=clip("VP8", **QUIET)),
                                       info(site=2)))
        commune = sites(await signal(backend, Site("xa", video=False), info(site=3)))
        assert await wait_for(lambda: len(stamped(commune)) >= 15, 10)
        link = LossyLink(publisher.pc)
        lost = link.uplink.drop(video, times=1)
        link.uplink.drop(retransmission_of(lost))
        assert await wait_for(lambda: lost.seqs, 5)
        lost_at = lost.at[0]
        assert await wait_for(lambda: any(s.captured > lost_at for s in stamped(commune)), 10)
        first = next(s for s in stamped(commune) if s.captured > lost_at)
        assert first.keyframe and first.captured - lost_at < 3.0 and first.delay < 2.0  # room for a busy machine
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await layer.flush()
