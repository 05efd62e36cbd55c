"""The meeting book (tập tài liệu họp): one PDF per person with a cover page (the meeting's data and
agenda), then every document that person may read, agenda item by agenda item, each item a bookmark
with its documents beneath; restricted documents carry the person's watermark; pages are numbered.

Built in the background, one book at a time per server process (a thread that hands the PDF work to
sandboxed children: pdfwork.book_part per document, pdfwork.assemble for the whole), with progress
0–100 stored on the ``MeetingBook`` row for the page to poll. Each book remembers a signature of what
it was built from (the meeting's data, the agenda, the documents and versions the person may read);
when a document changes, books whose signature no longer matches are built again, and an outdated
book is never served.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.models import User
from meetings.errors import Conflict, Forbidden, Invalid, NotFound
from meetings.formatting import long_datetime
from meetings.models import Meeting
from meetings.pdf import limits as pdf_limits
from meetings.pdf import sandbox, store

from . import pdfwork, watermark
from .access import Viewer
from .models import Document, MeetingBook

log = logging.getLogger("phonghop.documents")
B = MeetingBook.Status
MAX_REBUILDS = 3

_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()
_queued: set[int] = set()


# What goes in a person's book ----------------------------------------------------------------------

def contents(user: User, meeting: Meeting) -> list[tuple[Any, list[Document]]]:
    """[(agenda item or None, [documents])] in agenda order: the approved, not recalled documents the
    person may read. Every agenda item is listed, with or without documents."""
    viewer = Viewer.of(user, meeting)
    documents = [d for d in meeting.documents.select_related("current_version", "agenda_item")
                 .prefetch_related("allowed_participants").order_by("order", "id")
                 if d.current_version_id and d.revoked_at is None and viewer.may_read(d)]
    sections: list[tuple[Any, list[Document]]] = []
    for item in meeting.agenda_items.order_by("order"):
        sections.append((item, [d for d in documents if d.agenda_item_id == item.pk]))
    loose = [d for d in documents if d.agenda_item_id is None]
    if loose:
        sections.append((None, loose))
    return sections


def signature(user: User, meeting: Meeting) -> str:
    parts: dict[str, Any] = {
        "meeting": [meeting.title, meeting.start.isoformat(), meeting.end.isoformat(), meeting.place,
                    str(meeting.chair or ""), str(meeting.host_unit)],
        "user": [user.get_full_name(), str(user.unit or "")],
        "language": settings.LANGUAGE_CODE,
        "sections": [],
    }
    for item, documents in contents(user, meeting):
        parts["sections"].append([
            [item.pk, item.order, item.title, item.presenter_display] if item else None,
            [[d.pk, d.title, d.current_version.sha256, d.restricted] for d in documents],
        ])
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def _may_have_book(user: User, meeting: Meeting) -> None:
    viewer = Viewer.of(user, meeting)
    if not (viewer.organiser or viewer.reader):
        raise Forbidden(_("Only the meeting's participants and organisers have a meeting book."))


# Status, requests, rebuilds ------------------------------------------------------------------------

def status(user: User, meeting: Meeting) -> dict[str, Any]:
    _may_have_book(user, meeting)
    book = MeetingBook.objects.filter(meeting=meeting, user=user).first()
    if book is None:
        return {"status": "none", "progress": 0, "current": False, "pages": 0, "built_at": None, "error": ""}
    current = book.status == B.READY and book.built_from == signature(user, meeting)
    return {"status": book.status, "progress": book.progress, "current": current, "pages": book.pages,
            "built_at": book.built_at, "error": book.error}


def request_build(user: User, meeting: Meeting) -> dict[str, Any]:
    """Build (or rebuild) the person's book in the background; the answer is the new status."""
    _may_have_book(user, meeting)
    book, _created = MeetingBook.objects.get_or_create(meeting=meeting, user=user)
    if book.status in (B.QUEUED, B.BUILDING) and book.pk in _queued:
        return status(user, meeting)
    if book.status == B.READY and book.built_from == signature(user, meeting):
        return status(user, meeting)
    MeetingBook.objects.filter(pk=book.pk).update(status=B.QUEUED, progress=0, error="", requested_at=timezone.now())
    _start(book.pk)
    return status(user, meeting)


