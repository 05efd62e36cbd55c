"""The minutes and the notice as files (DOCX, PDF), rendered from one stored content. Read-only."""

from __future__ import annotations

from meetings.minutes import exports, layout
from meetings.minutes.models import ConclusionNotice, MinutesVersion

TYPES = {"docx": exports.DOCX_TYPE, "pdf": "application/pdf"}


def minutes_file(version: MinutesVersion, fmt: str) -> bytes:
    doc = layout.minutes_document(version.content)
    return exports.to_docx(doc) if fmt == "docx" else exports.to_pdf(doc)


def notice_file(notice: ConclusionNotice, fmt: str) -> bytes:
    doc = layout.notice_document(notice.content)
    return exports.to_docx(doc) if fmt == "docx" else exports.to_pdf(doc)


def minutes_name(version: MinutesVersion, fmt: str) -> str:
    return f"bien-ban-hop-{version.minutes.meeting_id}-v{version.number}.{fmt}"


def notice_name(notice: ConclusionNotice, fmt: str) -> str:
    return f"thong-bao-ket-luan-{notice.meeting_id}.{fmt}"
