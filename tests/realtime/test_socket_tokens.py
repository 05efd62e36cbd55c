"""A revoked or expired API token opens no meeting socket (4401, as for a bad token); a socket it
already opened stays open until it reconnects (docs/api.md, "Authentication")."""

import datetime as dt

import pytest
from django.utils import timezone
from rt_client import Client, db

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(30)]


def _issue(user):
    from accounts.models import ApiToken

    return ApiToken.issue(user, "test")


def _expire(token) -> None:
    from accounts.models import ApiToken

    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))


def _revoke(user, token) -> None:
    from accounts import services

    services.revoke_token(user, token)


async def close_code(app, meeting, raw: str) -> int | None:
    client = Client(app, meeting.pk, raw)
    await client.connect()
    return await client.close_code()


async def opened(app, meeting, raw: str) -> Client:
    return await Client(app, meeting.pk, raw).open(0)


@pytest.mark.parametrize("end", [_revoke, _expire], ids=["revoked", "expired"])
async def test_an_ended_token_opens_no_new_socket_but_the_open_one_stays(app, room, people, end):
    from realtime import presence

    token, raw = await db(_issue)(people["hoa"])
    hoa = await opened(app, room, raw)
    try:
        if end is _revoke:
            await db(_revoke)(people["hoa"], token)
        else:
            await db(_expire)(token)

        assert await close_code(app, room, raw) == 4401
        # The socket opened before goes on working until it reconnects.
        await hoa.ok("checkin", mode="in_person")
    finally:
        await hoa.disconnect()
        await presence.hub().drain()


async def test_another_token_of_the_same_person_still_opens_a_socket(app, room, people):
    from realtime import presence

    revoked, revoked_raw = await db(_issue)(people["hoa"])
    _kept, kept_raw = await db(_issue)(people["hoa"])
    await db(_revoke)(people["hoa"], revoked)

    assert await close_code(app, room, revoked_raw) == 4401
    hoa = await opened(app, room, kept_raw)
    try:
        assert hoa.you["audience"] == "members"
    finally:
        await hoa.disconnect()
        await presence.hub().drain()
