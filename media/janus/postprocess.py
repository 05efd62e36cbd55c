"""Janus's recordings made playable: its recorder writes one ``.mjr`` file per stream and publisher (RTP
packets with a header), which no browser plays. When a recording stops, or the briefing's room closes,
``janus-pp-rec`` (Debian's ``janus-tools``) turns each finished file into one the recordings page lists:
VP8/VP9 video into WebM, H.264 into Matroska, Opus sound into Ogg Opus. One process per file, in a thread,
bounded in time; a file already converted is left alone, so a second stop converts only what is new.

This works where the recordings folder is on this machine (Janus beside the server, or the folder shared);
with Janus on a machine of its own, run ``janus-pp-rec`` there (docs/operations.md).
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)

TOOL = "janus-pp-rec"
TARGETS = {"vp8": ".webm", "vp9": ".webm", "h264": ".mkv", "opus": ".opus"}
PLAYABLE = frozenset(TARGETS.values())
TIMEOUT = 600  # seconds for one file: a briefing of several hours is a few hundred MB


def available() -> bool:
    return shutil.which(TOOL) is not None


def codec_of(source: Path) -> str | None:
    """The codec in a .mjr file's header (``janus-pp-rec --json``), lower case; None if unreadable."""
    try:
        done = subprocess.run([TOOL, "--json", str(source)], capture_output=True, text=True, timeout=30, check=False)
        return str(json.loads(done.stdout).get("c", "")).lower() or None
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None


def convert(source_dir: Path, target_dir: Path) -> list[Path]:
    """Convert every .mjr of ``source_dir`` not yet converted into ``target_dir``; the files made."""
    if not available() or not source_dir.is_dir():
        return []
    made = []
    target_dir.mkdir(parents=True, exist_ok=True)
    for source in sorted(source_dir.glob("*.mjr")):
        if source.stat().st_size == 0:
            continue
        suffix = TARGETS.get(codec_of(source) or "")
        if suffix is None:
            log.warning("recording %s: codec not known, left as it is", source.name)
            continue
        target = target_dir / (source.stem + suffix)
        if target.exists():
            continue
        partial = target.with_name(f".{target.name}.part{suffix}")  # hidden from the page until complete
        try:
            done = subprocess.run([TOOL, "--debug-level", "2", str(source), str(partial)], capture_output=True,
                                  text=True, timeout=TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            log.warning("recording %s: %s failed: %s", source.name, TOOL, e)
            partial.unlink(missing_ok=True)
            continue
        if done.returncode != 0 or not partial.is_file() or partial.stat().st_size == 0:
            log.warning("recording %s: %s exited %s: %s", source.name, TOOL, done.returncode, done.stderr[-500:])
            partial.unlink(missing_ok=True)
            continue
        partial.rename(target)
        made.append(target)
    return made
