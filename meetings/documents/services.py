"""The only code that changes meeting documents (the pretix rule): upload, versions, approval, access,
recall, read marks and personal notes. Each change: check permission and input, one transaction with
the meeting row locked, ``documents.changed`` in the event log (clients refetch the list through the
REST API), an audit entry; after commit, the first pages are rendered and meeting books rebuilt.

An upload is three steps so that the slow part never holds the database: ``check_upload`` (who, what
access), ``receive_file`` (office conversion and the PDF intake in a sandboxed child; no database:
from async code run it with ``sync_to_async(thread_sensitive=False)``), then ``add_document`` or
``add_version`` (the transaction). ``upload`` and ``upload_version`` do all three, for sync callers.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Unit, User
from meetings.errors import Forbidden, Invalid, NotFound
from meetings.models import AgendaItem, Meeting
from meetings.pdf import intake, render
from meetings.services import events

from . import convert
from .access import Viewer, is_approver
from .models import Document, DocumentVersion, PageText, PrivateNote, ReadMark

A = Document.Access
V = DocumentVersion.Status
S = Meeting.Status
OPEN_STATUSES = (S.DRAFT, S.PUBLISHED, S.IN_PROGRESS, S.ENDED)
MAX_TITLE = 500
MAX_NOTE = 10_000
MAX_REASON = 2000
ACCESS_FIELDS = ("access", "classification", "allowed_participant_ids", "available_from", "available_until")
DETAIL_FIELDS = ("title", "kind", "agenda_item_id", "order")


@dataclass(frozen=True)
class Received:
    """An uploaded file after conversion and intake: stored, read, not yet a document."""

    accepted: intake.Accepted
    original_name: str
    converted_from: str = ""

    @property
    def result(self) -> intake.IntakeResult:
        return self.accepted.result


# Checks --------------------------------------------------------------------------------------------

def _lock(meeting: Meeting | int) -> Meeting:
    return Meeting.objects.select_for_update().get(pk=meeting if isinstance(meeting, int) else meeting.pk)


def _open_meeting(meeting: Meeting) -> None:
    if meeting.status not in OPEN_STATUSES:
        raise Invalid(_("The documents of a cancelled or archived meeting can no longer be changed."), "not_editable")


def _need_organiser(actor: User, meeting: Meeting) -> None:
    if not Viewer.of(actor, meeting).organiser:
        raise Forbidden(_("Only the chair, the secretary or the host unit's administrators can do this."))


def _check_access_values(meeting: Meeting, values: dict[str, Any]) -> None:
    access = values.get("access")
    if access is not None and access not in A.values:
        raise Invalid(_("Unknown access level."), field="access")
    classification = values.get("classification")
    if classification is not None and classification not in Meeting.Classification.values:
        raise Invalid(_("Unknown classification."), field="classification")
    if access == A.CLASSIFIED or (classification and classification != Meeting.Classification.NONE):
        if not settings.PHONGHOP_ALLOW_CLASSIFIED:
            raise Invalid(_("This system is not approved for classified documents (Mật, Tối mật, Tuyệt mật). "
                            "Classified documents must be handled on a system approved for state secrets."),
                          "classified_not_allowed", field="classification")
        if access == A.CLASSIFIED and classification in (None, Meeting.Classification.NONE):
            raise Invalid(_("A classified document needs its classification (Mật, Tối mật or Tuyệt mật)."),
                          field="classification")
    start, end = values.get("available_from"), values.get("available_until")
    if start and end and end <= start:
        raise Invalid(_("The end of the availability must come after its start."), field="available_until")


def check_upload(actor: User, meeting: Meeting, *, document: Document | None = None, **values: Any) -> None:
    """Who may upload, and with which access: checked before the file is read."""
    _open_meeting(meeting)
    viewer = Viewer.of(actor, meeting)
    if document is None:
        if not viewer.organiser:
            raise Forbidden(_("Only the chair, the secretary or the host unit's administrators can add documents; "
                              "a unit asked to prepare a document uploads it to that document."))
        _check_access_values(meeting, values)
    elif not viewer.may_prepare(document):
        raise Forbidden(_("Only the organisers and the unit asked to prepare this document can upload it."))
    elif document.revoked_at is not None:
        raise Invalid(_("This document has been recalled; restore it before uploading a new version."), "recalled")


# The file ------------------------------------------------------------------------------------------

def receive_file(path: str | os.PathLike, original_name: str) -> Received:
    """Convert an office file, then the PDF intake (sandboxed). No database; blocks up to the limits."""
    name = Path(original_name or "document.pdf").name[:255]
    if convert.is_office(name):
        with tempfile.TemporaryDirectory(prefix="phonghop-upload-") as scratch:
            pdf = convert.to_pdf(Path(path), name, Path(scratch) / "converted.pdf")
            return Received(intake.accept(pdf), name, Path(name).suffix.lower().lstrip("."))
    return Received(intake.accept(path), name)


def _default_title(received: Received) -> str:
    return (received.result.title or Path(received.original_name).stem or _("Document"))[:MAX_TITLE]


# Documents -----------------------------------------------------------------------------------------

def _agenda_item(meeting: Meeting, item_id: int | None) -> AgendaItem | None:
    if item_id is None:
        return None
    item = meeting.agenda_items.filter(pk=item_id).first()
    if item is None:
        raise Invalid(_("This agenda item is not in the meeting."), field="agenda_item_id")
    return item


def _participants(meeting: Meeting, ids: Iterable[int] | None) -> list:
    ids = sorted(set(ids or []))
    found = list(meeting.participants.filter(pk__in=ids))
    if len(found) != len(ids):
        raise Invalid(_("Some of the named people are not participants of this meeting."),
                      field="allowed_participant_ids")
    return found


def _next_order(meeting: Meeting) -> int:
    return (meeting.documents.aggregate(m=Max("order"))["m"] or 0) + 1


def _changed(actor: User | None, meeting: Meeting, document: Document, change: str, **audit: Any) -> None:
    """The list changed: one event in the log (no content: clients refetch what they may see)."""
    events.record(meeting, "documents.changed", {"document_id": document.pk, "change": change}, actor)
    events.audit(actor, f"document.{change}", meeting, document.title, document_id=document.pk, **audit)
    meeting_id = meeting.pk
    transaction.on_commit(lambda: _after_change(meeting_id))


def _after_change(meeting_id: int) -> None:
    from meetings.documents import book

    book.schedule_rebuild(meeting_id)


def _title(value: str | None, fallback: str) -> str:
    title = " ".join((value or "").split())[:MAX_TITLE]
    return title or fallback


def add_document(actor: User, meeting: Meeting, received: Received, *, title: str | None = None,
                 agenda_item_id: int | None = None, kind: str = Document.Kind.REPORT, access: str = A.ALL,
                 classification: str = Meeting.Classification.NONE, allowed_participant_ids: Iterable[int] = (),
                 available_from: dt.datetime | None = None, available_until: dt.datetime | None = None) -> Document:
    """A new document with its first version (approved: organisers upload it)."""
    if kind not in Document.Kind.values:
        raise Invalid(_("Unknown kind of document."), field="kind")
    with transaction.atomic():
        meeting = _lock(meeting)
        check_upload(actor, meeting, access=access, classification=classification,
                     available_from=available_from, available_until=available_until)
        document = Document.objects.create(
            meeting=meeting, agenda_item=_agenda_item(meeting, agenda_item_id), kind=kind,
            title=_title(title, _default_title(received)), order=_next_order(meeting), access=access,
            classification=classification, available_from=available_from, available_until=available_until,
            created_by=actor,
        )
        document.allowed_participants.set(_participants(meeting, allowed_participant_ids))
        version = _new_version(actor, document, received, V.APPROVED)
        _changed(actor, meeting, document, "added", version=version.number, sha256=version.sha256)
    return document


def request_document(actor: User, meeting: Meeting, *, title: str, preparing_unit_id: int,
                     agenda_item_id: int | None = None, kind: str = Document.Kind.REPORT, access: str = A.ALL,
                     classification: str = Meeting.Classification.NONE,
                     allowed_participant_ids: Iterable[int] = ()) -> Document:
    """Ask a unit to prepare a document: an empty document its people can upload to (for approval)."""
    if kind not in Document.Kind.values:
        raise Invalid(_("Unknown kind of document."), field="kind")
    with transaction.atomic():
        meeting = _lock(meeting)
        _open_meeting(meeting)
        _need_organiser(actor, meeting)
        _check_access_values(meeting, {"access": access, "classification": classification})
        unit = Unit.objects.filter(pk=preparing_unit_id).first()
        if unit is None:
            raise Invalid(_("Unknown unit."), field="preparing_unit_id")
        title = _title(title, "")
        if not title:
            raise Invalid(_("The document needs a title."), field="title")
        document = Document.objects.create(
            meeting=meeting, agenda_item=_agenda_item(meeting, agenda_item_id), kind=kind, title=title,
            order=_next_order(meeting), access=access, classification=classification, preparing_unit=unit,
            created_by=actor,
        )
        document.allowed_participants.set(_participants(meeting, allowed_participant_ids))
        _changed(actor, meeting, document, "requested", unit=unit.name)
    return document


def add_version(actor: User, document: Document, received: Received) -> DocumentVersion:
    """A new version; the history stays. From the organisers: approved at once; from the preparing
    unit: waiting until the chair or the secretary approves it."""
    with transaction.atomic():
        meeting = _lock(document.meeting_id)
        document = Document.objects.select_for_update().get(pk=document.pk)
        check_upload(actor, meeting, document=document)
        status = V.APPROVED if Viewer.of(actor, meeting).organiser else V.PENDING
        version = _new_version(actor, document, received, status)
        _changed(actor, meeting, document, "version", version=version.number, sha256=version.sha256,
                 status=status)
    return version


def _new_version(actor: User, document: Document, received: Received, status: str) -> DocumentVersion:
    result = received.result
    number = (document.versions.aggregate(m=Max("number"))["m"] or 0) + 1
    now = timezone.now()
    version = DocumentVersion.objects.create(
        document=document, number=number, sha256=result.sha256, size=result.size, pages=result.pages,
        title=result.title[:MAX_TITLE], original_name=received.original_name,
        converted_from=received.converted_from, page_sizes=[list(size) for size in result.page_sizes],
        has_javascript=result.has_javascript, uploaded_by=actor, uploaded_at=now, status=status,
        approved_by=actor if status == V.APPROVED else None, decided_at=now if status == V.APPROVED else None,
    )
    PageText.objects.bulk_create([
        PageText(version=version, page=n, text=text, folded=_fold(text))
        for n, text in enumerate(result.text_per_page, 1)
    ], batch_size=500)
    if status == V.APPROVED:
        document.current_version = version
        document.save(update_fields=["current_version", "updated_at"])
    sha, pages = result.sha256, result.pages
    transaction.on_commit(lambda: _prefetch(sha, pages))
    return version


def _fold(text: str) -> str:
    from meetings.textsearch import fold

    return fold(text)


def _prefetch(sha256: str, pages: int) -> None:
    try:
        render.prefetch_first_pages(sha256, pages)
    except Exception:  # noqa: BLE001 — the pages will be rendered when someone opens them
        pass


def upload(actor: User, meeting: Meeting, path: str | os.PathLike, original_name: str, **fields: Any) -> Document:
    """check_upload, receive_file and add_document, for sync callers (tests, demo data, scripts)."""
    check_upload(actor, meeting, **{k: v for k, v in fields.items() if k in ACCESS_FIELDS})
    return add_document(actor, meeting, receive_file(path, original_name), **fields)


def upload_version(actor: User, document: Document, path: str | os.PathLike, original_name: str) -> DocumentVersion:
    check_upload(actor, document.meeting, document=document)
    return add_version(actor, document, receive_file(path, original_name))


# Approval ------------------------------------------------------------------------------------------

def _pending(document: Document, number: int) -> DocumentVersion:
    version = document.versions.filter(number=number).first()
    if version is None:
        raise NotFound(_("This version of the document does not exist."))
    if version.status != V.PENDING:
        raise Invalid(_("This version has already been decided."), "already_decided")
    return version


def approve(actor: User, document: Document, number: int) -> DocumentVersion:
    with transaction.atomic():
        meeting = _lock(document.meeting_id)
        document = Document.objects.select_for_update().get(pk=document.pk)
        if not is_approver(actor, meeting):
            raise Forbidden(_("Only the chair or the secretary of the meeting can approve documents."))
        version = _pending(document, number)
        version.status, version.approved_by, version.decided_at = V.APPROVED, actor, timezone.now()
        version.save(update_fields=["status", "approved_by", "decided_at"])
        if document.current_version is None or document.current_version.number < version.number:
            document.current_version = version
            document.save(update_fields=["current_version", "updated_at"])
        _changed(actor, meeting, document, "approved", version=number)
    return version


def return_version(actor: User, document: Document, number: int, reason: str) -> DocumentVersion:
    """Send a prepared version back to its unit with the reason (it stays in the history)."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("Say why the document is returned, so the unit knows what to change."), "reason_required",
                      field="reason")
    if len(reason) > MAX_REASON:
        raise Invalid(_("The reason is too long."), field="reason")
    with transaction.atomic():
        meeting = _lock(document.meeting_id)
        document = Document.objects.select_for_update().get(pk=document.pk)
        if not is_approver(actor, meeting):
            raise Forbidden(_("Only the chair or the secretary of the meeting can return documents."))
        version = _pending(document, number)
        version.status, version.reason = V.RETURNED, reason
        version.approved_by, version.decided_at = actor, timezone.now()
        version.save(update_fields=["status", "reason", "approved_by", "decided_at"])
        _changed(actor, meeting, document, "returned", version=number, reason=reason)
    return version


