"""Ports on 127.0.0.1 for the Daphne child processes the tests start: a free one to bind, and waiting
until the child listens on it. Used by tests/browser/live_server.py and tests/integration/daphne_cluster.py."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable

# What the tests' Daphne processes are started with, beside the address: the handshake timeout of
# ``phonghop start`` (config/cli.py). Daphne's default of 5 s drops handshakes that queue behind others on a
# busy machine, which production would have accepted.
DAPHNE_OPTIONS = ["--websocket_connect_timeout", "60"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, seconds: float = 60,
                  output: Callable[[], str] | None = None) -> None:
    """Return once 127.0.0.1:``port`` accepts connections; RuntimeError if ``proc`` exits first or
    ``seconds`` pass. ``output()`` is what the child wrote, for the error; without it, the end of the
    child's stderr pipe once it has exited."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            said = output() if output else proc.stderr.read().decode()[-2000:]
            raise RuntimeError(f"daphne on {port} exited with {proc.returncode}: {said}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    said = f":\n{output()}" if output else ""
    raise RuntimeError(f"daphne on {port} did not start listening within {seconds} s{said}")
