"""bench/reconnect: a mass (re)connect. Two Daphne processes (PostgreSQL + Redis), N sockets in one meeting.

1. **Opening**: the N sockets open spread over ``--spread`` seconds (a council opening the room at 8:00),
   alternately on the two processes: time until all are ``ready``, each socket's time from its start
   to ``ready``, and the servers' CPU per socket opened (user + system time of both processes).
2. **Failover**: the chair moves the agenda every ``--interval`` s (on the first process); the second
   process is killed with SIGKILL; each of its sockets reconnects to the first within a second (a random
   delay in [0, 1) s) with ``hello`` and its last seq: time from the kill until each is ``ready`` again
   (p50, p99, all). Then every socket must end at the chair's last seq, with no gap and no repeat.

In the same run, the same client against the floor (``bench/reconnect_floor.py``: two minimal servers
that read the token from PostgreSQL and answer a frame of the same size as ours, snapshot or replay).
``--before DIR`` also runs the project from another checkout (e.g. the main branch) first.

    .venv/bin/python bench/reconnect.py --clients 1000 --db wt18_reconnect [--before /work/main]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import websockets
from harness import ROOT, free_port, raise_file_limit, scratch_db, stop, wait_port

PG = os.environ.get("PHONGHOP_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("PHONGHOP_TEST_REDIS", "redis://127.0.0.1:6379/14")
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def quantiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None}
    values = sorted(values)
    # "inclusive": a p99 of a few hundred values never lies beyond the largest one.
    q = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else [values[0]] * 99
    return {"p50_ms": round(q[49] * 1000), "p99_ms": round(q[98] * 1000), "max_ms": round(values[-1] * 1000)}


class Member:
    """One socket that keeps its seq across connections and moves to ``fallback`` when its server dies."""

    def __init__(self, url: str, fallback: str | None):
        self.url, self.fallback = url, fallback
        self.seq = 0
        self.ready_at: list[float] = []
        self.ready = asyncio.Event()
        self.errors: list[str] = []
        self.closed: str | None = None
        self.snapshot_bytes = 0
        self.started = 0.0  # when its first connection began (perf_counter)
        self.replies: dict[str, asyncio.Future] = {}
        self.ws = None

    async def run(self) -> None:
        while True:
            try:
                await self._connection()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.fallback is None:
                    self.closed = f"{type(exc).__name__}: {exc}"[:120]
                    return
            # The server went away: back within a second, to the other process, with the seq we have.
            self.url, self.fallback = self.fallback, None
            self.ready.clear()
            await asyncio.sleep(random.random())

    async def _connection(self) -> None:
        async with websockets.connect(self.url, origin="http://" + self.url.split("/")[2], max_size=2**24,
                                      open_timeout=120, ping_interval=None) as ws:
            self.ws = ws
            await ws.send(json.dumps({"type": "hello", "last_seq": self.seq}))
            async for raw in ws:
                msg = json.loads(raw)
                kind = msg.get("type")
                if kind == "snapshot":
                    self.snapshot_bytes = max(self.snapshot_bytes, len(raw))
                    self.seq = max(self.seq, msg.get("seq", 0))
                elif kind == "ready":
                    self.seq = max(self.seq, msg.get("seq", 0))
                    self.ready_at.append(time.perf_counter())
                    self.ready.set()
                elif kind == "event":
                    if msg["seq"] != self.seq + 1:
                        self.errors.append(f"gap/order: got {msg['seq']} after {self.seq}")
                    self.seq = msg["seq"]
                elif kind == "reply":
                    fut = self.replies.pop(msg.get("id"), None)
                    if fut is not None and not fut.done():
                        fut.set_result(msg)
        raise ConnectionError("closed by the server")

    async def command(self, cid: str, name: str, **args: Any) -> dict[str, Any]:
        fut = asyncio.get_running_loop().create_future()
        self.replies[cid] = fut
        await self.ws.send(json.dumps({"type": "command", "id": cid, "name": name, "args": args}))
        return await asyncio.wait_for(fut, 30)


async def wait_all(members: list[Member], done, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(done(m) for m in members):
            return True
        await asyncio.sleep(0.01)
    return False


async def scenario(ports: list[int], pids: list[int], meeting: int, tokens: list[str], chair_token: str | None,
                   items: list[int], spread: float, interval: float, profile: str | None = None) -> dict[str, Any]:
    def url(port: int, token: str) -> str:
        return f"ws://127.0.0.1:{port}/ws/meetings/{meeting}/?token={token}"

    survivor, victim = ports
    members = [Member(url(ports[i % 2], t), url(survivor, t) if i % 2 else None) for i, t in enumerate(tokens)]
    chair = None
    tasks: list[asyncio.Task] = []
    if chair_token:
        chair = Member(url(survivor, chair_token), None)
        tasks.append(asyncio.create_task(chair.run()))
        await asyncio.wait_for(chair.ready.wait(), 60)

    # 1. Opening: socket i starts at i * spread / N.
    cpu0 = sum(cpu_seconds(p) for p in pids)
    t0 = time.perf_counter()
    starts: list[float] = []

    async def open_one(i: int, m: Member) -> None:
        await asyncio.sleep(max(0.0, t0 + i * spread / len(members) - time.perf_counter()))
        starts.append(time.perf_counter())
        m.started = starts[-1]
        await m.run()

    tasks += [asyncio.create_task(open_one(i, m)) for i, m in enumerate(members)]
    all_open = await wait_all(members, lambda m: m.ready_at or m.closed, spread + 180)
    opened_s = max((m.ready_at[0] for m in members if m.ready_at), default=t0) - t0
    await asyncio.sleep(2.0)  # the servers finish their follow-up work (presence frames) before CPU is read
    cpu_open = sum(cpu_seconds(p) for p in pids) - cpu0
    opening = {"all_ready": all_open, "ready": sum(bool(m.ready_at) for m in members),
               "all_ready_s": round(opened_s, 2),
               **{f"socket_{k}": v for k, v in quantiles([m.ready_at[0] - m.started for m in members
                                                         if m.ready_at]).items()},
               "server_cpu_ms_per_socket": round(cpu_open * 1000 / len(members), 2),
               "snapshot_bytes": max(m.snapshot_bytes for m in members)}

    # 2. Failover: the chair moves the agenda, the second process dies, its sockets come back on the first.
    moves: list[int] = []
    moving = True

    async def mover() -> None:
        i = 0
        while moving:
            reply = await chair.command(f"m{i}", "agenda.goto", item_id=items[i % len(items)])
            if reply.get("ok"):
                moves.append(reply["seq"])
            i += 1
            await asyncio.sleep(interval)

    mover_task = asyncio.create_task(mover()) if chair else None
    await asyncio.sleep(3 * interval)
    victims = [m for m in members if m.fallback is not None]
    cpu1 = cpu_seconds(pids[0])
    if profile:  # sample the survivor while the sockets come back (collapsed stacks)
        subprocess.Popen([str(ROOT / ".venv" / "bin" / "py-spy"), "record", "-p", str(pids[0]), "-d", "12", "-r", "200",
                          "-f", "raw", "--nonblocking", "-o", profile], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killed = time.perf_counter()
    os.kill(pids[1], signal.SIGKILL)
    back = await wait_all(victims, lambda m: len(m.ready_at) >= 2 or m.closed, 180)
    back_s = [m.ready_at[1] - killed for m in victims if len(m.ready_at) >= 2]
    cpu_back = cpu_seconds(pids[0]) - cpu1
    failover = {"victims": len(victims), "all_back": back, "back": len(back_s),
                **{f"kill_to_ready_{k}": v for k, v in quantiles(back_s).items()},
                "survivor_cpu_ms_per_reconnect": round(cpu_back * 1000 / max(1, len(back_s)), 2)}
    if chair:
        await asyncio.sleep(3 * interval)  # a few moves after everyone is back
        moving = False
        await mover_task
        last = moves[-1]
        caught_up = await wait_all(members, lambda m: m.seq >= last or m.closed, 60)
        failover.update({"moves": len(moves), "last_seq": last, "all_at_last_seq": caught_up,
                         "at_last_seq": sum(m.seq == last for m in members),
                         "gaps_or_repeats": sum(len(m.errors) for m in members)})
    dropped = [m.closed for m in [*members, *([chair] if chair else [])] if m.closed]
    failover.update({"dropped": len(dropped), "dropped_reasons": sorted(set(dropped))[:3]})
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"opening": opening, "failover": failover}


def start_servers(root: Path, env: dict[str, str], count: int = 2) -> tuple[list[int], list[subprocess.Popen]]:
    ports = [free_port() for _ in range(count)]
    servers = [subprocess.Popen([str(root / ".venv" / "bin" / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                                 "--websocket_connect_timeout", "60", "config.asgi:application"],
                                env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for port in ports]
    for port, proc in zip(ports, servers, strict=True):
        wait_port(port, proc)
    return ports, servers


def run_project(root: Path, db_name: str, clients: int, spread: float, interval: float,
                profile: str | None = None) -> dict[str, Any]:
    db_url = scratch_db(PG, db_name)
    env = dict(os.environ, DATABASE_URL=db_url, REDIS_URL=REDIS, PHONGHOP_DATA_DIR=f"/tmp/{db_name}",
               DJANGO_SETTINGS_MODULE="config.settings", LOG_LEVEL="WARNING", PYTHONPATH=str(root))
    subprocess.run(["redis-cli", "-u", REDIS, "flushdb"], check=False, capture_output=True)
    setup = subprocess.run([str(root / ".venv" / "bin" / "python"), str(root / "bench" / "fanout_setup.py"),
                            str(clients)], env=env, cwd=root, check=True, capture_output=True, text=True)
    data = json.loads(setup.stdout)
    ports, servers = start_servers(root, env)
    try:
        result = asyncio.run(scenario(ports, [s.pid for s in servers], data["meeting"], data["tokens"],
                                      data["chair"], data["items"], spread, interval, profile))
    finally:
        stop([s for s in servers if s.poll() is None])
    result["db_url"] = db_url
    return result


def run_floor(db_url: str, clients: int, spread: float, snapshot_bytes: int, replay_bytes: int) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(db_url) as conn:
        meeting = conn.execute("SELECT max(id) FROM meetings_meeting").fetchone()[0]
    tokens = [f"floor{i}" for i in range(clients)]
    with psycopg.connect(db_url, autocommit=True) as conn:  # the floor reads these keys' hashes
        import hashlib

        user = conn.execute("SELECT min(id) FROM accounts_user").fetchone()[0]
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO accounts_apitoken (user_id, name, key_hash, prefix, created_at, expires_at) "
                            "VALUES (%s, 'floor', %s, 'floor', now(), now() + interval '1 day')",
                            [(user, hashlib.sha256(t.encode()).hexdigest()) for t in tokens])
    ports = [free_port() for _ in range(2)]
    servers = [subprocess.Popen([sys.executable, str(ROOT / "bench" / "reconnect_floor.py"), str(p), db_url,
                                 str(snapshot_bytes), str(replay_bytes)], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for p in ports]
    try:
        for port, proc in zip(ports, servers, strict=True):
            wait_port(port, proc)
        return asyncio.run(scenario(ports, [s.pid for s in servers], meeting, tokens, None, [], spread, 0.5))
    finally:
        stop([s for s in servers if s.poll() is None])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--spread", type=float, default=10.0, help="seconds over which the sockets first open")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between the chair's moves")
    parser.add_argument("--db", default="phonghop_bench_reconnect", help="scratch database name (prefix)")
    parser.add_argument("--before", metavar="DIR", help="also run the project from this checkout, first")
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument("--profile", metavar="FILE", help="py-spy the survivor for 12 s from the kill (this branch)")
    parser.add_argument("--replay-bytes", type=int, default=10_000, help="the floor's answer to a hello with a seq")
    args = parser.parse_args()
    raise_file_limit()
    results: dict[str, Any] = {"clients": args.clients, "spread_s": args.spread}
    if args.before:
        before = run_project(Path(args.before), args.db + "_before", args.clients, args.spread, args.interval)
        before.pop("db_url")
        results["before"] = before
    ours = run_project(ROOT, args.db, args.clients, args.spread, args.interval, args.profile)
    db_url = ours.pop("db_url")
    results["phonghop"] = ours
    if args.no_floor:
        return print(json.dumps(results, indent=2))
    floor = run_floor(db_url, args.clients, args.spread, ours["opening"]["snapshot_bytes"], args.replay_bytes)
    results["floor"] = floor
    f, o = floor["failover"], ours["failover"]
    if f["kill_to_ready_p99_ms"] and o["kill_to_ready_p99_ms"]:
        results["failover_p99_ratio_to_floor"] = round(o["kill_to_ready_p99_ms"] / f["kill_to_ready_p99_ms"], 2)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