# Access, details, recall ---------------------------------------------------------------------------

def change_document(actor: User, document: Document, **values: Any) -> Document:
    """Details (title, kind, agenda item, order) and access (level, classification, named
    participants, availability window). Only the fields given change."""
    unknown = set(values) - set(ACCESS_FIELDS) - set(DETAIL_FIELDS)
    if unknown:
        raise Invalid(_("Unknown fields: %(names)s") % {"names": ", ".join(sorted(unknown))})
    with transaction.atomic():
        meeting = _lock(document.meeting_id)
        document = Document.objects.select_for_update().get(pk=document.pk)
        _open_meeting(meeting)
        _need_organiser(actor, meeting)
        merged = {"access": document.access, "classification": document.classification,
                  "available_from": document.available_from, "available_until": document.available_until}
        merged.update({k: v for k, v in values.items() if k in merged})
        if any(k in values for k in ("access", "classification")):
            _check_access_values(meeting, merged)
        elif any(k in values for k in ("available_from", "available_until")):
            _check_access_values(meeting, {k: merged[k] for k in ("available_from", "available_until")})
        if "title" in values:
            title = _title(values["title"], "")
            if not title:
                raise Invalid(_("The document needs a title."), field="title")
            document.title = title
        if "kind" in values:
            if values["kind"] not in Document.Kind.values:
                raise Invalid(_("Unknown kind of document."), field="kind")
            document.kind = values["kind"]
        if "agenda_item_id" in values:
            document.agenda_item = _agenda_item(meeting, values["agenda_item_id"])
        if "order" in values and values["order"] is not None:
            document.order = max(0, int(values["order"]))
        for name in ("access", "classification", "available_from", "available_until"):
            if name in values:
                setattr(document, name, merged[name])
        if "allowed_participant_ids" in values:
            document.allowed_participants.set(_participants(meeting, values["allowed_participant_ids"]))
        document.save()
        changed = sorted(values)
        _changed(actor, meeting, document, "access" if set(changed) & set(ACCESS_FIELDS) else "details",
                 fields=changed)
    return document


