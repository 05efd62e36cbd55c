"""Sample meeting documents made with reportlab (Vietnamese text, several pages): demo data and tests."""

from __future__ import annotations

import os
from pathlib import Path

from . import pdfwork


def document_pdf(path: str | os.PathLike, title: str, pages: list[list[str]], *, agency: str = "UBND TỈNH MINH SƠN",
                 number: str = "") -> Path:
    """A4 pages in the shape of an administrative document: agency and national title on page 1, the
    title, then each page's paragraphs; the page number at the top from page 2 (NĐ 30/2020)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    pdfwork.register_fonts()
    target = Path(path)
    width, height = A4
    c = canvas.Canvas(str(target), pagesize=A4)
    c.setTitle(title)
    c.setAuthor(agency)
    for index, paragraphs in enumerate(pages, 1):
        y = height - 25 * mm
        if index == 1:
            c.setFont(pdfwork.FONT_BOLD, 11)
            c.drawCentredString(55 * mm, y, agency)
            c.drawCentredString(140 * mm, y, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
            c.setFont(pdfwork.FONT_BOLD, 12)
            c.drawCentredString(140 * mm, y - 6 * mm, "Độc lập - Tự do - Hạnh phúc")
            if number:
                c.setFont(pdfwork.FONT, 11)
                c.drawCentredString(55 * mm, y - 6 * mm, number)
            y -= 25 * mm
            c.setFont(pdfwork.FONT_BOLD, 14)
            for line in _wrap(title, pdfwork.FONT_BOLD, 14, width - 60 * mm):
                c.drawCentredString(width / 2 + 7 * mm, y, line)
                y -= 8 * mm
            y -= 4 * mm
        else:
            c.setFont(pdfwork.FONT, 11)
            c.drawCentredString(width / 2, height - 12 * mm, str(index))
        c.setFont(pdfwork.FONT, 12)
        for paragraph in paragraphs:
            for line in _wrap(paragraph, pdfwork.FONT, 12, width - 50 * mm):
                if y < 25 * mm:
                    break
                c.drawString(30 * mm, y, line)
                y -= 6.5 * mm
            y -= 3 * mm
        c.showPage()
    c.save()
    return target


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if stringWidth(candidate, font, size) <= width or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def numbered_pages(count: int, heading: str) -> list[list[str]]:
    """``count`` pages that each say which page they are, for tests of page turning and search."""
    return [[f"{heading} — nội dung trang {n}.", f"Trang số {n} của tài liệu: Quyết định về việc phê duyệt "
             "kế hoạch phát triển kinh tế - xã hội, căn cứ Luật Tổ chức chính quyền địa phương."]
            for n in range(1, count + 1)]
