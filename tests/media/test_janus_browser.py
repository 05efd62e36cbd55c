"""The Janus backend with real Janus and real browsers: headless Chromium with fake camera and microphone
against a real Daphne whose media backend is Debian's Janus 1.1 (started by the test on its own
configuration, media/janus/config.py).

tuan at the An Phú district site publishes through Janus; minh (the chair, in the main hall) and son at
the An Lạc commune receive and decode his video, judged by the browsers' own getStats. The chair's mute
stops Janus forwarding the district's sound (VideoRoom ``moderate``: Janus itself says the stream is
moderated), and his spotlight switches the commune's only video slot to the district without a new offer.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request

import pytest
import test_briefing_browser as browser_tests
from live_server import DaphneServer
from test_briefing_browser import DECODED, WAIT_S, chromium, decoded_from, has_h264, open_briefing, until_true

sites_meeting = browser_tests.sites_meeting  # the fixture: tuan at the district, son at the commune

pytestmark = [pytest.mark.browser, pytest.mark.janus, pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]


def janus_request(server, body: dict) -> dict:
    """A synchronous VideoRoom request straight to Janus, as an operator's script would (with the secret)."""
    def post(path: str, payload: dict) -> dict:
        payload = {**payload, "transaction": "t", "apisecret": server.config.api_secret}
        request = urllib.request.Request(server.url + path, data=json.dumps(payload).encode(),
                                         headers={"Content-Type": "application/json"})
        return json.loads(urllib.request.urlopen(request, timeout=10).read())

    session = post("", {"janus": "create"})["data"]["id"]
    try:
        handle = post(f"/{session}", {"janus": "attach", "plugin": "janus.plugin.videoroom"})["data"]["id"]
        return post(f"/{session}/{handle}", {"janus": "message", "body": body})["plugindata"]["data"]
    finally:
        post(f"/{session}", {"janus": "destroy"})


def audio_received(page, site=None) -> int:
    return sum(r["packetsReceived"] for r in page.evaluate("briefing.stats()")
               if r["kind"] == "audio" and (site is None or r["site"] == site))


@pytest.mark.parametrize("codec", ["VP8", "H264"])
def test_a_site_publishes_through_janus_and_two_sites_decode_it(sites_meeting, people, units, janus_env,
                                                                 monkeypatch, codec):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    monkeypatch.setenv("PHONGHOP_MEDIA_VIDEO_CODEC", codec)
    district, hall_site = units["district"].pk, units["office"].pk
    with chromium() as browser:
        if codec == "H264" and not has_h264(browser):
            print("SKIPPED: this Chromium has no H.264 (42e01f, packetization mode 1) for WebRTC")
            pytest.skip("this Chromium has no H.264 for WebRTC")
        server = DaphneServer().start()
        try:
            open_briefing(browser, server, people["tuan"], sites_meeting, publish=True)
            hall = open_briefing(browser, server, people["minh"], sites_meeting, publish=True)
            commune = open_briefing(browser, server, people["son"], sites_meeting, publish=False)
            seen = {}

            def both_decode() -> bool:
                seen.update({name: decoded_from(page, district) for name, page in (("hall", hall), ("commune", commune))})
                return all(r and r["framesDecoded"] >= DECODED for r in seen.values())

            assert until_true(both_decode, WAIT_S * 2), f"{seen}\n{server.log_tail()}\n{janus_env.log_tail()}"
            print("decoded through Janus:", seen)
            for name, row in seen.items():
                assert row["mimeType"].lower() == f"video/{codec}".lower(), (name, row)
            # The district is heard in the hall, and the commune (which sends nothing) sees the hall.
            assert until_true(lambda: audio_received(hall, district) > 0)
            assert until_true(lambda: (decoded_from(commune, hall_site) or {}).get("framesDecoded", 0) > 0)
            layout = commune.evaluate("briefing.layout()")
            assert {row["site"] for row in layout["sites"]} >= {district, hall_site}
            assert commune.locator(f"[data-testid=tile-{district}] video").count() == 1
            assert hall.get_attribute("[data-testid=media-status]", "data-state") == "media_online"
            # The chair sees what Janus reports of the district's link: lost packets (no bitrate without its admin API).
            hall.wait_for_function(f"""() => {{ const q = document.querySelector('[data-quality="{district}"]');
                                              return q && /gói tin/.test(q.textContent); }}""", timeout=20_000)
            # Janus holds one room for the briefing, with the two sites that send (and its placeholder).
            from media.janus.backend import ROOM_BASE

            room = janus_request(janus_env, {"request": "listparticipants", "room": ROOM_BASE + sites_meeting.pk})
            assert sorted(p["display"] for p in room["participants"] if not p.get("dummy")) == sorted(
                [str(district), str(hall_site)])
        finally:
            server.stop()


