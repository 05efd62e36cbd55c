"""The minutes and the notice as files in the NĐ 30/2020 layout: DOCX (python-docx) and PDF (reportlab),
rendered from the same stored content, Vietnamese diacritics intact."""

from __future__ import annotations

import io
import unicodedata

import pytest

pytestmark = pytest.mark.django_db

HEADER_PARTS = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "VĂN PHÒNG UBND TỈNH",
                "Số: 15/BB-VP", "BIÊN BẢN", "Nơi nhận:", "THƯ KÝ", "CHỦ TRÌ")


def docx_text(data: bytes) -> str:
    from docx import Document

    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                parts += [p.text for p in cell.paragraphs]
    return "\n".join(parts)


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return unicodedata.normalize("NFC", " ".join(text.split()))


@pytest.fixture
def numbered(minutes, held, people):
    from meetings.minutes import services

    return services.edit(people["lan"], held, {"header": {"number": "15", "symbol": "BB-VP", "place": "Minh Sơn",
                                                          "date": "2026-12-05"}})


def test_the_docx_opens_and_carries_the_header_and_the_vote_result(numbered):
    from meetings.minutes import files

    text = docx_text(files.minutes_file(numbered, "docx"))
    for part in HEADER_PARTS:
        assert part in text, part
    assert "Minh Sơn, ngày 05 tháng 12 năm 2026" in text
    sentence = numbered.content["items"][0]["votes"][0]["sentence"]
    assert sentence.startswith("Thông qua: 3/") and sentence in text
    assert "Đi công tác" in text and "Huyện An Phú" in text
    assert "Giao Sở Tài chính hoàn thiện báo cáo trước ngày 20/12." in text


def test_the_pdf_text_has_the_same_parts_with_diacritics_intact(numbered):
    from meetings.minutes import files

    data = files.minutes_file(numbered, "pdf")
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for part in HEADER_PARTS:
        assert part in text, (part, text[:500])
    assert "Minh Sơn, ngày 05 tháng 12 năm 2026" in text
    sentence = numbered.content["items"][0]["votes"][0]["sentence"]
    assert " ".join(sentence.split()) in text
    assert "Nguyễn Thị Lan" in text and "Trần Văn Minh" in text


def test_docx_and_pdf_say_the_same_words(numbered):
    """Both come from one layout.Document: every body paragraph is in both files."""
    from meetings.minutes import files, layout

    doc = layout.minutes_document(numbered.content)
    docx = docx_text(files.minutes_file(numbered, "docx"))
    pdf = pdf_text(files.minutes_file(numbered, "pdf"))
    for block in doc.body:
        words = " ".join((f"{block.bullet} " if block.bullet else "") + block.text)
        assert " ".join(block.text.split()) in " ".join(docx.split())
        assert " ".join(words.split()) in pdf or " ".join(block.text.split()) in pdf


def test_dates_follow_nd30_leading_zeros():
    import datetime as dt

    from meetings.minutes.layout import place_date

    assert place_date("Hà Nội", dt.date(2026, 2, 3)) == "Hà Nội, ngày 03 tháng 02 năm 2026"
    assert place_date("Hà Nội", dt.date(2026, 11, 21)) == "Hà Nội, ngày 21 tháng 11 năm 2026"


def test_the_api_downloads_both_files(numbered, held, people, api):
    lan = api(people["lan"])
    r = lan.get(f"/meetings/{held.pk}/minutes/export.docx")
    assert r.status_code == 200 and "bien-ban-hop" in r["Content-Disposition"]
    assert "VĂN PHÒNG UBND TỈNH" in docx_text(r.content)
    r = lan.get(f"/meetings/{held.pk}/minutes/export.pdf", version=1)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert api(people["lan"]).get(f"/meetings/{held.pk}/minutes/export.odt").status_code == 404
    # A delegate may not download a draft.
    assert api(people["hoa"]).get(f"/meetings/{held.pk}/minutes/export.pdf").status_code == 404