def recall(actor: User, document: Document) -> Document:
    """Thu hồi tài liệu: readers lose the document (the organisers keep it)."""
    return _set_recalled(actor, document, True)


def restore(actor: User, document: Document) -> Document:
    return _set_recalled(actor, document, False)


def _set_recalled(actor: User, document: Document, recalled: bool) -> Document:
    with transaction.atomic():
        meeting = _lock(document.meeting_id)
        document = Document.objects.select_for_update().get(pk=document.pk)
        _need_organiser(actor, meeting)
        if (document.revoked_at is not None) == recalled:
            return document
        document.revoked_at, document.revoked_by = (timezone.now(), actor) if recalled else (None, None)
        document.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
        _changed(actor, meeting, document, "recalled" if recalled else "restored")
        if recalled:
            from meetings.documents import presentation

            presentation.stop_if_showing(meeting, document.pk, actor)
    return document


def recall_all(actor: User, meeting: Meeting, restricted_only: bool = True) -> int:
    """After the meeting: recall its (restricted) documents at once. Returns how many were recalled."""
    _need_organiser(actor, meeting)
    documents = meeting.documents.filter(revoked_at__isnull=True)
    if restricted_only:
        documents = documents.exclude(access=A.ALL)
    count = 0
    for document in documents:
        recall(actor, document)
        count += 1
    return count


