"""Recording: the chair starts and stops it; the main site and the speaker are written, still encoded,
into WebM (VP8) or Matroska (H.264) files that start on a keyframe and play back."""

from __future__ import annotations

import asyncio

import av
import pytest
from sfu_clients import Site, info, join, wait_for

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("codec", ["VP8", "H264"])
async def test_the_main_site_and_the_speaker_are_recorded_without_decoding(server, sites, media_settings, tmp_path,
                                                                           codec):
    media_settings.record_dir, media_settings.video_codec = str(tmp_path), codec
    chair = info(site=1, roles=["chair"], controls=True)
    hall = sites(await join(server, Site("tinh", audio=True, slots=1, audio_slots=1, codec=codec), chair))
    speaker = sites(await join(server, Site("huyen", audio=True, loud=True, slots=0, codec=codec), info(site=2)))
    assert await wait_for(lambda: hall.layout and hall.layout["speaker"] == 2, 5)

    await server.handle(chair, {"action": "record", "on": True}, hall.on_frame)
    assert await wait_for(lambda: hall.layout["recording"], 2)
    # Two seconds of the publishers' own clocks (60 frames each), however long a busy machine takes for them.
    marks = hall.video.index, speaker.video.index
    assert await wait_for(lambda: hall.video.index >= marks[0] + 60 and speaker.video.index >= marks[1] + 60)
    await asyncio.sleep(0.2)  # the last frames sent reach the recorder (their count has a margin of 20)
    await server.handle(chair, {"action": "record", "on": False}, hall.on_frame)
    assert await wait_for(lambda: not hall.layout["recording"], 2)

    files = sorted((tmp_path / "1").iterdir())
    assert [f.name.rsplit("-", 1)[1] for f in files] == [f"main.{ext}" for ext in ["webm" if codec == "VP8" else "mkv"]] \
        + [f"speaker.{'webm' if codec == 'VP8' else 'mkv'}"]
    for path in files:
        with av.open(str(path)) as container:
            video, audio = container.streams.video[0], container.streams.audio[0]
            assert video.codec_context.name == ("vp8" if codec == "VP8" else "h264")
            assert (video.codec_context.width, video.codec_context.height) == (320, 240)
            packets = [(p.stream.type, p.is_keyframe) for p in container.demux(video, audio) if p.size]
        videos = [key for kind, key in packets if kind == "video"]
        assert videos[0], f"{path.name} starts on a keyframe"
        assert len(videos) >= 40, f"{path.name}: {len(videos)} video frames in about two seconds"
        assert sum(kind == "audio" for kind, _ in packets) >= 50, f"{path.name} has sound"
        with av.open(str(path)) as container:  # and it plays
            decoded = sum(1 for _ in container.decode(video=0))
        # VP8: every frame. H.264: the test clip splices keyframes of a second encoding into the first
        # (to answer keyframe requests without an encoder), and FFmpeg drops some frames after a splice.
        assert decoded == len(videos) if codec == "VP8" else decoded >= 0.75 * len(videos)


async def test_only_the_chair_records(server, sites, media_settings, tmp_path):
    media_settings.record_dir = str(tmp_path)
    delegate = info(site=1)
    hall = sites(await join(server, Site("tinh", slots=0), delegate))
    await server.handle(delegate, {"action": "record", "on": True}, hall.on_frame)
    assert hall.frames[-1]["code"] == "forbidden"
    assert server.rooms[1].recorder is None


@pytest.mark.django_db
def test_recordings_are_listed_and_served_to_the_meetings_people_only(client, people, published, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    folder = tmp_path / "recordings" / str(published.pk)
    folder.mkdir(parents=True)
    (folder / "20261124-090000-main.webm").write_bytes(b"\x1aE\xdf\xa3webm")
    page = f"/briefing/{published.pk}/recordings/"

    client.force_login(people["hoa"])  # a delegate
    assert "20261124-090000-main.webm" in client.get(page).content.decode()
    response = client.get(page + "20261124-090000-main.webm")
    assert response.status_code == 200 and response["Content-Type"] == "video/webm"
    assert client.get(page + "..%2Fsecret_key").status_code == 404

    # Janus's recordings: its raw .mjr files (in janus/) and a conversion still being written are not
    # listed or served; the converted camera and sound are, the sound in an audio player.
    (folder / "janus").mkdir()
    (folder / "janus" / "videoroom-1-user-2-3-video-1.mjr").write_bytes(b"MJR00002")
    (folder / "videoroom-1-user-2-3-video-1.mjr").write_bytes(b"MJR00002")
    (folder / ".videoroom-1-user-2-3-audio-0.opus.part.opus").write_bytes(b"OggS")
    (folder / "videoroom-1-user-2-3-audio-0.opus").write_bytes(b"OggS")
    listing = client.get(page).content.decode()
    assert ".mjr" not in listing and ".part" not in listing
    assert '<audio controls preload="metadata" src="' + page + 'videoroom-1-user-2-3-audio-0.opus"' in listing
    assert client.get(page + "videoroom-1-user-2-3-audio-0.opus")["Content-Type"] == "audio/ogg"
    assert client.get(page + "videoroom-1-user-2-3-video-1.mjr").status_code == 404

    client.force_login(people["khach"])  # not invited
    assert client.get(page).status_code in (403, 404)
    assert client.get(page + "20261124-090000-main.webm").status_code in (403, 404)
