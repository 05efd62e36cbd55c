"""REST API of meeting documents (docs/api.md, "Documents"). Every write goes through the services.

Uploads and downloads are async views: the file is parsed, converted, checked (sandboxed intake) and
watermarked in worker threads (``thread_sensitive=False``), while the database work goes to Django's
one sync thread (``sync_to_async``), so a 30-second intake never holds the database thread.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

from asgiref.sync import sync_to_async
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status

from meetings.api.auth import AUTH, actor
from meetings.api.schemas import Error
from meetings.errors import Invalid, NotFound, ServiceError
from meetings.pdf import intake, sandbox, store
from meetings.pdf import limits as pdf_limits
from meetings.services import events

from . import access, book, search, serialize, services, watermark
from .models import Document, PageText

router = Router(tags=["documents"], auth=AUTH)
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 413: Error, 422: Error}
db = sync_to_async  # database work: Django's one sync thread
off_thread = sync_to_async  # file work: pass thread_sensitive=False

UPLOAD_BODY = {
    "requestBody": {"content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {
            "file": {"type": "string", "format": "binary", "description": "PDF, or .docx .doc .xlsx .pptx .odt"},
            "title": {"type": "string"}, "agenda_item_id": {"type": "integer"},
            "kind": {"type": "string", "enum": list(Document.Kind.values)},
            "access": {"type": "string", "enum": list(Document.Access.values)},
            "classification": {"type": "string"},
            "allowed_participant_ids": {"type": "string", "description": "participant ids, comma separated"},
            "available_from": {"type": "string", "format": "date-time"},
            "available_until": {"type": "string", "format": "date-time"},
        }}}}}
}
VERSION_BODY = {"requestBody": {"content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}}}}}


class BadUpload(ServiceError):
    status = 400
    code = "no_file"


# Uploads --------------------------------------------------------------------------------------------

def _refuse_too_large(request: HttpRequest) -> None:
    """Before the body is parsed: a declared size over the cap is refused (413)."""
    limits = pdf_limits.current()
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limits.max_bytes + 1024 * 1024:
        raise intake.IntakeError("too_large", size=intake._mb(length), limit=intake._mb(limits.max_bytes))


def _read_form(request: HttpRequest) -> tuple[dict[str, Any], Path, str, bool]:
    """The multipart form, parsed in a worker thread: (fields, file path, original name, temporary?)."""
    upload = request.FILES.get("file")
    if upload is None:
        raise BadUpload(_("Choose a file to upload."), field="file")
    fields = {key: request.POST.getlist(key) if key == "allowed_participant_ids" else request.POST.get(key)
              for key in request.POST}
    if hasattr(upload, "temporary_file_path"):
        return fields, Path(upload.temporary_file_path()), upload.name, False
    fd, name = tempfile.mkstemp(prefix="phonghop-upload-")
    with os.fdopen(fd, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return fields, Path(name), upload.name, True


def _receive(path: Path, name: str, temporary: bool) -> services.Received:
    try:
        return services.receive_file(path, name)
    finally:
        if temporary:
            path.unlink(missing_ok=True)


def _int(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise Invalid(_("The data sent is not valid: field “%(field)s”.") % {"field": field}, field=field) from exc


def _when(value: Any, field: str) -> dt.datetime | None:
    if value in (None, ""):
        return None
    parsed = value if isinstance(value, dt.datetime) else parse_datetime(str(value))
    if parsed is None:
        raise Invalid(_("The data sent is not valid: field “%(field)s”.") % {"field": field}, field=field)
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _ids(value: Any) -> list[int]:
    items: list[Any] = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        for part in str(item or "").replace(";", ",").split(","):
            if part.strip():
                out.append(_int(part.strip(), "allowed_participant_ids"))
    return out


def _document_fields(form: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "title": form.get("title") or None,
        "agenda_item_id": _int(form.get("agenda_item_id"), "agenda_item_id"),
        "kind": form.get("kind") or Document.Kind.REPORT,
        "access": form.get("access") or Document.Access.ALL,
        "classification": form.get("classification") or "none",
        "allowed_participant_ids": _ids(form.get("allowed_participant_ids") or []),
        "available_from": _when(form.get("available_from"), "available_from"),
        "available_until": _when(form.get("available_until"), "available_until"),
    }
    return fields


@router.post("/meetings/{int:meeting_id}/documents", response={201: dict, **ERRORS}, openapi_extra=UPLOAD_BODY,
             summary="Upload a document (multipart): PDF or an office file")
async def upload_document(request, meeting_id: int):
    user = actor(request)
    _refuse_too_large(request)
    meeting = await db(access.meeting_for)(user, meeting_id)
    await db(services.check_upload)(user, meeting)  # the role, before the body is even parsed
    form, path, name, temporary = await off_thread(_read_form, thread_sensitive=False)(request)
    try:
        fields = _document_fields(form)
        await db(services.check_upload)(user, meeting, **{k: v for k, v in fields.items()
                                                            if k in services.ACCESS_FIELDS})
    except BaseException:
        if temporary:
            path.unlink(missing_ok=True)
        raise
    received = await off_thread(_receive, thread_sensitive=False)(path, name, temporary)
    document = await db(services.add_document)(user, meeting, received, **fields)
    return Status(201, await db(_document_json)(user, document.pk, True))


@router.post("/documents/{int:document_id}/versions", response={201: dict, **ERRORS}, openapi_extra=VERSION_BODY,
             summary="Upload a new version (the history is kept; a preparing unit's waits for approval)")
async def upload_version(request, document_id: int):
    user = actor(request)
    _refuse_too_large(request)
    document, _viewer = await db(access.document_for)(user, document_id)
    await db(services.check_upload)(user, document.meeting, document=document)
    _form, path, name, temporary = await off_thread(_read_form, thread_sensitive=False)(request)
    received = await off_thread(_receive, thread_sensitive=False)(path, name, temporary)
    await db(services.add_version)(user, document, received)
    return Status(201, await db(_document_json)(user, document.pk, True))


# Reading ----------------------------------------------------------------------------------------------

def _document_json(user, document_id: int, full: bool = False) -> dict[str, Any]:
    document, viewer = access.document_for(user, document_id)
    if not viewer.may_read(document):
        raise viewer.refusal(document)
    return serialize.document(document, viewer, full=full)


@router.get("/meetings/{int:meeting_id}/documents", response={200: list[dict], **ERRORS},
            summary="The meeting's documents the caller may see, in agenda order")
def list_documents(request, meeting_id: int):
    user = actor(request)
    meeting = access.meeting_for(user, meeting_id)
    return [serialize.document(d, viewer) for d, viewer in access.readable_documents(user, meeting)]


@router.get("/documents/{int:document_id}", response={200: dict, **ERRORS})
def read_document(request, document_id: int):
    return _document_json(actor(request), document_id, full=True)


class DocumentPatch(Schema):
    title: str | None = None
    kind: str | None = None
    agenda_item_id: int | None = None
    order: int | None = None
    access: str | None = None
    classification: str | None = None
    allowed_participant_ids: list[int] | None = None
    available_from: dt.datetime | None = None
    available_until: dt.datetime | None = None


@router.patch("/documents/{int:document_id}", response={200: dict, **ERRORS},
              summary="Change details and access (level, classification, named participants, availability)")
def change_document(request, document_id: int, payload: DocumentPatch):
    user = actor(request)
    document, _viewer = access.document_for(user, document_id)
    values = payload.dict(exclude_unset=True)
    for name in ("available_from", "available_until"):
        if values.get(name) is not None:
            values[name] = _when(values[name], name)
    services.change_document(user, document, **values)
    return _document_json(user, document_id, True)


class RequestIn(Schema):
    title: str
    preparing_unit_id: int
    agenda_item_id: int | None = None
    kind: str = Document.Kind.REPORT
    access: str = Document.Access.ALL
    classification: str = "none"
    allowed_participant_ids: list[int] = []


@router.post("/meetings/{int:meeting_id}/documents/requests", response={201: dict, **ERRORS},
             summary="Ask a unit to prepare a document (its uploads wait for approval)")
def request_document(request, meeting_id: int, payload: RequestIn):
    user = actor(request)
    meeting = access.meeting_for(user, meeting_id)
    document = services.request_document(user, meeting, **payload.dict())
    return Status(201, _document_json(user, document.pk, True))


class ReasonIn(Schema):
    reason: str = ""


@router.post("/documents/{int:document_id}/versions/{int:number}/approve", response={200: dict, **ERRORS})
def approve_version(request, document_id: int, number: int):
    user = actor(request)
    document, _viewer = access.document_for(user, document_id)
    services.approve(user, document, number)
    return _document_json(user, document_id, True)


@router.post("/documents/{int:document_id}/versions/{int:number}/return", response={200: dict, **ERRORS},
             summary="Return a prepared version to its unit, with the reason")
def return_version(request, document_id: int, number: int, payload: ReasonIn):
    user = actor(request)
    document, _viewer = access.document_for(user, document_id)
    services.return_version(user, document, number, payload.reason)
    return _document_json(user, document_id, True)


@router.post("/documents/{int:document_id}/recall", response={200: dict, **ERRORS},
             summary="Recall the document (thu hồi tài liệu): readers lose access")
def recall_document(request, document_id: int):
    user = actor(request)
    document, _viewer = access.document_for(user, document_id)
    services.recall(user, document)
    return _document_json(user, document_id, True)


@router.post("/documents/{int:document_id}/restore", response={200: dict, **ERRORS})
def restore_document(request, document_id: int):
    user = actor(request)
    document, _viewer = access.document_for(user, document_id)
    services.restore(user, document)
    return _document_json(user, document_id, True)


class RecallAllIn(Schema):
    restricted_only: bool = True


@router.post("/meetings/{int:meeting_id}/documents/recall", response={200: dict, **ERRORS},
             summary="After the meeting: recall its restricted (or all) documents")
def recall_all(request, meeting_id: int, payload: RecallAllIn):
    user = actor(request)
    meeting = access.meeting_for(user, meeting_id)
    return {"recalled": services.recall_all(user, meeting, payload.restricted_only)}


@router.get("/documents/{int:document_id}/pages/{int:page}/text", response={200: dict, **ERRORS})
def page_text(request, document_id: int, page: int, version: int | None = None):
    v, _viewer = access.readable_version(actor(request), document_id, version)
    row = PageText.objects.filter(version=v, page=page).first()
    if row is None:
        raise NotFound(_("This page does not exist."), "no_such_page")
    return {"document_id": document_id, "version": v.number, "page": page, "text": row.text}


@router.get("/documents/{int:document_id}/search", response={200: dict, **ERRORS},
            summary="Search inside a document (diacritics and case ignored)")
def search_document(request, document_id: int, q: str = "", version: int | None = None):
    v, _viewer = access.readable_version(actor(request), document_id, version)
    hits = search.in_version(v, q)
    return {"document_id": document_id, "version": v.number, "q": q, "hits": hits}


@router.get("/documents/search", response={200: dict, **ERRORS},
            summary="Search every document the caller may read, in all meetings they may see")
def search_everywhere(request, q: str = "", limit: int = 50):
    return {"q": q, "results": search.everywhere(actor(request), q, max(1, min(limit, 200)))}


def _download_source(user, document_id: int, version: int | None) -> tuple[Path, str, str | None, Any]:
    v, viewer = access.readable_version(user, document_id, version)
    document = v.document
    label = watermark.label_for(user) if document.restricted else None
    if label:
        events.audit(user, "document.download", viewer.meeting, document.title, document_id=document.pk,
                     version=v.number, watermark=label)
    filename = f"{document.title[:120]}{'' if v.number == 1 else f' (v{v.number})'}.pdf"
    return store.path_for(v.sha256), filename, label, v


@router.get("/documents/{int:document_id}/download", response={200: None, **ERRORS},
            summary="The PDF; a restricted document carries the caller's watermark on every page")
async def download(request, document_id: int, version: int | None = None):
    user = actor(request)
    source, filename, label, _v = await db(_download_source)(user, document_id, version)
    if label is None:
        response = FileResponse(open(source, "rb"), content_type="application/pdf", as_attachment=True,  # noqa: SIM115
                                filename=filename)
        response["Cache-Control"] = "private, max-age=3600"
        return response
    try:
        stamped = await off_thread(watermark.stamped_pdf, thread_sensitive=False)(source, label)
    except sandbox.SandboxError as exc:
        raise ServiceError(_("The document could not be prepared for download. Try again later."),
                           "download_failed") from exc
    try:
        data = await off_thread(stamped.read_bytes, thread_sensitive=False)()
    finally:
        stamped.unlink(missing_ok=True)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


# Read tracking ---------------------------------------------------------------------------------------------

class SeenIn(Schema):
    version: int
    pages: list[int]


@router.post("/documents/{int:document_id}/seen", response={200: dict, **ERRORS},
             summary="The caller saw these pages (read tracking)")
def mark_seen(request, document_id: int, payload: SeenIn):
    user = actor(request)
    v, _viewer = access.readable_version(user, document_id, payload.version)
    mark = services.mark_seen(user, v, payload.pages[:5000])
    return {"document_id": document_id, "version": v.number, "pages_seen": mark.pages_seen}


@router.get("/meetings/{int:meeting_id}/documents/reads", response={200: list[dict], **ERRORS},
            summary="Read report for the organisers: who opened which document, how many pages")
def read_report(request, meeting_id: int):
    user = actor(request)
    return services.read_report(user, access.meeting_for(user, meeting_id))


# Personal notes -----------------------------------------------------------------------------------------------

class Rect(Schema):
    x: float
    y: float
    w: float
    h: float


class NoteIn(Schema):
    page: int
    text: str = ""
    rect: Rect | None = None


class NotePatch(Schema):
    page: int | None = None
    text: str | None = None
    rect: Rect | None = None


@router.get("/documents/{int:document_id}/notes", response={200: list[dict], **ERRORS},
            summary="The caller's own notes on the document (nobody else's)")
def list_notes(request, document_id: int):
    user = actor(request)
    document, _viewer = access.readable_document(user, document_id)
    return [serialize.note(n) for n in document.notes.filter(author=user).order_by("page", "id")]


@router.post("/documents/{int:document_id}/notes", response={201: dict, **ERRORS})
def add_note(request, document_id: int, payload: NoteIn):
    user = actor(request)
    v, _viewer = access.readable_version(user, document_id)
    rect = payload.rect.dict() if payload.rect else None
    return Status(201, serialize.note(services.add_note(user, v, payload.page, payload.text, rect)))


def _note_pages(user, note_id: int) -> int:
    note = services.note_for(user, note_id)
    v, _viewer = access.readable_version(user, note.document_id)
    return v.pages


@router.patch("/notes/{int:note_id}", response={200: dict, **ERRORS})
def change_note(request, note_id: int, payload: NotePatch):
    user = actor(request)
    values = payload.dict(exclude_unset=True)
    clear = "rect" in values and values["rect"] is None
    note = services.update_note(user, note_id, _note_pages(user, note_id), text=values.get("text"),
                                page=values.get("page"), rect=values.get("rect"), clear_rect=clear)
    return serialize.note(note)


@router.delete("/notes/{int:note_id}", response={204: None, **ERRORS})
def delete_note(request, note_id: int):
    services.delete_note(actor(request), note_id)
    return Status(204, None)


def _text_file(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@router.get("/documents/{int:document_id}/notes/export", response={200: None, **ERRORS},
            summary="The caller's notes on the document as a text file")
def export_document_notes(request, document_id: int):
    user = actor(request)
    document, _viewer = access.readable_document(user, document_id)
    return _text_file(services.notes_export(user, [document]), _("notes - %(title)s.txt") % {"title": document.title[:80]})


@router.get("/meetings/{int:meeting_id}/notes/export", response={200: None, **ERRORS},
            summary="All the caller's notes in the meeting as a text file")
def export_meeting_notes(request, meeting_id: int):
    user = actor(request)
    meeting = access.meeting_for(user, meeting_id)
    documents = [d for d, _viewer in access.readable_documents(user, meeting)]
    return _text_file(services.notes_export(user, documents), _("notes - %(title)s.txt") % {"title": meeting.title[:80]})


# The meeting book ---------------------------------------------------------------------------------------------

@router.get("/meetings/{int:meeting_id}/book", response={200: dict, **ERRORS},
            summary="The caller's meeting book: status and progress (0–100)")
def book_status(request, meeting_id: int):
    user = actor(request)
    return book.status(user, access.meeting_for(user, meeting_id))


@router.post("/meetings/{int:meeting_id}/book", response={202: dict, **ERRORS},
             summary="Build the caller's meeting book in the background")
def build_book(request, meeting_id: int):
    user = actor(request)
    return Status(202, book.request_build(user, access.meeting_for(user, meeting_id)))


@router.get("/meetings/{int:meeting_id}/book.pdf", response={200: None, **ERRORS},
            summary="Download the caller's meeting book (only when it matches the current documents)")
def book_download(request, meeting_id: int):
    user = actor(request)
    meeting = access.meeting_for(user, meeting_id)
    path = book.book_file(user, meeting)
    events.audit(user, "document.book_download", meeting, meeting.title)
    response = FileResponse(open(path, "rb"), content_type="application/pdf", as_attachment=True,  # noqa: SIM115
                            filename=_("meeting book - %(title)s.pdf") % {"title": meeting.title[:100]})
    response["Cache-Control"] = "private, no-store"
    return response
