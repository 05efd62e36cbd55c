"""bench/fanout: N authenticated sockets on one meeting; the chair moves the agenda M times.

Measures, per event and client, the time from the chair sending ``agenda.goto`` to the event's
arrival; checks that no client missed or reordered an event; memory per connection of the Daphne
processes; the servers' garbage-collector passes while the chair works (bench/gcwatch). In the same
run, the same client against a minimal ``websockets`` broadcast server (the floor). PostgreSQL and
Redis must be running (PHONGHOP_TEST_PG, PHONGHOP_TEST_REDIS). ``--profile FILE`` samples the first
Daphne process with py-spy while the chair works (collapsed stacks).

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
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import (
    ROOT,
    BenchSocket,
    close_all,
    connect_all,
    free_port,
    meeting_urls,
    origin_of,
    raise_file_limit,
    rss_kib,
    scratch_db,
    start_daphnes,
    stop,
    wait_port,
)

PG = os.environ.get("PHONGHOP_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("PHONGHOP_TEST_REDIS", "redis://127.0.0.1:6379/14")


class Delegate(BenchSocket):
    def __init__(self, url: str, origin: str):
        super().__init__(url, origin)
        self.received: list[tuple[int, float]] = []  # (seq, arrival)

    def on_event(self, msg: dict[str, Any], now: float) -> None:
        self.received.append((msg["seq"], now))


def gc_passes(log: Path, start: float, end: float) -> str:
    """The servers' garbage-collector passes over 5 ms while the chair moved the agenda (bench/gcwatch)."""
    passes = []
    for path in log.parent.glob(log.name + ".*"):
        for line in path.read_text().splitlines():
            at, generation, ms = line.split()
            if start <= float(at) <= end:
                passes.append(f"gen{generation}:{float(ms):.0f}ms")
    return " ".join(passes) or "none"


def summary(sockets: list[Delegate], sent: dict[int, float]) -> dict[str, Any]:
    latencies = sorted((t - sent[s]) * 1000 for c in sockets for s, t in c.received if s in sent)
    first: dict[int, float] = {}  # the first socket to get each event: the command's own cost
    last: dict[int, float] = {}
    for c in sockets:
        for s, t in c.received:
            if s in sent:
                first[s] = min(t, first.get(s, t))
                last[s] = max(t, last.get(s, t))
    order = {s: i for i, s in enumerate(sorted(sent))}
    # The moves whose last delivery came latest: move number, first and last arrival in ms after the command.
    slowest = sorted(((order[s], round((first[s] - sent[s]) * 1000), round((last[s] - sent[s]) * 1000))
                      for s in last), key=lambda x: -x[2])[:5]
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
    dropped = [c.closed for c in sockets if c.closed]
    return {
        "connected": sum(c.ready.is_set() for c in sockets), "events": len(sent), "deliveries": len(latencies),
        "missed": sum(len(sent) - len({s for s, _ in c.received if s in sent}) for c in sockets if c.ready.is_set()),
        "out_of_order": sum(len(c.errors) for c in sockets),
        "dropped": len(dropped), "dropped_reasons": sorted(set(dropped))[:5],
        "p50_ms": round(q[49], 1), "p99_ms": round(q[98], 1), "max_ms": round(latencies[-1], 1) if latencies else None,
        "first_arrival_median_ms": round(statistics.median(first[s] - sent[s] for s in first) * 1000, 1)
        if first else None,
        "slowest_moves_first_last_ms": " ".join(f"#{i}:{f}/{la}" for i, f, la in slowest),
    }


