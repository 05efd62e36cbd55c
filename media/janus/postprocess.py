"""Janus's recordings made playable: its recorder writes one ``.mjr`` file per stream and publisher (RTP
packets with a header), which no browser plays. When a recording stops, or the briefing's room closes,
``janus-pp-rec`` (Debian's ``janus-tools``) turns each finished file into a media file beside it: VP8/VP9
video into WebM, H.264 into Matroska, Opus sound into Ogg Opus. Then a site's camera and microphone of
the same recording are put together into one file for the recordings page (``mux``: packets copied, not
decoded), as media/recording.py writes them for the aiortc backend: a secretary gets one file per site and
recording, with picture and sound together, not two to line up. A stream alone (a site that only sends
sound, a shared screen) is listed as it is.

One process per file, in a thread, bounded in time; a recording already made is left alone, so a second
stop converts only what is new.

This works where the recordings folder is on this machine (Janus beside the server, or the folder shared);
with Janus on a machine of its own, run ``janus-pp-rec`` there (docs/operations.md).
"""

from __future__ import annotations

import heapq
import json
import logging
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

log = logging.getLogger(__name__)

TOOL = "janus-pp-rec"
TARGETS = {"vp8": ".webm", "vp9": ".webm", "h264": ".mkv", "opus": ".opus"}
PLAYABLE = frozenset(TARGETS.values())
TIMEOUT = 600  # seconds for one file: a briefing of several hours is a few hundred MB
# videoroom-<room>-user-<feed>-<time>-<audio|video>-<mindex>.mjr (Janus 1.x; 0.x had no mindex). Each stream
# has its own time (µs), a few µs apart within one recording: streams of a publisher closer than
# SAME_RECORDING belong to one recording.
STREAM = re.compile(r"^(?P<feed>.+)-(?P<time>\d+)-(?P<kind>audio|video)(?:-(?P<mindex>\d+))?$")
SAME_RECORDING = 250_000  # µs: Janus opens them in one go; a new recording is a chair's click later


def available() -> bool:
    return shutil.which(TOOL) is not None


def header_of(source: Path) -> dict[str, Any]:
    """A .mjr file's header (``janus-pp-rec --json``): ``c`` the codec, ``u`` when its first packet was
    written (µs); empty if unreadable."""
    try:
        done = subprocess.run([TOOL, "--json", str(source)], capture_output=True, text=True, timeout=30, check=False)
        header = json.loads(done.stdout)
        return header if isinstance(header, dict) else {}
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return {}


@dataclass
class Stream:
    """One .mjr file converted: its kind, its order among the publisher's streams, when it started (µs)."""

    path: Path
    kind: str
    mindex: int
    started_us: int


def convert(source_dir: Path, target_dir: Path) -> list[Path]:
    """Make playable every recording of ``source_dir`` (Janus's .mjr files) not yet made, into
    ``target_dir``; the files made there."""
    if not available() or not source_dir.is_dir():
        return []
    target_dir.mkdir(parents=True, exist_ok=True)
    made = []
    for recording, sources in recordings(p for p in source_dir.glob("*.mjr") if p.stat().st_size > 0).items():
        if already_made(recording, target_dir):
            continue  # by an earlier stop
        streams = []
        for source in sources:
            header = header_of(source)
            suffix = TARGETS.get(str(header.get("c", "")).lower())
            if suffix is None:
                log.warning("recording %s: codec not known, left as it is", source.name)
                continue
            converted = run_tool(source, source_dir / (source.stem + suffix))
            if converted is not None:
                found = STREAM.match(source.stem)
                kind = found["kind"] if found else ("audio" if suffix == ".opus" else "video")
                mindex = int(found["mindex"] or 0) if found else 0
                streams.append(Stream(converted, kind, mindex, int(header.get("u") or 0)))
        made.extend(put_together(recording, streams, target_dir))
    return made


def recordings(sources: Iterable[Path]) -> dict[str, list[Path]]:
    """The .mjr files by recording: a publisher's streams that started together, named after the first
    (``videoroom-<room>-user-<feed>-<time>``); a file of another name is a recording of its own."""
    by_feed: dict[str, list[tuple[int, Path]]] = {}
    found: dict[str, list[Path]] = {}
    for source in sources:
        match = STREAM.match(source.stem)
        if match:
            by_feed.setdefault(match["feed"], []).append((int(match["time"]), source))
        else:
            found[source.stem] = [source]
    for feed, streams in by_feed.items():
        start = None
        for time, source in sorted(streams):
            if start is None or time - start > SAME_RECORDING:
                start = time
            found.setdefault(f"{feed}-{start}", []).append(source)
    return found


