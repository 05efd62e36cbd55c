"""Media workers: the media server in another process, reached through the channel layer (Redis).

The worker runs here on the test's loop with its own Redis pub/sub layer, exactly as
``phonghop mediaworker`` runs it; the sites talk to it through WorkerBackend, as a Daphne process does."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from sfu_clients import Site, info, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.timeout(60)]


@pytest.fixture
async def layer():
    from channels_redis.pubsub import RedisPubSubChannelLayer

    layer = RedisPubSubChannelLayer(hosts=[os.environ.get("PHONGHOP_TEST_REDIS", "redis://127.0.0.1:6379/")],
                                    prefix=f"phonghop-test-{uuid.uuid4().hex[:8]}")
    yield layer
    await layer.flush()


async def signal(backend, site, session_info):
    answered = asyncio.get_running_loop().create_future()

    def send(frame):
        site.on_frame(frame)
        if frame.get("event") == "answer" and not answered.done():
            answered.set_result(frame["sdp"])

    await backend.request(session_info, await site.offer(), send)
    await site.answer(await asyncio.wait_for(answered, 10))
    return site


async def test_a_worker_forwards_a_briefing_reached_through_redis(layer, sites):
    from media.backend import WorkerBackend
    from media.room import MediaSettings
    from media.server import MediaServer
    from media.worker import Worker

    worker = Worker("w-test", layer, MediaServer(MediaSettings(max_videos=1)))
    running = asyncio.get_running_loop().create_task(worker.run())
    try:
        backend = WorkerBackend(["w-test"], layer=layer)
        publisher_info, subscriber_info = info(site=1), info(site=2)
        sites(await signal(backend, Site("tinh", slots=0), publisher_info))
        commune = sites(await signal(backend, Site("xa", video=False), subscriber_info))
        assert await wait_for(lambda: commune.total() >= 15, 5)
        assert commune.received[commune.slot_of(1)].first_keyframe
        assert commune.layout["video"][0]["site"] == 1

        await layer.send("mediaworker.w-test", {"type": "media.control", "meeting": 1, "action": "spotlight",
                                                "args": {"site": 1}})
        assert await wait_for(lambda: commune.layout["spotlight"] == 1, 3)

        await backend.leave(subscriber_info)
        assert await wait_for(lambda: subscriber_info.id not in worker.server.rooms[1].sessions, 3)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


@pytest.mark.janus
async def test_a_worker_drives_janus_for_the_web_processes(layer, sites, janus_server):
    """Several Daphne processes and Janus: a media worker holds the briefing's decisions, Janus the media."""
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    from media.backend import WorkerBackend
    from media.forwarding import tap_receiver
    from media.janus.backend import JanusServer, JanusSettings
    from media.worker import Worker

    server = JanusServer(JanusSettings(urls=[janus_server.url], api_secret=janus_server.config.api_secret,
                                       max_videos=1, max_audio=1))
    worker = Worker("w-janus", layer, server)
    running = asyncio.get_running_loop().create_task(worker.run())
    watcher = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    frames: dict[str, int] = {}
    try:
        backend = WorkerBackend(["w-janus"], layer=layer)
        sites(await signal(backend, Site("tinh", slots=0), info(site=1)))
        subscriber_info, replies = info(site=2), []
        offered = asyncio.get_running_loop().create_future()

        def send(frame):
            replies.append(frame)
            if frame.get("event") == "subscribe_offer" and not offered.done():
                offered.set_result(frame["sdp"])

        await backend.request(subscriber_info, {"type": "media", "action": "subscribe"}, send)
        await watcher.setRemoteDescription(RTCSessionDescription(sdp=await asyncio.wait_for(offered, 20), type="offer"))
        for transceiver in watcher.getTransceivers():
            def count(codec, data, timestamp, mid=transceiver.mid):
                frames[mid] = frames.get(mid, 0) + 1

            tap_receiver(transceiver.receiver, transceiver.kind, count)
        await watcher.setLocalDescription(await watcher.createAnswer())
        await backend.request(subscriber_info, {"type": "media", "action": "subscribe_answer",
                                                "sdp": watcher.localDescription.sdp}, send)

        def video_mid():
            layouts = [f for f in replies if f.get("event") == "layout"]
            return next((s["mid"] for s in layouts[-1]["video"] if s["site"] == 1), None) if layouts else None

        assert await wait_for(lambda: video_mid() is not None and frames.get(video_mid(), 0) >= 15, 20), (frames, replies)
        await backend.leave(subscriber_info)
        assert await wait_for(lambda: subscriber_info.id not in server.rooms[1].peers, 5)
    finally:
        await watcher.close()
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
