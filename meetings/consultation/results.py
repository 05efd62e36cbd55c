"""The result sheet (phiếu tổng hợp ý kiến): for each question the counts and the result in words, measured as a
vote's is (the denominator is everyone asked, so not answering is not agreeing), then who answered what and who
did not answer. As data for the page and the API, and as PDF and XLSX."""

from __future__ import annotations

import io
from fractions import Fraction
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone

from meetings.consultation.models import Answer, Consultation, Question
from meetings.voting.exports import _fonts
from meetings.voting.wording import percent_vi

CHOICES = {"agree": "Đồng ý", "disagree": "Không đồng ý", "other": "Ý kiến khác"}


def sentence(agree: int, asked: int) -> str:
    """E.g. "3/5 người được lấy ý kiến đồng ý (60,0 %), quá nửa tổng số người được lấy ý kiến"."""
    share = percent_vi(Fraction(agree, asked)) if asked else "–"
    verdict = "quá nửa" if 2 * agree > asked else "chưa quá nửa"
    return f"{agree}/{asked} người được lấy ý kiến đồng ý ({share}), {verdict} tổng số người được lấy ý kiến"


def sheet(c: Consultation) -> dict[str, Any]:
    questions = list(c.questions.all())
    recipients = list(c.recipients.select_related("user", "user__unit").order_by("user__full_name"))
    answers: dict[tuple[int, int], Answer] = {(a.recipient_id, a.question_id): a
                                              for a in Answer.objects.filter(recipient__consultation=c)}
    asked = len(recipients)
    out_questions = []
    for q in questions:
        given = [answers[(r.pk, q.pk)] for r in recipients if (r.pk, q.pk) in answers]
        row: dict[str, Any] = {"id": q.pk, "order": q.order, "text": q.text, "kind": q.kind, "asked": asked,
                               "answered": len(given)}
        if q.kind == Question.Kind.OPINION:
            counts = {k: sum(a.choice == k for a in given) for k in CHOICES}
            row |= {"counts": counts, "not_answered": asked - len(given), "sentence": sentence(counts["agree"], asked)}
        out_questions.append(row)
    people = []
    for r in recipients:
        people.append({
            "id": r.user_id, "name": r.user.full_name, "unit": r.user.unit.name if r.user.unit else "",
            "answered_at": r.answered_at, "changed": r.changed, "file": r.file_name,
            "answers": [{"question_id": q.pk, "choice": answers[(r.pk, q.pk)].choice if (r.pk, q.pk) in answers
                         else None, "text": answers[(r.pk, q.pk)].text if (r.pk, q.pk) in answers else ""}
                        for q in questions],
        })
    return {"id": c.pk, "title": c.title, "deadline": c.deadline, "closed": c.is_closed(), "asked": asked,
            "answered": sum(1 for r in recipients if r.answered_at), "questions": out_questions,
            "people": people, "not_answered": [p["name"] for p in people if p["answered_at"] is None]}


def _answer_text(a: dict[str, Any]) -> str:
    if a["choice"] is None:
        return "—"
    label = CHOICES.get(a["choice"], "")
    return f"{label}: {a['text']}" if label and a["text"] else (label or a["text"])


