"""Helpers shared by the multi-process tests: real Daphne processes on a scratch PostgreSQL database."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ports import DAPHNE_OPTIONS, free_port, wait_for_port  # noqa: F401  (the tests here import them from here)

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG = os.environ.get("PHONGHOP_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("PHONGHOP_TEST_REDIS", "redis://127.0.0.1:6379/15")


def admin_sql(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(sql)
