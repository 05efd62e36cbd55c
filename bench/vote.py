"""bench/vote: N delegates connected by socket cast their ballots within one second.

Measures, on PostgreSQL and Redis: the time from sending ``vote.cast`` to its acknowledgement (p50 / p99
/ max), the time until the last ballot is acknowledged, the time until the chair's live tally counts every
ballot, and after the chair closes and announces the vote, the time until the result (``vote.published``)
reaches every client; then counts the ballots stored. PostgreSQL and Redis must be running
(PHONGHOP_TEST_PG, PHONGHOP_TEST_REDIS).

    .venv/bin/python bench/vote.py --clients 1000 --processes 1
    .venv/bin/python bench/vote.py --clients 1000 --processes 2 --secret
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import websockets

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("PHONGHOP_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("PHONGHOP_TEST_REDIS", "redis://127.0.0.1:6379/13")
DB_NAME = "phonghop_bench_vote"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


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


def scratch_db() -> str:
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    return urlparse(PG)._replace(path=f"/{DB_NAME}").geturl()


class Client:
    def __init__(self, url: str, origin: str):
        self.url, self.origin = url, origin
        self.ws = None
        self.ready = asyncio.Event()
        self.seq = 0
        self.replies: dict[str, asyncio.Future] = {}
        self.events: dict[str, float] = {}  # vote event kind → arrival time
        self.tallies: list[tuple[float, dict]] = []
        self.errors: list[str] = []

    async def run(self) -> None:
        async with websockets.connect(self.url, origin=self.origin, max_size=2**22, open_timeout=120,
                                      ping_interval=None) as ws:
            self.ws = ws
            await ws.send(json.dumps({"type": "hello", "last_seq": 0}))
            async for raw in ws:
                now = time.perf_counter()
                msg = json.loads(raw)
                kind = msg.get("type")
                if kind in ("snapshot", "ready"):
                    self.seq = max(self.seq, msg.get("seq", 0))
                    if kind == "ready":
                        self.ready.set()
                elif kind == "event":
                    if msg["seq"] != self.seq + 1:
                        self.errors.append(f"gap/order: got {msg['seq']} after {self.seq}")
                    self.seq = msg["seq"]
                    if msg["event"].startswith("vote."):
                        self.events.setdefault(msg["event"], now)
                elif kind == "vote.tally":
                    self.tallies.append((now, msg))
                elif kind == "reply":
                    fut = self.replies.pop(msg.get("id"), None)
                    if fut is not None and not fut.done():
                        fut.set_result((now, msg))

    async def command(self, cid: str, name: str, **args) -> tuple[float, dict]:
        fut = asyncio.get_running_loop().create_future()
        self.replies[cid] = fut
        await self.ws.send(json.dumps({"type": "command", "id": cid, "name": name, "args": args}))
        return await asyncio.wait_for(fut, 120)


def quantiles(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    q = statistics.quantiles(values, n=100) if len(values) > 1 else [values[0]] * 99
    return {"p50_ms": round(q[49], 1), "p99_ms": round(q[98], 1), "max_ms": round(values[-1], 1)}


async def wait_all(clients: list[Client], kind: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not all(kind in c.events for c in clients):
        await asyncio.sleep(0.005)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run_vote(urls: list[str], chair_url: str, item: int, origin_of, window: float,
                   server_pids: list[int]) -> dict:
    clients = [Client(u, origin_of(u)) for u in urls]
    sem = asyncio.Semaphore(100)

    async def start(c: Client):
        async with sem:
            task = asyncio.create_task(c.run())
            await asyncio.wait([task, asyncio.create_task(c.ready.wait())], return_when=asyncio.FIRST_COMPLETED)
            return task

    t_connect = time.perf_counter()
    tasks = await asyncio.gather(*(start(c) for c in clients))
    connect_s = time.perf_counter() - t_connect
    connected = [c for c in clients if c.ready.is_set()]
    chair = Client(chair_url, origin_of(chair_url))
    chair_task = asyncio.create_task(chair.run())
    await asyncio.wait_for(chair.ready.wait(), 60)

    _t, reply = await chair.command("open", "vote.open", item_id=item)
    if not reply.get("ok"):
        raise SystemExit(f"vote.open refused: {reply}")
    await wait_all(connected + [chair], "vote.opened")

    # The burst: every delegate casts once, at a random moment within the window.
    rng = random.Random(7)
    sent: dict[int, float] = {}
    acked: dict[int, tuple[float, dict]] = {}
    choices = ["for", "against", "abstain"]

    async def cast(i: int, c: Client, delay: float) -> None:
        await asyncio.sleep(delay)
        sent[i] = time.perf_counter()
        acked[i] = await c.command(f"cast-{i}", "vote.cast", item_id=item, choices=[rng.choice(choices)])

    cpu0 = [cpu_seconds(pid) for pid in server_pids]
    t0 = time.perf_counter()
    await asyncio.gather(*(cast(i, c, rng.uniform(0, window)) for i, c in enumerate(connected)))
    cpu1 = [cpu_seconds(pid) for pid in server_pids]
    ok = [i for i, (_t, r) in acked.items() if r.get("ok")]
    refused = [r for _t, r in acked.values() if not r.get("ok")]
    ack_ms = [(acked[i][0] - sent[i]) * 1000 for i in ok]
    last_sent = max(sent.values())
    last_ack = max(t for t, _r in acked.values())
    # The chair's live tally: the first frame that counts every ballot.
    deadline = time.monotonic() + 30
    full = None
    while time.monotonic() < deadline and full is None:
        full = next((t for t, f in chair.tallies if f.get("item_id") == item and f.get("voted") == len(ok)), None)
        await asyncio.sleep(0.01)
    frames = [(t, f) for t, f in chair.tallies if f.get("item_id") == item]
    # Spacing of the frames as the server sent them (their "at"), and as this client received them.
    sent_at = sorted(datetime.datetime.fromisoformat(f["at"]).timestamp() for _t, f in frames)
    gaps = [b - a for a, b in zip(sent_at, sent_at[1:], strict=False)]
    arrival_gaps = [b - a for (a, _f), (b, _g) in zip(frames, frames[1:], strict=False)]

    _t, reply = await chair.command("close", "vote.close", item_id=item)
    if not reply.get("ok"):
        raise SystemExit(f"vote.close refused: {reply}")
    t_publish = time.perf_counter()
    _t, reply = await chair.command("publish", "vote.publish", item_id=item)
    if not reply.get("ok"):
        raise SystemExit(f"vote.publish refused: {reply}")
    await wait_all(connected, "vote.published")
    result_ms = [(c.events["vote.published"] - t_publish) * 1000 for c in connected if "vote.published" in c.events]
    for t in [*tasks, chair_task]:
        t.cancel()
    await asyncio.gather(*tasks, chair_task, return_exceptions=True)
    return {
        "connected": len(connected), "connect_s": round(connect_s, 1),
        "ballots_sent": len(sent), "acknowledged": len(ok), "refused": len(refused),
        "send_window_s": round(last_sent - t0, 2),
        "ack": quantiles(ack_ms),
        "server_cpu_ms_per_ballot": round(sum(b - a for a, b in zip(cpu0, cpu1, strict=True)) * 1000 / max(1, len(ok)), 2),
        "all_acknowledged_after_s": round(last_ack - t0, 2),
        "chair_tally_complete_after_s": round(full - t0, 2) if full else None,
        "chair_tally_after_last_ack_ms": round((full - last_ack) * 1000, 1) if full else None,
        "chair_tally_frames": len(frames),
        "min_gap_between_tally_frames_ms": {"sent": round(min(gaps) * 1000, 1) if gaps else None,
                                            "received": round(min(arrival_gaps) * 1000, 1) if arrival_gaps else None},
        "result_reached_every_client": len(result_ms) == len(connected),
        "result_after_publish": quantiles(result_ms) if result_ms else None,
        "out_of_order": sum(len(c.errors) for c in clients),
    }


def stored(db_url: str, item: int) -> dict:
    with psycopg.connect(db_url) as conn:
        participations = conn.execute("SELECT count(*), coalesce(sum(weight), 0) FROM voting_participation "
                                      "WHERE item_id = %s", [item]).fetchone()
        secret = conn.execute("SELECT count(*) FROM voting_secretballot WHERE item_id = %s", [item]).fetchone()[0]
        result = conn.execute("SELECT result->>'cast', sentence FROM voting_votingitem WHERE id = %s",
                              [item]).fetchone()
    return {"participations": participations[0], "weight": participations[1], "secret_ballots": secret,
            "result_cast": int(result[0]) if result[0] else None, "sentence": result[1]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--window", type=float, default=1.0, help="seconds over which the ballots are sent")
    parser.add_argument("--secret", action="store_true")
    parser.add_argument("--conn-max-age", type=int, default=0, help="DATABASE_CONN_MAX_AGE of the servers")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    db_url = scratch_db()
    # A channel prefix of its own: other runs on the same Redis (bench/fanout) are left alone.
    env = dict(os.environ, DATABASE_URL=db_url, REDIS_URL=REDIS, CHANNEL_PREFIX=f"benchvote{os.getpid()}",
               PHONGHOP_DATA_DIR="/tmp/phonghop-bench-vote", DJANGO_SETTINGS_MODULE="config.settings",
               LOG_LEVEL="WARNING", DATABASE_CONN_MAX_AGE=str(args.conn_max_age), PHONGHOP_BALLOT_SECRET="ab" * 32)
    print(f"setting up {args.clients} delegates ...", flush=True)
    setup = subprocess.run([sys.executable, str(ROOT / "bench" / "vote_setup.py"), str(args.clients),
                            *(["--secret"] if args.secret else [])],
                           env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    data = json.loads(setup.stdout)
    ports = [free_port() for _ in range(args.processes)]
    servers = [subprocess.Popen([str(ROOT / ".venv" / "bin" / "daphne"), "-b", "127.0.0.1", "-p", str(p),
                                 "config.asgi:application"], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for p in ports]
    try:
        for port, proc in zip(ports, servers, strict=True):
            wait_port(port, proc)
        mid = data["meeting"]
        urls = [f"ws://127.0.0.1:{ports[i % len(ports)]}/ws/meetings/{mid}/?token={tok}"
                for i, tok in enumerate(data["tokens"])]
        chair_url = f"ws://127.0.0.1:{ports[0]}/ws/meetings/{mid}/?token={data['chair']}"

        def origin(u: str) -> str:
            return "http://" + urlparse(u).netloc

        result = asyncio.run(run_vote(urls, chair_url, data["item"], origin, args.window, [p.pid for p in servers]))
        result["server_rss_mib"] = [round(rss_kib(p.pid) / 1024) for p in servers]
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait(10)
    result["stored"] = stored(db_url, data["item"])
    print(json.dumps({"clients": args.clients, "processes": args.processes, "secret": args.secret,
                      "conn_max_age": args.conn_max_age, **result}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
