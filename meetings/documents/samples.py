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


DEMO = [
    ("Báo cáo tình hình kinh tế - xã hội tháng 11 năm 2026", 0, "all", [
        ["I. TÌNH HÌNH KINH TẾ - XÃ HỘI", "Tổng sản phẩm trên địa bàn tỉnh (GRDP) 11 tháng năm 2026 ước tăng 7,8% so với "
         "cùng kỳ; trong đó khu vực nông, lâm nghiệp và thủy sản tăng 3,2%, công nghiệp và xây dựng tăng 10,5%, "
         "dịch vụ tăng 7,1%.", "Thu ngân sách nhà nước trên địa bàn đạt 9.850 tỷ đồng, bằng 94% dự toán năm."],
        ["II. VĂN HÓA - XÃ HỘI", "Công tác giáo dục, y tế, an sinh xã hội được quan tâm; đã hỗ trợ 12.400 hộ nghèo, "
         "hộ cận nghèo sửa chữa nhà ở.", "Tình hình an ninh chính trị, trật tự an toàn xã hội được giữ vững."],
        ["III. NHIỆM VỤ, GIẢI PHÁP THÁNG 12", "Tập trung hoàn thành các chỉ tiêu kinh tế - xã hội năm 2026; đẩy nhanh "
         "tiến độ giải ngân vốn đầu tư công; chuẩn bị tốt các điều kiện phục vụ Nhân dân đón Tết Nguyên đán."],
        ["IV. KIẾN NGHỊ, ĐỀ XUẤT", "Đề nghị Ủy ban nhân dân tỉnh xem xét, quyết định việc điều chỉnh kế hoạch vốn "
         "đầu tư công năm 2026 giữa các dự án chậm giải ngân.", "Nơi nhận: Thường trực Tỉnh ủy; Thường trực HĐND "
         "tỉnh; Chủ tịch, các Phó Chủ tịch UBND tỉnh; các sở, ban, ngành."],
    ]),
    ("Dự toán ngân sách địa phương năm 2027", 1, "all", [
        ["Căn cứ Luật Ngân sách nhà nước; căn cứ Quyết định giao dự toán ngân sách nhà nước năm 2027 của Thủ tướng "
         "Chính phủ, Sở Tài chính trình Ủy ban nhân dân tỉnh dự toán ngân sách địa phương năm 2027 như sau:"],
        ["1. Tổng thu ngân sách nhà nước trên địa bàn: 10.600 tỷ đồng.", "2. Tổng chi ngân sách địa phương: "
         "18.250 tỷ đồng, trong đó chi đầu tư phát triển 5.400 tỷ đồng, chi thường xuyên 12.300 tỷ đồng."],
        ["3. Bội chi ngân sách địa phương: 150 tỷ đồng.", "Đề nghị Ủy ban nhân dân tỉnh xem xét, quyết định trình "
         "Hội đồng nhân dân tỉnh tại kỳ họp thường lệ cuối năm."],
    ]),
    ("Dự thảo Quyết định phê duyệt đề án sắp xếp đơn vị sự nghiệp công lập", 2, "named", [
        ["QUYẾT ĐỊNH", "Về việc phê duyệt Đề án sắp xếp, tổ chức lại các đơn vị sự nghiệp công lập thuộc Ủy ban nhân "
         "dân tỉnh giai đoạn 2026 - 2030.", "Điều 1. Phê duyệt Đề án sắp xếp, tổ chức lại 42 đơn vị sự nghiệp công "
         "lập, giảm 11 đầu mối."],
        ["Điều 2. Sở Nội vụ chủ trì, phối hợp với các sở, ngành hướng dẫn, kiểm tra việc thực hiện Đề án.",
         "Điều 3. Quyết định này có hiệu lực kể từ ngày ký."],
    ]),
]


def seed_demo(secretary, meeting, named_users=()) -> list:
    """Three generated documents on the demo meeting's first agenda items; the last one named (restricted)."""
    import tempfile

    from . import services

    items = list(meeting.agenda_items.order_by("order"))
    allowed = [p.pk for p in meeting.participants.filter(user__in=list(named_users))]
    created = []
    with tempfile.TemporaryDirectory(prefix="phonghop-demo-") as folder:
        for index, (title, item_index, access, pages) in enumerate(DEMO):
            path = document_pdf(Path(folder) / f"tai-lieu-{index + 1}.pdf", title, pages,
                                number=f"Số: {120 + index}/TTr-UBND")
            fields = {"access": access, "allowed_participant_ids": allowed} if access != "all" else {}
            item = items[item_index] if item_index < len(items) else None
            created.append(services.upload(secretary, meeting, path, path.name,
                                           agenda_item_id=item.pk if item else None, **fields))
    return created
