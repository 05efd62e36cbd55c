"""Exit 0 when the named service (postgres | redis | chromium | janus) is reachable for the tests."""

from __future__ import annotations

import os
import socket
import sys
from urllib.parse import urlparse


def reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def main(name: str) -> bool:
    if name == "postgres":
        return reachable(os.environ.get("PHONGHOP_TEST_PG", "postgres://127.0.0.1:5432/"), 5432)
    if name == "redis":
        return reachable(os.environ.get("PHONGHOP_TEST_REDIS", "redis://127.0.0.1:6379/"), 6379)
    if name == "chromium":
        return os.access("/usr/bin/chromium", os.X_OK)
    if name == "janus":  # Debian's package; the tests start their own Janus on a configuration of theirs
        # janus-tools' janus-pp-rec makes its recordings playable (media/janus/postprocess.py)
        return (os.access("/usr/bin/janus", os.X_OK) and os.path.isdir("/usr/lib/x86_64-linux-gnu/janus/plugins")
                and os.access("/usr/bin/janus-pp-rec", os.X_OK))
    raise SystemExit(f"unknown service {name}")


if __name__ == "__main__":
    sys.exit(0 if main(sys.argv[1]) else 1)
