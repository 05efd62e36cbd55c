"""A province-wide briefing: 100 commune sites joining at once, each receiving the chair, the speaker and
four others, on one aiortc worker, on two workers sharing the briefing, and on Janus, in the same run.

    .venv/bin/python bench/briefing.py [--sites 100] [--publishers 6] [--fps 15] [--seconds 15]
                                       [--kinds direct,workers1@half,workers1,workers2,janus]

Light clients, so that 100 sites fit beside the servers on a small machine:
- Publishers (one process: the chair, the speaker, four others) send a pre-encoded 320×240 VP8 clip, one
  RTP packet a frame (a keyframe when asked), paced by the clock at ``--fps``, each frame stamped with
  its capture time after the VP8 data (forwarders pass it on byte for byte).
- Sites (two processes) do not decode and most do not even decrypt: their connection is real (ICE,
  DTLS, SRTP keys, RTCP), but the SRTP packets are counted from their RTP header, which SRTP leaves in
  the clear (stream, timestamp, end-of-frame mark). One site in ``--sample-every`` decrypts and reads
  the capture stamps: the latency figures are theirs.
- The client processes' CPU is not in the figures: the CPU is read from /proc for the media processes
  only (the worker processes, or Janus); the signaling front of ``workersN`` (Daphne's part) is left out
  too, as in bench/sfu.py.

Per kind: streams delivered (sites × publishers), frames lost (from each stream's RTP timestamps: the
frames between its first and last one in the window that never came, plus the window's time before its
first and after its last), capture→receipt p95 and what it adds to ``direct`` (the publisher's process
answering one site, no server), the time from the moment all sites start joining together until each
sees its first frame and all six, the CPU per forwarded stream, and what the kind would carry: streams
÷ the busiest media process's share of a core (a Python worker is one core; Janus's threads are not
bound to one, so its figure is its total's). Janus runs with the bench's own configuration (bench/sfu.py).

A worker's CPU per stream falls as its load grows (part of its cost does not grow with its sites: receiving
every publisher, its loop's ticks; and a busier loop handles more packets per wake-up), so
"carries" extrapolated from one worker with all 100 sites and from each of two workers with 50 compares
two loads. ``workers1@half`` (in the default kinds) adds one worker with half the sites, the load each of
the two carries, and the ratio at equal load is printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import sfu  # bench/sfu.py: the servers, Janus's API, the workers (puts the project on sys.path)
from sfu_clients import STAMP  # the capture stamp after each frame: + float64 capture time + uint32 index

SITE_PROCESSES = 2


def site_id(n: int) -> int:
    return 10_000 + n


def publisher_id(n: int) -> int:
    return sfu.site_of(n)


# Sites: what each one counts ------------------------------------------------------------------------------

class Stream:
    __slots__ = ("first_at", "frames", "first_ts", "last_ts", "window_first_at", "last_at")

    def __init__(self) -> None:
        self.first_at: float | None = None
        self.frames = 0
        self.first_ts = self.last_ts = None
        self.window_first_at: float | None = None
        self.last_at: float | None = None


class SiteCounter:
    """One site's video, from the RTP headers of what arrives: per stream (SSRC), its first packet and the
    frames that end in the window (the marked packet of each timestamp)."""

    def __init__(self, video_types: set[int], window: tuple[float, float]) -> None:
        self.video_types, self.window = video_types, window
        self.streams: dict[int, Stream] = {}
        self.latency: list[float] = []

    def packet(self, data: bytes) -> None:
        if len(data) < 12 or (data[1] & 0x7F) not in self.video_types:
            return  # RTX and anything else: not a frame of its own
        now = time.time()
        ssrc = int.from_bytes(data[8:12], "big")
        stream = self.streams.get(ssrc)
        if stream is None:
            stream = self.streams[ssrc] = Stream()
        if stream.first_at is None:
            stream.first_at = now
        if not data[1] & 0x80:
            return
        ts = int.from_bytes(data[4:8], "big")
        if not (self.window[0] <= now <= self.window[1]) or ts == stream.last_ts:
            return
        if stream.first_ts is None:
            stream.first_ts, stream.window_first_at = ts, now
        stream.last_ts = ts
        stream.frames += 1
        stream.last_at = now

    def frame(self, codec: str, data: bytes, timestamp: int) -> None:
        if data[-16:-12] == STAMP and self.window[0] <= time.time() <= self.window[1]:
            self.latency.append(time.time() - struct.unpack("<dI", data[-12:])[0])

    def lost(self, fps: int, expected_streams: int) -> tuple[int, int]:
        """(frames lost, frames expected) over the window, for the ``expected_streams`` this site should get."""
        start, end = self.window
        per_stream = round((end - start) * fps)
        step = 90_000 // fps
        lost = 0
        seen = [s for s in self.streams.values() if s.frames]
        for s in seen:
            span = (s.last_ts - s.first_ts) % 2**32 // step + 1
            head = max(0, round((s.window_first_at - start) * fps) - 1)
            tail = max(0, round((end - s.last_at) * fps) - 1)
            lost += max(0, span - s.frames) + head + tail
        lost += per_stream * max(0, expected_streams - len(seen))
        return lost, per_stream * max(expected_streams, len(seen))


def video_payload_types(sdp: str) -> set[int]:
    return {int(pt) for pt in re.findall(r"a=rtpmap:(\d+) VP8/90000", sdp)}


def count_headers(pc: Any, counter: SiteCounter, decrypt: bool) -> None:
    """Feed ``counter`` from ``pc``'s SRTP packets; unless ``decrypt``, skip SRTP and everything after it
    (a light site: its connection is real, the payloads are never touched)."""
    for transport in {id(t.receiver.transport): t.receiver.transport for t in pc.getTransceivers()}.values():
        _count_on(transport, counter, decrypt)


def _count_on(transport: Any, counter: SiteCounter, decrypt: bool) -> None:
    handle = transport._handle_rtp_data

    async def counted(data: bytes, arrival_time_ms: int) -> None:
        counter.packet(data)
        if decrypt:
            await handle(data, arrival_time_ms=arrival_time_ms)

    transport._handle_rtp_data = counted
    if not decrypt:
        setup = transport._setup_srtp

        class HeaderOnly:
            def __init__(self, real: Any) -> None:
                self.real = real

            def unprotect(self, data: bytes) -> bytes:
                return data

            def unprotect_rtcp(self, data: bytes) -> bytes:
                return self.real.unprotect_rtcp(data)

        def light_setup() -> None:
            setup()
            transport._rx_srtp = HeaderOnly(transport._rx_srtp)

        transport._setup_srtp = light_setup


async def run_sites(kind: str, port: int, first: int, count: int, publishers: int, fps: int, sample_every: int,
                    join: float, warmup: float, seconds: float) -> None:
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    from media import codecs
    from media.forwarding import tap_receiver

    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(4 * count + 8))  # Janus's long polls
    janus = sfu.Janus(port) if kind == "janus" else None
    feeds = [publisher_id(n) for n in range(publishers)]
    print("ready", flush=True)
    go = float((await asyncio.to_thread(sys.stdin.readline)).split()[1])
    window = (go + join + warmup, go + join + warmup + seconds)
    sites: list[dict[str, Any]] = []

    async def join_site(n: int) -> None:
        sampled = n % sample_every == 0
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        site: dict[str, Any] = {"n": n, "sampled": sampled, "pc": pc}
        sites.append(site)

        def tap(sdp: str) -> None:
            site["counter"] = counter = SiteCounter(video_payload_types(sdp), window)
            count_headers(pc, counter, decrypt=sampled)
            if sampled:
                for t in pc.getTransceivers():
                    tap_receiver(t.receiver, "video", counter.frame)

        if janus:
            session, handle = await janus.handle()
            site["keepalive"] = asyncio.ensure_future(janus.keepalive(session))
            event = await janus.message(session, handle, {"request": "join", "ptype": "subscriber", "room": sfu.ROOM,
                                                          "streams": [{"feed": f} for f in feeds]}, until_jsep=True)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=event["jsep"]["sdp"], type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
            tap(pc.localDescription.sdp)
            await janus.message(session, handle, {"request": "start"}, {"type": "answer", "sdp": pc.localDescription.sdp})
            await janus.post(f"/{session}/{handle}", {"janus": "trickle", "candidate": {"completed": True}})
        else:
            for _ in feeds:
                pc.addTransceiver("video", direction="recvonly").setCodecPreferences(codecs.preferences("video", "VP8"))
            await pc.setLocalDescription(await pc.createOffer())
            tap(pc.localDescription.sdp)
            info = {"id": f"site{first + n}", "meeting_id": 1, "user_id": 1000 + first + n, "site": site_id(first + n),
                    "site_name": f"Xã {first + n}", "main_site": publisher_id(0)}
            send, replies, site["writer"] = await sfu.rpc_session(port, info)
            await send({"type": "media", "action": "offer", "sdp": pc.localDescription.sdp, "view": feeds})
            async for reply in replies:
                if reply.get("event") == "answer":
                    await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))
                    break
                if reply.get("event") == "error":
                    raise RuntimeError(reply)
        site["joined"] = time.time() - go

    results = await asyncio.gather(*(join_site(n) for n in range(count)), return_exceptions=True)
    failures = [repr(r) for r in results if isinstance(r, BaseException)]
    await asyncio.sleep(max(0.0, window[1] - time.time()) + 0.5)
    out = []
    for site in sites:
        counter: SiteCounter | None = site.get("counter")
        streams = list(counter.streams.values()) if counter else []
        firsts = sorted(s.first_at - go for s in streams if s.first_at is not None)
        lost, expected = counter.lost(fps, publishers) if counter else (0, 0)
        out.append({"joined": site.get("joined"), "first": firsts[0] if firsts else None,
                    "all": firsts[publishers - 1] if len(firsts) >= publishers else None,
                    "streams": len(firsts), "lost": lost, "expected": expected,
                    # where a site lost much: each stream's frames, and its silence at the window's start and end
                    "detail": [[st.frames, round((st.window_first_at or counter.window[1]) - counter.window[0], 2),
                                round(counter.window[1] - (st.last_at or counter.window[0]), 2)]
                               for st in streams] if counter and expected and lost > expected / 20 else None,
                    "latency": counter.latency if counter else []})
    print(json.dumps({"sites": out, "failures": failures}), flush=True)
    for site in sites:
        await site["pc"].close()


async def run_publishers(kind: str, port: int, count: int, fps: int, seconds: float) -> None:
    from sfu_clients import ClipTrack, clip

    source = clip("VP8", 60, 320, 240, 100_000)
    janus = sfu.Janus(port) if kind == "janus" else None
    keep: list[Any] = []
    if janus:
        await janus.create_room()
    for n in range(count):
        track = ClipTrack(source, fps=fps, stamp=True)
        info = {"id": f"pub{n}", "meeting_id": 1, "user_id": n + 1, "site": publisher_id(n), "site_name": f"P{n}",
                "main_site": publisher_id(0), "roles": ["chair"] if n == 0 else []}
        pc, writer = await sfu.connect_publisher(port, janus, track, info)
        keep.append(writer)
        keep += [pc, track]
    print("ready", flush=True)
    await asyncio.sleep(seconds)


async def serve_direct(port: int, fps: int) -> None:
    """No server: this process answers a site's offer itself, a stamped clip on each of its video slots."""
    from sfu_clients import ClipTrack, clip

    source = clip("VP8", 60, 320, 240, 100_000)
    await sfu.serve_direct(port, lambda: ClipTrack(source, fps=fps, stamp=True))