def test_mute_and_spotlight_through_janus(sites_meeting, people, units, janus_env, monkeypatch):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    monkeypatch.setenv("PHONGHOP_MEDIA_VIDEO_CODEC", "VP8")
    monkeypatch.setenv("PHONGHOP_MEDIA_MAX_VIDEOS", "1")  # one video slot: the spotlight decides what fills it
    monkeypatch.setenv("PHONGHOP_MEDIA_MAX_AUDIO", "1")
    district, hall_site = units["district"].pk, units["office"].pk
    from media.janus.backend import ROOM_BASE

    room_id = ROOM_BASE + sites_meeting.pk
    with chromium() as browser:
        server = DaphneServer().start()
        try:
            open_briefing(browser, server, people["tuan"], sites_meeting, publish=True)
            hall = open_briefing(browser, server, people["minh"], sites_meeting, publish=True)
            commune = open_briefing(browser, server, people["son"], sites_meeting, publish=False)
            # Before the spotlight the commune's one video is the chair's site.
            assert until_true(lambda: (decoded_from(commune, hall_site) or {}).get("framesDecoded", 0) >= DECODED,
                              WAIT_S * 2), f"{commune.evaluate('briefing.layout()')}\n{server.log_tail()}"
            # The hall hears the district (its one sound slot: the only other site that sends).
            assert until_true(lambda: audio_received(hall, district) > 0), server.log_tail()

            # Spotlight: the chair's button on the district's tile.
            tile = hall.locator(f"[data-testid=tile-{district}] .tile__actions button")
            tile.nth(1).click()
            assert until_true(lambda: commune.evaluate("briefing.layout()")["video"][0]["site"] == district)
            offers = commune.evaluate("briefing.offers()")
            assert until_true(lambda: (decoded_from(commune, district) or {}).get("framesDecoded", 0) >= DECODED,
                              WAIT_S * 2), f"{commune.evaluate('briefing.stats()')}\n{server.log_tail()}"
            assert commune.evaluate("briefing.offers()") == offers, "the slot switched without a new offer"

            # Mute: Janus stops forwarding the district's sound, and every page is told.
            tile.nth(0).click()
            assert until_true(lambda: district in commune.evaluate("briefing.layout()")["muted"])
            assert until_true(lambda: hall.evaluate("briefing.layout()")["audio"][0]["site"] != district)

            def moderated() -> bool:
                data = janus_request(janus_env, {"request": "listparticipants", "room": room_id})
                return any(p.get("display") == str(district) and any(
                    s.get("type") == "audio" and s.get("moderated") for s in p.get("streams", []))
                    for p in data["participants"])

            # listparticipants shows streams only in Janus 1.1's newer answers; the flag is the proof when there.
            assert until_true(lambda: moderated() or not any(
                "streams" in p for p in janus_request(janus_env, {"request": "listparticipants", "room": room_id})["participants"]))
            before = audio_received(hall)
            time.sleep(3)
            after = audio_received(hall)
            assert after - before <= 5, f"sound still forwarded after the mute: {before} → {after}"

            tile.nth(0).click()  # unmute
            assert until_true(lambda: district not in commune.evaluate("briefing.layout()")["muted"])
            assert until_true(lambda: audio_received(hall, district) > 0)
            grown = audio_received(hall, district)
            assert until_true(lambda: audio_received(hall, district) > grown + 20), "the sound came back"
        finally:
            server.stop()
