"""bench/fanout: N authenticated sockets on one meeting; the chair moves the agenda M times.

Measures, per event and client, the time from the chair sending ``agenda.goto`` to the event's
arrival; checks that no client missed or reordered an event; memory per connection of the Daphne
processes. In the same run, the same client against a minimal ``websockets`` broadcast server (the
floor). PostgreSQL and Redis must be running (PHONGHOP_TEST_PG, PHONGHOP_TEST_REDIS).

    .venv/bin/python bench/fanout.py --clients 1000 --moves 50 --processes 1
    .venv/bin/python bench/fanout.py --clients 2000 --moves 50 --processes 2
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import websockets

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("PHONGHOP_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("PHONGHOP_TEST_REDIS", "redis://127.0.0.1:6379/14")
DB_NAME = "phonghop_bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def scratch_db() -> str:
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    parsed = urlparse(PG)
    return parsed._replace(path=f"/{DB_NAME}").geturl()


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server on {port} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server on {port} did not start")


def gc_passes(log: Path, start: float, end: float) -> str:
    """The servers' garbage-collector passes over 5 ms while the chair moved the agenda (bench/gcwatch)."""
    passes = []
    for path in log.parent.glob(log.name + ".*"):
        for line in path.read_text().splitlines():
            at, generation, ms = line.split()
            if start <= float(at) <= end:
                passes.append(f"gen{generation}:{float(ms):.0f}ms")
    return " ".join(passes) or "none"


class Client:
    def __init__(self, url: str, origin: str):
        self.url, self.origin = url, origin
        self.received: list[tuple[int, float]] = []
        self.errors: list[str] = []
        self.ws = None
        self.ready = asyncio.Event()
        self.last_seq = 0
        self.closed: str | None = None

    async def run(self) -> None:
        try:
            await self._run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # recorded: a dropped client is a result, not a crash of the bench
            self.closed = f"{type(exc).__name__}: {exc}"[:120]

    async def _run(self) -> None:
        # No client pings: with thousands of sockets in one load process, a busy client loop would
        # time its own pings out and close sockets the server never dropped.
        async with websockets.connect(self.url, origin=self.origin, max_size=2**22, open_timeout=120,
                                      ping_interval=None) as ws:
            self.ws = ws
            await ws.send(json.dumps({"type": "hello", "last_seq": 0}))
            async for raw in ws:
                now = time.perf_counter()
                msg = json.loads(raw)
                kind = msg.get("type")
                if kind in ("snapshot", "ready"):
                    self.last_seq = max(self.last_seq, msg.get("seq", 0))
                    if kind == "ready":
                        self.ready.set()
                elif kind == "event":
                    if msg["seq"] != self.last_seq + 1:
                        self.errors.append(f"gap/order: got {msg['seq']} after {self.last_seq}")
                    self.last_seq = msg["seq"]
                    self.received.append((msg["seq"], now))
                elif kind == "reply":
                    fut = self.replies.pop(msg.get("id"), None) if hasattr(self, "replies") else None
                    if fut and not fut.done():
                        fut.set_result(msg)