async def run_load(urls: list[str], chair_url: str, items: list[int], moves: int, interval: float = 0.6,
                   settle: float = 3.0, on_moves: Callable[[float], None] | None = None) -> dict[str, Any]:
    sockets = [Delegate(u, origin_of(u)) for u in urls]
    tasks, connect_s = await connect_all(sockets)
    chair = BenchSocket(chair_url, origin_of(chair_url))
    tasks.append(asyncio.create_task(chair.run()))
    await asyncio.wait_for(chair.ready.wait(), 60)
    # Delegates join before the chair starts: let the server finish the connect storm (presence frames,
    # the garbage collector's passes over the new connections) before the first move is timed.
    await asyncio.sleep(settle)
    # The load client's own collector must not stall the clock: its 1,000 connections are long-lived.
    gc.collect()
    gc.freeze()
    started = time.time()
    if on_moves is not None:
        on_moves(moves * interval)
    sent: dict[int, float] = {}
    item_cycle = itertools.cycle(items[1:] + items[:1])
    live = [c for c in sockets if c.ready.is_set()]
    for i in range(moves):
        t0 = time.perf_counter()
        _at, reply = await chair.command(f"m{i}", "agenda.goto", timeout=30, item_id=next(item_cycle))
        if not reply.get("ok"):
            raise SystemExit(f"command refused: {reply}")
        sent[reply["seq"]] = t0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(c.seq >= reply["seq"] for c in live if c.closed is None):
            await asyncio.sleep(0.005)
        # A chair moves the agenda at human pace; the server rate-limits faster command streams.
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - t0)))
    window = (started, time.time())
    result = summary(sockets, sent)
    await close_all(tasks)
    gc.unfreeze()
    return {**result, "connect_s": round(connect_s, 1), "moves_window": window}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--moves", type=int, default=50)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument("--profile", metavar="FILE", help="sample the first Daphne process with py-spy while the "
                                                          "chair moves the agenda; collapsed stacks to FILE")
    args = parser.parse_args()
    raise_file_limit()

    db_url = scratch_db(PG, "phonghop_bench")
    gc_log = Path(tempfile.mkdtemp(prefix="phonghop-bench-gc-")) / "gc"
    env = dict(os.environ, DATABASE_URL=db_url, REDIS_URL=REDIS, PHONGHOP_DATA_DIR="/tmp/phonghop-bench",
               DJANGO_SETTINGS_MODULE="config.settings", LOG_LEVEL="WARNING",
               PYTHONPATH=str(ROOT / "bench" / "gcwatch"), PHONGHOP_BENCH_GC_LOG=str(gc_log))
    subprocess.run(["redis-cli", "-u", REDIS, "flushdb"], check=False, capture_output=True)
    print(f"setting up {args.clients} delegates ...", flush=True)
    setup = subprocess.run([sys.executable, str(ROOT / "bench" / "fanout_setup.py"), str(args.clients)],
                           env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    data = json.loads(setup.stdout)
    ports, servers = start_daphnes(args.processes, env)
    results: dict[str, Any] = {}
    try:
        base_rss = [rss_kib(p.pid) for p in servers]
        urls = meeting_urls(ports, data["meeting"], data["tokens"])
        chair_url = meeting_urls(ports[:1], data["meeting"], [data["chair"]])[0]
        profiler: list[subprocess.Popen] = []

        def profile(seconds: float) -> None:
            if args.profile:
                profiler.append(subprocess.Popen(
                    [str(ROOT / ".venv" / "bin" / "py-spy"), "record", "-p", str(servers[0].pid), "-d",
                     str(int(seconds)), "-r", "250", "-f", "raw", "--nonblocking", "-o", args.profile],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

        ours = asyncio.run(run_load(urls, chair_url, data["items"], args.moves, on_moves=profile))
        for p in profiler:
            p.wait(60)
        ours["rss_per_connection_kib"] = round(
            (sum(rss_kib(p.pid) for p in servers) - sum(base_rss)) / max(1, ours["connected"]), 1)
        ours["server_gc_passes_during_moves"] = gc_passes(gc_log, *ours.pop("moves_window"))
        results["phonghop"] = ours
    finally:
        stop(servers)
    if not args.no_floor:
        port = free_port()
        floor = subprocess.Popen([sys.executable, str(ROOT / "bench" / "floor_server.py"), str(port)], cwd=ROOT,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_port(port, floor)
            base = rss_kib(floor.pid)
            url = f"ws://127.0.0.1:{port}/"
            theirs = asyncio.run(run_load([url] * args.clients, url, data["items"], args.moves))
            theirs.pop("moves_window")
            theirs["rss_per_connection_kib"] = round((rss_kib(floor.pid) - base) / args.clients, 1)
            results["floor"] = theirs
        finally:
            stop([floor])
        results["p99_ratio_to_floor"] = round(results["phonghop"]["p99_ms"] / max(0.1, results["floor"]["p99_ms"]), 2)
    print(json.dumps({"clients": args.clients, "moves": args.moves, "processes": args.processes, **results}, indent=2))


if __name__ == "__main__":
    main()
