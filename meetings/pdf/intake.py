"""Intake of an uploaded PDF: is it one, can we read it safely, and what is in it.

``inspect(path)`` checks in the server process only what costs nothing and parses nothing: the size,
and the ``%PDF-`` header in the first kilobyte (content, not the file name, decides). It hashes the
file (SHA-256, the document's identity). Everything that parses runs in a sandboxed child
(``sandbox.run``): PDFium opens the document, counts the pages, reads the title, the size of each page,
the text of each page (for search) and the pixel size of each embedded image. The child sends back
plain data, or the reason it refused the file; a child killed by a limit is reported by the sandbox.

Every refusal is an ``IntakeError`` with a stable ``code`` and a message for the person who uploaded:

    empty, too_large, not_pdf, encrypted, broken, truncated, too_many_pages, image_too_large,
    too_slow (CPU or wall-clock limit), too_much_memory (memory limit)

JavaScript: a PDF with JavaScript actions is ACCEPTED and flagged (``has_javascript``). Nothing here
can run it: the PDFium build in pypdfium2 has no JavaScript engine, forms are never initialised, and
people see our rendered images, not the PDF in a viewer. The flag lets the interface warn before
offering the original for download. The stored file is the uploaded one, byte for byte (its hash is
its identity, and an official document must stay as it was sent), so the scripts are not stripped.

A file PDFium cannot open is given to pypdf (in the same child), which finds its way through some
damage PDFium does not (a trailer without /Root, for one); if pypdf can read it, its rewrite of the
file is what PDFium reads and what pages are rendered from (``repaired``).

``accept(path)`` is the whole of an upload: inspect, then store under the content address; a file
already stored is recognised by its hash and not parsed again. It blocks (up to the wall-clock limit)
and at most two run at once per process: from async code call it in a thread of its own
(``sync_to_async(accept, thread_sensitive=False)``), not in Django's shared sync thread.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from meetings.errors import Invalid

from . import limits as limits_module
from . import sandbox, store
from .limits import Limits

log = logging.getLogger("phonghop.pdf")

HEADER_WINDOW = 1024  # readers accept the %PDF- header anywhere in the first kilobyte
SNIFF_WINDOW = 64 * 1024
MAX_TEXT_PER_PAGE = 100_000  # characters
MAX_TEXT_TOTAL = 16_000_000
_slots = threading.BoundedSemaphore(2)  # two cores: at most two intakes at once per server process

MESSAGES = {
    "empty": _("The file is empty (0 bytes). The upload may have been interrupted: choose the file and "
               "send it again."),
    "too_large": _("This file is %(size)s MB, larger than the limit of %(limit)s MB. Make it smaller (for "
                   "example, scan at a lower resolution) or split it."),
    "not_pdf": _("This file is not a PDF. Save or export it as PDF, then upload it again."),
    "not_pdf_kind": _("This file is not a PDF: it is %(kind)s. Save or export it as PDF, then upload it "
                      "again."),
    "encrypted": _("This PDF is protected by a password and cannot be opened. Remove the password (save or "
                   "print it again as a PDF without protection), then upload it again."),
    "broken": _("This PDF is damaged and cannot be read. Open it on your computer, save or export it again "
                "as PDF, then upload the new file."),
    "truncated": _("This PDF is incomplete: its end is missing, probably because a download or a copy was "
                   "interrupted. Get the complete file and upload it again."),
    "too_many_pages": _("This PDF has %(pages)s pages, more than the limit of %(limit)s. Split it into "
                        "smaller documents."),
    "image_too_large": _("Page %(page)s contains an image of %(width)s × %(height)s pixels, larger than the "
                         "limit of %(limit)s megapixels. Reduce the image resolution (300 dpi is enough for "
                         "documents), then upload it again."),
    "too_slow": _("Reading this PDF took longer than the allowed %(seconds)s seconds. It may be damaged or "
                  "unusually complex: save it again as PDF, or split it, then upload it again."),
    "too_much_memory": _("Reading this PDF needed more memory than allowed (%(limit)s MB). It may contain a "
                         "compression bomb or oversized content: save it again as PDF, then upload it again."),
}

KINDS = {
    "docx": _("a Word document"),
    "xlsx": _("an Excel spreadsheet"),
    "pptx": _("a PowerPoint presentation"),
    "office": _("an Office document"),
    "ole": _("an older Office document (.doc, .xls or .ppt)"),
    "zip": _("a ZIP archive"),
    "archive": _("a compressed archive"),
    "image": _("an image"),
    "html": _("a web page (HTML)"),
    "rtf": _("an RTF document"),
}


class _Message:
    """A translatable template and its values, formatted in the language active when shown."""

    def __init__(self, template, params: dict[str, Any]):
        self.template = template
        self.params = params

    def __str__(self) -> str:
        return str(self.template) % {key: str(value) for key, value in self.params.items()}


class IntakeError(Invalid):
    """The file was refused; ``code`` says why, ``str(error)`` tells the person what to do."""

    def __init__(self, code: str, **params: Any):
        template = MESSAGES["not_pdf_kind" if code == "not_pdf" and params.get("kind") else code]
        shown = dict(params)
        if "kind" in shown:
            shown["kind"] = KINDS[shown["kind"]]
        super().__init__(_Message(template, shown), code)
        self.status = 413 if code == "too_large" else 400
        self.params = params


@dataclass(frozen=True)
class IntakeResult:
    sha256: str
    size: int
    pages: int
    title: str
    text_per_page: list[str]
    page_sizes: list[tuple[float, float]]  # width, height in points, page rotation applied
    encrypted: bool  # encrypted, but opens without a password (an owner password restricts editing)
    has_javascript: bool
    text_truncated: bool = False
    repaired: bool = False  # PDFium could not open it, pypdf could: pages are rendered from pypdf's rewrite

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IntakeResult:
        data = dict(data)
        data["page_sizes"] = [tuple(size) for size in data["page_sizes"]]
        return cls(**data)


@dataclass(frozen=True)
class Accepted:
    result: IntakeResult
    path: Path
    duplicate: bool


# The server side -------------------------------------------------------------------------------

def accept(path: str | os.PathLike, limits: Limits | None = None) -> Accepted:
    """Inspect the file and store it; a file stored before is recognised by its SHA-256."""
    limits = limits or limits_module.current()
    digest = _precheck(Path(path), limits)
    known = store.load_result(digest)
    if known is not None:
        return Accepted(IntakeResult.from_dict(known), store.path_for(digest), duplicate=True)
    with tempfile.TemporaryDirectory(prefix="phonghop-pdf-") as scratch:
        repaired = Path(scratch) / "repaired.pdf"
        result = _inspect(Path(path), limits, digest, repaired)
        stored = store.put(path, digest)
        if result.repaired:
            store.put_repaired(digest, repaired)
    store.save_result(digest, result.to_dict())
    return Accepted(result, stored.path, stored.duplicate)


def inspect(path: str | os.PathLike, limits: Limits | None = None) -> IntakeResult:
    """Read a PDF safely; raises IntakeError when it is refused. Stores nothing."""
    limits = limits or limits_module.current()
    digest = _precheck(Path(path), limits)
    with tempfile.TemporaryDirectory(prefix="phonghop-pdf-") as scratch:
        return _inspect(Path(path), limits, digest, Path(scratch) / "repaired.pdf")


def _precheck(path: Path, limits: Limits) -> str:
    """The checks that parse nothing; returns the SHA-256."""
    size = path.stat().st_size
    if size == 0:
        raise IntakeError("empty")
    if size > limits.max_bytes:
        raise IntakeError("too_large", size=_mb(size), limit=_mb(limits.max_bytes))
    with path.open("rb") as fh:
        head = fh.read(SNIFF_WINDOW)
    if b"%PDF-" not in head[:HEADER_WINDOW]:
        kind = sniff(head)
        raise IntakeError("not_pdf", **({"kind": kind} if kind else {}))
    return sha256_of(path)


def _inspect(path: Path, limits: Limits, digest: str, repaired: Path) -> IntakeResult:
    try:
        with _slots:
            reply = sandbox.run(_read_in_child, str(path), limits.max_pages, limits.max_image_pixels,
                                str(repaired), limits=limits, write_to=[repaired.parent], read_from=[path])
    except sandbox.TimeLimit as exc:
        raise IntakeError("too_slow", seconds=number_format(exc.seconds, 0)) from exc
    except sandbox.MemoryLimit as exc:
        raise IntakeError("too_much_memory", limit=limits.memory_mb) from exc
    except sandbox.SandboxError as exc:
        log.warning("PDF intake of %s failed in the child: %s", digest, exc)
        raise IntakeError(_broken_or_truncated(path)) from exc
    if "refused" in reply:
        code, params = reply["refused"], reply.get("params", {})
        if code == "broken":
            log.info("PDF %s refused as broken: %s", digest, reply.get("detail", ""))
            code = _broken_or_truncated(path)
        if code == "image_too_large":
            params = {**params, "width": number_format(params["width"], force_grouping=True),
                      "height": number_format(params["height"], force_grouping=True),
                      "limit": number_format(limits.max_image_pixels // 1_000_000, force_grouping=True)}
        if code == "too_many_pages":
            params = {"pages": number_format(params["pages"], force_grouping=True),
                      "limit": number_format(limits.max_pages, force_grouping=True)}
        raise IntakeError(code, **params)
    return IntakeResult.from_dict({"sha256": digest, "size": path.stat().st_size, **reply})


def _broken_or_truncated(path: Path) -> str:
    """A damaged file whose last kilobyte has no end-of-file marker was cut off on its way here."""
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - 1024))
        tail = fh.read()
    return "broken" if b"%%EOF" in tail else "truncated"


def sha256_of(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def sniff(head: bytes) -> str | None:
    """Name what a non-PDF file is, from its first bytes, so the message can say it."""
    if head.startswith(b"PK\x03\x04"):
        for marker, kind in ((b"word/", "docx"), (b"xl/", "xlsx"), (b"ppt/", "pptx")):
            if marker in head:
                return kind
        return "office" if b"[Content_Types].xml" in head else "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*", b"BM")):
        return "image"
    if head.startswith((b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b")):
        return "archive"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    lowered = head[:512].lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "html"
    return None


def _mb(size: int) -> str:
    return number_format(size / (1024 * 1024), 1)


# The child side: runs under the sandbox's limits, returns plain data ----------------------------

def _read_in_child(path: str, max_pages: int, max_image_pixels: int, repair_to: str) -> dict[str, Any]:
    import mmap
    import re

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    repaired = False
    try:
        doc = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            return {"refused": "encrypted"}
        # pypdf finds a document PDFium cannot in some damaged files (a trailer without /Root, ...):
        # its rewrite of the file is what PDFium then reads and renders.
        if not _rewrite_with_pypdf(path, repair_to):
            return {"refused": "broken", "detail": str(exc)}
        try:
            doc = pdfium.PdfDocument(repair_to)
        except pdfium.PdfiumError:
            return {"refused": "broken", "detail": f"{exc}, and in pypdf's rewrite too"}
        repaired = True
    try:
        pages = len(doc)
        if pages == 0:
            return {"refused": "broken", "detail": "no pages"}
        if pages > max_pages:
            return {"refused": "too_many_pages", "params": {"pages": pages}}
        title = " ".join(doc.get_metadata_value("Title").replace("\x00", " ").split())[:500]
        try:
            page_sizes = [[round(v, 2) for v in doc.get_page_size(i)] for i in range(pages)]
        except pdfium.PdfiumError:
            return {"refused": "broken", "detail": "the page tree is damaged"}
        texts: list[str] = []
        budget = MAX_TEXT_TOTAL
        for index in range(pages):
            try:
                page = doc[index]
            except pdfium.PdfiumError:
                return {"refused": "broken", "detail": f"page {index + 1} does not load"}
            for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=8):
                width, height = obj.get_px_size()
                if width * height > max_image_pixels:
                    return {"refused": "image_too_large",
                            "params": {"page": index + 1, "width": width, "height": height}}
            textpage = page.get_textpage()
            text = textpage.get_text_range().replace("\r\n", "\n").replace("\x00", "")[:MAX_TEXT_PER_PAGE]
            textpage.close()
            page.close()
            text = text[:budget]
            budget -= len(text)
            texts.append(text)
        with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            scripted = data.find(b"/JavaScript") >= 0 or re.search(rb"/JS\s*[(<\d]", data) is not None
        return {
            "pages": pages,
            "title": title,
            "text_per_page": texts,
            "page_sizes": page_sizes,
            "encrypted": pdfium_c.FPDF_GetSecurityHandlerRevision(doc) != -1,
            "has_javascript": scripted or pdfium_c.FPDFDoc_GetJavaScriptActionCount(doc) > 0,
            "text_truncated": budget <= 0,
            "repaired": repaired,
        }
    finally:
        doc.close()


def _rewrite_with_pypdf(path: str, target: str) -> bool:
    import logging

    import pypdf

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    try:
        reader = pypdf.PdfReader(path, strict=False)
        if reader.is_encrypted or len(reader.pages) == 0:
            return False
        writer = pypdf.PdfWriter(clone_from=reader)
        with open(target, "wb") as fh:
            writer.write(fh)
        return True
    except Exception:  # noqa: BLE001 — pypdf cannot read it either
        return False
