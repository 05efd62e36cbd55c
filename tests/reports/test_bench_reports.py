"""bench/reports.py still runs and times every view (a tiny history on SQLite; the full run is in
docs/benchmarks.md, "Statistics")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_statistics_bench_runs_small():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    done = subprocess.run([sys.executable, "bench/reports.py", "--scale", "0.01", "--repeat", "1",
                           "--backends", "sqlite"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    (result,) = json.loads(done.stdout)
    assert result["meetings"] == 50 and result["participants"] == 2000
    for view in ("meetings", "members", "units", "kinds", "periods"):
        assert f"page_{view}" in result["figures"] and f"api_{view}_five_years" in result["figures"]
    assert "baseline_profile" in result["figures"] and "xlsx_meetings_five_years" in result["figures"]
