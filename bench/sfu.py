"""Video forwarding benchmark: our aiortc forwarder against a transcoding relay (aiortc's MediaRelay: the
floor to beat) and Janus 1.1's VideoRoom (the reference to match), with the same clients in the same run.

    .venv/bin/python bench/sfu.py [--steps 1,16,32,64] [--seconds 10] [--kinds ours,relay,janus,direct]
    .venv/bin/python bench/sfu.py --lag            # event-loop lag: forwarding on the server's loop or a thread
    .venv/bin/python bench/sfu.py --loss 0,1,3,5 --steps 16,64 --kinds ours-thread,janus   # the loss sweep
    PHONGHOP_BENCH_CLIP=quiet .venv/bin/python bench/sfu.py ...   # one packet per frame instead of 480p 1 Mbps
    .venv/bin/python bench/sfu.py --kinds ours-thread,workers1,workers2 --steps 16,32 --publishers 4   # spread briefings

Every media server runs in a process of its own; its CPU is read from /proc over the measured window.
Publishers (one process) send a pre-encoded 480p VP8 clip at ~1 Mbps, paced by the clock (frame i at
start + i/30 s: aiortc's looping MediaPlayer would send as fast as it can), and answer keyframe requests
with a keyframe version of the current frame. Subscribers (processes of at most 16 peers) do not decode:
they count frames, time the first one, and read the send time the publisher appended to every frame (a
12-byte trailer after the VP8 data, which forwarders pass on byte for byte; a transcoder loses it, so
the relay has no latency figure). ``direct`` is the publisher's own process answering each subscriber:
capture to receipt with no server, the baseline for the added latency. A "forwarded stream" is one
publisher's video to one subscriber. Loopback charges packet delivery to the sender, so compare ratios.

The loss sweep (``--loss``, percent): every publisher's uplink loses that share of its RTP packets at
random, retransmissions included (tests/media/lossy_link.py, inside each publisher's peer connection);
publishers are a quarter of the streams at 16 (4 publishers, each watched by 4), an eighth at 64. Per
rate: frames delivered (median and worst subscriber, % of the 30 a second sent), the longest freeze (the
longest time any subscriber went without a frame in the window, its end included), freezes over 1 s,
capture→receipt p95 and what it adds to the direct link's p95 without loss, the server's CPU per stream.
bench/sfu_loss.py runs the issue's single-packet scenarios in one process, this code against a baseline.

``workers1`` / ``workers2``: the same briefing on one or two real ``mediaworker`` processes (Redis:
PHONGHOP_TEST_REDIS or REDIS_URL), sessions placed by load, so with two the streams cross between the
workers over the trunks (media/cluster.py); the CPU is the workers' together, signaling left out.

Janus: ``apt-get install janus``; the bench writes its own configuration (HTTP API on 127.0.0.1 only,
ICE on the loopback interface only, no STUN) into a temporary folder and starts ``janus`` with it.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "media")]

FPS = 30
TRAILER = b"PHTS"  # + float64 send time
CLIP_CACHE = Path(tempfile.gettempdir()) / "phonghop-bench-clip-480p-v2.json"
PER_PROCESS = 16


# The clip ------------------------------------------------------------------------------------------

def make_clip(frames: int = 90, width: int = 640, height: int = 480, bitrate: int = 1_000_000):
    """A 480p VP8 clip at ~1 Mbps: a moving picture with a noisy band, so the rate control spends its bits.
    With ``PHONGHOP_BENCH_CLIP=quiet``: a quiet 320×240 picture of ~400 bytes a frame, one RTP packet per
    frame (a still camera, a shared screen: the case of issue 19)."""
    from sfu_clients import Clip, clip

    if os.environ.get("PHONGHOP_BENCH_CLIP") == "quiet":
        return clip("VP8", 60, 320, 240, 100_000)
    if CLIP_CACHE.exists():
        data = json.loads(CLIP_CACHE.read_text())
        return Clip("VP8", [bytes.fromhex(h) for h in data["delta"]], [bytes.fromhex(h) for h in data["key"]])
    import fractions

    import av

    def encode(every_key: bool) -> list[bytes]:
        ctx = av.CodecContext.create("libvpx", "w")
        ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuv420p"
        ctx.time_base = fractions.Fraction(1, FPS)
        ctx.bit_rate = bitrate
        ctx.gop_size = 1 if every_key else 10_000
        ctx.qmax = 63
        ctx.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0", "error-resilient": "1",
                       "minrate": str(bitrate), "maxrate": str(bitrate), "bufsize": str(bitrate)}
        base = bytes(range(256)) * (width * height // 256 + 2)
        frame = av.VideoFrame(width, height, "yuv420p")
        out = []
        for i in range(frames):
            for n, plane in enumerate(frame.planes):
                shift = (i * 2 + n * 40) % 256
                body = bytearray(base[shift:shift + plane.buffer_size])
                band = plane.buffer_size // 1000  # tuned so that libvpx lands near 1 Mbps
                body[band:2 * band] = os.urandom(band)
                plane.update(bytes(body))
            frame.pts = i
            frame.pict_type = av.video.frame.PictureType.I if (every_key or i == 0) else av.video.frame.PictureType.NONE
            out += [bytes(p) for p in ctx.encode(frame)]
        out += [bytes(p) for p in ctx.encode(None)]
        return out[:frames]

    delta, key = encode(False), encode(True)
    CLIP_CACHE.write_text(json.dumps({"delta": [d.hex() for d in delta], "key": [k.hex() for k in key]}))
    return Clip("VP8", delta, key)


def timed_track(clip):
    """A ClipTrack whose frames carry their send time."""
    from sfu_clients import ClipTrack

    class Timed(ClipTrack):
        async def recv(self):
            packet = await super().recv()
            data = bytes(packet) + TRAILER + struct.pack("<d", time.time())
            timed = type(packet)(data)
            timed.pts, timed.time_base = packet.pts, packet.time_base
            return timed

    return Timed(clip)


# Signaling: JSON lines over TCP to our server, the relay and the direct publisher -----------------------

async def rpc_session(port: int, info: dict[str, Any]):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    async def send(frame: dict[str, Any]) -> None:
        writer.write((json.dumps({"info": info, "frame": frame}) + "\n").encode())
        await writer.drain()

    async def replies():
        while line := await reader.readline():
            yield json.loads(line)

    return send, replies(), writer


# Servers -----------------------------------------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def signaling_server(port: int, backend: Any) -> asyncio.AbstractServer:
    """JSON lines over TCP into a media backend, as the meeting socket would carry them."""
    from media.room import SessionInfo

    loop = asyncio.get_running_loop()

    async def client(reader, writer):
        info = None
        try:
            while line := await reader.readline():
                message = json.loads(line)
                info = SessionInfo.from_dict(message["info"])

                def send(frame, writer=writer):  # from the media thread, or this loop
                    loop.call_soon_threadsafe(writer.write, (json.dumps(frame) + "\n").encode())

                await backend.request(info, message["frame"], send)
        finally:
            if info is not None:
                await backend.leave(info)

    return await asyncio.start_server(client, "127.0.0.1", port)


async def serve_ours(port: int, own_thread: bool, lag_out: Path | None, max_videos: int = 1) -> None:
    from media.backend import InProcessBackend
    from media.room import MediaSettings

    backend = InProcessBackend(MediaSettings(max_videos=max_videos, max_audio=0), own_thread=own_thread)
    loop = asyncio.get_running_loop()
    server = await signaling_server(port, backend)
    lags: list[float] = []
    if lag_out is not None:
        loop.create_task(probe_lag(lags))
    print("ready", flush=True)
    try:
        async with server:
            await server.serve_forever()
    finally:
        if lag_out is not None:
            lag_out.write_text(json.dumps(lags))


async def serve_front(port: int, workers: list[str]) -> None:
    """What a Daphne process is to media workers (``workersN`` kinds): signaling only, through the channel
    layer; the forwarding and its CPU are in the worker processes, sessions placed by load."""
    from channels_redis.pubsub import RedisPubSubChannelLayer

    from media.backend import WorkerBackend

    redis_url, prefix = os.environ["REDIS_URL"], os.environ["CHANNEL_PREFIX"]
    backend = WorkerBackend(workers, layer=RedisPubSubChannelLayer(hosts=[redis_url], prefix=prefix),
                            redis_url=redis_url, prefix=prefix)

    server = await signaling_server(port, backend)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


def start_workers(count: int, folder: Path, max_videos: int = 1) -> tuple[list[subprocess.Popen], dict[str, str]]:
    """``count`` real ``manage.py mediaworker`` processes on Redis (PHONGHOP_TEST_REDIS or REDIS_URL)."""
    import uuid

    names = [f"bw{n}" for n in range(count)]
    env = dict(os.environ, REDIS_URL=os.environ.get("PHONGHOP_TEST_REDIS") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
               CHANNEL_PREFIX=f"phonghop-bench-{uuid.uuid4().hex[:8]}", PHONGHOP_MEDIA_WORKERS=",".join(names),
               SECRET_KEY=f"bench-{uuid.uuid4().hex}", PHONGHOP_DATA_DIR=str(folder), PHONGHOP_MEDIA_MAX_VIDEOS=str(max_videos),
               PHONGHOP_MEDIA_MAX_AUDIO="0", DJANGO_SETTINGS_MODULE="config.settings", PYTHONUNBUFFERED="1")
    env.pop("DATABASE_URL", None)
    log = open(folder / "workers.log", "ab")  # noqa: SIM115 - the children's
    workers = [subprocess.Popen([sys.executable, "manage.py", "mediaworker", "--name", name], cwd=REPO, env=env,
                                stdout=log, stderr=subprocess.STDOUT) for name in names]
    import redis

    client = redis.from_url(env["REDIS_URL"])
    deadline = time.monotonic() + 60
    while len(client.keys(f"{env['CHANNEL_PREFIX']}:mediaworker:*")) < count:
        if time.monotonic() > deadline:
            raise RuntimeError("media workers did not come up")
        time.sleep(0.3)
    return workers, env


async def probe_lag(lags: list[float], every: float = 0.01) -> None:
    """How late a 10 ms timer fires on this loop: what every socket frame handled on it waits at worst."""
    loop = asyncio.get_running_loop()
    while True:
        before = loop.time()
        await asyncio.sleep(every)
        lags.append((time.time(), max(0.0, loop.time() - before - every)))


async def serve_relay(port: int) -> None:
    """The floor: each subscriber gets the publisher's decoded frames re-encoded for it (aiortc's MediaRelay)."""
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
    from aiortc.contrib.media import MediaBlackhole, MediaRelay

    relay = MediaRelay()
    tracks: dict[int, Any] = {}
    arrived: dict[int, asyncio.Event] = {}
    pcs = []

    async def client(reader, writer):
        while line := await reader.readline():
            message = json.loads(line)
            info, frame = message["info"], message["frame"]
            if frame.get("action") != "offer":
                continue
            pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
            pcs.append(pc)
            offer = RTCSessionDescription(sdp=frame["sdp"], type="offer")
            if frame.get("publish"):
                @pc.on("track")
                def on_track(track, site=info["site"]):
                    tracks[site] = track
                    hole = MediaBlackhole()  # keeps the decoded frames flowing when nobody watches
                    hole.addTrack(relay.subscribe(track))
                    asyncio.ensure_future(hole.start())
                    arrived.setdefault(site, asyncio.Event()).set()

                await pc.setRemoteDescription(offer)
            else:
                site = frame["want"]
                await arrived.setdefault(site, asyncio.Event()).wait()
                await pc.setRemoteDescription(offer)
                for t in pc.getTransceivers():
                    if t.kind == "video":
                        t.sender.replaceTrack(relay.subscribe(tracks[site]))
                        t.direction = "sendonly"
            await pc.setLocalDescription(await pc.createAnswer())
            writer.write((json.dumps({"type": "media", "event": "answer", "sdp": pc.localDescription.sdp}) + "\n").encode())

    server = await asyncio.start_server(client, "127.0.0.1", port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


async def serve_direct(port: int, make_track: Callable[[], Any] | None = None) -> None:
    """No server: the publisher's process answers every subscriber with its own paced clip, a track from
    ``make_track`` (default: this bench's timed clip) on each video slot the offer has."""
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    from media.forwarding import on_keyframe_request

    if make_track is None:
        clip = make_clip()

        def make_track() -> Any:
            return timed_track(clip)

    pcs = []

    async def client(reader, writer):
        while line := await reader.readline():
            frame = json.loads(line)["frame"]
            if frame.get("action") != "offer":
                continue
            pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
            pcs.append(pc)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=frame["sdp"], type="offer"))
            for t in pc.getTransceivers():
                if t.kind == "video":
                    track = make_track()
                    t.sender.replaceTrack(track)
                    t.direction = "sendonly"
                    on_keyframe_request(t.sender, track.keyframe_requested)
            await pc.setLocalDescription(await pc.createAnswer())
            writer.write((json.dumps({"type": "media", "event": "answer", "sdp": pc.localDescription.sdp}) + "\n").encode())

    server = await asyncio.start_server(client, "127.0.0.1", port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


# Janus -----------------------------------------------------------------------------------------------

JANUS_CONF = """general: {{ configs_folder = "{conf}" plugins_folder = "/usr/lib/x86_64-linux-gnu/janus/plugins"
  transports_folder = "/usr/lib/x86_64-linux-gnu/janus/transports" events_folder = "/usr/lib/x86_64-linux-gnu/janus/events"
  loggers_folder = "/usr/lib/x86_64-linux-gnu/janus/loggers" debug_level = 3 admin_secret = "bench" protected_folders = [] }}
media: {{ rtp_port_range = "{rtp}" }}
nat: {{ ice_enforce_list = "lo" ice_ipv6 = false nice_debug = false }}
plugins: {{ disable = "libjanus_audiobridge.so,libjanus_echotest.so,libjanus_nosip.so,libjanus_recordplay.so,libjanus_sip.so,libjanus_streaming.so,libjanus_textroom.so,libjanus_videocall.so,libjanus_voicemail.so,libjanus_duktape.so,libjanus_lua.so" }}
transports: {{ disable = "libjanus_websockets.so,libjanus_pfunix.so,libjanus_mqtt.so,libjanus_rabbitmq.so,libjanus_nanomsg.so" }}
events: {{ broadcast = false }}
"""
JANUS_HTTP = """general: {{ json = "compact" base_path = "/janus" http = true port = {port} ip = "127.0.0.1" https = false }}
admin: {{ admin_base_path = "/admin" admin_http = false }}
"""
JANUS_VIDEOROOM = """general: {{ }}
"""


def janus_binary() -> str | None:
    return shutil.which("janus") or (os.path.exists("/usr/bin/janus") and "/usr/bin/janus") or None


def start_janus(port: int, folder: Path) -> subprocess.Popen:
    (folder / "janus.jcfg").write_text(JANUS_CONF.format(conf=folder, rtp="30000-39999"))
    (folder / "janus.transport.http.jcfg").write_text(JANUS_HTTP.format(port=port))
    (folder / "janus.plugin.videoroom.jcfg").write_text(JANUS_VIDEOROOM)
    log = open(folder / "janus.log", "wb")  # noqa: SIM115 - lives as long as the process
    janus = subprocess.Popen([janus_binary(), "-F", str(folder), "-C", str(folder / "janus.jcfg")],
                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # until its API answers
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/janus/info", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    return janus


class Janus:
    """Janus's HTTP API (one session per peer connection, long-polled for events), from asyncio."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}/janus"
        self.n = 0
        self.kept: list[asyncio.Future] = []  # the sessions' keepalives

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        self.n += 1
        body = {**body, "transaction": f"t{self.n}"}
        data = json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, headers={"Content-Type": "application/json"})
        return json.loads(await asyncio.to_thread(lambda: urllib.request.urlopen(request, timeout=30).read()))

    async def poll(self, session: int) -> dict[str, Any]:
        url = f"{self.base}/{session}?maxev=1"
        return json.loads(await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=60).read()))

    async def handle(self) -> tuple[int, int]:
        session = (await self.post("", {"janus": "create"}))["data"]["id"]
        handle = (await self.post(f"/{session}", {"janus": "attach", "plugin": "janus.plugin.videoroom"}))["data"]["id"]
        return session, handle

    async def message(self, session: int, handle: int, body: dict[str, Any], jsep: dict | None = None,
                      until_jsep: bool = False) -> dict[str, Any]:
        """Send a plugin request and wait for its event (``until_jsep``: the one that carries a JSEP, or an error)."""
        reply = await self.post(f"/{session}/{handle}", {"janus": "message", "body": body, **({"jsep": jsep} if jsep else {})})
        if reply.get("janus") == "success":
            return reply
        while True:
            event = await self.poll(session)
            if event.get("janus") == "event" and event.get("sender") == handle:
                data = event.get("plugindata", {}).get("data", {})
                if not until_jsep or "jsep" in event or "error" in data:
                    return event

    async def keepalive(self, session: int) -> None:
        while True:
            await asyncio.sleep(20)
            await self.post(f"/{session}", {"janus": "keepalive"})

    async def create_room(self) -> None:
        session, handle = await self.handle()
        await self.message(session, handle, {"request": "create", "room": ROOM, "publishers": 64, "videocodec": "vp8",
                                             "bitrate": 0, "fir_freq": 0, "audiocodec": "opus"})

    async def publish(self, site: int, offer: str) -> str:
        """Join the bench's room as publisher ``site`` with ``offer`` (video only); Janus's answer."""
        session, handle = await self.handle()
        self.kept.append(asyncio.ensure_future(self.keepalive(session)))
        await self.message(session, handle, {"request": "join", "ptype": "publisher", "room": ROOM, "id": site})
        event = await self.message(session, handle, {"request": "publish", "audio": False, "video": True},
                                   {"type": "offer", "sdp": offer}, until_jsep=True)
        assert "jsep" in event, event
        await self.post(f"/{session}/{handle}", {"janus": "trickle", "candidate": {"completed": True}})
        return event["jsep"]["sdp"]


ROOM = 4242


# Clients -----------------------------------------------------------------------------------------------

def site_of(n: int) -> int:
    return 100 + n


async def connect_publisher(port: int, janus: Janus | None, track: Any, info: dict[str, Any]) -> tuple[Any, Any]:
    """A peer connection sending ``track`` (VP8) as site ``info["site"]``, to Janus or to our server at
    ``port``: the connection, and the signaling socket to keep open (None for Janus)."""
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    from media import codecs
    from media.forwarding import on_keyframe_request

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    t = pc.addTransceiver(track, direction="sendonly")
    t.setCodecPreferences(codecs.preferences("video", "VP8"))
    on_keyframe_request(t.sender, track.keyframe_requested)
    await pc.setLocalDescription(await pc.createOffer())
    writer = None
    if janus:
        answer = await janus.publish(info["site"], pc.localDescription.sdp)
    else:
        send, replies, writer = await rpc_session(port, info)
        await send({"type": "media", "action": "offer", "sdp": pc.localDescription.sdp, "publish": True})
        answer = None
        async for reply in replies:
            if reply.get("event") == "answer":
                answer = reply["sdp"]
                break
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    return pc, writer


async def run_publishers(kind: str, port: int, count: int, seconds: float, loss: float = 0.0) -> None:
    clip = make_clip()
    pcs, tracks = [], []
    janus = Janus(port) if kind == "janus" else None
    if janus:
        await janus.create_room()
    for n in range(count):
        track = timed_track(clip)
        info = {"id": f"pub{n}", "meeting_id": 1, "user_id": n + 1, "site": site_of(n), "site_name": f"P{n}",
                "main_site": 0}
        pc, writer = await connect_publisher(port, janus, track, info)
        pcs.append(writer)
        if loss:
            from lossy_link import LossyLink

            LossyLink(pc).uplink.loss(loss / 100, seed=n)
        pcs.append(pc)
        tracks.append(track)
    print("ready", flush=True)
    await asyncio.sleep(seconds)
    sent = sum(t.index for t in tracks)
    print(json.dumps({"frames_sent": sent, "requests": sum(t.requests for t in tracks)}), flush=True)


async def run_subscribers(kind: str, port: int, first: int, count: int, publishers: int, warmup: float,
                          seconds: float) -> None:
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    from media import codecs
    from media.forwarding import tap_receiver

    janus = Janus(port) if kind == "janus" else None
    peers = []

    async def subscribe(n: int) -> dict[str, Any]:
        want = site_of((first + n) % publishers)
        stats = {"frames": 0, "latency": [], "first": None, "measuring": False, "measured": 0, "last": None,
                 "gaps": []}
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))

        def on_frame(codec: str, data: bytes, timestamp: int) -> None:
            now = time.time()
            if stats["first"] is None:
                stats["first"] = time.monotonic() - started
            stats["frames"] += 1
            if stats["measuring"]:
                stats["measured"] += 1
                stats["gaps"].append(time.monotonic() - (stats["last"] or began))
                stats["last"] = time.monotonic()
                if data[-12:-8] == TRAILER:
                    stats["latency"].append(now - struct.unpack("<d", data[-8:])[0])

        started = time.monotonic()
        if janus:
            session, handle = await janus.handle()
            asyncio.ensure_future(janus.keepalive(session))
            event = await janus.message(session, handle, {"request": "join", "ptype": "subscriber", "room": ROOM,
                                                          "streams": [{"feed": want}]})
            await pc.setRemoteDescription(RTCSessionDescription(sdp=event["jsep"]["sdp"], type="offer"))
            for t in pc.getTransceivers():
                stats.setdefault("assemblers", []).append(tap_receiver(t.receiver, t.kind, on_frame))
            await pc.setLocalDescription(await pc.createAnswer())
            await janus.message(session, handle, {"request": "start"}, {"type": "answer", "sdp": pc.localDescription.sdp})
            await janus.post(f"/{session}/{handle}", {"janus": "trickle", "candidate": {"completed": True}})
        else:
            t = pc.addTransceiver("video", direction="recvonly")
            t.setCodecPreferences(codecs.preferences("video", "VP8"))
            stats["assemblers"] = [tap_receiver(t.receiver, "video", on_frame)]
            await pc.setLocalDescription(await pc.createOffer())
            info = {"id": f"sub{first + n}", "meeting_id": 1, "user_id": 1000 + first + n, "site": 10_000 + first + n,
                    "site_name": "S", "main_site": 0}
            send, replies, writer = await rpc_session(port, info)
            await send({"type": "media", "action": "offer", "sdp": pc.localDescription.sdp, "want": want,
                        "view": [want]})
            async for reply in replies:
                if reply.get("event") == "answer":
                    stats["answered"] = time.monotonic() - started
                    await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))
                    break
            stats["writer"] = writer
        stats["pc"] = pc
        return stats

    began = time.monotonic() + 3600
    peers = await asyncio.gather(*(subscribe(n) for n in range(count)))
    await asyncio.sleep(warmup)
    began = time.monotonic()
    for p in peers:
        p["measuring"] = True
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - began
    ended = time.monotonic()
    for p in peers:
        p["measuring"] = False
        p["gaps"].append(ended - (p["last"] or began))  # a picture that stopped and never came back
    print(json.dumps({
        "fps": [p["measured"] / elapsed for p in peers],
        "first": [p["first"] for p in peers],
        "answered": [p.get("answered") for p in peers],
        "latency": [x for p in peers for x in p["latency"]],
        "longest": [max(p["gaps"]) for p in peers],
        # the subscribers' own reassembly (None on the baseline's): holes given up, packets repaired
        "sub_counters": [vars(a.counters) for p in peers for a in p.get("assemblers", [])
                         if a is not None and hasattr(a, "counters")],
        "freezes": [sum(g > 1.0 for g in p["gaps"]) for p in peers],
    }), flush=True)


# The orchestra -----------------------------------------------------------------------------------------

def spawn(*args: str) -> subprocess.Popen:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings", PYTHONUNBUFFERED="1")
    errors = open(Path(tempfile.gettempdir()) / "phonghop-bench-sfu.log", "ab")  # noqa: SIM115 - the child's
    return subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, stderr=errors,
                            env=env, cwd=REPO, text=True)


def wait_ready(process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.strip() == "ready":
            return
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
    raise RuntimeError(f"{process.args} not ready in {timeout} s")


def last_json(process: subprocess.Popen, timeout: float) -> dict[str, Any]:
    out, _ = process.communicate(timeout=timeout)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def one_run(kind: str, streams: int, publishers: int, seconds: float, warmup: float, lag: bool = False,
            loss: float = 0.0) -> dict[str, Any]:
    """One media server with ``publishers`` publishers and ``streams`` subscribers; its CPU over the window."""
    port = 20_000 + os.getpid() % 5000
    server = janus_folder = lag_file = None
    workers: list[subprocess.Popen] = []
    try:
        if kind.startswith("workers"):
            folder = Path(tempfile.mkdtemp(prefix="phonghop-workers-"))
            workers, env = start_workers(int(kind.removeprefix("workers")), folder)
            os.environ.update({k: env[k] for k in ("REDIS_URL", "CHANNEL_PREFIX", "PHONGHOP_MEDIA_WORKERS")})
            server = spawn("--role", "server", "--kind", kind, "--port", str(port))
            wait_ready(server)
        elif kind == "janus":
            janus_folder = Path(tempfile.mkdtemp(prefix="phonghop-janus-"))
            server = start_janus(port, janus_folder)
        else:
            args = ["--role", "server", "--kind", kind, "--port", str(port)]
            if lag:
                lag_file = Path(tempfile.mkstemp(suffix=".json")[1])
                args += ["--lag-file", str(lag_file)]
            server = spawn(*args)
            wait_ready(server)
        total = warmup + seconds + 5
        pubs = None
        if kind != "direct":
            pubs = spawn("--role", "publishers", "--kind", kind, "--port", str(port), "--count", str(publishers),
                         "--seconds", str(total + 30), "--loss", str(loss))
            wait_ready(pubs, 90)
        subs = []
        for first in range(0, streams, PER_PROCESS):
            subs.append(spawn("--role", "subscribers", "--kind", kind, "--port", str(port), "--first", str(first),
                              "--count", str(min(PER_PROCESS, streams - first)), "--publishers", str(publishers),
                              "--warmup", str(warmup), "--seconds", str(seconds)))
        time.sleep(warmup + 2)  # connected and past the first keyframes
        # The forwarding's CPU: the media server's process, or every worker's (the signaling front is not
        # counted: it is Daphne's part).
        measured = [w.pid for w in workers] or [server.pid]
        cpu0, t0, wall0 = sum(cpu_seconds(pid) for pid in measured), time.monotonic(), time.time()
        time.sleep(seconds - 2)
        cpu = (sum(cpu_seconds(pid) for pid in measured) - cpu0) / (time.monotonic() - t0)
        wall1 = time.time()
        results = [last_json(s, warmup + seconds + 120) for s in subs]
        fps = [x for r in results for x in r.get("fps", [])]
        first = [x for r in results for x in r.get("first", []) if x is not None]
        latency = [x for r in results for x in r.get("latency", [])]
        answered = [x for r in results for x in r.get("answered", []) if x is not None]
        longest = [x for r in results for x in r.get("longest", [])]
        freezes = [x for r in results for x in r.get("freezes", [])]
        counters = [c for r in results for c in r.get("sub_counters", [])]
        stop(pubs)
        lags = joining = None
        if lag_file is not None:
            stop(server)
            samples = json.loads(lag_file.read_text() or "[]")
            lags = [lag for at, lag in samples if wall0 <= at <= wall1]  # steady forwarding
            joining = [lag for at, lag in samples if at < wall0]  # while everyone connects
        return {
            "kind": kind, "streams": streams, "publishers": publishers, "cpu": cpu, "loss": loss,
            "longest_freeze": max(longest, default=None), "freezes_over_1s": sum(freezes),
            "sub_given_up": sum(c["freezes"] for c in counters), "sub_repaired": sum(c["repaired"] for c in counters),
            "received": len(fps), "fps_median": statistics.median(fps) if fps else 0, "fps_min": min(fps, default=0),
            "first_p50": percentile(first, 50), "first_max": max(first, default=None),
            "answer_p50": percentile(answered, 50), "answer_max": max(answered, default=None),
            "lat_p50": percentile(latency, 50), "lat_p95": percentile(latency, 95),
            "lag_p50": percentile(lags or [], 50), "lag_p99": percentile(lags or [], 99), "lag_max": max(lags or [0]),
            "join_lag_p99": percentile(joining or [], 99), "join_lag_max": max(joining or [0]),
        }
    finally:
        stop(server)
        for worker in workers:
            stop(worker)
        if lag_file is not None:
            lag_file.unlink(missing_ok=True)


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{model}, {os.cpu_count()} cores, Linux {platform.release()}, Python {platform.python_version()}"


def ms(x: float | None) -> str:
    return "–" if x is None else f"{1000 * x:.0f}"


def report(rows: list[dict[str, Any]], direct: dict[str, Any] | None) -> str:
    lines = ["| server | streams | CPU of its process | % of a core per stream | frames/s median (min) | "
             "first frame p50 / max ms | capture→receipt p50 / p95 ms | added vs direct p50 / p95 ms |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        added = "–"
        if direct and r["lat_p50"] is not None and direct["lat_p50"] is not None:
            added = f"{ms(r['lat_p50'] - direct['lat_p50'])} / {ms(r['lat_p95'] - direct['lat_p95'])}"
        lines.append(
            f"| {r['kind']} | {r['streams']} ({r['publishers']} pub.) | {100 * r['cpu']:.1f} % | "
            f"{100 * r['cpu'] / max(r['streams'], 1):.2f} | {r['fps_median']:.1f} ({r['fps_min']:.1f}) | "
            f"{ms(r['first_p50'])} / {ms(r['first_max'])} | {ms(r['lat_p50'])} / {ms(r['lat_p95'])} | {added} |")
    return "\n".join(lines)


def loss_report(rows: list[dict[str, Any]], direct: dict[str, Any] | None) -> str:
    lines = ["| server | loss | streams | frames delivered median (worst) | longest freeze s | freezes > 1 s | "
             "capture→receipt p95 ms | added p95 vs direct ms | % of a core per stream |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        added = "–"
        if direct and r["lat_p95"] is not None and direct["lat_p95"] is not None:
            added = ms(r["lat_p95"] - direct["lat_p95"])
        longest = "–" if r["longest_freeze"] is None else f"{r['longest_freeze']:.2f}"
        lines.append(
            f"| {r['kind']} | {r['loss']:g} % | {r['streams']} ({r['publishers']} pub.) | "
            f"{100 * r['fps_median'] / FPS:.0f} % ({100 * r['fps_min'] / FPS:.0f} %) | {longest} | "
            f"{r['freezes_over_1s']} | {ms(r['lat_p95'])} | {added} | {100 * r['cpu'] / max(r['streams'], 1):.2f} |")
    return "\n".join(lines)


def loss_sweep(args: argparse.Namespace) -> None:
    kinds = [k for k in args.kinds.split(",") if k != "direct"]
    if "janus" in kinds and not janus_binary():
        print("janus is not installed (apt-get install janus): left out", flush=True)
        kinds.remove("janus")
    direct = one_run("direct", 1, 1, args.seconds, args.warmup)
    print(json.dumps(direct), flush=True)
    rows = []
    for streams in [int(s) for s in args.steps.split(",")]:
        publishers = max(1, streams // (4 if streams <= 16 else 8))
        for rate in [float(x) for x in args.loss.split(",")]:
            for kind in kinds:
                r = one_run(kind, streams, publishers, args.seconds, args.warmup, loss=rate)
                print(json.dumps(r), flush=True)
                rows.append(r)
    print(f"\ndirect, no loss: capture→receipt p50 {ms(direct['lat_p50'])} ms, p95 {ms(direct['lat_p95'])} ms\n")
    print(loss_report(rows, direct))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--role", default="bench", choices=["bench", "server", "publishers", "subscribers"])
    parser.add_argument("--kind", default="ours-thread")
    parser.add_argument("--kinds", default="direct,ours-thread,relay,janus")
    parser.add_argument("--steps", default="1,16,32,64")
    parser.add_argument("--relay-steps", default="1,2,4")
    parser.add_argument("--publishers", type=int, default=2)
    parser.add_argument("--port", type=int)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=4)
    parser.add_argument("--lag", action="store_true", help="event-loop lag: ours on the server's loop vs its own thread")
    parser.add_argument("--lag-file")
    parser.add_argument("--max-videos", type=int, default=1, help="videos a subscriber may receive (server role)")
    parser.add_argument("--loss", help="percent lost on every publisher's uplink, a list: the loss sweep")
    args = parser.parse_args()

    if args.role != "bench":
        import django

        django.setup()
    if args.role == "server":
        lag = Path(args.lag_file) if args.lag_file else None
        if args.kind.startswith("workers"):
            coro = serve_front(args.port, os.environ["PHONGHOP_MEDIA_WORKERS"].split(","))
        elif args.kind in ("ours-thread", "ours-loop"):
            coro = serve_ours(args.port, args.kind == "ours-thread", lag, args.max_videos)
        elif args.kind == "relay":
            coro = serve_relay(args.port)
        else:
            coro = serve_direct(args.port)
        import signal

        loop = asyncio.new_event_loop()
        task = loop.create_task(coro)
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            loop.run_until_complete(task)
        except asyncio.CancelledError:
            pass
        return
    if args.role == "publishers":
        asyncio.run(run_publishers(args.kind, args.port, args.count, args.seconds, float(args.loss or 0)))
        return
    if args.role == "subscribers":
        asyncio.run(run_subscribers(args.kind, args.port, args.first, args.count, args.publishers, args.warmup,
                                    args.seconds))
        return

    make_clip()
    print(f"Run {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %z} on {machine()}.", flush=True)
    if args.loss:
        loss_sweep(args)
        return
    if args.lag:
        rows = []
        for kind in ("ours-loop", "ours-thread"):
            for streams in [int(s) for s in args.steps.split(",")]:
                r = one_run(kind, streams, args.publishers, args.seconds, args.warmup, lag=True)
                rows.append(r)
                print(f"{kind} {streams}: loop lag p50 {ms(r['lag_p50'])} p99 {ms(r['lag_p99'])} max {ms(r['lag_max'])} ms, "
                      f"joining p99 {ms(r['join_lag_p99'])} max {ms(r['join_lag_max'])} ms, CPU {100 * r['cpu']:.0f} %",
                      flush=True)
        print("\n| media server runs on | streams | signaling loop lag, forwarding: p50 / p99 / max ms | "
              "while all join: p99 / max ms | CPU |\n| --- | --- | --- | --- | --- |")
        for r in rows:
            where = "the server's loop" if r["kind"] == "ours-loop" else "a thread of its own"
            print(f"| {where} | {r['streams']} | {ms(r['lag_p50'])} / {ms(r['lag_p99'])} / {ms(r['lag_max'])} | "
                  f"{ms(r['join_lag_p99'])} / {ms(r['join_lag_max'])} | {100 * r['cpu']:.0f} % |")
        return

    rows, direct = [], None
    kinds = args.kinds.split(",")
    if "janus" in kinds and not janus_binary():
        print("janus is not installed (apt-get install janus): left out", flush=True)
        kinds.remove("janus")
    for kind in kinds:
        steps = [int(s) for s in (args.relay_steps if kind == "relay" else args.steps).split(",")]
        if kind == "direct":
            steps = [min(steps)]
        for streams in steps:
            r = one_run(kind, streams, 1 if kind == "direct" else min(args.publishers, streams), args.seconds, args.warmup)
            print(json.dumps(r), flush=True)
            rows.append(r)
            if kind == "direct":
                direct = r
    print()
    print(report(rows, direct))


if __name__ == "__main__":
    main()
