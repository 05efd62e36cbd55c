"""Retention: once a meeting has been over for ``PHONGHOP_RETENTION_DAYS``, its whole record is written to an
archive file under the data directory (``archive/<year>/meeting-<id>.zip``), checked against its own manifest,
and only then is its operational data cleared: command receipts, presence rows, meeting books, and the page
images and search text of documents no unarchived meeting uses. What the archive office keeps is the file.

The meeting's row, its event log and the audit trail stay: the hash chains cover them, and they are small.
Documents' original PDFs stay in the content store (another meeting may hold the same file). Runs daily as a
Huey job, or by hand (``manage.py apply_retention``); a meeting is done once (``ArchivedRecord``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import shutil
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from meetings.models import ArchivedRecord, CommandReceipt, LiveConnection, Meeting
from meetings.record import archive

log = logging.getLogger(__name__)


def due(now: dt.datetime | None = None, days: int | None = None):
    days = settings.PHONGHOP_RETENTION_DAYS if days is None else days
    if days <= 0:
        return Meeting.objects.none()
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    return Meeting.objects.filter(status__in=(Meeting.Status.ENDED, Meeting.Status.ARCHIVED), end__lt=cutoff,
                                  archived_record__isnull=True).order_by("end")


def _write(meeting: Meeting, data: bytes) -> Path:
    folder = Path(settings.DATA_DIR) / "archive" / str(timezone.localtime(meeting.start).year)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"meeting-{meeting.pk}.zip"
    partial = target.with_suffix(".zip.part")
    with open(partial, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    partial.replace(target)  # a crash leaves a .part, never a half archive under the final name
    return target


def _clear(meeting: Meeting) -> None:
    from meetings.documents.book import book_path
    from meetings.documents.models import DocumentVersion, MeetingBook, PageText

    CommandReceipt.objects.filter(meeting=meeting).delete()
    LiveConnection.objects.filter(meeting=meeting).delete()
    for book in MeetingBook.objects.filter(meeting=meeting):
        if book.sha256:
            book_path(book.sha256).unlink(missing_ok=True)
        book.delete()
    versions = DocumentVersion.objects.filter(document__meeting=meeting)
    mine = set(versions.values_list("sha256", flat=True))
    # Keep what a meeting still live uses (the same file uploaded to another meeting).
    shared = set(DocumentVersion.objects.filter(sha256__in=mine, document__meeting__archived_record__isnull=True)
                 .exclude(document__meeting=meeting).values_list("sha256", flat=True))
    PageText.objects.filter(version__in=versions.exclude(sha256__in=shared)).delete()
    for sha in mine - shared:
        shutil.rmtree(Path(settings.MEDIA_ROOT) / "pages" / sha, ignore_errors=True)


def archive_one(meeting: Meeting) -> ArchivedRecord:
    from meetings.services import events

    data = archive.build(meeting)
    problems = archive.check(data)
    if problems:  # never clear anything whose archive does not check out
        raise RuntimeError(f"the archive of meeting {meeting.pk} does not check out: {problems}")
    path = _write(meeting, data)
    with transaction.atomic():
        record = ArchivedRecord.objects.create(meeting=meeting, path=str(path.relative_to(settings.DATA_DIR)),
                                               sha256=hashlib.sha256(data).hexdigest(), size=len(data))
        _clear(meeting)
        events.audit(None, "meeting.retention_archive", meeting, meeting.title, file=record.path,
                     sha256=record.sha256)
    return record


def apply(now: dt.datetime | None = None, days: int | None = None) -> list[int]:
    """Archive every meeting past its retention period; the ids done."""
    done = []
    for meeting in due(now, days):
        try:
            archive_one(meeting)
        except Exception:  # one meeting's trouble does not stop the others; the next run tries it again
            log.exception("retention: meeting %s was not archived", meeting.pk)
            continue
        done.append(meeting.pk)
    return done
