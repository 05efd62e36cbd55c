"""The NĐ 30/2020 layout of an official text, independent of the file format.

``minutes_document`` and ``notice_document`` turn a stored content (``draft.py``) into a ``Document``:
the header (parent body, issuing body, number and symbol; national title and motto; place and date),
title, body paragraphs, signature block and recipients (Nơi nhận). ``exports.py`` writes the same
``Document`` as DOCX and as PDF, so both files always carry the same words.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from meetings.minutes import richtext
from meetings.minutes.richtext import Run

NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"


@dataclass
class Block:
    runs: list[Run]
    style: str = "text"  # text | heading | item | bullet | result
    bullet: str = ""

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


@dataclass
class Signature:
    title: str  # "CHỦ TRÌ", "THƯ KÝ"
    name: str
    note: str = ""  # "(Ký, ghi rõ họ tên)" when unsigned


@dataclass
class Document:
    kind: str  # "minutes" | "notice"
    parent_body: str
    issuing_body: str
    number_line: str
    place_date: str
    classification: str
    title: str
    subtitle: str
    body: list[Block] = field(default_factory=list)
    signatures: list[Signature] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)

    @property
    def plain_text(self) -> str:
        parts = [self.parent_body, self.issuing_body, self.number_line, NATIONAL_TITLE, MOTTO, self.place_date,
                 self.title, self.subtitle, *(b.text for b in self.body),
                 *(f"{s.title} {s.name}" for s in self.signatures), "Nơi nhận:", *self.recipients]
        return "\n".join(p for p in parts if p)


def place_date(place: str, day: str | dt.date | None) -> str:
    """ "Minh Sơn, ngày 05 tháng 12 năm 2026": days below 10 and months below 3 take a leading zero (NĐ 30)."""
    if isinstance(day, str) and day:
        day = dt.date.fromisoformat(day)
    if not isinstance(day, dt.date):
        return f"{place}, ngày … tháng … năm …"
    d = f"{day.day:02d}"
    m = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {d} tháng {m} năm {day.year}"


def number_line(head: dict[str, Any]) -> str:
    number = (head.get("number") or "").strip() or "     "
    return f"Số: {number}/{head.get('symbol', '')}"


def clock(value: str) -> str:
    """ "08:05" → "08 giờ 05 phút"."""
    if not value or ":" not in value:
        return value
    h, m = value.split(":", 1)
    return f"{h} giờ {m} phút"


def _t(text: str, style: str = "text", bold: bool = False, italic: bool = False, bullet: str = "") -> Block:
    return Block([Run(text, bold=bold, italic=italic)], style, bullet)


def _labelled(label: str, text: str, style: str = "text", bullet: str = "") -> Block:
    return Block([Run(label, bold=True), Run(text)], style, bullet)


def _html(html: str, style: str = "text") -> list[Block]:
    return [Block(p.runs, "bullet" if p.bullet else style, p.bullet) for p in richtext.paragraphs(html)]


def _names(names: list[str]) -> str:
    return "; ".join(names) + "." if names else "không có."


def _vote_blocks(vote: dict[str, Any]) -> list[Block]:
    blocks = [_labelled("Biểu quyết: ", vote["question"], bullet="-"),
              _t(f"Hình thức: {'bỏ phiếu kín' if vote['secret'] else 'biểu quyết công khai'}; "
                 f"nguyên tắc: {vote['rule']}.", "bullet", bullet="+")]
    blocks += [_t(line, "bullet", bullet="+") for line in vote.get("lines", [])]
    blocks.append(Block([Run("Kết quả: ", bold=True), Run(vote["sentence"] or "", bold=True)], "result"))
    return blocks


def _speaker_line(s: dict[str, Any]) -> str:
    when = f"{s['start']}–{s['end']}" if s.get("end") else s.get("start", "")
    tail = ", ".join(x for x in (s.get("kind", ""), when, s.get("duration", "")) if x)
    return f"{s['name']} ({tail})" if tail else s["name"]


def minutes_body(content: dict[str, Any]) -> list[Block]:
    f, a = content.get("facts", {}), content.get("attendance", {})
    day = dt.date.fromisoformat(f["date"]) if f.get("date") else None
    body: list[Block] = [_t("I. THỜI GIAN, ĐỊA ĐIỂM VÀ THÀNH PHẦN", "heading", bold=True)]
    when = f"bắt đầu lúc {clock(f.get('started', ''))}"
    if day:
        when += f", ngày {day:%d/%m/%Y}"
    body += [
        _labelled("1. Thời gian: ", when + "."),
        _labelled("2. Địa điểm: ", f"{f.get('place') or 'không ghi'}; hình thức họp: {f.get('format', '')}."),
        _labelled("3. Chủ trì: ", (f.get("chair") or "không ghi") + "."),
        _labelled("4. Thư ký: ", (f.get("secretary") or "không ghi") + "."),
        _labelled("5. Thành phần tham dự: ",
                  f"có mặt {a.get('present', 0)}/{a.get('members', 0)} thành viên có quyền biểu quyết."),
        _labelled("Có mặt tại hội trường: ", _names(a.get("hall", [])), "bullet", "-"),
    ]
    for site in a.get("online", []):
        body.append(_labelled(f"Dự trực tuyến tại điểm cầu {site['site'] or 'khác'}: ", _names(site["people"]),
                              "bullet", "-"))
    absent = [f"{x['name']} ({x['reason']})" if x.get("reason") else x["name"] for x in a.get("absent", [])]
    body.append(_labelled("Vắng mặt: ", _names(absent), "bullet", "-"))
    if a.get("substitutes"):
        body.append(_labelled("Người dự thay: ", _names([f"{s['name']} dự thay {s['instead_of']}"
                                                         for s in a["substitutes"]]), "bullet", "-"))
    if a.get("proxies"):
        body.append(_labelled("Ủy quyền: ", _names([f"{p['name']} ủy quyền cho {p['to']}" for p in a["proxies"]]),
                              "bullet", "-"))
    if a.get("guests"):
        body.append(_labelled("Khách mời: ", _names(a["guests"]), "bullet", "-"))

    body.append(_t("II. NỘI DUNG CUỘC HỌP", "heading", bold=True))
    body += _html(content.get("opening", ""))
    for n, item in enumerate(content.get("items", []), start=1):
        body.append(_t(f"{n}. {item['title']}", "item", bold=True))
        if item.get("presenter"):
            body.append(_labelled("Trình bày: ", item["presenter"] + ".", "bullet", "-"))
        if item.get("documents"):
            body.append(_labelled("Tài liệu: ", _names(item["documents"]), "bullet", "-"))
        if item.get("speakers"):
            body.append(_labelled("Ý kiến phát biểu: ", f"{len(item['speakers'])} lượt.", "bullet", "-"))
            body += [_t(_speaker_line(s), "bullet", bullet="+") for s in item["speakers"]]
        body += _html(item.get("discussion", ""))
        for vote in item.get("votes", []):
            body += _vote_blocks(vote)
        if (item.get("conclusion") or "").strip():
            body.append(_labelled("Kết luận của chủ trì: ", item["conclusion"].strip()))
    if content.get("other_speakers") or content.get("other_votes"):
        body.append(_t("III. NỘI DUNG KHÁC", "heading", bold=True))
        body += [_t(_speaker_line(s), "bullet", bullet="-") for s in content.get("other_speakers", [])]
        for vote in content.get("other_votes", []):
            body += _vote_blocks(vote)
    body += _html(content.get("closing", ""))
    body.append(_t(f"Cuộc họp kết thúc lúc {clock(f.get('ended', ''))} cùng ngày./."))
    return body


MEETING_WORDS = ("họp", "cuộc họp", "phiên họp", "kỳ họp", "hội nghị", "giao ban")


def meeting_subtitle(title: str) -> str:
    """ "Cuộc họp <title>", unless the title already says what kind of meeting it is."""
    if title.lower().startswith(MEETING_WORDS):
        return title
    return f"Cuộc họp {title}"


def minutes_document(content: dict[str, Any], *, signed: bool = False) -> Document:
    head, f = content.get("header", {}), content.get("facts", {})
    signers = content.get("signers", {})
    note = "" if signed else "(Ký, ghi rõ họ tên)"
    return Document(
        kind="minutes",
        parent_body=head.get("parent_body", ""), issuing_body=head.get("issuing_body", ""),
        number_line=number_line(head), place_date=place_date(head.get("place", ""), head.get("date")),
        classification=head.get("classification", ""),
        title="BIÊN BẢN",
        subtitle=meeting_subtitle(f.get("title", "")),
        body=minutes_body(content),
        signatures=[Signature("THƯ KÝ", signers.get("secretary", ""), note),
                    Signature("CHỦ TRÌ", signers.get("chair", ""), note)],
        recipients=content.get("recipients", []),
    )


def notice_document(content: dict[str, Any]) -> Document:
    head = content.get("header", {})
    body: list[Block] = [_t(content.get("intro", ""))]
    for n, c in enumerate(content.get("conclusions", []), start=1):
        body.append(Block([Run(f"{n}. {c['title']}: ", bold=True), Run(c["text"])]))
    body += _html(content.get("closing", ""))
    body.append(_t(f"{content.get('issuer') or head.get('issuing_body', '')} thông báo để các cơ quan, đơn vị liên quan "
                   f"biết, thực hiện./."))
    signer = content.get("signer", {})
    return Document(
        kind="notice",
        parent_body=head.get("parent_body", ""), issuing_body=head.get("issuing_body", ""),
        number_line=number_line(head), place_date=place_date(head.get("place", ""), head.get("date")),
        classification=head.get("classification", ""),
        title="THÔNG BÁO",
        subtitle=content.get("subject", ""),
        body=body,
        signatures=[Signature((signer.get("position") or "CHỦ TRÌ").upper(), signer.get("name", ""))],
        recipients=content.get("recipients", []),
    )
