"""One ``layout.Document`` written as DOCX (python-docx) and as PDF (reportlab).

NĐ 30/2020, Appendix I: A4; margins top and bottom 20 mm, left 30 mm, right 15 mm; Times New Roman
(DOCX: the reader's Times New Roman; PDF: DejaVu Serif from Debian, embedded, which has every Vietnamese
glyph: no font is ever fetched); national title in bold capitals 13 pt, motto bold 14 pt; page numbers
centred at the top from page 2 on.
"""

from __future__ import annotations

import io
from functools import lru_cache
from xml.sax.saxutils import escape

from meetings.minutes.layout import MOTTO, NATIONAL_TITLE, Block, Document

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FONT_DIR = "/usr/share/fonts/truetype/dejavu"
SERIF = "PhSerif"


# DOCX ---------------------------------------------------------------------------------------------

def to_docx(doc: Document) -> bytes:
    from docx import Document as Docx
    from docx.enum.section import WD_SECTION  # noqa: F401  (kept for readers of the layout)
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Mm, Pt

    out = Docx()
    normal = out.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(14)
    # East Asian text falls back to another font unless this is set too.
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "Times New Roman")
    normal.paragraph_format.space_after = Pt(6)
    section = out.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.different_first_page_header_footer = True
    number = section.header.paragraphs[0]
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_field(number, OxmlElement, qn)

    def line(cell_or_doc, text: str, *, size: int = 13, bold: bool = False, italic: bool = False,
             align=WD_ALIGN_PARAGRAPH.CENTER, first: bool = False):
        p = cell_or_doc.paragraphs[0] if first else cell_or_doc.add_paragraph()
        p.alignment = align
        p.paragraph_format.space_after = Pt(0)
        run = p.add_run(text)
        run.font.size, run.bold, run.italic = Pt(size), bold, italic
        return p

    table = out.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = table.rows[0].cells
    left.width, right.width = Cm(6.5), Cm(9.5)
    line(left, doc.parent_body, first=True)
    line(left, doc.issuing_body, bold=True)
    line(left, "———")
    line(left, doc.number_line)
    if doc.classification:
        line(left, doc.classification, bold=True)
    line(right, NATIONAL_TITLE, size=13, bold=True, first=True)
    line(right, MOTTO, size=14, bold=True)
    line(right, "———————————")
    line(right, doc.place_date, size=14, italic=True)

    title = line(out, doc.title, size=14, bold=True)
    title.paragraph_format.space_before = Pt(18)
    line(out, doc.subtitle, size=14, bold=True).paragraph_format.space_after = Pt(12)

    for block in doc.body:
        p = out.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        fmt = p.paragraph_format
        fmt.first_line_indent = Cm(1) if block.style in ("text", "item", "heading", "result") else None
        if block.style == "bullet":
            fmt.left_indent = Cm(1)
        if block.bullet:
            p.add_run(f"{block.bullet} ")
        for r in block.runs:
            run = p.add_run(r.text)
            run.bold, run.italic, run.underline = r.bold or None, r.italic or None, r.underline or None

    signatures = out.add_table(rows=1, cols=max(1, len(doc.signatures)) + (1 if len(doc.signatures) == 1 else 0))
    cells = signatures.rows[0].cells
    if len(doc.signatures) == 1:
        _recipients_docx(cells[0], doc, Pt, WD_ALIGN_PARAGRAPH)
        cells = cells[1:]
    for cell, sig in zip(cells, doc.signatures, strict=False):
        line(cell, sig.title, size=14, bold=True, first=True)
        if sig.note:
            line(cell, sig.note, size=12, italic=True)
        for _ in range(3):
            line(cell, "")
        line(cell, sig.name, size=14, bold=True)
    if len(doc.signatures) != 1:
        _recipients_docx(out, doc, Pt, WD_ALIGN_PARAGRAPH)

    props = out.core_properties
    props.title, props.language = f"{doc.title} {doc.subtitle}", "vi-VN"
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


def _recipients_docx(container, doc: Document, Pt, WD_ALIGN_PARAGRAPH) -> None:
    first = container.paragraphs[0] if hasattr(container, "width") else container.add_paragraph()
    first.alignment = WD_ALIGN_PARAGRAPH.LEFT
    run = first.add_run("Nơi nhận:")
    run.bold, run.italic, run.font.size = True, True, Pt(12)
    for n, name in enumerate(doc.recipients):
        p = container.add_paragraph()
        p.paragraph_format.space_after = Pt(0)
        r = p.add_run(f"- {name}{'.' if n == len(doc.recipients) - 1 else ';'}")
        r.font.size = Pt(11)


def _page_field(paragraph, OxmlElement, qn) -> None:
    """A PAGE field: Word numbers the pages itself (the first page has its own, empty, header)."""
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)