def already_made(recording: str, target_dir: Path) -> bool:
    """The recording's file (picture and sound), or its streams listed apart, are in ``target_dir``."""
    return any(p.stem == recording or p.stem.startswith(f"{recording}-") for p in target_dir.iterdir()
               if p.suffix in PLAYABLE)


def run_tool(source: Path, target: Path) -> Path | None:
    """``janus-pp-rec`` on one file; the file made, or None (and nothing left) when it failed."""
    if target.exists():
        return target  # converted by an earlier stop whose putting together failed
    partial = target.with_name(f".{target.name}.part{target.suffix}")
    try:
        done = subprocess.run([TOOL, "--debug-level", "2", str(source), str(partial)], capture_output=True,
                              text=True, timeout=TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        log.warning("recording %s: %s failed: %s", source.name, TOOL, e)
        partial.unlink(missing_ok=True)
        return None
    if done.returncode != 0 or not partial.is_file() or partial.stat().st_size == 0:
        log.warning("recording %s: %s exited %s: %s", source.name, TOOL, done.returncode, done.stderr[-500:])
        partial.unlink(missing_ok=True)
        return None
    partial.rename(target)
    return target


def put_together(recording: str, streams: list[Stream], target_dir: Path) -> list[Path]:
    """The publisher's first camera and its sound into one file; any other stream (a second video: the
    shared screen) on its own; each appears in ``target_dir`` only when complete."""
    videos = sorted((s for s in streams if s.kind == "video"), key=lambda s: s.mindex)
    sounds = sorted((s for s in streams if s.kind == "audio"), key=lambda s: s.mindex)
    made = []
    if videos and sounds:
        video, sound = videos.pop(0), sounds.pop(0)
        target = target_dir / (recording + video.path.suffix)
        partial = target.with_name(f".{target.name}.part{target.suffix}")
        try:
            mux(video.path, sound.path, partial, sound.started_us - video.started_us)
        except (av.FFmpegError, OSError, ValueError) as e:
            log.warning("recording %s: picture and sound not put together (%s); listed apart", recording, e)
            partial.unlink(missing_ok=True)
            videos.insert(0, video)
            sounds.insert(0, sound)
        else:
            partial.rename(target)
            made.append(target)
    for stream in (*videos, *sounds):
        target = target_dir / stream.path.name
        shutil.copyfile(stream.path, target.with_name(f".{target.name}"))
        target.with_name(f".{target.name}").rename(target)
        made.append(target)
    return made


def mux(video: Path, sound: Path, target: Path, sound_after_us: int) -> None:
    """One file with ``video``'s picture and ``sound``'s sound, packets copied in time order; the sound
    starts ``sound_after_us`` after the picture (negative: before), as Janus received them."""
    fmt = "webm" if target.suffix == ".webm" else "matroska"
    with av.open(str(video)) as vin, av.open(str(sound)) as ain, av.open(str(target), "w", format=fmt) as out:
        vstream, astream = vin.streams.video[0], ain.streams.audio[0]
        vout, aout = out.add_stream_from_template(vstream), out.add_stream_from_template(astream)
        delay = Fraction(sound_after_us, 1_000_000)
        shift = {"video": max(Fraction(0), -delay), "audio": max(Fraction(0), delay)}
        for *_order, packet in heapq.merge(_packets(vin, vstream, vout, shift["video"], 0),
                                           _packets(ain, astream, aout, shift["audio"], 1)):
            out.mux(packet)


def _packets(container: Any, stream: Any, out: Any, shift: Fraction,
             which: int) -> Iterator[tuple[Fraction, int, int, Any]]:
    """The stream's packets, retimed by ``shift`` seconds and bound for ``out``, each after its time,
    ``which`` stream and its number (so that two at the same time compare without comparing packets)."""
    base = stream.time_base
    offset = int(shift / base)
    for n, packet in enumerate(container.demux(stream)):
        if packet.dts is None:
            continue  # the demuxer's end-of-stream packet
        packet.pts = None if packet.pts is None else packet.pts + offset
        packet.dts += offset
        packet.stream = out
        yield packet.dts * base, which, n, packet