def schedule_rebuild(meeting_id: int) -> None:
    """After a document changed: build again the books of this meeting that no longer match."""
    books = list(MeetingBook.objects.filter(meeting_id=meeting_id).exclude(status__in=[B.QUEUED, B.BUILDING])
                 .select_related("user", "meeting"))
    for book in books:
        try:
            outdated = book.built_from != signature(book.user, book.meeting)
        except Exception:  # noqa: BLE001 — a person who lost access entirely: nothing to rebuild
            outdated = False
        if outdated:
            MeetingBook.objects.filter(pk=book.pk).update(status=B.QUEUED, progress=0)
            _start(book.pk)


def _start(book_id: int) -> None:
    if getattr(settings, "PHONGHOP_BOOK_INLINE", False):
        build(book_id)
        return
    global _executor
    with _lock:
        if book_id in _queued:
            return
        _queued.add(book_id)
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="meeting-book")
        _executor.submit(_run_in_thread, book_id)


def _run_in_thread(book_id: int) -> None:
    close_old_connections()
    try:
        build(book_id)
    finally:
        with _lock:
            _queued.discard(book_id)
        connection.close()


def wait_idle(timeout: float = 120) -> None:
    """Tests and the demo: wait until the queued books are built."""
    executor = _executor
    if executor is not None:
        executor.submit(lambda: None).result(timeout=timeout)


# Building ----------------------------------------------------------------------------------------------

def book_path(sha256: str) -> Path:
    store.path_for(sha256)  # validates the hash
    return Path(settings.MEDIA_ROOT) / "books" / sha256[:2] / f"{sha256}.pdf"


def _progress(book_id: int, value: int, **fields: Any) -> None:
    MeetingBook.objects.filter(pk=book_id).update(progress=max(0, min(100, value)), **fields)


def build(book_id: int) -> None:
    """Build one book now (blocking: seconds to a minute for a large meeting)."""
    for _attempt in range(MAX_REBUILDS):
        book = MeetingBook.objects.select_related("meeting", "user", "user__unit").filter(pk=book_id).first()
        if book is None:
            return
        meeting = Meeting.objects.select_related("chair", "host_unit", "room").get(pk=book.meeting_id)
        built_from = signature(book.user, meeting)
        _progress(book_id, 2, status=B.BUILDING, error="")
        try:
            with override(settings.LANGUAGE_CODE):
                sha, pages = _make(book, meeting, book.user)
        except Exception as exc:  # noqa: BLE001 — stored for the person to see; the log has the details
            log.exception("meeting book %s failed", book_id)
            message = str(exc) if isinstance(exc, Invalid) else _("The meeting book could not be built. Try again "
                                                                   "later; if it fails again, tell the secretary.")
            _progress(book_id, 0, status=B.FAILED, error=message)
            return
        old = book.sha256
        _progress(book_id, 100, status=B.READY, sha256=sha, pages=pages, built_at=timezone.now(),
                  built_from=built_from)
        if old and old != sha and not MeetingBook.objects.filter(sha256=old).exists():
            book_path(old).unlink(missing_ok=True)
        if signature(book.user, meeting) == built_from:
            return
        # A document changed while the book was being built: build it again.


