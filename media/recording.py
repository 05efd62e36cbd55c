"""Recording a briefing: the forwarded packets of the main site and of the current speaker, muxed into
WebM (VP8 + Opus) or Matroska (H.264 + Opus) files without decoding anything.

Each file is a sink like a subscriber's slot: it follows one site (the main hall; whoever speaks, or
the spotlighted site when nobody has spoken yet), starts on a keyframe (asking the publisher for one),
and starts again on a keyframe when the site it follows changes. Audio and video are laid on the
file's own clock: a source's first frame is placed at its arrival time since the file started, the
following ones by their RTP timestamps, so sound and picture stay together and switches leave no jump.

The container is opened at the first video keyframe (the picture size is read from it: the VP8 frame
header, or the H.264 SPS through FFmpeg's bitstream parser, which does not decode). Files are written on
the media loop; one 1 Mbps stream is ~30 small writes a second. They are stored under
``MEDIA_ROOT/recordings/<meeting id>/`` and listed and served on the briefing page (media/views.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fractions
import io
import logging
from pathlib import Path
from typing import Any

import av
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

CLOCK = {"video": 90_000, "audio": 48_000}
EXTENSION = {"VP8": "webm", "H264": "mkv"}
FORMAT = {"VP8": "webm", "H264": "matroska"}


def vp8_size(data: bytes) -> tuple[int, int]:
    """Width and height from a VP8 keyframe header (RFC 6386 9.1)."""
    return int.from_bytes(data[6:8], "little") & 0x3FFF, int.from_bytes(data[8:10], "little") & 0x3FFF


class FileSink:
    """The video or the audio track of one recording file."""

    def __init__(self, file: RecordingFile, kind: str) -> None:
        self.file, self.kind = file, kind
        self.source: Any = None
        self.waiting = kind == "video"
        self.frames = 0
        self._anchor: tuple[int, int] | None = None  # (source timestamp, file pts) of the source's first frame
        self._last = -1

    def assign(self, source: Any) -> bool:
        if source is self.source:
            return False
        if self.source is not None:
            self.source.sinks.discard(self)
        self.source, self._anchor = source, None
        if source is not None:
            source.sinks.add(self)
            if self.kind == "video":
                self.waiting = True
                source.request_keyframe()
        return True

    def offer(self, source: Any, data: bytes, timestamp: int, keyframe: bool) -> None:
        if source is not self.source:
            return
        if self.waiting:
            if not keyframe:
                return
            self.waiting = False
        if self._anchor is None:
            self._anchor = (timestamp, self.file.now(self.kind))
        pts = self._anchor[1] + (timestamp - self._anchor[0])
        pts = max(pts, self._last + 1)
        if self.file.write(self.kind, data, pts, keyframe, source.codec):
            self._last = pts
            self.frames += 1


class RecordingFile:
    def __init__(self, path: Path, codec: str) -> None:
        self.path, self.codec = path, codec
        self.video, self.audio = FileSink(self, "video"), FileSink(self, "audio")
        self.container: Any = None
        self.streams: dict[str, Any] = {}
        self.started = asyncio.get_running_loop().time()
        self.failed = False

    def now(self, kind: str) -> int:
        return round((asyncio.get_running_loop().time() - self.started) * CLOCK[kind])

    def follow(self, feeds: dict[str, Any]) -> None:
        self.video.assign(feeds.get("video"))
        self.audio.assign(feeds.get("audio"))

    def _open(self, data: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.container = av.open(str(self.path), "w", format=FORMAT[self.codec])
        if self.codec == "VP8":
            video = self.container.add_stream("libvpx", rate=30)
            video.width, video.height = vp8_size(data)
        else:  # the SPS and PPS of the keyframe itself become the file's codec private data
            template = av.open(io.BytesIO(data), format="h264").streams.video[0]
            video = self.container.add_stream_from_template(template)
        video.time_base = fractions.Fraction(1, CLOCK["video"])
        audio = self.container.add_stream("libopus", rate=CLOCK["audio"])
        audio.time_base = fractions.Fraction(1, CLOCK["audio"])
        self.streams = {"video": video, "audio": audio}

    def write(self, kind: str, data: bytes, pts: int, keyframe: bool, codec: str | None) -> bool:
        if self.failed:
            return False
        try:
            if self.container is None:
                if kind != "video" or not keyframe:
                    return False  # the file starts with a picture
                self._open(data)
            packet = av.Packet(data)
            packet.pts = packet.dts = pts
            packet.time_base = fractions.Fraction(1, CLOCK[kind])
            packet.stream = self.streams[kind]
            if kind == "video":
                packet.is_keyframe = keyframe
            self.container.mux(packet)
            return True
        except Exception:
            log.exception("recording %s failed; it stops here", self.path)
            self.failed = True
            return False

    def close(self) -> None:
        self.follow({})
        if self.container is not None:
            try:
                self.container.close()
            except Exception:
                log.exception("closing recording %s", self.path)
            self.container = None


class Recorder:
    """The two files of one recording: the main site, and the speaker."""

    def __init__(self, room: Any, directory: Path) -> None:
        self.room = room
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        ext = EXTENSION[room.settings.video_codec]
        folder = directory / str(room.meeting_id)
        self.files = {
            "main": RecordingFile(folder / f"{stamp}-main.{ext}", room.settings.video_codec),
            "speaker": RecordingFile(folder / f"{stamp}-speaker.{ext}", room.settings.video_codec),
        }

    def feeds_of(self, site: int | None) -> dict[str, Any]:
        # A site publishing on another worker of a spread briefing is recorded from its trunk feeds.
        session = (self.room.publishers.get(site) or self.room.remote.get(site)) if site is not None else None
        if session is None:
            return {}
        return {f.kind: f for f in session.feeds if f.label == "camera"}

    def follow(self) -> None:
        room = self.room
        self.files["main"].follow(self.feeds_of(room.main_site))
        self.files["speaker"].follow(self.feeds_of(room.detector.speaker or room.spotlight))

    def stop(self) -> list[Path]:
        written = []
        for file in self.files.values():
            file.close()
            if file.path.exists():
                written.append(file.path)
        return written


def toggle(room: Any, on: bool) -> None:
    if on and room.recorder is None:
        if not room.settings.record_dir:
            from media.room import MediaError

            raise MediaError("not_configured", _("Recording is not configured on this server."))
        room.recorder = Recorder(room, Path(room.settings.record_dir))
        room.recorder.follow()
    elif not on and room.recorder is not None:
        written = room.recorder.stop()
        room.recorder = None
        log.info("meeting %s: recording stopped: %s", room.meeting_id, ", ".join(map(str, written)))