# PDF ----------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _fonts() -> str:
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for suffix, name in (("", SERIF), ("-Bold", f"{SERIF}-Bold"), ("-Italic", f"{SERIF}-Italic"),
                         ("-BoldItalic", f"{SERIF}-BoldItalic")):
        pdfmetrics.registerFont(TTFont(name, f"{FONT_DIR}/DejaVuSerif{suffix}.ttf"))
    addMapping(SERIF, 0, 0, SERIF)
    addMapping(SERIF, 1, 0, f"{SERIF}-Bold")
    addMapping(SERIF, 0, 1, f"{SERIF}-Italic")
    addMapping(SERIF, 1, 1, f"{SERIF}-BoldItalic")
    return SERIF


def _markup(block: Block) -> str:
    parts = [f"{escape(block.bullet)} " if block.bullet else ""]
    for r in block.runs:
        text = escape(r.text)
        if r.underline:
            text = f"<u>{text}</u>"
        if r.italic:
            text = f"<i>{text}</i>"
        if r.bold:
            text = f"<b>{text}</b>"
        parts.append(text)
    return "".join(parts)


def to_pdf(doc: Document) -> bytes:
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT  # noqa: F401
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _fonts()
    base = ParagraphStyle("base", fontName=font, fontSize=12.5, leading=16, alignment=TA_JUSTIFY, spaceAfter=4)
    center = ParagraphStyle("center", parent=base, alignment=TA_CENTER, spaceAfter=0, fontSize=12, leading=15)
    styles = {
        "text": ParagraphStyle("text", parent=base, firstLineIndent=10 * mm),
        "heading": ParagraphStyle("heading", parent=base, firstLineIndent=10 * mm, spaceBefore=6),
        "item": ParagraphStyle("item", parent=base, firstLineIndent=10 * mm, spaceBefore=4),
        "result": ParagraphStyle("result", parent=base, firstLineIndent=10 * mm),
        "bullet": ParagraphStyle("bullet", parent=base, leftIndent=10 * mm),
    }

    def c(text: str, size: float = 12, bold: bool = False, italic: bool = False) -> Paragraph:
        markup = escape(text)
        if italic:
            markup = f"<i>{markup}</i>"
        if bold:
            markup = f"<b>{markup}</b>"
        return Paragraph(markup, ParagraphStyle("c", parent=center, fontSize=size, leading=size * 1.25))

    width = A4[0] - 45 * mm
    left = [c(doc.parent_body), c(doc.issuing_body, bold=True), c("———"), c(doc.number_line)]
    if doc.classification:
        left.append(c(doc.classification, bold=True))
    right = [c(NATIONAL_TITLE, 11, bold=True), c(MOTTO, 12.5, bold=True), c("———————————"),
             c(doc.place_date, 12.5, italic=True)]
    head = Table([[left, right]], colWidths=[width * 0.38, width * 0.62])
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                              ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    story: list = [head, Spacer(1, 8 * mm), c(doc.title, 14, bold=True), c(doc.subtitle, 13, bold=True),
                   Spacer(1, 5 * mm)]
    story += [Paragraph(_markup(b), styles.get(b.style, styles["text"])) for b in doc.body]

    small = ParagraphStyle("small", parent=base, fontSize=11, leading=13, alignment=TA_LEFT, spaceAfter=0)
    recipients = [Paragraph("<b><i>Nơi nhận:</i></b>", ParagraphStyle("rh", parent=small, fontSize=12))]
    recipients += [Paragraph(escape(f"- {r}{'.' if n == len(doc.recipients) - 1 else ';'}"), small)
                   for n, r in enumerate(doc.recipients)]

    def signature(sig) -> list:
        cell = [c(sig.title, 13, bold=True)]
        if sig.note:
            cell.append(c(sig.note, 11, italic=True))
        return [*cell, Spacer(1, 22 * mm), c(sig.name, 13, bold=True)]

    if len(doc.signatures) == 1:
        block = Table([[recipients, signature(doc.signatures[0])]], colWidths=[width * 0.45, width * 0.55])
        tail = [block]
    else:
        block = Table([[signature(s) for s in doc.signatures]], colWidths=[width / len(doc.signatures)]
                      * len(doc.signatures))
        tail = [block, Spacer(1, 6 * mm), *recipients]
    block.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story += [Spacer(1, 6 * mm), KeepTogether(tail)]

    def later_pages(canvas, template) -> None:
        canvas.saveState()
        canvas.setFont(font, 12)
        canvas.drawCentredString(A4[0] / 2 + 7.5 * mm, A4[1] - 12 * mm, str(template.page))
        canvas.restoreState()

    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer, pagesize=A4, topMargin=20 * mm, bottomMargin=20 * mm, leftMargin=30 * mm, rightMargin=15 * mm,
        title=f"{doc.title} {doc.subtitle}", author=doc.issuing_body, lang="vi-VN",
    ).build(story, onLaterPages=later_pages)
    return buffer.getvalue()
