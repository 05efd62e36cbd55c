"""The browser tests' Daphne: a real ASGI server on the test database (live_server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from live_server import DaphneServer


@pytest.fixture
def server(transactional_db) -> Iterator[DaphneServer]:
    daphne = DaphneServer().start()
    print(f"daphne on {daphne.url}, log: {daphne.log_path}")
    yield daphne
    daphne.stop()