def _make(book: MeetingBook, meeting: Meeting, user: User) -> tuple[str, int]:
    sections = contents(user, meeting)
    documents = [d for _item, docs in sections for d in docs]
    limits = pdf_limits.current()
    label = watermark.label_for(user)
    with tempfile.TemporaryDirectory(prefix="phonghop-book-") as scratch:
        work = Path(scratch)
        cover = work / "cover.pdf"
        cover_pdf(meeting, sections, user, cover)
        _progress(book.pk, 5)
        parts = []
        for index, document in enumerate(documents):
            target = work / f"part-{index}.pdf"
            restricted = document.restricted
            try:
                sandbox.run(pdfwork.book_part, str(store.render_source(document.current_version.sha256)),
                            str(target), label if restricted else None,
                            watermark.footer_for(label) if restricted else None,
                            limits=watermark.scaled(limits, 4), write_to=[work])
            except sandbox.SandboxError as exc:
                log.warning("meeting book: document %s skipped: %s", document.pk, exc)
                raise Invalid(_("The document “%(title)s” could not be added to the meeting book.")
                              % {"title": document.title}, "book_failed") from exc
            parts.append({"path": str(target), "title": document.title})
            _progress(book.pk, 5 + int(85 * (index + 1) / max(1, len(documents))))
        outline, index = [], 0
        for item, docs in sections:
            title = f"{item.order}. {item.title}" if item else _("Other documents")
            outline.append({"title": title, "parts": list(range(index, index + len(docs)))})
            index += len(docs)
        out = work / "book.pdf"
        result = sandbox.run(pdfwork.assemble, str(cover), parts, outline, str(out),
                             _("Page %(page)s of %(total)s"), _("Meeting book: %(title)s") % {"title": meeting.title},
                             limits=watermark.scaled(limits, 8), write_to=[work])
        _progress(book.pk, 95)
        from meetings.pdf.intake import sha256_of

        sha = sha256_of(out)
        target = book_path(sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(f".{os.getpid()}.tmp")
        shutil.copyfile(out, temporary)
        os.replace(temporary, target)
    return sha, int(result["pages"])


def cover_pdf(meeting: Meeting, sections: list[tuple[Any, list[Document]]], user: User, target: Path) -> None:
    """The cover: national title, the host unit, the meeting's title, time, place, chair, the agenda
    with the documents of each item, and whose copy this is. Trusted data: drawn in this process."""
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
    from reportlab.platypus.flowables import HRFlowable

    pdfwork.register_fonts()
    base = ParagraphStyle("base", fontName=pdfwork.FONT, fontSize=12, leading=16)
    center = ParagraphStyle("center", parent=base, alignment=TA_CENTER)
    bold_center = ParagraphStyle("bold_center", parent=center, fontName=pdfwork.FONT_BOLD)
    title_style = ParagraphStyle("title", parent=bold_center, fontSize=17, leading=23, spaceBefore=10, spaceAfter=8)
    heading = ParagraphStyle("heading", parent=base, fontName=pdfwork.FONT_BOLD, fontSize=13, spaceBefore=10,
                             spaceAfter=4)
    item_style = ParagraphStyle("item", parent=base, leftIndent=14, firstLineIndent=-14, spaceBefore=3)
    doc_style = ParagraphStyle("doc", parent=base, fontSize=10.5, leading=14, leftIndent=28, textColor="#333333")
    small = ParagraphStyle("small", parent=center, fontSize=9.5, leading=12, textColor="#555555")

    def p(text: str, style=base) -> Paragraph:
        from xml.sax.saxutils import escape

        return Paragraph(escape(str(text)), style)

    header = Table(
        [[p(meeting.host_unit.name.upper(), bold_center),
          [p("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold_center), p("Độc lập - Tự do - Hạnh phúc", bold_center)]]],
        colWidths=[70 * mm, 100 * mm])
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story: list[Any] = [header, Spacer(1, 14 * mm), p(_("MEETING BOOK"), bold_center), p(meeting.title, title_style),
                        HRFlowable(width="40%", color="#000000", spaceAfter=8)]
    facts = [(_("Time"), long_datetime(meeting.start)), (_("Place"), meeting.place or "—"),
             (_("Chair"), str(meeting.chair) if meeting.chair_id else "—"), (_("Host unit"), meeting.host_unit.name)]
    table = Table([[p(label + ":", ParagraphStyle("l", parent=base, fontName=pdfwork.FONT_BOLD)), p(value)]
                   for label, value in facts], colWidths=[35 * mm, 135 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    story += [table, p(_("Agenda"), heading)]
    for item, documents in sections:
        if item is None:
            story.append(p(_("Other documents"), item_style))
        else:
            line = f"{item.order}. {item.title}"
            if item.presenter_display:
                line += " — " + _("Presenter: %(name)s") % {"name": item.presenter_display}
            story.append(p(line, item_style))
        for document in documents:
            story.append(p("• " + document.title + " " + _("(%(pages)s pages)") % {
                "pages": document.current_version.pages}, doc_style))
    story += [Spacer(1, 10 * mm), p(_("Copy for %(label)s.") % {"label": watermark.label_for(user)}, small)]
    SimpleDocTemplate(str(target), pagesize=A4, leftMargin=30 * mm, rightMargin=18 * mm, topMargin=20 * mm,
                      bottomMargin=20 * mm, title=meeting.title, author=meeting.host_unit.name).build(story)


def book_file(user: User, meeting: Meeting) -> Path:
    """The person's current book; NotFound / Invalid when there is none or it is out of date."""
    _may_have_book(user, meeting)
    book = MeetingBook.objects.filter(meeting=meeting, user=user).first()
    if book is None or book.status != B.READY or not book.sha256:
        raise NotFound(_("Your meeting book has not been built yet."), "book_not_built")
    if book.built_from != signature(user, meeting):
        request_build(user, meeting)
        raise Conflict(_("The documents have changed: your meeting book is being built again."), "book_outdated")
    return book_path(book.sha256)
