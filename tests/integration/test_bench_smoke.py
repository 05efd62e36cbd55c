"""The socket benches still run and still check what they claim: a small run of each (the full runs are
outside CI; docs/benchmarks.md). Needs PostgreSQL and Redis, like the benches themselves."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from daphne_cluster import PG, ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(240)]


def bench_output(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=220,
                          env={"PATH": "/usr/bin:/bin", "PHONGHOP_TEST_PG": PG, "PHONGHOP_TEST_REDIS":
                               "redis://127.0.0.1:6379/12"})
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def run_bench(*args: str) -> dict:
    """The first JSON object the bench prints (a bench may print more after it: a summary, table rows)."""
    out = bench_output(*args)
    return json.JSONDecoder().raw_decode(out, out.index("{"))[0]


def test_fanout_bench_delivers_every_move_to_every_socket_in_order():
    result = run_bench("bench/fanout.py", "--clients", "30", "--moves", "3", "--processes", "2")
    for side in ("phonghop", "floor"):
        r = result[side]
        assert (r["connected"], r["events"], r["deliveries"]) == (30, 3, 90)
        assert (r["missed"], r["out_of_order"], r["dropped"]) == (0, 0, 0)
    assert result["p99_ratio_to_floor"] > 0


def test_vote_bench_counts_every_ballot_once():
    # Both ways of casting (batched, and one by one: the benchmark's baseline), one burst each.
    out = bench_output("bench/vote.py", "--clients", "30", "--processes", "2", "--compare")
    bursts = [json.loads(line) for line in out.splitlines() if line.startswith('{"mode"')]
    assert sorted(b["mode"] for b in bursts) == ["batch", "single"], out[-2000:]
    for result in bursts:
        assert (result["connected"], result["ballots_sent"], result["acknowledged"], result["refused"]) == (30, 30, 30, 0)
        assert result["result_reached_every_client"] and result["out_of_order"] == 0
        assert result["stored"]["participations"] == 30 and result["stored"]["result_cast"] == 30


def test_reconnect_bench_brings_every_socket_back_at_the_last_seq():
    result = run_bench("bench/reconnect.py", "--clients", "30", "--spread", "1", "--db", "phonghop_bench_reconnect_ci")
    for side in ("phonghop", "floor"):
        opening, failover = result[side]["opening"], result[side]["failover"]
        assert (opening["ready"], failover["victims"], failover["back"], failover["dropped"]) == (30, 15, 15, 0)
    failover = result["phonghop"]["failover"]
    assert failover["all_at_last_seq"] and failover["at_last_seq"] == 30 and failover["gaps_or_repeats"] == 0
    assert result["failover_p99_ratio_to_floor"] > 0
