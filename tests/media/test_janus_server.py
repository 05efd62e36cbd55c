"""The Janus backend's server side against a real Janus (Debian's, started by the test): aiortc sites
signalled straight into a ``JanusServer`` on the test's loop, and the meeting socket with the Janus backend
in its thread. A Janus that is down gives a clear error frame, not a hang (that one needs no Janus).
"""

from __future__ import annotations

import asyncio

import av
import pytest
from rt_client import Client
from sfu_clients import Site, info, wait_for

from media.janus.backend import ROOM_BASE, JanusServer, JanusSettings
from media.janus.client import JanusClient

janus = pytest.mark.janus
pytestmark = [pytest.mark.timeout(120)]


@pytest.fixture
async def janus_media(janus_server):
    server = JanusServer(JanusSettings(urls=[janus_server.url], api_secret=janus_server.config.api_secret,
                                       max_videos=2, max_audio=2))
    yield server
    await server.shutdown()


class Recorder:
    """What the server sent one socket."""

    def __init__(self) -> None:
        self.frames: list[dict] = []

    def __call__(self, frame: dict) -> None:
        self.frames.append(frame)

    def last(self, event: str) -> dict | None:
        return next((f for f in reversed(self.frames) if f.get("event") == event), None)

    async def until(self, event: str, check=lambda f: True) -> dict:
        assert await wait_for(lambda: any(f.get("event") == event and check(f) for f in self.frames)), self.frames
        return next(f for f in reversed(self.frames) if f.get("event") == event and check(f))


async def publish(server: JanusServer, site: Site, who) -> Recorder:
    sent = Recorder()
    await server.handle(who, await site.offer(), sent)
    answer = await sent.until("answer")
    await site.answer(answer["sdp"])
    return sent


@janus
async def test_a_subscriber_gets_its_slots_from_janus_and_they_follow_the_publishers(janus_media, sites):
    district = sites(Site("district", video=True, audio=True, loud=True, slots=0))
    await publish(janus_media, district, info(meeting_id=7, site=9, main_site=5))
    watcher = Recorder()
    await janus_media.handle(info(meeting_id=7, site=12, main_site=5), {"type": "media", "action": "subscribe"},
                             watcher)
    offer = await watcher.until("subscribe_offer")
    # Janus offers every slot at once (2 videos, 2 sounds), fed by its placeholder until a site fills them.
    assert offer["sdp"].count("m=video") == 2 and offer["sdp"].count("m=audio") == 2
    # Once Janus has the district's media, the server switches a video and a sound slot to it.
    layout = await watcher.until("layout", lambda f: any(s["site"] == 9 for s in f["video"]))
    assert [s["site"] for s in layout["audio"]].count(9) == 1
    assert {s["site"] for s in layout["sites"]} == {9, 12}
    room = janus_media.rooms[7]
    assert room.room_id == ROOM_BASE + 7


@janus
async def test_mute_moderates_the_sites_sound_in_janus_and_a_new_screen_replaces_the_old(janus_media, sites):
    first = sites(Site("district", video=True, audio=True, loud=True, slots=0))
    old = await publish(janus_media, first, info(meeting_id=8, site=9, main_site=5))
    chair, chair_info = Recorder(), info(meeting_id=8, site=5, main_site=5, roles=["chair"], controls=True)
    await janus_media.handle(chair_info, {"type": "media", "action": "subscribe"}, chair)
    await chair.until("layout", lambda f: any(s["site"] == 9 for s in f["audio"]))
    room = janus_media.rooms[8]
    asked: list[tuple[dict, dict]] = []
    request = room.request

    async def spy(body: dict) -> dict:
        reply = await request(body)  # Janus's own answer: an error would raise
        asked.append((body, reply))
        return reply

    room.request = spy
    await janus_media.handle(chair_info, {"type": "media", "action": "mute", "site": 9, "muted": True}, chair)
    assert chair.last("error") is None, chair.frames
    publisher = room.publishers[9]
    body, reply = next((b, r) for b, r in asked if b["request"] == "moderate")
    assert body == {"request": "moderate", "room": ROOM_BASE + 8, "id": publisher.feed,
                    "mid": publisher.mids["audio"], "mute": True}
    assert reply.get("videoroom") == "success"
    layout = await chair.until("layout", lambda f: 9 in f["muted"])
    assert all(s["site"] != 9 for s in layout["audio"]), "a muted site fills no sound slot"

    # The same site sends from another screen: it takes over, the old one is told, the mute stays.
    second = sites(Site("district-2", video=True, audio=True, loud=True, slots=0))
    await publish(janus_media, second, info(meeting_id=8, site=9, main_site=5))
    await old.until("replaced")
    assert room.publishers[9].feed != publisher.feed
    assert sum(1 for b, r in asked if b["request"] == "moderate" and b["id"] == room.publishers[9].feed) == 1