# The orchestra -------------------------------------------------------------------------------------------

def spawn(*args: str, stdin: bool = False) -> subprocess.Popen:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings", PYTHONUNBUFFERED="1")
    errors = open(Path(tempfile.gettempdir()) / "phonghop-bench-briefing.log", "ab")  # noqa: SIM115 - the child's
    return subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, stderr=errors, env=env,
                            cwd=sfu.REPO, text=True, stdin=subprocess.PIPE if stdin else None)


def start_server(kind: str, port: int, fps: int, max_videos: int) -> tuple[list[subprocess.Popen], list[int]]:
    """The media server(s) of ``kind``: the processes to stop, and the ones whose CPU is the figure."""
    if kind == "direct":
        server = spawn("--role", "direct", "--port", str(port), "--fps", str(fps))
        sfu.wait_ready(server)
        return [server], [server.pid]
    if kind == "janus":
        server = sfu.start_janus(port, Path(tempfile.mkdtemp(prefix="phonghop-janus-")))
        return [server], [server.pid]
    if kind == "ours":
        server = sfu.spawn("--role", "server", "--kind", "ours-thread", "--port", str(port),
                           "--max-videos", str(max_videos))
        sfu.wait_ready(server)
        return [server], [server.pid]
    workers, env = sfu.start_workers(int(kind.removeprefix("workers")), Path(tempfile.mkdtemp(prefix="phonghop-workers-")),
                                     max_videos=max_videos)
    os.environ.update({k: env[k] for k in ("REDIS_URL", "CHANNEL_PREFIX", "PHONGHOP_MEDIA_WORKERS")})
    front = sfu.spawn("--role", "server", "--kind", kind, "--port", str(port))
    sfu.wait_ready(front)
    return [front, *workers], [w.pid for w in workers]


