"""Content-addressed storage of accepted PDFs under the data directory.

A document lives at ``MEDIA_ROOT/pdf/<sha[:2]>/<sha>.pdf``: its SHA-256 is its name, so the same
file uploaded twice (to two meetings, by two secretaries) is stored once and recognised. Beside it,
``<sha>.json`` keeps what intake read from it (pages, title, text per page), so a duplicate is not
parsed again; ``<sha>.repaired.pdf`` is the copy rendered when the original needed pypdf's repair.
Files are written to a temporary name in the same folder and linked into place, so a
reader never sees half a file and two uploads of the same file at once do not collide.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

_SHA256 = re.compile(r"[0-9a-f]{64}")
RESULT_VERSION = 1


@dataclass(frozen=True)
class Stored:
    sha256: str
    path: Path
    duplicate: bool


def root() -> Path:
    return Path(settings.MEDIA_ROOT) / "pdf"


def path_for(sha256: str) -> Path:
    if not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a SHA-256: {sha256!r}")
    return root() / sha256[:2] / f"{sha256}.pdf"


def exists(sha256: str) -> bool:
    return path_for(sha256).is_file()


def put(source: str | os.PathLike, sha256: str) -> Stored:
    """Copy ``source`` into the store under ``sha256``; checks the hash while copying."""
    import hashlib

    target = path_for(sha256)
    if target.is_file():
        return Stored(sha256, target, duplicate=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with open(source, "rb") as src, tempfile.NamedTemporaryFile(
        dir=target.parent, prefix=".incoming-", delete=False
    ) as tmp:
        try:
            while chunk := src.read(1 << 20):
                digest.update(chunk)
                tmp.write(chunk)
            tmp.flush()
            os.fsync(tmp.fileno())
        except BaseException:
            os.unlink(tmp.name)
            raise
    try:
        if digest.hexdigest() != sha256:
            raise ValueError(f"{source} changed: its SHA-256 is no longer {sha256}")
        os.chmod(tmp.name, 0o444)
        try:
            os.link(tmp.name, target)
        except FileExistsError:
            return Stored(sha256, target, duplicate=True)
    finally:
        os.unlink(tmp.name)
    return Stored(sha256, target, duplicate=False)


def put_repaired(sha256: str, rewrite: str | os.PathLike) -> Path:
    """Keep pypdf's rewrite of a damaged original beside it: the copy PDFium renders."""
    target = path_for(sha256).with_suffix(".repaired.pdf")
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".incoming-", delete=False) as tmp:
        with open(rewrite, "rb") as src:
            shutil.copyfileobj(src, tmp)
    os.chmod(tmp.name, 0o444)
    os.replace(tmp.name, target)
    return target


def render_source(sha256: str) -> Path:
    """The file PDFium renders: the original, or the rewrite of a repaired one."""
    original = path_for(sha256)
    rewrite = original.with_suffix(".repaired.pdf")
    return rewrite if rewrite.is_file() else original


def save_result(sha256: str, result: dict[str, Any]) -> None:
    target = path_for(sha256).with_suffix(".json")
    with tempfile.NamedTemporaryFile("w", dir=target.parent, prefix=".incoming-", suffix=".json",
                                     delete=False, encoding="utf-8") as tmp:
        json.dump({"version": RESULT_VERSION, "result": result}, tmp, ensure_ascii=False)
    os.replace(tmp.name, target)


def load_result(sha256: str) -> dict[str, Any] | None:
    """What intake read from a stored file, or None when the file (or its record) is not stored."""
    target = path_for(sha256)
    try:
        with target.with_suffix(".json").open(encoding="utf-8") as fh:
            data = json.load(fh)
    except (FileNotFoundError, ValueError):
        return None
    if data.get("version") != RESULT_VERSION or not target.is_file():
        return None
    return data["result"]


def delete(sha256: str) -> None:
    """Remove a document, its record and its rendered pages (when no meeting refers to it any more)."""
    target = path_for(sha256)
    for path in (target, target.with_suffix(".json"), target.with_suffix(".repaired.pdf")):
        path.unlink(missing_ok=True)
    shutil.rmtree(Path(settings.MEDIA_ROOT) / "pages" / sha256, ignore_errors=True)