@janus
@pytest.mark.django_db(transaction=True)
async def test_the_socket_path_with_janus_and_a_non_participant_gets_nothing(briefing, app, tokens, janus_env,
                                                                              connect):
    from media.backend import get_backend

    # nam works in the host unit and sees the meeting in its calendar, but is not invited: refused at the
    # socket, before anything reaches the media backend or Janus.
    nam = Client(app, briefing.pk, tokens["nam"])
    await nam.connect()
    assert await nam.close_code() == 4403
    assert get_backend().loop is None, "no media request was made"
    client = JanusClient(janus_env.url, janus_env.config.api_secret)
    session = await client.session(poll=False)
    try:
        handle = await session.attach()
        exists = await session.request(handle, {"request": "exists", "room": ROOM_BASE + briefing.pk})
        assert exists["exists"] is False
    finally:
        await session.destroy()
        await client.close()

    # tuan, invited at the district site, gets Janus's offer for what his screen receives.
    tuan = await connect("tuan", briefing)
    await tuan.send({"type": "media", "action": "subscribe", "view": []})
    frame = await tuan.until(lambda f: f["type"] == "media" and f.get("event") in ("subscribe_offer", "error"))
    assert frame["event"] == "subscribe_offer", frame
    assert frame["sdp"].count("m=video") == 2  # the backend fixture's two video slots

    # The socket goes: its handles are detached, and with the room's last socket the room and our Janus
    # session go too.
    await tuan.disconnect()

    async def room_exists() -> bool:
        client = JanusClient(janus_env.url, janus_env.config.api_secret)
        session = await client.session(poll=False)
        try:
            handle = await session.attach()
            return (await session.request(handle, {"request": "exists", "room": ROOM_BASE + briefing.pk}))["exists"]
        finally:
            await session.destroy()
            await client.close()

    deadline = asyncio.get_running_loop().time() + 30
    while await room_exists():
        assert asyncio.get_running_loop().time() < deadline, "the room outlived its last socket"
        await asyncio.sleep(0.2)


async def test_a_janus_that_is_down_gives_a_clear_error_not_a_hang():
    from django.utils import translation
    from ports import free_port

    server = JanusServer(JanusSettings(urls=[f"http://127.0.0.1:{free_port()}/janus"], api_secret="x"))
    sent = Recorder()
    try:
        # The site's language, whatever an earlier test left active in this thread.
        with translation.override("vi"):
            await asyncio.wait_for(server.handle(info(meeting_id=3, site=4, main_site=4),
                                                 {"type": "media", "action": "subscribe"}, sent), 30)
    finally:
        await server.shutdown()
    error = sent.last("error")
    assert error is not None and error["code"] == "unavailable", sent.frames
    assert error["action"] == "subscribe"  # the page starts over a few seconds later
    assert error["message"].startswith("Máy chủ hình ảnh không phản hồi")


@janus
async def test_a_janus_that_goes_away_mid_briefing_sends_the_pages_to_start_over(tmp_path):
    """Janus stops: every socket of the room gets ``unavailable`` (the page starts over); when Janus is back,
    the next subscribe makes a new room there."""
    import secrets

    from ports import free_port

    from media.janus.config import JanusConfig, JanusProcess

    process = JanusProcess(JanusConfig(api_secret=secrets.token_urlsafe(16), port=free_port(),
                                       rtp_ports="43000-43499"), tmp_path).start()
    server = JanusServer(JanusSettings(urls=[process.url], api_secret=process.config.api_secret,
                                       max_videos=1, max_audio=1))
    try:
        page, who = Recorder(), info(meeting_id=11, site=4, main_site=4)
        await server.handle(who, {"type": "media", "action": "subscribe"}, page)
        await page.until("subscribe_offer")
        await asyncio.to_thread(process.stop)
        error = await page.until("error")
        assert error["code"] == "unavailable" and error["action"] == "offer", error
        assert 11 not in server.rooms

        await asyncio.to_thread(process.start)
        again = Recorder()
        await server.handle(who, {"type": "media", "action": "subscribe"}, again)
        assert (await again.until("subscribe_offer"))["sdp"].count("m=video") == 1
    finally:
        await server.shutdown()
        await asyncio.to_thread(process.stop)


