"""The chair's controls and the speaker: mute stops forwarding a site's sound, spotlight changes what
the sites see, the loudest site becomes the speaker. Site 1 is the province hall (the main site)."""

from __future__ import annotations

import asyncio

import pytest
from sfu_clients import LEAST_WAIT, Site, info, join, wait_for

pytestmark = pytest.mark.timeout(60)


async def control(server, chair, **frame):
    replies = []
    await server.handle(chair, {"type": "media", **frame}, replies.append)
    return replies


async def quiet(count, still: float = 1.0, timeout: float = LEAST_WAIT) -> int | None:
    """``count()`` once it has not changed for ``still`` seconds; None if it keeps changing for ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline, last, since = loop.time() + timeout, count(), loop.time()
    while loop.time() < deadline:
        await asyncio.sleep(0.1)
        now = count()
        if now != last:
            last, since = now, loop.time()
        elif loop.time() - since >= still:
            return now
    return None


async def test_mute_stops_forwarding_that_sites_sound_and_unmute_brings_it_back(server, sites):
    chair = info(site=1, roles=["chair", "participant"], controls=True)
    district = sites(await join(server, Site("huyen", audio=True, loud=True, slots=0), info(site=2)))
    hall = sites(await join(server, Site("tinh", video=False, slots=1, audio_slots=1), chair))
    assert await wait_for(lambda: hall.total("audio") >= 10, 5)

    assert await control(server, chair, action="mute", site=2, muted=True) == []
    assert await wait_for(lambda: hall.layout["muted"] == [2] and hall.layout["audio"][0]["site"] is None, 2)
    # The sound stops: what was on the wire when the chair muted may still arrive, then nothing more. A
    # server that kept forwarding (50 packets a second) would never give a quiet second.
    heard = await quiet(lambda: hall.received[hall.layout["audio"][0]["mid"]].frames)
    assert heard is not None, "no sound from a muted site"
    assert hall.total("video") > 0, "its video still goes"
    assert district.layouts[-1]["you"]["muted"], "the site is told it is muted"

    await control(server, chair, action="mute", site=2, muted=False)
    assert await wait_for(lambda: hall.layout["audio"][0]["site"] == 2, 2)
    assert await wait_for(lambda: hall.received[hall.layout["audio"][0]["mid"]].frames > heard + 10, 3)


async def test_only_the_chair_or_secretary_may_mute_or_spotlight(server, sites):
    sites(await join(server, Site("huyen", audio=True, slots=0), info(site=2)))
    delegate = info(site=1)
    sites(await join(server, Site("tinh", video=False), delegate))
    for frame in ({"action": "mute", "site": 2}, {"action": "spotlight", "site": 2}):
        (reply,) = await control(server, delegate, **frame)
        assert reply["event"] == "error" and reply["code"] == "forbidden"
    assert server.rooms[1].muted == set() and server.rooms[1].spotlight is None


async def test_spotlight_changes_what_the_sites_receive(server, sites, media_settings):
    media_settings.max_videos = 1
    chair = info(site=1, roles=["chair"], controls=True)
    sites(await join(server, Site("tinh", slots=0), chair))  # the hall, where the chair sits
    sites(await join(server, Site("huyen-a", slots=0), info(site=2)))
    sites(await join(server, Site("huyen-b", slots=0), info(site=3)))
    commune = sites(await join(server, Site("xa", video=False, slots=1), info(site=9)))
    assert await wait_for(lambda: commune.layout["video"][0]["site"] == 1 and commune.total() > 0, 5), \
        "with one video, a site sees the chair's"
    mid = commune.layout["video"][0]["mid"]
    keyframes = commune.received[mid].keyframes

    await control(server, chair, action="spotlight", site=3)
    assert await wait_for(lambda: commune.layout["video"][0]["site"] == 3 and commune.layout["spotlight"] == 3, 2)
    assert await wait_for(lambda: commune.received[mid].keyframes > keyframes, 3), "the new site starts on a keyframe"
    frames = commune.received[mid].frames
    assert await wait_for(lambda: commune.received[mid].frames >= frames + 15, 3)

    await control(server, chair, action="spotlight", site=None)
    assert await wait_for(lambda: commune.layout["video"][0]["site"] == 1 and commune.layout["spotlight"] is None, 2)


async def test_the_loudest_site_is_signalled_as_the_speaker_and_seen(server, sites, media_settings):
    media_settings.max_videos = 1
    sites(await join(server, Site("tinh", audio=True, loud=False, slots=0), info(site=1)))
    sites(await join(server, Site("huyen", audio=True, loud=True, slots=0), info(site=2)))
    commune = sites(await join(server, Site("xa", video=False, slots=1, audio_slots=1), info(site=9)))
    assert await wait_for(lambda: any(f.get("event") == "speaker" and f["site"] == 2 for f in commune.frames), 5)
    # With one video the chair's site (here the main site) comes before the speaker; the speaker is heard.
    assert commune.layout["speaker"] == 2
    assert commune.layout["audio"][0]["site"] == 2
    assert commune.layout["video"][0]["site"] == 1


async def test_a_shared_screen_comes_first_for_every_site(server, sites, media_settings):
    media_settings.max_videos = 2
    sites(await join(server, Site("tinh", slots=0), info(site=1)))
    sites(await join(server, Site("huyen-a", slots=0), info(site=3)))
    presenter = sites(await join(server, Site("huyen", slots=0, screen=True), info(site=2)))
    commune = sites(await join(server, Site("xa", video=False, slots=2), info(site=9)))

    def shown():
        return {(slot["site"], slot["label"]) for slot in (commune.layout or {}).get("video", [])}

    # Two slots, three sites with cameras and one screen: the screen, then the chair's (here the main) site.
    assert await wait_for(lambda: shown() == {(2, "screen"), (1, "camera")}, 5), shown()
    mid = next(slot["mid"] for slot in commune.layout["video"] if slot["label"] == "screen")
    assert await wait_for(lambda: commune.count(mid) >= 10, 5)
    assert commune.received[mid].first_keyframe
    assert presenter.screen.index > 0