# Reading -------------------------------------------------------------------------------------------

def mark_seen(user: User, version: DocumentVersion, pages: Iterable[int]) -> ReadMark:
    """The reader saw these pages (the viewer reports them in batches). Not an event: only the
    organisers' read report shows it."""
    wanted = {int(p) for p in pages if 1 <= int(p) <= version.pages}
    now = timezone.now()
    with transaction.atomic():
        mark, created = ReadMark.objects.select_for_update().get_or_create(
            user=user, version=version, defaults={"document_id": version.document_id, "pages_seen": sorted(wanted),
                                                  "first_opened_at": now, "last_opened_at": now})
        if not created:
            mark.pages_seen = sorted(set(mark.pages_seen) | wanted)
            mark.last_opened_at = now
            mark.save(update_fields=["pages_seen", "last_opened_at"])
    return mark


def read_report(actor: User, meeting: Meeting) -> list[dict[str, Any]]:
    """For the chair and the secretary: per document, who opened it and how many of its pages they saw."""
    _need_organiser(actor, meeting)
    people = list(meeting.participants.select_related("user", "user__unit").order_by("id"))
    rows = []
    for document in meeting.documents.select_related("current_version").order_by("agenda_item__order", "order", "id"):
        version = document.current_version
        marks = {}
        if version is not None:
            marks = {m.user_id: m for m in ReadMark.objects.filter(version=version)}
        allowed = set(document.allowed_participants.values_list("pk", flat=True))
        readers = []
        for p in people:
            if document.access != A.ALL and p.pk not in allowed:
                continue
            mark = marks.get(p.user_id)
            readers.append({
                "participant_id": p.pk, "user_id": p.user_id, "name": p.user.get_full_name(),
                "unit": str(p.user.unit) if p.user.unit_id else "",
                "opened": mark is not None, "pages_seen": len(mark.pages_seen) if mark else 0,
                "first_opened_at": mark.first_opened_at if mark else None,
                "last_opened_at": mark.last_opened_at if mark else None,
            })
        rows.append({"document_id": document.pk, "title": document.title,
                     "pages": version.pages if version else 0, "version": version.number if version else None,
                     "readers": readers})
    return rows


