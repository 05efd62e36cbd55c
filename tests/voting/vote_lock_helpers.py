"""Helpers for the PostgreSQL lock tests of voting (test_vote_locks.py, test_vote_batch.py): a service call
in a thread of its own, and waiting until another transaction waits for a lock (observed, not timed)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


def in_thread(fn: Callable[..., Any], *args: Any) -> tuple[threading.Thread, dict[str, Any]]:
    """Run fn in a thread with its own database connection; the box holds its result or its exception."""
    from django.db import connection

    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn(*args)
        except BaseException as e:  # noqa: BLE001 - reported by the test
            box["error"] = e
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, box


def waiting_on_a_lock(count: int, seconds: float = 60.0) -> None:
    """Until ``count`` other backends wait for a lock (observed in pg_stat_activity; ``seconds`` only bounds
    a broken run)."""
    from django.db import connection

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                           "AND datname = current_database()")
            if cursor.fetchone()[0] >= count:
                return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} transactions ever waited for a lock")
