"""PDF work on stored documents that runs in a sandboxed child (``meetings.pdf.sandbox.run``): stamping
a viewer's watermark into a download, and putting a meeting book together.

pypdf parses the documents here, and pypdf is where malformed files loop or blow up (see the
engineering notes), so none of this runs in the server process. This module imports no Django: the
child has none set up. The parent passes every text already translated.

Fonts: DejaVu Sans (Debian's fonts-dejavu-core) has every Vietnamese letter; reportlab embeds the
subset it uses, with a ToUnicode map, so the stamped text can be searched and extracted.
"""

from __future__ import annotations

import io
import os
from typing import Any

FONT_DIR = "/usr/share/fonts/truetype/dejavu"
FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"


def register_fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    registered = pdfmetrics.getRegisteredFontNames()
    for name in (FONT, FONT_BOLD):
        if name not in registered:
            pdfmetrics.registerFont(TTFont(name, os.path.join(FONT_DIR, f"{name}.ttf")))


# Overlays made with reportlab ----------------------------------------------------------------------

def watermark_overlay(width: float, height: float, label: str, footer: str) -> bytes:
    """One page of ``width`` × ``height`` points: the label three times across the page, diagonally and
    faint, and once as a plain line at the foot of the page (the line text extraction finds)."""
    from reportlab.lib.colors import Color
    from reportlab.pdfgen import canvas

    register_fonts()
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=(width, height))
    size = max(10.0, min(width, height) / 26)
    c.saveState()
    c.setFillColor(Color(0.55, 0.1, 0.1, alpha=0.16))
    c.setFont(FONT_BOLD, size)
    for fraction in (0.25, 0.5, 0.75):
        c.saveState()
        c.translate(width / 2, height * fraction)
        c.rotate(30)
        c.drawCentredString(0, 0, label)
        c.restoreState()
    c.restoreState()
    c.setFillColor(Color(0.45, 0.05, 0.05, alpha=0.85))
    c.setFont(FONT, max(6.0, min(8.0, width / 75)))
    c.drawCentredString(width / 2, 10, footer)
    c.showPage()
    c.save()
    return buffer.getvalue()


def number_overlay(sizes: list[tuple[float, float]], first: int, total: int, template: str) -> bytes:
    """One page per size: "page n of total" at the foot, right-aligned, from number ``first``."""
    from reportlab.lib.colors import Color
    from reportlab.pdfgen import canvas

    register_fonts()
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer)
    for offset, (width, height) in enumerate(sizes):
        c.setPageSize((width, height))
        c.setFont(FONT, 8)
        c.setFillColor(Color(0.2, 0.2, 0.2, alpha=0.9))
        c.drawRightString(width - 18, 12, template % {"page": first + offset, "total": total})
        c.showPage()
    c.save()
    return buffer.getvalue()


# pypdf, on untrusted documents (child only) --------------------------------------------------------------

def _quiet() -> None:
    import logging

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)


def _size(page) -> tuple[float, float]:
    box = page.mediabox
    return float(box.width), float(box.height)


def _stamp_pages(reader, writer, label: str | None, footer: str | None) -> int:
    """Copy every page to the writer, upright (rotation moved into the content), with the watermark."""
    from pypdf import PdfReader

    overlays: dict[tuple[float, float], Any] = {}
    count = 0
    for page in reader.pages:
        added = writer.add_page(page)
        if added.get("/Rotate", 0):
            added.transfer_rotation_to_content()
        if label:
            size = _size(added)
            if size not in overlays:
                overlays[size] = PdfReader(io.BytesIO(watermark_overlay(*size, label, footer or label))).pages[0]
            added.merge_page(overlays[size], over=True)
        count += 1
    return count


def stamp(source: str, target: str, label: str, footer: str) -> dict[str, Any]:
    """The document with the viewer's watermark on every page, written to ``target``."""
    from pypdf import PdfReader, PdfWriter

    _quiet()
    reader = PdfReader(source, strict=False)
    writer = PdfWriter()
    pages = _stamp_pages(reader, writer, label, footer)
    writer.add_metadata({"/Title": label})
    with open(target, "wb") as fh:
        writer.write(fh)
    return {"pages": pages}


def book_part(source: str, target: str, label: str | None, footer: str | None) -> dict[str, Any]:
    """One document of a book: its pages, upright, watermarked when it is restricted."""
    from pypdf import PdfReader, PdfWriter

    _quiet()
    reader = PdfReader(source, strict=False)
    writer = PdfWriter()
    pages = _stamp_pages(reader, writer, label, footer)
    with open(target, "wb") as fh:
        writer.write(fh)
    return {"pages": pages}


def assemble(cover: str, parts: list[dict[str, Any]], outline: list[dict[str, Any]], target: str,
             number_template: str, title: str) -> dict[str, Any]:
    """Cover + parts, one bookmark per agenda item with its documents beneath, page numbers from page 2.

    ``parts``: [{"path", "title"}] in order; ``outline``: [{"title", "parts": [part indexes]}].
    """
    from pypdf import PdfReader, PdfWriter

    _quiet()
    writer = PdfWriter()
    for page in PdfReader(cover).pages:
        writer.add_page(page)
    starts = []
    for part in parts:
        starts.append(len(writer.pages))
        for page in PdfReader(part["path"], strict=False).pages:
            writer.add_page(page)
    total = len(writer.pages)
    sizes = [_size(page) for page in writer.pages]
    if total > 1:
        numbers = PdfReader(io.BytesIO(number_overlay(sizes[1:], 2, total, number_template)))
        for index in range(1, total):
            writer.pages[index].merge_page(numbers.pages[index - 1], over=True)
    for entry in outline:
        first = starts[entry["parts"][0]] if entry["parts"] else 0
        parent = writer.add_outline_item(entry["title"], first)
        for index in entry["parts"]:
            writer.add_outline_item(parts[index]["title"], starts[index], parent=parent)
    writer.add_metadata({"/Title": title})
    writer.page_mode = "/UseOutlines"
    with open(target, "wb") as fh:
        writer.write(fh)
    return {"pages": total}