# Personal notes --------------------------------------------------------------------------------------

def _note_values(version_pages: int, page: int | None, text: str | None, rect: dict[str, float] | None) -> dict:
    values: dict[str, Any] = {}
    if page is not None:
        if not 1 <= page <= version_pages:
            raise Invalid(_("This page does not exist."), field="page")
        values["page"] = page
    if text is not None:
        if len(text) > MAX_NOTE:
            raise Invalid(_("The note is too long (at most %(n)d characters).") % {"n": MAX_NOTE}, field="text")
        values["text"] = text
    if rect is not None:
        try:
            x, y, w, h = (float(rect[k]) for k in ("x", "y", "w", "h"))
        except (KeyError, TypeError, ValueError) as exc:
            raise Invalid(_("The highlighted area is not valid."), field="rect") from exc
        if not (0 <= x <= 1 and 0 <= y <= 1 and 0 < w <= 1 and 0 < h <= 1 and x + w <= 1.0001 and y + h <= 1.0001):
            raise Invalid(_("The highlighted area must lie on the page."), field="rect")
        values.update(x=x, y=y, w=w, h=h)
    return values


def add_note(user: User, version: DocumentVersion, page: int, text: str = "",
             rect: dict[str, float] | None = None) -> PrivateNote:
    values = _note_values(version.pages, page, text or "", rect)
    if not values.get("text", "").strip() and "x" not in values:
        raise Invalid(_("Write something, or highlight an area of the page."), field="text")
    return PrivateNote.objects.create(author=user, document_id=version.document_id, **values)


def _my_note(user: User, note_id: int) -> PrivateNote:
    note = PrivateNote.objects.select_related("document").filter(pk=note_id, author=user).first()
    if note is None:  # someone else's note does not exist, as far as this person knows
        raise NotFound(_("This note does not exist."))
    return note


def update_note(user: User, note_id: int, pages: int, *, text: str | None = None, page: int | None = None,
                rect: dict[str, float] | None = None, clear_rect: bool = False) -> PrivateNote:
    note = _my_note(user, note_id)
    for name, value in _note_values(pages, page, text, rect).items():
        setattr(note, name, value)
    if clear_rect:
        note.x = note.y = note.w = note.h = None
    note.updated_at = timezone.now()
    note.save()
    return note


def delete_note(user: User, note_id: int) -> None:
    _my_note(user, note_id).delete()


def note_for(user: User, note_id: int) -> PrivateNote:
    return _my_note(user, note_id)


def notes_export(user: User, documents: list[Document]) -> str:
    """The author's notes as plain text, document by document, page by page."""
    from meetings.formatting import long_datetime

    lines: list[str] = []
    for document in documents:
        notes = list(PrivateNote.objects.filter(author=user, document=document).order_by("page", "id"))
        if not notes:
            continue
        lines += [document.title, "=" * min(len(document.title), 80), ""]
        for note in notes:
            where = _("Page %(page)s") % {"page": note.page}
            if note.x is not None:
                where += " " + _("(highlighted area)")
            lines.append(f"{where} — {long_datetime(note.updated_at)}")
            lines += [note.text.strip() or "—", ""]
    if not lines:
        lines = [_("You have no personal notes here.")]
    return "\n".join(lines).rstrip() + "\n"
