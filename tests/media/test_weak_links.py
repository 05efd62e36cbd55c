"""Weak commune links (issue 13, item 4): the server caps the camera of a site whose uplink loses packets and
sends fewer videos to a site whose downlink loses them, audio untouched; both come back when the link
does. The policy's steps are checked alone first (media/adaptation.py), then through the real forwarder
with a lossy link on aiortc peers (tests/media/lossy_link.py)."""

from __future__ import annotations

import pytest
from lossy_link import LossyLink, video
from sfu_clients import Site, info, join, wait_for

from media.adaptation import CEILING_KBPS, FLOOR_KBPS, DownlinkVideos, Report, UplinkCap

pytestmark = pytest.mark.timeout(120)


# The policy -----------------------------------------------------------------------------------------

def test_a_lossy_uplink_is_capped_step_by_step_and_released_after_clean_reports():
    cap = UplinkCap()
    assert not cap.update(Report(kbps=800, loss_up=0.01)), "a clean link is left alone"
    assert cap.update(Report(kbps=800, loss_up=0.08)) and cap.cap_kbps == 560
    assert cap.update(Report(kbps=560, loss_up=0.08)) and cap.cap_kbps == 392
    for _ in range(10):
        cap.update(Report(kbps=100, loss_up=0.5))
    assert cap.cap_kbps == FLOOR_KBPS, "never below a picture that still shows a face"
    # Two clean reports are not yet enough; the third raises the cap by a quarter.
    assert not cap.update(Report(kbps=150, loss_up=0.0)) and not cap.update(Report(kbps=150, loss_up=0.0))
    assert cap.update(Report(kbps=150, loss_up=0.0)) and cap.cap_kbps == int(FLOOR_KBPS * 1.25)
    # A lossy report in between starts the count again.
    cap.update(Report(kbps=150, loss_up=0.0))
    cap.update(Report(kbps=150, loss_up=0.0))
    cap.update(Report(kbps=150, loss_up=0.06))
    assert cap.cap_kbps < int(FLOOR_KBPS * 1.25)
    for _ in range(60):
        cap.update(Report(kbps=150, loss_up=0.0))
    assert cap.cap_kbps is None, f"uncapped again once the cap reaches {CEILING_KBPS} kbit/s"


def test_a_lossy_downlink_receives_the_stage_only_then_one_video_more_at_a_time():
    down = DownlinkVideos(slots=6)
    assert down.limit == 6 and not down.reduced
    assert not down.update(Report(loss_down=0.3)) and down.limit == 6, "the first report (joining) is not judged"
    assert down.update(Report(loss_down=0.07)) and down.limit == 2, "the chair and the speaker"
    assert down.update(Report(loss_down=0.2)) and down.limit == 1
    assert not down.update(Report(loss_down=0.07)), "a lighter loss does not add a video back at once"
    for _ in range(3):
        down.update(Report(loss_down=0.0, rtt_ms=30))
    assert down.limit == 2
    assert down.update(Report(loss_down=0.0, rtt_ms=600)) is False and down.limit == 2, "a long round trip holds"
    for _ in range(12):
        down.update(Report(loss_down=0.0, rtt_ms=30))
    assert down.limit == 6 and not down.reduced
    audio_only = DownlinkVideos(slots=0)
    audio_only.update(Report(loss_down=0.5))
    assert not audio_only.update(Report(loss_down=0.5)), "an audio-only page has no video to drop"


def test_one_long_round_trip_is_not_a_slow_link_two_in_a_row_are():
    # A join storm makes the server itself late to answer RTCP for a report or so: every site's round
    # trip looks long once. Only a round trip that stays long sends the site the stage only.
    down = DownlinkVideos(slots=6)
    down.update(Report(loss_down=0.0, rtt_ms=900))  # the first report: the joining itself
    assert not down.update(Report(loss_down=0.0, rtt_ms=900)) and down.limit == 6
    assert not down.update(Report(loss_down=0.0, rtt_ms=40)) and down.limit == 6
    assert not down.update(Report(loss_down=0.0, rtt_ms=900)) and down.limit == 6
    assert down.update(Report(loss_down=0.0, rtt_ms=700)) and down.limit == 2, "slow twice in a row"
    assert down.update(Report(loss_down=0.08, rtt_ms=30)) is False and down.limit == 2, "loss acts at once"


