"""Janus's recordings made playable (media/janus/postprocess.py): broken, empty or missing files make
nothing and leave nothing half-made for the recordings page; a site's picture and sound, recorded by
Janus as two streams, become one file with both, in step. A real recording converted is in
test_janus_server.py."""

from __future__ import annotations

import fractions
import math
import struct
from pathlib import Path

import av
import pytest

from media.janus import postprocess


@pytest.mark.janus
def test_broken_and_empty_recordings_are_skipped_and_leave_nothing(tmp_path):
    source = tmp_path / "janus"
    source.mkdir()
    (source / "videoroom-1-user-2-3-video-1.mjr").write_bytes(b"MJR00002" + b"\x00" * 64)  # a header, then junk
    (source / "videoroom-1-user-2-3-audio-0.mjr").write_bytes(b"not a recording at all" * 100)
    (source / "videoroom-1-user-2-4-video-1.mjr").write_bytes(b"")  # Janus had not written yet
    assert postprocess.convert(source, tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["janus"], "no output, no partial file"
    assert postprocess.convert(tmp_path / "missing", tmp_path) == []


def camera(path: Path, seconds: float) -> None:
    """A VP8 WebM as janus-pp-rec writes one: 15 frames a second."""
    with av.open(str(path), "w", format="webm") as out:
        stream = out.add_stream("libvpx", rate=15)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for i in range(int(seconds * 15)):
            frame = av.VideoFrame(160, 120, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([i * 8 % 256]) * plane.buffer_size)
            frame.pts, frame.time_base = i, fractions.Fraction(1, 15)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def microphone(path: Path, seconds: float) -> None:
    """An Ogg Opus file: 20 ms frames of a tone."""
    with av.open(str(path), "w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=48_000)
        stream.layout = "mono"
        for i in range(int(seconds * 50)):
            frame = av.AudioFrame(format="s16", layout="mono", samples=960)
            frame.planes[0].update(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * (n + 960 * i)
                                                                                  / 48_000))) for n in range(960)))
            frame.sample_rate, frame.pts, frame.time_base = 48_000, 960 * i, fractions.Fraction(1, 48_000)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def starts(path: Path) -> dict[str, float]:
    with av.open(str(path)) as container:
        first: dict[str, float] = {}
        for packet in container.demux():
            if packet.dts is not None:
                first.setdefault(packet.stream.type, float(packet.pts * packet.time_base))
        return first


def test_a_sites_picture_and_sound_become_one_file_in_step(tmp_path):
    camera(tmp_path / "cam.webm", 2)
    microphone(tmp_path / "mic.opus", 2)
    made = tmp_path / "site.webm"
    # Janus started writing the sound half a second after the picture: it must play half a second in.
    postprocess.mux(tmp_path / "cam.webm", tmp_path / "mic.opus", made, 500_000)
    with av.open(str(made)) as container:
        assert sorted(s.type for s in container.streams) == ["audio", "video"]
        assert container.streams.video[0].codec_context.name == "vp8"
        assert container.streams.audio[0].codec_context.name == "opus"
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == 30, "every picture copied"
    first = starts(made)
    assert first["video"] == pytest.approx(0, abs=0.01)
    assert first["audio"] == pytest.approx(0.5, abs=0.03)

    # The other way round: the sound came first, the picture is the one that waits.
    postprocess.mux(tmp_path / "cam.webm", tmp_path / "mic.opus", tmp_path / "early.webm", -250_000)
    first = starts(tmp_path / "early.webm")
    assert first["video"] == pytest.approx(0.25, abs=0.01)
    assert first["audio"] == pytest.approx(0, abs=0.03)


def test_a_recording_that_cannot_be_put_together_is_listed_apart(tmp_path):
    """Picture and sound that will not mux (here: a broken sound file) are still both on the page,
    each on its own, and nothing half-made is left."""
    parts = tmp_path / "janus"
    parts.mkdir()
    camera(parts / "videoroom-1-user-2-3-video-1.webm", 1)
    (parts / "videoroom-1-user-2-3-audio-0.opus").write_bytes(b"OggS broken" * 10)
    streams = [postprocess.Stream(parts / "videoroom-1-user-2-3-video-1.webm", "video", 1, 0),
               postprocess.Stream(parts / "videoroom-1-user-2-3-audio-0.opus", "audio", 0, 0)]
    made = postprocess.put_together("videoroom-1-user-2-3", streams, tmp_path)
    assert sorted(p.name for p in made) == ["videoroom-1-user-2-3-audio-0.opus", "videoroom-1-user-2-3-video-1.webm"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no partial file"
    assert postprocess.already_made("videoroom-1-user-2-3", tmp_path)
    assert not postprocess.already_made("videoroom-1-user-2-30", tmp_path)


def test_streams_started_together_are_one_recording_and_a_later_start_another():
    names = ["videoroom-7-user-42-1000000000-audio-0", "videoroom-7-user-42-1000000043-video-1",
             "videoroom-7-user-42-1001500000-audio-0", "videoroom-7-user-42-1001500051-video-1",
             "videoroom-7-user-43-1000000010-video-1", "something-else"]
    found = postprocess.recordings(Path(f"/r/{n}.mjr") for n in names)
    assert {k: sorted(p.stem for p in v) for k, v in found.items()} == {
        "videoroom-7-user-42-1000000000": names[0:2],
        "videoroom-7-user-42-1001500000": names[2:4],
        "videoroom-7-user-43-1000000010": [names[4]],
        "something-else": [names[5]],
    }
