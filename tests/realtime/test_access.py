"""Who may open the meeting socket, and the close codes of those who may not."""

import pytest
from channels.testing import WebsocketCommunicator
from rt_client import Client, db

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(30)]


async def refused_with(client: Client) -> int | None:
    await client.connect()
    return await client.close_code()


async def test_anonymous_and_bad_tokens_are_told_to_sign_in(app, running):
    assert await refused_with(Client(app, running.pk, None)) == 4401
    assert await refused_with(Client(app, running.pk, "ph_not-a-real-token")) == 4401


async def test_host_unit_colleague_who_is_not_invited_is_refused(app, running, tokens):
    # nam sees the meeting in his unit's calendar, but the live room is for participants.
    assert await refused_with(Client(app, running.pk, tokens["nam"])) == 4403


async def test_people_who_cannot_see_the_meeting_get_not_found(app, running, tokens):
    assert await refused_with(Client(app, running.pk, tokens["thu"])) == 4404  # another department
    assert await refused_with(Client(app, running.pk + 1000, tokens["lan"])) == 4404


async def test_a_draft_is_open_to_its_editors_only(app, meeting, people, tokens, connect):
    from meetings.services import participants

    await db(participants.add_participant)(people["lan"], meeting, people["hoa"])
    assert await refused_with(Client(app, meeting.pk, tokens["hoa"])) == 4404
    lan = await connect("lan", meeting)
    assert lan.state["meeting"]["status"] == "draft"


@pytest.mark.parametrize("name, audience, roles", [
    ("minh", "editors", {"editor", "chair", "participant"}),
    ("lan", "editors", {"editor", "secretary", "participant"}),
    ("hanh", "editors", {"editor"}),  # administrator of the host unit
    ("root", "editors", {"editor"}),  # system administrator
    ("hoa", "members", {"participant"}),
    ("khach", "members", {"participant"}),
    ("tuan", "members", {"participant"}),
    ("operator", "members", {"site_operator"}),  # the An Phú remote site's screen
])
async def test_participants_and_organisers_get_in(running, connect, name, audience, roles):
    client = await connect(name, running)
    assert client.you["audience"] == audience
    assert set(client.you["roles"]) == roles
    assert client.state["meeting"]["id"] == running.pk


async def test_a_foreign_origin_is_refused_before_the_socket_opens(app, running, tokens):
    comm = WebsocketCommunicator(app, f"/ws/meetings/{running.pk}/?token={tokens['hoa']}",
                                 headers=[(b"origin", b"https://evil.example")])
    connected, _ = await comm.connect(timeout=5)
    assert not connected


async def test_a_removed_participant_is_shown_the_door(running, people, connect):
    from meetings.services import participants

    binh = await connect("binh", running)
    lan = await connect("lan", running)
    pid = binh.you["participant_id"]
    await db(participants.remove_participant)(people["lan"], running, pid)
    await lan.until(lambda f: f.get("event") == "participant.removed")
    # binh gets the event that removes him, then the socket closes.
    await binh.until(lambda f: f.get("event") == "participant.removed")
    assert await binh.close_code() == 4403


async def test_a_replaced_chair_reconnects_with_the_delegates_view(running, people, connect):
    from meetings.services import meetings

    minh = await connect("minh", running)
    binh = await connect("binh", running)
    await db(meetings.update_meeting)(people["lan"], running, chair=people["binh"])
    # Both are told of the change, then asked to reconnect: their rights in the meeting changed.
    await minh.until(lambda f: f.get("event") == "meeting.updated")
    assert await minh.close_code() == 4409
    assert await binh.close_code() == 4409
    minh2 = await connect("minh", running)
    binh2 = await connect("binh", running)
    assert (minh2.you["audience"], binh2.you["audience"]) == ("members", "editors")
    assert "chair" in binh2.you["roles"]