def to_xlsx(c: Consultation) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    data = sheet(c)
    book = Workbook()
    summary = book.active
    summary.title = "Tổng hợp"
    summary.append([f"Tổng hợp ý kiến: {c.title}"])
    summary["A1"].font = Font(bold=True, size=13)
    summary.append(["Hạn trả lời", timezone.localtime(c.deadline).replace(tzinfo=None)])
    summary["B2"].number_format = "dd/mm/yyyy hh:mm"
    summary.append(["Số người được lấy ý kiến", data["asked"]])
    summary.append(["Số người đã trả lời", data["answered"]])
    summary.append([])
    summary.append(["Câu hỏi", "Đồng ý", "Không đồng ý", "Ý kiến khác", "Không trả lời", "Kết quả"])
    for cell in summary[6]:
        cell.font = Font(bold=True)
    for q in data["questions"]:
        if q["kind"] == Question.Kind.OPINION:
            summary.append([q["text"], q["counts"]["agree"], q["counts"]["disagree"], q["counts"]["other"],
                            q["not_answered"], q["sentence"]])
        else:
            summary.append([q["text"], None, None, None, q["asked"] - q["answered"], f"{q['answered']} câu trả lời"])
    summary.column_dimensions["A"].width, summary.column_dimensions["F"].width = 50, 70
    people = book.create_sheet("Ý kiến từng người")
    people.append(["Họ và tên", "Đơn vị", "Trả lời lúc"] + [f"Câu {q['order']}" for q in data["questions"]])
    for cell in people[1]:
        cell.font = Font(bold=True)
    for p in data["people"]:
        when = timezone.localtime(p["answered_at"]).replace(tzinfo=None) if p["answered_at"] else "Không trả lời"
        people.append([p["name"], p["unit"], when] + [_answer_text(a) for a in p["answers"]])
        if p["answered_at"]:
            people.cell(row=people.max_row, column=3).number_format = "dd/mm/yyyy hh:mm"
    people.column_dimensions["A"].width, people.column_dimensions["B"].width = 28, 30
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_pdf(c: Consultation) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    data = sheet(c)
    regular, bold = _fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=10, leading=13)
    strong = ParagraphStyle("strong", parent=body, fontName=bold)
    centre = ParagraphStyle("centre", parent=strong, alignment=1)
    title = ParagraphStyle("title", parent=centre, fontSize=14, leading=19, spaceBefore=8, spaceAfter=6)

    def p(text: Any, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(str(text)), style)

    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    story: list[Any] = [
        p("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", centre), p("Độc lập - Tự do - Hạnh phúc", centre),
        Spacer(1, 5 * mm), p("TỔNG HỢP Ý KIẾN BẰNG VĂN BẢN", title), p(c.title, centre), Spacer(1, 3 * mm),
        p(f"Hạn trả lời: {timezone.localtime(c.deadline).strftime('%H:%M, %d/%m/%Y')}. Số người được lấy ý kiến: "
          f"{data['asked']}; đã trả lời: {data['answered']}."), Spacer(1, 4 * mm),
    ]
    for q in data["questions"]:
        story.append(p(f"Câu {q['order']}. {q['text']}", strong))
        if q["kind"] == Question.Kind.OPINION:
            rows = [[p("Đồng ý", strong), p("Không đồng ý", strong), p("Ý kiến khác", strong),
                     p("Không trả lời", strong)],
                    [p(q["counts"]["agree"]), p(q["counts"]["disagree"]), p(q["counts"]["other"]),
                     p(q["not_answered"])]]
            story += [Table(rows, colWidths=[40 * mm] * 4, style=grid), p(f"Kết quả: {q['sentence']}.")]
        story.append(Spacer(1, 3 * mm))
    story.append(p("Ý kiến của từng người", strong))
    rows = [[p("Họ và tên", strong), p("Đơn vị", strong), p("Ý kiến", strong)]]
    for person in data["people"]:
        said = "; ".join(f"Câu {q['order']}: {_answer_text(a)}" for q, a in zip(data["questions"], person["answers"],
                                                                                 strict=True))
        rows.append([p(person["name"]), p(person["unit"]), p(said if person["answered_at"] else "Không trả lời")])
    story.append(Table(rows, colWidths=[45 * mm, 45 * mm, 70 * mm], style=grid, repeatRows=1))
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, leftMargin=30 * mm, rightMargin=20 * mm, topMargin=20 * mm,
                      bottomMargin=20 * mm, title=f"Tổng hợp ý kiến: {c.title}", author="Phòng họp số").build(story)
    return out.getvalue()


FILES = {"xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", to_xlsx),
         "pdf": ("application/pdf", to_pdf)}


def as_download(c: Consultation, fmt: str):
    """The result sheet as an HTTP download (the page and the API both answer with it)."""
    from django.http import HttpResponse

    content_type, render = FILES[fmt]
    response = HttpResponse(render(c), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="tong-hop-y-kien-{c.pk}.{fmt}"'
    return response


def take_into_meeting(actor, c: Consultation, meeting, agenda_item_id: int | None = None):
    """The result sheet as a document of a meeting (through the document pipeline), e.g. for the agenda item
    that decides on the draft. Only the asking office, and only after the deadline."""
    import tempfile
    from pathlib import Path

    from django.utils.translation import gettext as _

    from meetings.consultation.services import is_office
    from meetings.documents import services as documents
    from meetings.errors import Forbidden, Invalid

    if not is_office(actor, c):
        raise Forbidden(_("Only the office that asked can do this."))
    if not c.is_closed():
        raise Invalid(_("The result is final only after the deadline."), "not_closed")
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / f"tong-hop-y-kien-{c.pk}.pdf"
        path.write_bytes(to_pdf(c))
        return documents.upload(actor, meeting, path, path.name, agenda_item_id=agenda_item_id,
                                title=f"Tổng hợp ý kiến: {c.title}"[:500])
