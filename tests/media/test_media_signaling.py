"""The briefing over the meeting socket: who gets media, chair controls, the floor, leaving.

The media server runs as in production's embedded default: in its own thread (media/backend.py);
the sites are aiortc peer connections signalled through ``media`` frames on the socket."""

from __future__ import annotations

import asyncio

import pytest
from rt_client import Client
from sfu_clients import LEAST_WAIT, Site, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]


async def media(client, action, **frame):
    await client.send({"type": "media", "action": action, **frame})


async def until_media(client, event, check=lambda f: True, seen=0):
    """The first media frame ``event`` passing ``check`` among the frames from index ``seen`` on,
    waiting for it if it has not come yet."""
    def wanted(f):
        return f["type"] == "media" and f.get("event") == event and check(f)

    for frame in client.frames[seen:]:
        if wanted(frame):
            return frame
    return await client.until(wanted)


async def join(client, site):
    """Offer over the socket, apply the answer, and keep feeding the site the socket's media frames."""
    await media(client, "offer", sdp=(await site.offer())["sdp"])
    answer = await client.until(lambda f: f["type"] == "media" and f.get("event") in ("answer", "error"))
    assert answer["event"] == "answer", answer
    await site.answer(answer["sdp"])
    return site


async def pump(client, site, predicate, timeout=LEAST_WAIT):
    """Read socket frames into ``site`` until ``predicate()`` holds (False after ``timeout`` seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            return False
        if not await client.nothing_pending():
            frame = await client.recv()
            if frame["type"] == "media":
                site.on_frame(frame)
        else:
            await asyncio.sleep(0.05)
    return True


async def test_sites_publish_and_receive_through_the_meeting_socket(briefing, units, connect, sites, backend):
    tuan = await connect("tuan", briefing)  # at the An Phú district site
    hoa = await connect("hoa", briefing)  # in the province hall
    district = sites(await join(tuan, Site("huyen", audio=True, slots=1)))
    hall = sites(await join(hoa, Site("tinh", video=False, slots=1, audio_slots=1)))
    site = units["district"].pk
    assert await pump(hoa, hall, lambda: hall.layout and hall.slot_of(site) and hall.total() >= 10)
    assert hall.layout["main_site"] == units["office"].pk, "the host unit's hall is the main site"
    assert {s["site"]: s["name"] for s in hall.layout["sites"]}[site] == "Huyện An Phú"
    assert hall.received[hall.slot_of(site)].first_keyframe
    assert district.total() == 0, "the hall publishes nothing here, so the district receives nothing"


async def test_a_non_participant_gets_no_media(briefing, app, tokens, connect, backend):
    # nam works in the host unit and sees the meeting in its calendar, but is not invited.
    nam = Client(app, briefing.pk, tokens["nam"])
    await nam.connect()
    assert await nam.close_code() == 4403
    assert backend.server is None or not backend.server.rooms, "no media session was made"


async def test_the_site_operator_joins_for_the_site(briefing, connect, sites, backend):
    operator = await connect("operator", briefing)  # not a participant: watches and runs the site's screen
    sites(await join(operator, Site("huyen", slots=1)))
    assert await wait_for(lambda: backend.server.rooms.get(briefing.pk) is not None, 2)


async def test_no_briefing_before_the_meeting_is_published(meeting, people, connect, sites):
    lan = await connect("lan", meeting)  # the secretary may open the draft's live room, not its briefing
    site = sites(Site("tinh", video=False))
    await media(lan, "offer", sdp=(await site.offer())["sdp"])
    error = await until_media(lan, "error")
    assert error["code"] == "not_open" and error["message"]


async def test_only_the_chair_or_secretary_controls_the_briefing(briefing, units, connect, sites):
    hoa, minh = await connect("hoa", briefing), await connect("minh", briefing)
    sites(await join(hoa, Site("tinh-hoa", video=False)), await join(minh, Site("tinh-minh", video=False)))
    district = units["district"].pk
    await media(hoa, "mute", site=district, muted=True)
    assert (await until_media(hoa, "error"))["code"] == "forbidden"
    await media(minh, "mute", site=district, muted=True)
    layout = await until_media(minh, "layout", lambda f: f["muted"] == [district])
    assert layout["you"]["site"] == units["office"].pk


async def test_giving_the_floor_to_a_delegate_spotlights_their_site(briefing, units, connect, sites):
    minh, tuan = await connect("minh", briefing), await connect("tuan", briefing)
    sites(await join(minh, Site("tinh", video=False)), await join(tuan, Site("huyen", slots=1)))
    district = units["district"].pk
    seen = len(minh.frames)
    await minh.ok("floor.give", participant_id=tuan.you["participant_id"])
    await until_media(minh, "layout", lambda f: f["spotlight"] == district, seen)
    seen = len(minh.frames)
    await minh.ok("floor.end_speaker")
    await until_media(minh, "layout", lambda f: f["spotlight"] is None, seen)


async def test_closing_the_socket_ends_the_session(briefing, connect, sites, backend):
    hoa = await connect("hoa", briefing)
    sites(await join(hoa, Site("tinh", video=False)))
    assert backend.server.rooms[briefing.pk].sessions
    await hoa.disconnect()
    assert await wait_for(lambda: briefing.pk not in backend.server.rooms, 5), "the last one out closes the room"


async def test_a_media_frame_needs_an_offer_first_and_a_known_action(briefing, connect):
    hoa = await connect("hoa", briefing)
    await media(hoa, "ice", candidate=None)
    assert (await until_media(hoa, "error"))["code"] == "no_session"
    seen = len(hoa.frames)
    await media(hoa, "dance")
    assert (await until_media(hoa, "error", seen=seen))["code"] == "bad_message"


async def test_the_meeting_ending_closes_the_briefing(briefing, connect, sites, backend):
    lan = await connect("lan", briefing)
    sites(await join(lan, Site("tinh", video=False)))
    seen = len(lan.frames)
    await lan.ok("meeting.end")
    await until_media(lan, "closed", seen=seen)
    assert await wait_for(lambda: briefing.pk not in backend.server.rooms, 2)




async def test_a_connected_remote_site_counts_as_online_attendance(briefing, units, connect, sites):
    from rt_client import db

    from meetings.models import Attendance

    tuan = await connect("tuan", briefing)  # registered at the An Phú district site
    hoa = await connect("hoa", briefing)  # in the hall: the main site is not counted online
    sites(await join(tuan, Site("huyen", slots=1)), await join(hoa, Site("tinh", video=False)))

    def attendance():
        return {a.participant.user.username: (a.status, a.site_id)
                for a in Attendance.objects.filter(participant__meeting=briefing).select_related("participant__user")}

    seen = {}
    deadline = asyncio.get_running_loop().time() + LEAST_WAIT
    while "tuan" not in seen and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.1)
        seen = await db(attendance)()
    assert seen.get("tuan") == ("online", units["district"].pk)
    assert "hoa" not in seen
    event = await tuan.until(lambda f: f["type"] == "event" and f["event"] == "attendance.changed")
    assert event["data"]["attendance"] == "online"