def one_run(kind: str, sites: int, publishers: int, fps: int, join: float, seconds: float, warmup: float,
            sample_every: int) -> dict[str, Any]:
    port = 24_000 + os.getpid() % 4000
    processes: list[subprocess.Popen] = []
    try:
        servers, measured = start_server(kind, port, fps, publishers)
        processes += servers
        if kind != "direct":
            pubs = spawn("--role", "publishers", "--kind", kind, "--port", str(port), "--count", str(publishers),
                         "--fps", str(fps), "--seconds", str(join + warmup + seconds + 60))
            processes.append(pubs)
            sfu.wait_ready(pubs, 90)
            time.sleep(2)  # every publisher's first frames reached the server
        groups = [(first, min(first + -(-sites // SITE_PROCESSES), sites))
                  for first in range(0, sites, -(-sites // SITE_PROCESSES))]
        clients = [spawn("--role", "sites", "--kind", kind, "--port", str(port), "--first", str(a), "--count", str(b - a),
                         "--publishers", str(publishers), "--fps", str(fps), "--sample-every", str(sample_every),
                         "--join", str(join), "--warmup", str(warmup), "--seconds", str(seconds), stdin=True) for a, b in groups]
        processes += clients
        for c in clients:
            sfu.wait_ready(c, 90)
        go = time.time()
        for c in clients:
            c.stdin.write(f"go {go}\n")
            c.stdin.flush()
        start = go + join + warmup
        time.sleep(max(0.0, start - time.time()))
        cpu0 = {pid: sfu.cpu_seconds(pid) for pid in measured}
        t0 = time.monotonic()
        time.sleep(seconds)
        span = time.monotonic() - t0
        shares = [(sfu.cpu_seconds(pid) - cpu0[pid]) / span for pid in measured]
        results = [sfu.last_json(c, seconds + 120) for c in clients]
        rows = [s for r in results for s in r.get("sites", [])]
        failures = [f for r in results for f in r.get("failures", [])]
        latency = [x for s in rows for x in s["latency"]]
        firsts = [s["first"] for s in rows if s["first"] is not None]
        alls = [s["all"] for s in rows if s["all"] is not None]
        lost, expected = sum(s["lost"] for s in rows), sum(s["expected"] for s in rows)
        worst = max((s["lost"] / s["expected"] for s in rows if s["expected"]), default=1.0)
        details = [s["detail"] for s in rows if s.get("detail")]
        streams = sum(s["streams"] for s in rows)
        return {
            "kind": kind, "sites": sites, "publishers": publishers, "fps": fps, "joined": len(rows),
            "failures": failures[:3], "streams": streams, "cpu": sum(shares), "cpu_busiest": max(shares),
            "processes": len(measured), "lost_pct": 100 * lost / expected if expected else 100.0,
            "worst_site_lost_pct": 100 * worst, "served": sum(1 for s in rows if s["streams"] >= publishers),
            "first_p50": sfu.percentile(firsts, 50), "first_max": max(firsts) if len(firsts) == len(rows) else None,
            "all_p50": sfu.percentile(alls, 50), "all_max": max(alls) if len(alls) == len(rows) else None,
            "lat_p50": sfu.percentile(latency, 50), "lat_p95": sfu.percentile(latency, 95), "samples": len(latency),
            "sites_losing_over_5pct": details[:5],
        }
    finally:
        for p in reversed(processes):
            sfu.stop(p)


def report(rows: list[dict[str, Any]], direct: dict[str, Any] | None) -> str:
    lines = ["| media server | sites served (of) | streams | frames lost (worst site) | capture→receipt p95 ms "
             "(added) | first frame p50 / all sites s | all six p50 / all sites s | CPU of its processes "
             "(busiest) | % of a core per stream | carries (streams) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]

    def s(x: float | None) -> str:
        return "–" if x is None else f"{x:.2f}"

    for r in rows:
        added = "–"
        if direct and r["lat_p95"] is not None and direct["lat_p95"] is not None:
            added = sfu.ms(r["lat_p95"] - direct["lat_p95"])
        per_stream = 100 * r["cpu"] / max(r["streams"], 1)
        carries = r["streams"] / r["cpu_busiest"] if r["cpu_busiest"] and r["kind"] != "janus" else (
            r["streams"] / r["cpu"] if r["cpu"] else 0)
        r["per_stream_pct"], r["carries"] = per_stream, carries
        lines.append(
            f"| {r['kind']} | {r['served']} ({r['sites']}) | {r['streams']} | {r['lost_pct']:.2f} % "
            f"({r['worst_site_lost_pct']:.1f} %) | {sfu.ms(r['lat_p95'])} ({added}) | {s(r['first_p50'])} / "
            f"{s(r['first_max'])} | {s(r['all_p50'])} / {s(r['all_max'])} | {100 * r['cpu']:.0f} % "
            f"({100 * r['cpu_busiest']:.0f} %) | {per_stream:.3f} | {carries:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--role", default="bench", choices=["bench", "direct", "publishers", "sites"])
    parser.add_argument("--kind", default="workers1")
    parser.add_argument("--kinds", default="direct,workers1@half,workers1,workers2,janus",
                        help="kind@N: that kind with N sites; kind@half: with half of --sites (workers1@half: one worker at "
                             "the load each of two carries)")
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--publishers", type=int, default=6, help="the chair, the speaker and four others")
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--sample-every", type=int, default=10, help="one site in so many decrypts: the latency")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--join", type=float, default=10, help="seconds allowed for joining before the warm-up")
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--port", type=int)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--count", type=int, default=1)
    args = parser.parse_args()

    if args.role != "bench":
        import django

        django.setup()
    if args.role == "sites":
        asyncio.run(run_sites(args.kind, args.port, args.first, args.count, args.publishers, args.fps,
                              args.sample_every, args.join, args.warmup, args.seconds))
        return
    if args.role == "publishers":
        asyncio.run(run_publishers(args.kind, args.port, args.count, args.fps, args.seconds))
        return
    if args.role == "direct":
        try:
            asyncio.run(serve_direct(args.port, args.fps))
        except KeyboardInterrupt:
            pass
        return

    kinds = args.kinds.split(",")
    if "janus" in kinds and not sfu.janus_binary():
        print("janus is not installed (apt-get install janus): left out", flush=True)
        kinds.remove("janus")
    print(f"Run {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %z} on {sfu.machine()}; {args.sites} sites, "
          f"{args.publishers} publishers at {args.fps} frames/s, {args.seconds:g} s measured.", flush=True)
    rows, direct = [], None
    for kind in kinds:
        if kind == "direct":
            direct = one_run("direct", 1, args.publishers, args.fps, args.join, args.seconds, args.warmup, 1)
            print(json.dumps(direct), flush=True)
            continue
        # "workers1@50", "workers1@half": that kind with another number of sites.
        name, _, count = kind.partition("@")
        sites = args.sites // 2 if count == "half" else int(count) if count else args.sites
        r = one_run(name, sites, args.publishers, args.fps, args.join, args.seconds, args.warmup, args.sample_every)
        r["kind"] = f"{name}@{sites}" if count else name
        rows.append(r)
        print(json.dumps(r), flush=True)
    print()
    if direct:
        print(f"direct (one site, no server): capture→receipt p50 {sfu.ms(direct['lat_p50'])} ms, "
              f"p95 {sfu.ms(direct['lat_p95'])} ms, frames lost {direct['lost_pct']:.2f} %\n")
    print(report(rows, direct))
    by = {r["kind"]: r for r in rows}
    if "janus" in by:
        for kind in ("workers1", "workers2", "ours"):
            if kind in by and by["janus"]["per_stream_pct"]:
                print(f"{kind}: CPU per stream {by[kind]['per_stream_pct'] / by['janus']['per_stream_pct']:.2f} × Janus's")
    if "workers1" in by and "workers2" in by and by["workers1"]["carries"]:
        print(f"two workers carry {by['workers2']['carries'] / by['workers1']['carries']:.2f} × what one carries")
    half = by.get(f"workers1@{args.sites // 2}")
    if half and "workers2" in by and half["carries"]:
        # Equal loads per worker (the module's docstring says why the ratio above is not).
        print(f"two workers carry {by['workers2']['carries'] / half['carries']:.2f} × what one carries "
              f"at the same load per worker ({args.sites // 2} sites)")
    print(json.dumps({"summary": rows, "direct": direct}), flush=True)


if __name__ == "__main__":
    main()
