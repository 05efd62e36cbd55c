"""``phonghop backup`` / ``phonghop restore``: the database and the data directory's files in one archive,
checked member by member, restorable into an empty deployment on either database engine.

The archive (tar, gzip when the name ends in ``.gz``) holds:

- ``manifest.json``: format, time, the SHA-256 and size of every other member, and a *summary* of the
  deployment (row counts per model; every meeting; every document version's hash and the hash of its file
  on disk; every vote's status, result and ballot counts);
- ``database.json``: the database as Django's serialised data (``dumpdata`` with natural keys, read in one
  transaction that sees one committed moment), so a backup of SQLite restores into PostgreSQL and back;
- ``files/...``: the data directory's ``files/`` (documents, meeting books, recordings), except
  ``files/pages/``, the page images that are rendered again on demand.

Not in it: the ballot secret (``voting.md``, "Threat model": a copy of the database taken while a secret
vote is open plus the secret joins voters to choices), written only on request to a file of its own, to
be kept apart; the generated ``SECRET_KEY`` (the restored site signs new sessions with its own).

Restoring checks every member against the manifest before it changes anything, loads into a migrated,
empty database, writes the files, then computes the summary again and compares it with the manifest's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction

FORMAT = 1
EXCLUDED = ["contenttypes", "auth.permission", "sessions"]  # recreated by migrate, or worthless in a copy
SKIPPED_FOLDERS = {"pages"}  # under files/: rendered again on demand
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup that cannot be made, or an archive that must not be restored; the message says why."""


# The summary both sides compute ------------------------------------------------------------------------------

def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _backed_up_models() -> list:
    excluded_apps = {label for label in EXCLUDED if "." not in label}
    excluded_models = {label.lower() for label in EXCLUDED if "." in label}
    return [m for m in apps.get_models()
            if m._meta.app_label not in excluded_apps and m._meta.label_lower not in excluded_models
            and m._meta.managed and not m._meta.proxy]


def deployment_summary() -> dict[str, Any]:
    """What a restore must reproduce exactly: counts, meetings, document hashes (recorded and on disk), votes."""
    from meetings.documents.models import DocumentVersion
    from meetings.models import Meeting
    from meetings.pdf import store
    from meetings.voting.models import Participation, SealedBallot, SecretBallot, VotingItem

    def on_disk(sha256: str) -> str | None:
        path = store.path_for(sha256)
        return _file_sha256(path) if path.is_file() else None

    summary = {
        "counts": {m._meta.label_lower: m._default_manager.count() for m in _backed_up_models()},
        "meetings": list(Meeting.objects.order_by("pk").values("pk", "title", "status", "start", "last_seq")),
        "documents": [{"version": v.pk, "document": v.document_id, "number": v.number, "sha256": v.sha256,
                       "file_sha256": on_disk(v.sha256)}
                      for v in DocumentVersion.objects.order_by("pk")],
        "votes": [{"vote": item.pk, "meeting": item.meeting_id, "status": item.status, "result": item.result,
                   "participations": Participation.objects.filter(item=item).count(),
                   "named_choices": sorted(json.dumps(c) for c in Participation.objects.filter(item=item)
                                           .values_list("choices", flat=True)),
                   "sealed": SealedBallot.objects.filter(item=item).count(),
                   "secret_ballots": sorted(json.dumps([b.receipt, b.choices]) for b in
                                            SecretBallot.objects.filter(item=item))}
                  for item in VotingItem.objects.order_by("pk")],
    }
    return json.loads(json.dumps(summary, default=str))  # as it reads back from the manifest


# Backup ------------------------------------------------------------------------------------------------------

def _files_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _data_files() -> list[tuple[str, Path]]:
    root = _files_root()
    if not root.is_dir():
        return []
    found = []
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        if here == root:
            dirs[:] = [d for d in dirs if d not in SKIPPED_FOLDERS]
        dirs.sort()
        for name in sorted(names):
            path = here / name
            if path.is_file() and not name.startswith(".readyz-"):
                found.append((path.relative_to(root).as_posix(), path))
    return found


def _dump_database(out: Path) -> dict[str, Any]:
    """The data and the summary from one moment: one read-only transaction (REPEATABLE READ on PostgreSQL;
    SQLite's transaction sees one snapshot)."""
    outermost = not connection.in_atomic_block  # the isolation level can only be set at the start
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        call_command("dumpdata", exclude=EXCLUDED, natural_foreign=True, output=str(out), verbosity=0)
        return deployment_summary()