@janus
async def test_briefings_are_placed_on_the_least_loaded_janus_and_stay_there(janus_server, tmp_path):
    from ports import free_port

    from media.janus.config import JanusConfig, JanusProcess

    second = JanusProcess(JanusConfig(api_secret=janus_server.config.api_secret, port=free_port(),
                                      rtp_ports="43500-43999"), tmp_path).start()
    settings = JanusSettings(urls=[janus_server.url, second.url], api_secret=janus_server.config.api_secret,
                             max_videos=1, max_audio=1)
    server = JanusServer(settings)
    restarted = JanusServer(settings)
    try:
        first_page, second_page = Recorder(), Recorder()
        await server.handle(info(meeting_id=21, site=4, main_site=4), {"type": "media", "action": "subscribe"},
                            first_page)
        await server.handle(info(meeting_id=22, site=4, main_site=4), {"type": "media", "action": "subscribe"},
                            second_page)
        await first_page.until("subscribe_offer")
        await second_page.until("subscribe_offer")
        where = {meeting: room.session.client.url for meeting, room in server.rooms.items()}
        assert set(where.values()) == {janus_server.url, second.url}, "the second briefing went to the idle Janus"
        # Another process of ours (or this one after a restart) finds each briefing where it is.
        for meeting in (21, 22):
            client = await restarted.placement.place(ROOM_BASE + meeting)
            assert client.url == where[meeting]
    finally:
        await server.shutdown()
        await restarted.shutdown()
        await asyncio.to_thread(second.stop)


@janus
async def test_janus_reports_the_speaker_and_records_the_briefing(janus_server, tmp_path, sites):
    """The speaker comes from Janus's talking events (the audio levels in the site's packets); recording is
    Janus's own recorder writing .mjr files into the briefing's folder."""
    server = JanusServer(JanusSettings(urls=[janus_server.url], api_secret=janus_server.config.api_secret,
                                       max_videos=1, max_audio=1, rec_dir=str(tmp_path)))
    try:
        district = sites(Site("district", video=True, audio=True, loud=True, slots=0))
        await publish(server, district, info(meeting_id=31, site=9, main_site=5))
        chair, chair_info = Recorder(), info(meeting_id=31, site=5, main_site=5, roles=["chair"], controls=True)
        await server.handle(chair_info, {"type": "media", "action": "subscribe"}, chair)
        assert (await chair.until("speaker", lambda f: f["site"] == 9))["site"] == 9
        assert (await chair.until("layout", lambda f: f["speaker"] == 9))

        await server.handle(chair_info, {"type": "media", "action": "record", "on": True}, chair)
        await chair.until("layout", lambda f: f["recording"])
        folder = tmp_path / "31" / "janus"
        assert await wait_for(lambda: folder.is_dir() and any(
            p.stat().st_size > 10_000 for p in folder.glob("*-video-*.mjr")))
        await server.handle(chair_info, {"type": "media", "action": "record", "on": False}, chair)
        await chair.until("layout", lambda f: not f["recording"])
        # Janus names them videoroom-<room>-user-<feed>-<time>-<audio|video>-<mindex>.mjr: the district's both.
        feed = server.rooms[31].publishers[9].feed
        mine = [p for p in folder.glob(f"videoroom-{ROOM_BASE + 31}-user-{feed}-*.mjr") if p.stat().st_size > 1000]
        assert {p.name.split("-")[-2] for p in mine} == {"audio", "video"}, list(folder.glob("*"))
        # Stopping made them playable for the recordings page (janus-pp-rec, in a thread), beside the .mjr
        # folder: the district's camera and microphone in one WebM file, picture and sound together.
        made = tmp_path / "31"
        assert await wait_for(lambda: list(made.glob(f"videoroom-{ROOM_BASE + 31}-user-{feed}-*.webm"))), \
            list(made.glob("*"))
        files = list(made.glob(f"videoroom-{ROOM_BASE + 31}-user-{feed}-*.*"))
        assert len(files) == 1, f"one file for the site's recording: {files}"
        with av.open(str(files[0])) as container:
            assert {s.type: s.codec_context.name for s in container.streams} == {"video": "vp8", "audio": "opus"}
            assert any(p.stream.type == "audio" and p.size for p in container.demux(audio=0)), "sound recorded"
        assert not list(made.glob(".*")), "no partial file left"

        # A briefing that ends while recording (the meeting's "close"): its second recording is converted too.
        first = set(made.glob("*.webm"))
        await server.handle(chair_info, {"type": "media", "action": "record", "on": True}, chair)
        await chair.until("layout", lambda f: f["recording"])
        assert await wait_for(lambda: len([p for p in folder.glob("*-video-*.mjr") if p.stat().st_size > 10_000]) >= 2)
        await server.control(31, "close", {})
        assert await wait_for(lambda: len(set(made.glob("*.webm")) - first) >= 1), list(made.glob("*"))
    finally:
        await server.shutdown()


