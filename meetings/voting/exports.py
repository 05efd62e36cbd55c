"""A vote's result as a file: CSV, XLSX (openpyxl) and PDF (reportlab, DejaVu Sans for Vietnamese).

Everything comes from what the vote stored when it closed (``VotingItem.result``, the electorate taken at
opening, the ballots), so a file made years later says what was announced. A named vote lists who chose
what; a secret vote lists the published (receipt, choice) pairs, never a voter.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from meetings.voting import services
from meetings.voting.models import VotingItem

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FONT_DIR = "/usr/share/fonts/truetype/dejavu"


def _local(value: Any) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = parse_datetime(value)
    return date_format(timezone.localtime(value), "d/m/Y H:i")


def summary(item: VotingItem) -> list[tuple[str, Any]]:
    result = item.result or {}
    electorate = item.electorate or {}
    return [
        (_("Meeting"), item.meeting.title),
        (_("Question put to the vote"), item.question.get("text", "")),
        (_("Ballot"), _("Secret ballot") if item.secret else _("Named (open) vote")),
        (_("Rule"), services.item_data(item)["rule_vi"]),
        (_("Opened"), _local(item.opened_at)),
        (_("Closed"), _local(item.closed_at)),
        (_("Members with a voting right"), electorate.get("members", "")),
        (_("Present when the vote opened"), electorate.get("present", "")),
        (_("Voting rights used"), result.get("cast", "")),
        (_("Result"), item.sentence),
    ]


def option_rows(item: VotingItem) -> tuple[list[str], list[list[Any]]]:
    header = [_("Option"), _("Votes"), _("Share"), _("Outcome")]
    outcome = {"met": _("reaches the threshold"), "not_met": _("does not reach the threshold"),
               "elected": _("elected"), "tie": _("tied: new round"), "outranked": _("not elected (fewer votes)"),
               "counted": _("counted")}
    rows = [[o["label"], o["votes"], o["percent_vi"], outcome.get(o["status"], o["status"])]
            for o in (item.result or {}).get("options", [])]
    return header, rows


def ballot_rows(item: VotingItem) -> tuple[str, list[str], list[list[Any]]]:
    """Who chose what (named vote), or the published receipts (secret vote, once published)."""
    if item.secret:
        if item.status != VotingItem.Status.PUBLISHED:
            return "", [], []
        rows = [[r["receipt"], ", ".join(r["labels"]) or _("(blank ballot)"), r["text"]]
                for r in services.published_receipts(item)]
        return _("Receipts"), [_("Receipt code"), _("Choice"), _("Other opinion")], rows
    rows = [[n, b["name"], b["weight"], ", ".join(b["labels"]) or _("(blank ballot)"), b["text"], _local(b["cast_at"])]
            for n, b in enumerate(services.named_ballots(item), start=1)]
    return _("Ballots"), [_("No."), _("Full name"), _("Weight"), _("Choice"), _("Other opinion"), _("Voted at")], rows


def to_csv(item: VotingItem) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(summary(item))
    writer.writerow([])
    header, rows = option_rows(item)
    writer.writerow(header)
    writer.writerows(rows)
    for line in (item.result or {}).get("lines_vi", []):
        writer.writerow([line])
    title, header, rows = ballot_rows(item)
    if header:
        writer.writerow([])
        writer.writerow([title])
        writer.writerow(header)
        writer.writerows(rows)
    # A byte-order mark, so spreadsheet programs read the Vietnamese letters as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(item: VotingItem) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("Result")[:31]
    for label, value in summary(item):
        sheet.append([label, value])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
        sheet.cell(sheet.max_row, 2).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.append([])
    header, rows = option_rows(item)
    sheet.append(header)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 70
    sheet.column_dimensions["C"].width = 12
    sheet.column_dimensions["D"].width = 28
    title, header, rows = ballot_rows(item)
    if header:
        second = book.create_sheet(title[:31])
        second.append(header)
        for cell in second[1]:
            cell.font = Font(bold=True)
        for row in rows:
            second.append(row)
        second.freeze_panes = "A2"
        for column, width in zip("ABCDEF", (22, 30, 10, 30, 40, 18), strict=False):
            second.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fonts() -> tuple[str, str]:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSans", f"{FONT_DIR}/DejaVuSans.ttf"))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", f"{FONT_DIR}/DejaVuSans-Bold.ttf"))
    return "DejaVuSans", "DejaVuSans-Bold"


def to_pdf(item: VotingItem) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold = _fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=11, leading=15)
    strong = ParagraphStyle("strong", parent=body, fontName=bold)
    centre = ParagraphStyle("centre", parent=strong, alignment=1)
    title = ParagraphStyle("title", parent=centre, fontSize=14, leading=19, spaceBefore=8, spaceAfter=8)

    def p(text: Any, style: ParagraphStyle = body) -> Paragraph:
        from xml.sax.saxutils import escape

        return Paragraph(escape(str(text)), style)

    story: list[Any] = [
        p("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", centre),
        p("Độc lập - Tự do - Hạnh phúc", centre),
        Spacer(1, 6 * mm),
        p(_("VOTE RESULT"), title),
    ]
    rows = [[p(label, strong), p(value)] for label, value in summary(item)]
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    story += [Table(rows, colWidths=[52 * mm, 108 * mm], style=grid), Spacer(1, 5 * mm)]
    header, rows = option_rows(item)
    table = [[p(h, strong) for h in header]] + [[p(c) for c in row] for row in rows]
    story += [Table(table, colWidths=[62 * mm, 22 * mm, 24 * mm, 52 * mm], style=grid, repeatRows=1),
              Spacer(1, 5 * mm)]
    heading, header, rows = ballot_rows(item)
    if header:
        story.append(p(heading, strong))
        widths = [40 * mm, 60 * mm, 60 * mm] if item.secret else [10 * mm, 48 * mm, 14 * mm, 40 * mm, 26 * mm, 22 * mm]
        table = [[p(h, strong) for h in header]] + [[p(c) for c in row] for row in rows]
        story.append(Table(table, colWidths=widths, style=grid, repeatRows=1))
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=30 * mm, rightMargin=20 * mm, topMargin=20 * mm,
                            bottomMargin=20 * mm, title=_("Vote result"), author="Phòng họp số")
    doc.build(story)
    return out.getvalue()