def create_backup(target: Path, ballot_secret_to: Path | None = None) -> dict[str, Any]:
    """Write the archive to ``target`` (atomically) and return its manifest."""
    target = Path(target)
    if ballot_secret_to is not None and Path(ballot_secret_to).resolve().parent == target.resolve().parent:
        raise BackupError("Keep the ballot secret apart: write it to another folder than the backup.")
    with tempfile.TemporaryDirectory(prefix="phonghop-backup-") as tmp:
        dump = Path(tmp) / "database.json"
        summary = _dump_database(dump)
        files = [(name, path, _file_sha256(path), path.stat().st_size) for name, path in _data_files()]
        manifest = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database_engine": connection.vendor,
            "members": {"database.json": {"sha256": _file_sha256(dump), "size": dump.stat().st_size},
                        **{f"files/{name}": {"sha256": sha, "size": size} for name, _p, sha, size in files}},
            "summary": summary,
            "ballot_secret": "not included",
        }
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz" if target.name.endswith(".gz") else "w") as tar:
            _add_bytes(tar, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1).encode())
            tar.add(dump, arcname="database.json")
            for name, path, _sha, _size in files:
                tar.add(path, arcname=f"files/{name}")
        os.replace(partial, target)
    if ballot_secret_to is not None:
        _write_secret(Path(ballot_secret_to))
    return manifest


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(dt.datetime.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


def _write_secret(path: Path) -> None:
    from meetings.voting import keys

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(keys.master_secret().hex() + "\n")


# Restore -----------------------------------------------------------------------------------------------------

def _safe_member(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and ".." not in parts and not name.startswith("/") and (
        name in ("manifest.json", "database.json") or (parts[0] == "files" and len(parts) > 1))


def read_manifest(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive, "r:*") as tar:
        try:
            member = tar.getmember("manifest.json")
        except KeyError:
            raise BackupError("This is not a Phòng họp số backup: it has no manifest.json.") from None
        manifest = json.load(tar.extractfile(member))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
    return manifest


def verify(archive: Path) -> dict[str, Any]:
    """Check every member against the manifest (hash and size; nothing missing, nothing extra). Returns the
    manifest; raises BackupError naming the first problem."""
    manifest = read_manifest(archive)
    expected = dict(manifest["members"])
    with tarfile.open(archive, "r:*") as tar:
        for member in tar:
            if member.name == "manifest.json":
                continue
            if not _safe_member(member.name) or not member.isfile():
                raise BackupError(f"Unexpected member in the archive: {member.name}")
            want = expected.pop(member.name, None)
            if want is None:
                raise BackupError(f"Member not listed in the manifest: {member.name}")
            digest = hashlib.sha256()
            source = tar.extractfile(member)
            while chunk := source.read(CHUNK):
                digest.update(chunk)
            if digest.hexdigest() != want["sha256"] or member.size != want["size"]:
                raise BackupError(f"Damaged member (hash or size differs): {member.name}")
    if expected:
        raise BackupError(f"Missing from the archive: {', '.join(sorted(expected)[:5])}")
    return manifest


def _is_empty() -> bool:
    from accounts.models import Unit, User
    from meetings.models import Meeting

    return not (User.objects.exists() or Unit.objects.exists() or Meeting.objects.exists())


def restore(archive: Path, ballot_secret: Path | None = None) -> dict[str, Any]:
    """Restore ``archive`` into this (empty) deployment; returns the summary, equal to the manifest's."""
    manifest = verify(archive)
    call_command("migrate", interactive=False, verbosity=0)
    if not _is_empty():
        raise BackupError("The target deployment is not empty: restore only into a new, empty database.")
    root = _files_root()
    if (root / "pdf").is_dir() and any((root / "pdf").rglob("*")):
        raise BackupError(f"The data directory's files folder is not empty: {root}")
    with tempfile.TemporaryDirectory(prefix="phonghop-restore-") as tmp, tarfile.open(archive, "r:*") as tar:
        dump = Path(tmp) / "database.json"
        with tar.extractfile("database.json") as source, open(dump, "wb") as out:
            shutil.copyfileobj(source, out, CHUNK)
        if dump.stat().st_size > 2:  # "[]": a backup of an empty deployment has nothing to load
            with transaction.atomic():
                call_command("loaddata", str(dump), verbosity=0)
        for member in tar:
            if not member.name.startswith("files/"):
                continue
            path = root / PurePosixPath(member.name).relative_to("files")
            path.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(member) as source, open(path, "wb") as out:
                shutil.copyfileobj(source, out, CHUNK)
    if ballot_secret is not None:
        _install_secret(Path(ballot_secret))
    summary = deployment_summary()
    if summary != manifest["summary"]:
        differing = [key for key in summary if summary[key] != manifest["summary"].get(key)]
        raise BackupError(f"The restored deployment differs from the backup in: {', '.join(differing)}")
    return summary


def _install_secret(source: Path) -> None:
    from meetings.voting import keys

    if os.environ.get("PHONGHOP_BALLOT_SECRET") or os.environ.get("PHONGHOP_BALLOT_SECRET_FILE"):
        raise BackupError("PHONGHOP_BALLOT_SECRET is set here: put the saved secret there instead.")
    target = keys.key_file()
    keys._decode(source.read_text(encoding="utf-8"))  # refuses a file that is not a ballot secret
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(f"A ballot secret exists here already ({target}): not replaced.") from None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(source.read_text(encoding="utf-8").strip() + "\n")