@janus
def test_readiness_asks_janus(janus_server, settings):
    from ports import free_port

    from operations import readiness

    settings.PHONGHOP_MEDIA_BACKEND = "janus"
    settings.PHONGHOP_JANUS_URL = [f"http://127.0.0.1:{free_port()}/janus", janus_server.url]
    assert readiness.media() == "ok"  # one Janus answering is enough: placement leaves the other out
    settings.PHONGHOP_JANUS_URL = [f"http://127.0.0.1:{free_port()}/janus"]
    with pytest.raises(OSError):
        readiness.media()


def test_workers_driving_janus_take_whole_briefings(settings):
    """With Janus, the web processes place briefings on workers by meeting id (no per-session placement by
    load, which would split a briefing's decisions)."""
    from media.backend import WorkerBackend, get_backend, reset_backend

    settings.PHONGHOP_MEDIA_BACKEND, settings.PHONGHOP_MEDIA_WORKERS = "workers", ["w1", "w2"]
    settings.REDIS_URL = "redis://127.0.0.1:6379/6"
    settings.PHONGHOP_JANUS_URL = ["http://10.0.0.5:8088/janus"]
    reset_backend()
    try:
        backend = get_backend()
        assert isinstance(backend, WorkerBackend) and backend.redis_url is None
        assert backend.channel(7) == backend.channel(7 + 2) != backend.channel(8)
        settings.PHONGHOP_JANUS_URL = []
        reset_backend()
        assert get_backend().redis_url == "redis://127.0.0.1:6379/6"  # aiortc workers: placed by load
    finally:
        reset_backend()


@janus
async def test_a_lossy_uplink_under_janus_gets_its_camera_capped(janus_media, sites):
    """Janus's slow-link events drive the same weak-link lever as the aiortc backend: the site's page is asked
    to cap its camera (``bitrate``), and the chair sees it."""
    from lossy_link import LossyLink

    district = sites(Site("district", video=True, audio=True, loud=True, slots=0))
    publisher = await publish(janus_media, district, info(meeting_id=41, site=9, main_site=5))
    LossyLink(district.pc).uplink.loss(0.2, seed=3)  # a fifth of its packets, retransmissions too
    chair, chair_info = Recorder(), info(meeting_id=41, site=5, main_site=5, roles=["chair"], controls=True)
    await janus_media.handle(chair_info, {"type": "media", "action": "subscribe"}, chair)
    capped = await publisher.until("bitrate")
    assert 150 <= capped["max_kbps"] < 1500
    row = (await chair.until("quality", lambda f: (f["sites"].get("9") or {}).get("cap_kbps")))["sites"]["9"]
    assert row["weak"] and row["lost_up"] > 0 and row["kbps"] is None
    assert (await publisher.until("layout", lambda f: f["you"]["cap_kbps"]))["you"]["publishing"]
