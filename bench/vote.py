"""bench/vote: N delegates connected by socket cast their ballots within one second.

Measures, on PostgreSQL and Redis: the time from sending ``vote.cast`` to its acknowledgement (p50 / p99
/ max), the server CPU per ballot, the time until the last ballot is acknowledged, the time until the
chair's live tally counts every ballot, and after the chair closes and announces the vote, the time until
the close (``vote.closed``) and the result (``vote.published``) reach every client; then counts the
ballots stored. PostgreSQL and Redis must be running (PHONGHOP_TEST_PG, PHONGHOP_TEST_REDIS).

    .venv/bin/python bench/vote.py --clients 1000 --processes 1
    .venv/bin/python bench/vote.py --clients 1000 --processes 2 --secret
    .venv/bin/python bench/vote.py --clients 1000 --processes 1 --compare --rounds 2

``--compare`` runs, in the same run and on the same meeting, a burst on the servers as they are and one
with ``PHONGHOP_BALLOT_BATCH=0`` (a ballot per transaction, as before ballots were batched), on fresh
servers each time, alternating which goes first from round to round; it prints each burst and the ratios.
On a shared machine only figures from the same run compare (docs/benchmarks.md). ``--db URL`` uses that
database, emptied, instead of creating a scratch database on the server of PHONGHOP_TEST_PG.
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
    emptied_db,
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


async def run_vote(urls: list[str], chair_url: str, item: int, window: float, server_pids: list[int],
                   on_burst: Any = None) -> dict:
    clients = [Voter(u, origin_of(u)) for u in urls]
    tasks, connect_s = await connect_all(clients)
    connected = [c for c in clients if c.ready.is_set()]
    chair = Voter(chair_url, origin_of(chair_url))
    tasks.append(asyncio.create_task(chair.run()))
    await asyncio.wait_for(chair.ready.wait(), 60)

    _t, reply = await chair.command(f"open-{item}", "vote.open", item_id=item)
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
        acked[i] = await c.command(f"cast-{item}-{i}", "vote.cast", item_id=item, choices=[rng.choice(choices)])

    # What the servers spend with the sockets open and nothing sent (a second), to tell from the ballots' cost.
    idle0 = [cpu_seconds(pid) for pid in server_pids]
    await asyncio.sleep(1.0)
    idle_ms = sum(cpu_seconds(pid) - a for pid, a in zip(server_pids, idle0, strict=True)) * 1000
    watcher = on_burst() if on_burst else None
    cpu0 = [cpu_seconds(pid) for pid in server_pids]
    t0 = time.perf_counter()
    await asyncio.gather(*(cast(i, c, rng.uniform(0, window)) for i, c in enumerate(connected)))
    cpu1 = [cpu_seconds(pid) for pid in server_pids]
    if watcher is not None:
        watcher()
    ok = [i for i, (_t, r) in acked.items() if r.get("ok") and r.get("item_id") == item]
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

    t_close = time.perf_counter()
    _t, reply = await chair.command(f"close-{item}", "vote.close", item_id=item)
    if not reply.get("ok"):
        raise SystemExit(f"vote.close refused: {reply}")
    t_publish = time.perf_counter()
    _t, reply = await chair.command(f"publish-{item}", "vote.publish", item_id=item)
    if not reply.get("ok"):
        raise SystemExit(f"vote.publish refused: {reply}")
    await wait_all(connected, "vote.published")
    closed_ms = [(c.events["vote.closed"] - t_close) * 1000 for c in connected if "vote.closed" in c.events]
    result_ms = [(c.events["vote.published"] - t_publish) * 1000 for c in connected if "vote.published" in c.events]
    # From the chair's close to the announced result (the tally with its decision) at every client.
    result_after_close = [(c.events["vote.published"] - t_close) * 1000 for c in connected
                          if "vote.published" in c.events]
    await close_all(tasks)
    return {
        "connected": len(connected), "connect_s": round(connect_s, 1),
        "ballots_sent": len(sent), "acknowledged": len(ok), "refused": len(refused),
        "send_window_s": round(last_sent - t0, 2),
        "ack": quantiles(ack_ms),
        "server_cpu_ms_per_ballot": round(sum(b - a for a, b in zip(cpu0, cpu1, strict=True)) * 1000 / max(1, len(ok)), 2),
        "server_cpu_idle_ms_per_s": round(idle_ms, 1),
        "all_acknowledged_after_s": round(last_ack - t0, 2),
        "chair_tally_complete_after_s": round(full - t0, 2) if full else None,
        "chair_tally_after_last_ack_ms": round((full - last_ack) * 1000, 1) if full else None,
        "chair_tally_frames": len(frames),
        "min_gap_between_tally_frames_ms": {"sent": round(min(gaps) * 1000, 1) if gaps else None,
                                            "received": round(min(arrival_gaps) * 1000, 1) if arrival_gaps else None},
        "closed_at_every_client_after_close": quantiles(closed_ms) if closed_ms else None,
        "result_reached_every_client": len(result_ms) == len(connected),
        "result_after_publish": quantiles(result_ms) if result_ms else None,
        "result_after_close": quantiles(result_after_close) if result_after_close else None,
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


MODES = {"batch": "1", "single": "0"}  # PHONGHOP_BALLOT_BATCH of the servers


def burst(args: argparse.Namespace, env: dict[str, str], data: dict, item: int, mode: str, db_url: str) -> dict:
    """One burst on fresh servers casting in ``mode``."""
    env = dict(env, PHONGHOP_BALLOT_BATCH=MODES[mode])
    ports, servers = start_daphnes(args.processes, env)
    try:
        urls = meeting_urls(ports, data["meeting"], data["tokens"])
        chair_url = meeting_urls(ports[:1], data["meeting"], [data["chair"]])[0]
        on_burst = (lambda: py_spy(args.py_spy, mode, item, [p.pid for p in servers])) if args.py_spy else None
        result = asyncio.run(run_vote(urls, chair_url, item, args.window, [p.pid for p in servers], on_burst))
        result["server_rss_mib"] = [round(rss_kib(p.pid) / 1024) for p in servers]
    finally:
        stop(servers)
    result["stored"] = stored(db_url, item)
    return {"mode": mode, "item": item, **result}


def py_spy(folder: str, mode: str, item: int, pids: list[int]):
    """Sample the servers during the burst (py-spy, installed apart: pip install py-spy); returns the stopper.
    Sampling costs CPU: figures from such a run are for finding where the time goes, not for the table."""
    import signal

    Path(folder).mkdir(parents=True, exist_ok=True)
    spies = [subprocess.Popen([str(ROOT / ".venv" / "bin" / "py-spy"), "record", "--pid", str(pid), "--rate", "250",
                               "--format", "raw", "--output", f"{folder}/{mode}-{item}-{pid}.txt", "--nonblocking"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for pid in pids]
    time.sleep(0.5)

    def stop_spies() -> None:
        for spy in spies:
            spy.send_signal(signal.SIGINT)
        for spy in spies:
            spy.wait(30)
    return stop_spies


def ratios(results: list[dict]) -> dict:
    """Batched against single, per round and over all rounds (medians of the rounds' figures)."""
    import statistics

    def figure(r: dict, name: str) -> float:
        return r["ack"]["p99_ms"] if name == "ack_p99_ms" else r[name]

    out: dict[str, Any] = {}
    for name in ("server_cpu_ms_per_ballot", "ack_p99_ms", "all_acknowledged_after_s"):
        pairs = []
        singles = [r for r in results if r["mode"] == "single"]
        batches = [r for r in results if r["mode"] == "batch"]
        for s, b in zip(singles, batches, strict=False):
            pairs.append(round(figure(s, name) / max(figure(b, name), 1e-9), 1))
        out[name] = {"single": [figure(r, name) for r in singles], "batch": [figure(r, name) for r in batches],
                     "single_over_batch": pairs,
                     "median_single_over_batch": statistics.median(pairs) if pairs else None}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--window", type=float, default=1.0, help="seconds over which the ballots are sent")
    parser.add_argument("--secret", action="store_true")
    parser.add_argument("--conn-max-age", type=int, default=0, help="DATABASE_CONN_MAX_AGE of the servers")
    parser.add_argument("--mode", choices=sorted(MODES), default="batch", help="how the servers cast (without --compare)")
    parser.add_argument("--compare", action="store_true", help="single and batch bursts in the same run")
    parser.add_argument("--rounds", type=int, default=1, help="with --compare: pairs of bursts")
    parser.add_argument("--db", help="use this (emptied) database instead of a scratch database")
    parser.add_argument("--py-spy", help="folder for py-spy samples of the servers during each burst")
    args = parser.parse_args()
    raise_file_limit()

    db_url = emptied_db(args.db) if args.db else scratch_db(PG, "phonghop_bench_vote")
    # A channel prefix of its own: other runs on the same Redis (bench/fanout) are left alone.
    env = dict(os.environ, DATABASE_URL=db_url, REDIS_URL=REDIS, CHANNEL_PREFIX=f"benchvote{os.getpid()}",
               PHONGHOP_DATA_DIR="/tmp/phonghop-bench-vote", DJANGO_SETTINGS_MODULE="config.settings",
               LOG_LEVEL="WARNING", DATABASE_CONN_MAX_AGE=str(args.conn_max_age), PHONGHOP_BALLOT_SECRET="ab" * 32)
    # Each round alternates which mode goes first, so a drift of the machine's load favours neither.
    order = [m for k in range(args.rounds) for m in (("single", "batch") if k % 2 == 0 else ("batch", "single"))] \
        if args.compare else [args.mode]
    print(f"setting up {args.clients} delegates, {len(order)} votes ...", flush=True)
    setup = subprocess.run([sys.executable, str(ROOT / "bench" / "vote_setup.py"), str(args.clients),
                            *(["--secret"] if args.secret else []), "--votes", str(len(order))],
                           env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    data = json.loads(setup.stdout)
    head = {"clients": args.clients, "processes": args.processes, "secret": args.secret,
            "conn_max_age": args.conn_max_age, "started": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "load_average_before": os.getloadavg()}
    results = []
    for mode, item in zip(order, data["items"], strict=True):
        print(f"burst: {mode} (vote {item}), load average {os.getloadavg()} ...", flush=True)
        result = burst(args, env, data, item, mode, db_url)
        result["load_average_after"] = os.getloadavg()
        results.append(result)
        print(json.dumps(result, ensure_ascii=False), flush=True)
    summary = {**head, "bursts": results}
    if args.compare:
        summary["ratios"] = ratios(results)
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    print("\n".join(markdown_rows(summary)))


def markdown_rows(summary: dict) -> list[str]:
    """The bursts as rows of docs/benchmarks.md's table (issue 14)."""
    rows = []
    for r in summary["bursts"]:
        ack, result = r["ack"], r.get("result_after_close") or {}
        s = r["stored"]
        stored = (f"{s['participations']} participations" + (f", {s['secret_ballots']} secret ballots" if summary["secret"] else "")
                  + (" (= acknowledged)" if s["participations"] == r["acknowledged"] else " (≠ acknowledged!)"))
        rows.append(f"| {summary['processes']} | {'secret' if summary['secret'] else 'named'} | {r['mode']} | "
                    f"{r['acknowledged']}/{r['ballots_sent']} in {r['send_window_s']} s | "
                    f"{ack['p50_ms']:,.0f} / {ack['p99_ms']:,.0f} / {ack['max_ms']:,.0f} ms | "
                    f"{r['all_acknowledged_after_s']} s | {r['server_cpu_ms_per_ballot']} ms | "
                    f"+{r['chair_tally_after_last_ack_ms']} ms | "
                    f"{result.get('p50_ms', '–')} / {result.get('p99_ms', '–')} / {result.get('max_ms', '–')} ms | "
                    f"{stored} |")
    return rows


if __name__ == "__main__":
    main()