async def run_load(urls: list[str], chair_url: str, items: list[int], moves: int, origin_of,
                   interval: float = 0.6, on_moves=None, settle: float = 3.0) -> dict:
    clients = [Client(u, origin_of(u)) for u in urls]
    sem = asyncio.Semaphore(100)

    async def start(c: Client):
        async with sem:
            task = asyncio.create_task(c.run())
            await asyncio.wait([task, asyncio.create_task(c.ready.wait())], return_when=asyncio.FIRST_COMPLETED)
            return task

    t_connect = time.perf_counter()
    tasks = await asyncio.gather(*(start(c) for c in clients))
    connected = sum(c.ready.is_set() for c in clients)
    connect_s = time.perf_counter() - t_connect
    chair = Client(chair_url, origin_of(chair_url))
    chair.replies = {}
    chair_task = asyncio.create_task(chair.run())
    await asyncio.wait_for(chair.ready.wait(), 60)
    # Delegates join before the chair starts: let the server finish the connect storm (presence frames,
    # the garbage collector's passes over the new connections) before the first move is timed.
    await asyncio.sleep(settle)
    # The load client's own collector must not stall the clock: its 1,000 connections are long-lived.
    gc.collect()
    gc.freeze()
    moves_started = time.time()
    if on_moves is not None:
        on_moves(moves * interval)
    sent: dict[int, float] = {}
    item_cycle = itertools.cycle(items[1:] + items[:1])
    for i in range(moves):
        fut = asyncio.get_running_loop().create_future()
        cid = f"m{i}"
        chair.replies[cid] = fut
        t0 = time.perf_counter()
        await chair.ws.send(json.dumps({"type": "command", "id": cid, "name": "agenda.goto",
                                        "args": {"item_id": next(item_cycle)}}))
        reply = await asyncio.wait_for(fut, 30)
        if not reply.get("ok"):
            raise SystemExit(f"command refused: {reply}")
        seq = reply["seq"]
        sent[seq] = t0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(
                c.last_seq >= seq for c in clients if c.ready.is_set() and c.closed is None):
            await asyncio.sleep(0.005)
        # A chair moves the agenda at human pace; the server rate-limits faster command streams.
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - t0)))
    latencies = [(t - sent[s]) * 1000 for c in clients for s, t in c.received if s in sent]
    # The first socket to get each event: the command's own cost (database, publish) before the fan-out.
    first: dict[int, float] = {}
    for c in clients:
        for s, t in c.received:
            if s in sent and (s not in first or t < first[s]):
                first[s] = t
    first_ms = sorted((first[s] - sent[s]) * 1000 for s in first)
    last: dict[int, float] = {}
    for c in clients:
        for s, t in c.received:
            if s in sent and t > last.get(s, 0):
                last[s] = t
    # The events whose last delivery came latest: (first arrival, last arrival) in ms after the command.
    order = {s: i for i, s in enumerate(sorted(sent))}
    slowest = sorted(((order[s], round((first[s] - sent[s]) * 1000), round((last[s] - sent[s]) * 1000))
                      for s in last), key=lambda x: -x[2])[:5]
    missed = sum(len(sent) - len({s for s, _ in c.received if s in sent}) for c in clients if c.ready.is_set())
    errors = sum(len(c.errors) for c in clients)
    dropped = [c.closed for c in clients if c.closed]
    for t in [*tasks, chair_task]:
        t.cancel()
    await asyncio.gather(*tasks, chair_task, return_exceptions=True)
    latencies.sort()
    gc.unfreeze()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
    return {
        "connected": connected, "connect_s": round(connect_s, 1), "events": len(sent), "deliveries": len(latencies),
        "missed": missed, "out_of_order": errors, "dropped": len(dropped),
        "dropped_reasons": sorted(set(dropped))[:5], "p50_ms": round(q[49], 1), "p99_ms": round(q[98], 1),
        "max_ms": round(latencies[-1], 1) if latencies else None,
        "moves_window": (moves_started, time.time()),
        "first_arrival_median_ms": round(statistics.median(first_ms), 1) if first_ms else None,
        "slowest_events_move_first_last_ms": " ".join(f"#{i}:{f}/{la}" for i, f, la in slowest),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--moves", type=int, default=50)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument("--profile", metavar="FILE",
                        help="sample the (first) Daphne process with py-spy while the chair moves the agenda; "
                             "collapsed stacks to FILE")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    db_url = scratch_db()
    gc_log = Path(tempfile.mkdtemp(prefix="phonghop-bench-gc-")) / "gc"
    env = dict(os.environ, DATABASE_URL=db_url, REDIS_URL=REDIS, PHONGHOP_DATA_DIR="/tmp/phonghop-bench",
               DJANGO_SETTINGS_MODULE="config.settings", LOG_LEVEL="WARNING",
               PYTHONPATH=str(ROOT / "bench" / "gcwatch"), PHONGHOP_BENCH_GC_LOG=str(gc_log))
    subprocess.run(["redis-cli", "-u", REDIS, "flushdb"], check=False, capture_output=True)
    print(f"setting up {args.clients} delegates ...", flush=True)
    setup = subprocess.run([sys.executable, str(ROOT / "bench" / "fanout_setup.py"), str(args.clients)],
                           env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    data = json.loads(setup.stdout)
    ports = [free_port() for _ in range(args.processes)]
    servers = [subprocess.Popen([str(ROOT / ".venv" / "bin" / "daphne"), "-b", "127.0.0.1", "-p", str(p),
                                 "--websocket_connect_timeout", "60", "config.asgi:application"], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for p in ports]
    results = {}
    try:
        for port, proc in zip(ports, servers, strict=True):
            wait_port(port, proc)
        base_rss = [rss_kib(p.pid) for p in servers]
        mid = data["meeting"]
        urls = [f"ws://127.0.0.1:{ports[i % len(ports)]}/ws/meetings/{mid}/?token={tok}"
                for i, tok in enumerate(data["tokens"])]
        chair_url = f"ws://127.0.0.1:{ports[0]}/ws/meetings/{mid}/?token={data['chair']}"

        def origin(u: str) -> str:
            return "http://" + urlparse(u).netloc

        profiler: list[subprocess.Popen] = []

        def profile(seconds: float) -> None:
            if args.profile:
                profiler.append(subprocess.Popen(
                    [str(ROOT / ".venv" / "bin" / "py-spy"), "record", "-p", str(servers[0].pid), "-d",
                     str(int(seconds)), "-r", "250", "-f", "raw", "--nonblocking", "-o", args.profile],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

        results["phonghop"] = asyncio.run(run_load(urls, chair_url, data["items"], args.moves, origin,
                                                   on_moves=profile))
        for p in profiler:
            p.wait(60)
        rss = [rss_kib(p.pid) for p in servers]
        results["phonghop"]["rss_per_connection_kib"] = round(
            (sum(rss) - sum(base_rss)) / max(1, results["phonghop"]["connected"]), 1)
        results["phonghop"]["server_gc_passes_during_moves"] = gc_passes(gc_log, *results["phonghop"].pop("moves_window"))
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait(10)
    if not args.no_floor:
        port = free_port()
        floor = subprocess.Popen([sys.executable, str(ROOT / "bench" / "floor_server.py"), str(port)], cwd=ROOT,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_port(port, floor)
            base = rss_kib(floor.pid)
            url = f"ws://127.0.0.1:{port}/"
            results["floor"] = asyncio.run(run_load([url] * args.clients, url, data["items"], args.moves,
                                                    lambda u: "http://127.0.0.1"))
            results["floor"].pop("moves_window")
            results["floor"]["rss_per_connection_kib"] = round((rss_kib(floor.pid) - base) / args.clients, 1)
        finally:
            floor.terminate()
            floor.wait(10)
        results["p99_ratio_to_floor"] = round(results["phonghop"]["p99_ms"] / max(0.1, results["floor"]["p99_ms"]), 2)
    print(json.dumps({"clients": args.clients, "moves": args.moves, "processes": args.processes, **results}, indent=2))


if __name__ == "__main__":
    main()
