"""bench/briefing.py still runs and counts what it claims: a small briefing (4 sites, 2 publishers) on two
aiortc workers and on Janus, against the direct link, and one worker with half the sites to compare two
workers with at equal load (the 100-site run is in docs/benchmarks.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.redis, pytest.mark.janus, pytest.mark.timeout(300)]


def test_the_briefing_bench_serves_every_site_on_two_workers_and_on_janus():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["PHONGHOP_TEST_REDIS"] = os.environ.get("PHONGHOP_TEST_REDIS", "redis://127.0.0.1:6379/9")
    done = subprocess.run([sys.executable, "bench/briefing.py", "--sites", "4", "--publishers", "2", "--seconds", "3",
                           "--join", "5", "--warmup", "1", "--kinds", "direct,workers1@half,workers2,janus"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["direct"]["served"] == 1 and summary["direct"]["samples"] > 0
    rows = {r["kind"]: r for r in summary["summary"]}
    assert sorted(rows) == ["janus", "workers1@2", "workers2"]
    for row in rows.values():
        # Every site got both publishers' video and the sampled sites read capture stamps; the loss
        # figure itself is the bench's (a busy CI machine may drop a frame).
        sites = 2 if row["kind"] == "workers1@2" else 4
        assert (row["joined"], row["served"], row["streams"], row["failures"]) == (sites, sites, 2 * sites, []), row
        assert row["samples"] > 0 and row["processes"] == (2 if row["kind"] == "workers2" else 1)
    lines = done.stdout.splitlines()
    assert not [line for line in lines if line.endswith("what one carries")]  # needs workers1 with all 4 sites
    assert [line for line in lines if line.endswith("what one carries at the same load per worker (2 sites)")]
    assert "| workers2 | 4 (4) | 8 |" in done.stdout and "| workers1@2 | 2 (2) | 4 |" in done.stdout
