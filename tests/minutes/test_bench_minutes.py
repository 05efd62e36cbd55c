"""bench/minutes.py still runs and reports every step (a small meeting; the full run is in docs/benchmarks.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_minutes_bench_runs_small():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    done = subprocess.run([sys.executable, "bench/minutes.py", "--participants", "12", "--items", "3", "--votes",
                           "2", "--repeat", "1"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    for step in ("draft from the record", "PDF (reportlab)", "DOCX (python-docx)", "**total**", "baseline"):
        assert step in done.stdout, done.stdout
