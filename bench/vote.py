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
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
from harness import (
    ROOT,
    BenchSocket,
    close_all,
    connect_all,
    meeting_urls,
    origin_of,
    quantiles,
    raise_file_limit,
    rss_kib,
    scratch_db,
    start_daphnes,
    stop,
)

PG = os.environ.get("PHONGHOP_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("PHONGHOP_TEST_REDIS", "redis://127.0.0.1:6379/13")


class Voter(BenchSocket):
    def __init__(self, url: str, origin: str):
        super().__init__(url, origin)
        self.events: dict[str, float] = {}  # vote event kind → arrival time
        self.tallies: list[tuple[float, dict]] = []

    def on_event(self, msg: dict[str, Any], now: float) -> None:
        if msg["event"].startswith("vote."):
            self.events.setdefault(msg["event"], now)

    def on_frame(self, msg: dict[str, Any], now: float) -> None:
        if msg.get("type") == "vote.tally":
            self.tallies.append((now, msg))


async def wait_all(clients: list[Voter], kind: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not all(kind in c.events for c in clients):
        await asyncio.sleep(0.005)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run_vote(urls: list[str], chair_url: str, item: int, window: float, server_pids: list[int]) -> dict:
    clients = [Voter(u, origin_of(u)) for u in urls]
    tasks, connect_s = await connect_all(clients)
    connected = [c for c in clients if c.ready.is_set()]
    chair = Voter(chair_url, origin_of(chair_url))
    tasks.append(asyncio.create_task(chair.run()))
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

    async def cast(i: int, c: Voter, delay: float) -> None:
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
    await close_all(tasks)
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
    raise_file_limit()

    db_url = scratch_db(PG, "phonghop_bench_vote")
    # A channel prefix of its own: other runs on the same Redis (bench/fanout) are left alone.
    env = dict(os.environ, DATABASE_URL=db_url, REDIS_URL=REDIS, CHANNEL_PREFIX=f"benchvote{os.getpid()}",
               PHONGHOP_DATA_DIR="/tmp/phonghop-bench-vote", DJANGO_SETTINGS_MODULE="config.settings",
               LOG_LEVEL="WARNING", DATABASE_CONN_MAX_AGE=str(args.conn_max_age), PHONGHOP_BALLOT_SECRET="ab" * 32)
    print(f"setting up {args.clients} delegates ...", flush=True)
    setup = subprocess.run([sys.executable, str(ROOT / "bench" / "vote_setup.py"), str(args.clients),
                            *(["--secret"] if args.secret else [])],
                           env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    data = json.loads(setup.stdout)
    ports, servers = start_daphnes(args.processes, env)
    try:
        urls = meeting_urls(ports, data["meeting"], data["tokens"])
        chair_url = meeting_urls(ports[:1], data["meeting"], [data["chair"]])[0]
        result = asyncio.run(run_vote(urls, chair_url, data["item"], args.window, [p.pid for p in servers]))
        result["server_rss_mib"] = [round(rss_kib(p.pid) / 1024) for p in servers]
    finally:
        stop(servers)
    result["stored"] = stored(db_url, data["item"])
    print(json.dumps({"clients": args.clients, "processes": args.processes, "secret": args.secret,
                      "conn_max_age": args.conn_max_age, **result}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
