"""The socket's origin rule: browsers only from our own hosts; token programs without an Origin."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(30)]


@database_sync_to_async
def token_for(user):
    from accounts.models import ApiToken

    return ApiToken.issue(user, "test")[1]


async def connects(path: str, headers: list[tuple[bytes, bytes]]) -> bool:
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    await communicator.disconnect()
    return connected


async def test_a_page_on_another_site_cannot_open_the_meeting_socket(published, people):
    token = await token_for(people["hoa"])
    path = f"/ws/meetings/{published.pk}/?token={token}"
    assert not await connects(path, [(b"origin", b"http://evil.example")])
    assert await connects(path, [(b"origin", b"http://127.0.0.1:8000")])


async def test_a_program_with_a_token_needs_no_origin(published, people):
    token = await token_for(people["hoa"])
    assert await connects(f"/ws/meetings/{published.pk}/?token={token}", [])
    assert await connects(f"/ws/meetings/{published.pk}/", [(b"authorization", f"Bearer {token}".encode())])


async def test_without_origin_and_without_token_the_socket_stays_shut(published):
    assert not await connects(f"/ws/meetings/{published.pk}/", [])
