"""What ``/readyz`` checks: each dependency a request may need, answered "ok" or with what failed.

The database (one query), Redis when the deployment uses it (a PING), the files under the data directory
(a probe file written and removed: uploads, page images, meeting books live there) and the media backend
of video briefings (in this process, or ``phonghop mediaworker`` processes reached through Redis).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connections

CHECK_TIMEOUT = 3.0  # seconds for Redis to answer; a probe must not hang on a dead dependency


def database() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def redis() -> str:
    if not settings.REDIS_URL:
        return "not used"
    import redis as redis_client

    client = redis_client.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=CHECK_TIMEOUT,
                                         socket_timeout=CHECK_TIMEOUT)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def files() -> str:
    root = Path(settings.MEDIA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=root, prefix=".readyz-"):
        pass
    return "ok"


def media() -> str:
    if settings.PHONGHOP_MEDIA_BACKEND == "janus":
        return janus()
    if settings.PHONGHOP_MEDIA_BACKEND != "workers":
        return "ok"  # the media server runs inside this process
    if not settings.REDIS_URL:
        raise RuntimeError("PHONGHOP_MEDIA_BACKEND=workers needs REDIS_URL")
    return redis()  # the workers are reached through Redis


def janus() -> str:
    """At least one Janus answers its /info (placement leaves out those that do not)."""
    import urllib.request

    failures = []
    for url in settings.PHONGHOP_JANUS_URL:
        try:
            with urllib.request.urlopen(url.rstrip("/") + "/info", timeout=CHECK_TIMEOUT) as response:
                response.read()
            return "ok"
        except OSError as exc:
            failures.append(exc)
    raise failures[0] if failures else RuntimeError("PHONGHOP_MEDIA_BACKEND=janus needs PHONGHOP_JANUS_URL")


CHECKS: dict[str, Callable[[], str]] = {"database": database, "redis": redis, "files": files, "media": media}


def run() -> tuple[bool, dict[str, str]]:
    """(all ready?, per check "ok" / "not used" / "failed: <exception class>")."""
    results: dict[str, str] = {}
    ready = True
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # any failure is "not ready"; the class names it without leaking details
            ready = False
            results[name] = f"failed: {type(exc).__name__}"
    return ready, results
