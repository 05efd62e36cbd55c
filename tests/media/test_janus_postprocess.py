"""Janus's recordings made playable (media/janus/postprocess.py) when its files are broken, empty or missing:
nothing is made and nothing half-made is left for the recordings page. A real recording converted is in
test_janus_server.py."""

from __future__ import annotations

import pytest

from media.janus import postprocess

pytestmark = pytest.mark.janus


def test_broken_and_empty_recordings_are_skipped_and_leave_nothing(tmp_path):
    source = tmp_path / "janus"
    source.mkdir()
    (source / "videoroom-1-user-2-3-video-1.mjr").write_bytes(b"MJR00002" + b"\x00" * 64)  # a header, then junk
    (source / "videoroom-1-user-2-3-audio-0.mjr").write_bytes(b"not a recording at all" * 100)
    (source / "videoroom-1-user-2-4-video-1.mjr").write_bytes(b"")  # Janus had not written yet
    assert postprocess.convert(source, tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["janus"], "no output, no partial file"
    assert postprocess.convert(tmp_path / "missing", tmp_path) == []
