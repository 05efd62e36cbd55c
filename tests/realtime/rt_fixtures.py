"""Meeting-socket fixtures shared by the realtime and media tests (imported by their conftest.py): the
ASGI application, an API token per person of the cast, and ``socket_clients``, the body of their
``connect`` fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from rt_client import Client


@pytest.fixture
def app():
    from config.asgi import application

    return application


@pytest.fixture
def tokens(people):
    from accounts.models import ApiToken

    return {name: ApiToken.issue(user, "test")[1] for name, user in people.items()}


@asynccontextmanager
async def socket_clients(app, tokens) -> AsyncIterator:
    """Yields connect(name, meeting) → an open, resumed Client for that person (hello=False: connected
    only). All are closed at the end, and pending presence broadcasts are awaited, so no database work
    outlives the test."""
    from realtime import presence

    opened: list[Client] = []

    async def connect(name: str | None, meeting, *, last_seq: int = 0, application=None, hello=True) -> Client:
        client = Client(application or app, meeting.pk, tokens[name] if name else None)
        opened.append(client)
        if hello:
            await client.open(last_seq)
        else:
            await client.connect()
        return client

    yield connect
    for client in opened:
        try:
            await client.disconnect()
        except Exception:
            pass
    await presence.hub().drain()
