"""What a process remembers to open sockets quickly (entry facts per meeting and seq, snapshots per seq,
replayed events) never lets in someone the database would refuse: each story first warms everything
with sockets open, then changes the database through the services, then (re)opens sockets.
Tokens are never remembered between batches (realtime/auth.py), so their refusals hold at once."""

import asyncio

import pytest
from rt_client import Client, db

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(30)]


async def refused_with(app, meeting, raw: str) -> int | None:
    client = Client(app, meeting.pk, raw)
    await client.connect()
    return await client.close_code()


def _issue(user) -> tuple:
    from accounts.models import ApiToken

    return ApiToken.issue(user, "test")


async def test_a_revoked_token_is_refused_while_its_other_sockets_reopen_together(app, running, people, connect):
    from accounts import services

    token, raw = await db(_issue)(people["hoa"])
    _other, kept = await db(_issue)(people["hoa"])
    first = await Client(app, running.pk, raw).open(0)
    await connect("binh", running)  # the meeting's facts, snapshot and seq are warm
    await db(services.revoke_token)(people["hoa"], token)
    # Sockets opening in one batch: the revoked token's are refused, the same person's other token gets in.
    revoked = [Client(app, running.pk, raw) for _ in range(3)]
    valid = [Client(app, running.pk, kept) for _ in range(3)]
    await asyncio.gather(*(c.connect() for c in revoked + valid))
    assert [await c.close_code() for c in revoked] == [4401] * 3
    for c in valid:
        c.seq = first.seq
        await c.hello(first.seq)
        await c.disconnect()
    await first.disconnect()


async def test_a_new_password_ends_the_tokens_sockets_reopening(app, running, people, tokens, connect):
    hoa = await connect("hoa", running)
    await hoa.disconnect()

    def new_password():
        user = type(people["hoa"]).objects.get(pk=people["hoa"].pk)
        user.set_password("một mật khẩu mới 2026")
        user.save()

    await db(new_password)()
    assert await refused_with(app, running, tokens["hoa"]) == 4401


async def test_a_deactivated_person_is_refused(app, running, people, tokens, connect):
    await connect("tuan", running)

    def deactivate():
        user = type(people["tuan"]).objects.get(pk=people["tuan"].pk)
        user.is_active = False
        user.save()

    await db(deactivate)()
    assert await refused_with(app, running, tokens["tuan"]) == 4401


async def test_a_removed_participant_cannot_come_back(app, running, people, tokens, connect):
    from meetings.services import participants

    binh = await connect("binh", running)
    lan = await connect("lan", running)
    await db(participants.remove_participant)(people["lan"], running, binh.you["participant_id"])
    await binh.until(lambda f: f.get("event") == "participant.removed")
    assert await binh.close_code() == 4403
    # Reopening, with or without a seq, is refused; the meeting's facts are read again. (He is of another
    # unit: the meeting is not even visible to him any more.)
    assert await refused_with(app, running, tokens["binh"]) == 4404
    back = Client(app, running.pk, tokens["binh"])
    back.seq = lan.seq
    await back.connect()
    assert await back.close_code() == 4404
    # And added again, he is back in.
    await db(participants.add_participant)(people["lan"], running, people["binh"])
    again = await connect("binh", running)
    assert again.you["roles"] == ["participant"]


async def test_a_replaced_chair_reopens_with_the_new_rights(app, running, people, connect):
    from meetings.services import meetings

    minh = await connect("minh", running)
    await connect("binh", running)
    await db(meetings.update_meeting)(people["lan"], running, chair=people["binh"])
    assert await minh.close_code() == 4409
    # Reopening from the seq he had: his new audience and roles, never the cached ones.
    minh2 = await connect("minh", running, last_seq=minh.seq)
    binh2 = await connect("binh", running, last_seq=minh.seq)
    assert (minh2.you["audience"], "chair" in minh2.you["roles"]) == ("members", False)
    assert (binh2.you["audience"], "chair" in binh2.you["roles"]) == ("editors", True)
    # The members' replay carries no absence reasons; the snapshot is the members' one too.
    minh3 = await connect("minh", running)
    assert minh3.you["audience"] == "members"
    assert all("absence_reason" not in p for p in minh3.state["participants"])


async def test_a_site_operator_whose_site_leaves_the_meeting_is_refused(app, running, people, tokens, connect):
    from meetings.services import meetings

    operator = await connect("operator", running)
    assert operator.you["roles"] == ["site_operator"]
    await db(meetings.update_meeting)(people["lan"], running, remote_sites=[])
    assert await refused_with(app, running, tokens["operator"]) == 4404


async def test_a_site_operator_who_lost_the_role_is_refused(app, running, people, tokens, connect):
    operator = await connect("operator", running)
    await operator.disconnect()

    def demote():  # a change to the person, not to the meeting: no seq moves
        user = type(people["operator"]).objects.get(pk=people["operator"].pk)
        user.role = "delegate"
        user.save()

    await db(demote)()
    assert await refused_with(app, running, tokens["operator"]) == 4404


async def test_a_draft_reopened_after_its_guest_list_changed(app, meeting, people, tokens, connect):
    from meetings.services import meetings

    lan = await connect("lan", meeting)
    assert lan.state["meeting"]["status"] == "draft"
    assert await refused_with(app, meeting, tokens["hoa"]) == 4404
    await db(meetings.update_meeting)(people["lan"], meeting, secretary=people["hoa"])
    hoa = await connect("hoa", meeting)
    assert "secretary" in hoa.you["roles"]
    assert await refused_with(app, meeting, tokens["lan"]) == 4404  # no longer the secretary of a draft
