"""Search in document text, ignoring diacritics and case ("quyet dinh" finds "Quyết định").

Each page's text is stored twice (PageText): as read, and folded by ``meetings.textsearch.fold``. A
query is folded the same way and looked up in the folded text; the snippet shown is cut from the
text as read, around the same place.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from accounts.models import User
from meetings.textsearch import fold

from .access import Viewer, searchable_versions
from .models import DocumentVersion, PageText

SNIPPET = 70  # characters of context on each side
MAX_HITS = 200


def _fold_char(ch: str) -> str:
    if ch in "đĐ":
        return "d"
    decomposed = unicodedata.normalize("NFD", ch)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").lower()


def folded_with_positions(text: str) -> tuple[str, list[int]]:
    """``fold(text)`` and, for each of its characters, the index of the character of ``text`` it came from."""
    out: list[str] = []
    where: list[int] = []
    pending_space = False
    for index, ch in enumerate(text):
        if ch.isspace():
            pending_space = bool(out)
            continue
        if pending_space:
            out.append(" ")
            where.append(index)
            pending_space = False
        for piece in _fold_char(ch):
            out.append(piece)
            where.append(index)
    return "".join(out), where


def snippet(text: str, query: str) -> dict[str, Any]:
    """The text around the first match: {"before", "match", "after"} (to show the match highlighted)."""
    folded, where = folded_with_positions(text)
    at = folded.find(query)
    if at < 0 or not query:
        head = " ".join(text.split())
        return {"before": "", "match": "", "after": head[: 2 * SNIPPET]}
    start, end = where[at], where[at + len(query) - 1] + 1
    before = " ".join(text[max(0, start - SNIPPET):start].split())
    after = " ".join(text[end:end + SNIPPET].split())
    return {"before": ("…" if start > SNIPPET else "") + before + (" " if text[start - 1:start].isspace() else ""),
            "match": text[start:end],
            "after": (" " if text[end:end + 1].isspace() else "") + after + ("…" if end + SNIPPET < len(text) else "")}


def in_version(version: DocumentVersion, q: str, limit: int = MAX_HITS) -> list[dict[str, Any]]:
    query = fold(q)
    if not query:
        return []
    hits = []
    for row in PageText.objects.filter(version=version, folded__contains=query).order_by("page")[:limit]:
        hits.append({"page": row.page, "count": row.folded.count(query), **snippet(row.text, query)})
    return hits


def everywhere(user: User, q: str, limit: int = 50) -> list[dict[str, Any]]:
    """Pages of the documents the person may read, in every meeting they may see; one hit per document
    (its first matching page and how many pages match), newest meetings first."""
    query = fold(q)
    if len(query) < 2:
        return []
    viewers: dict[int, Viewer] = {}
    results: list[dict[str, Any]] = []
    versions = (searchable_versions(user).filter(texts__folded__contains=query).distinct()
                .select_related("document", "document__meeting", "document__agenda_item")
                .order_by("-document__meeting__start", "document__order", "document_id"))
    for version in versions[: limit * 4]:
        document = version.document
        meeting = document.meeting
        viewer = viewers.get(meeting.pk) or viewers.setdefault(meeting.pk, Viewer.of(user, meeting))
        if not viewer.may_read(document):
            continue
        pages = list(PageText.objects.filter(version=version, folded__contains=query).order_by("page")
                     .values_list("page", flat=True)[:MAX_HITS])
        first = PageText.objects.get(version=version, page=pages[0])
        results.append({
            "document_id": document.pk, "title": document.title, "version": version.number,
            "meeting_id": meeting.pk, "meeting_title": meeting.title, "meeting_start": meeting.start,
            "agenda_item": document.agenda_item.title if document.agenda_item_id else None,
            "page": pages[0], "pages": pages, **snippet(first.text, query),
        })
        if len(results) >= limit:
            break
    return results