# Through the forwarder -------------------------------------------------------------------------------

@pytest.fixture
def media_settings():
    from media.room import MediaSettings

    return MediaSettings(max_videos=4, max_audio=2)


def quality_of(watcher, site: int) -> list[dict]:
    return [f["sites"][str(site)] for f in watcher.frames if f.get("event") == "quality" and str(site) in f["sites"]]


def bitrate_frames(site):
    return [f for f in site.frames if f.get("event") == "bitrate"]


async def test_a_site_losing_packets_on_its_uplink_is_asked_for_a_lighter_picture(server, sites):
    hall = sites(await join(server, Site("tinh", video=False, slots=1, audio_slots=1),
                            info(site=1, roles=["chair", "participant"], controls=True)))
    commune = sites(await join(server, Site("xa", audio=True, slots=0), info(site=2)))
    assert await wait_for(lambda: hall.total("video") >= 30), "the commune's picture flows"

    link = LossyLink(commune.pc)
    link.uplink.loss(0.25, match=video, seed=3)
    assert await wait_for(lambda: any(f["max_kbps"] for f in bitrate_frames(commune)), 60), "a cap is asked for"
    cap = next(f["max_kbps"] for f in bitrate_frames(commune) if f["max_kbps"])
    assert FLOOR_KBPS <= cap < CEILING_KBPS
    # The chair sees what was done, beside the loss that caused it.
    assert await wait_for(lambda: any(q.get("cap_kbps") for q in quality_of(hall, 2)))
    assert not bitrate_frames(hall), "a site that sends nothing is never capped"

    link.uplink.clear()
    before = len(bitrate_frames(commune))
    # Clean reports raise the cap again (three in a row, every two seconds).
    assert await wait_for(lambda: any(f["max_kbps"] is None or f["max_kbps"] > cap
                                      for f in bitrate_frames(commune)[before:]), 60), "the cap is raised again"
    seen = hall.total("video")
    assert await wait_for(lambda: hall.total("video") > seen + 30), "the hall still sees the commune"


async def test_a_site_losing_packets_on_its_downlink_receives_fewer_videos_but_every_sound(server, sites):
    chair = info(site=1, roles=["chair", "participant"], controls=True)
    publishers = [sites(await join(server, Site(f"xa{n}", audio=True, slots=0), info(site=n))) for n in (2, 3, 4)]
    hall = sites(await join(server, Site("tinh", video=True, slots=3, audio_slots=2), chair))
    weak = sites(await join(server, Site("xa-yeu", video=False, slots=3, audio_slots=2), info(site=5)))

    def filled(site) -> int:
        return sum(1 for slot in site.layout["video"] if slot["site"] is not None) if site.layout else 0

    assert await wait_for(lambda: filled(weak) == 3 and weak.total("video") >= 30), "three videos at first"
    link = LossyLink(weak.pc)
    link.downlink.loss(0.25, match=video, seed=5)
    assert await wait_for(lambda: weak.layout["you"]["reduced"] and filled(weak) <= 2, 60), "fewer videos"
    assert any(s["site"] == 1 for s in weak.layout["video"]), "the chair's site is kept"
    assert len([s for s in weak.layout["audio"] if s["site"] is not None]) == 2, "every sound slot still filled"
    assert filled(hall) == 3, "a good link next to it keeps all its videos"
    assert not bitrate_frames(weak), "a downlink problem does not cap anyone's camera"

    link.downlink.clear()
    assert await wait_for(lambda: not weak.layout["you"]["reduced"] and filled(weak) == 3, 60), "videos come back"
    assert all(p.layout["you"]["publishing"] for p in publishers)
