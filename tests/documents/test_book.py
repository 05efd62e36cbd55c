"""The meeting book: a cover with the meeting's data, one bookmark per agenda item with its documents
beneath, only what the person may see, page numbers; rebuilt when a document changes."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.django_db


def book_of(api_client, meeting):
    response = api_client.get(f"/meetings/{meeting.pk}/book.pdf")
    assert response.status_code == 200, response.content
    return PdfReader(io.BytesIO(b"".join(response.streaming_content)))


def outline(reader):
    def walk(items):
        out = []
        for entry in items:
            if isinstance(entry, list):
                out[-1] = (out[-1][0], walk(entry))
            else:
                out.append((entry.title, []))
        return out
    return walk(reader.outline)


def test_bookmarks_per_agenda_item_cover_and_page_numbers(docs, people, api, published, make_pdf):
    from meetings.documents import services
    from meetings.formatting import long_datetime
    from meetings.services import agenda

    second = agenda.add_item(people["lan"], published, title="Kế hoạch đầu tư công năm 2027")
    agenda.add_item(people["lan"], published, title="Các vấn đề phát sinh")
    services.upload(people["lan"], published, make_pdf("dt.pdf", "Kế hoạch đầu tư công", pages=3), "dt.pdf",
                    agenda_item_id=second.pk)
    assert api(people["hoa"]).get(f"/meetings/{published.pk}/book").json()["status"] == "none"
    started = api(people["hoa"]).post(f"/meetings/{published.pk}/book")
    assert started.status_code == 202
    status = api(people["hoa"]).get(f"/meetings/{published.pk}/book").json()
    assert status["status"] == "ready" and status["progress"] == 100 and status["current"]

    book = book_of(api(people["hoa"]), published)
    assert outline(book) == [
        ("1. Báo cáo kinh tế - xã hội", [("Báo cáo kinh tế - xã hội", []), ("Phương án nhân sự", [])]),
        ("2. Kế hoạch đầu tư công năm 2027", [("Kế hoạch đầu tư công", [])]),
        ("3. Các vấn đề phát sinh", []),
    ]
    cover = book.pages[0].extract_text()
    assert published.title in cover and long_datetime(published.start) in cover
    assert "Trần Văn Minh" in cover and "Phòng họp số 1" in cover and "Kế hoạch đầu tư công năm 2027" in cover
    assert len(book.pages) == 1 + 6 + 2 + 3
    from django.utils import translation

    with translation.override("vi"):
        number = translation.gettext("Page %(page)s of %(total)s")
    for index in (1, len(book.pages) - 1):
        assert number % {"page": index + 1, "total": len(book.pages)} in book.pages[index].extract_text()
    first_item = book.outline[0]
    assert book.get_destination_page_number(first_item) == 1  # right after the cover


def test_the_book_is_rebuilt_when_a_document_changes(docs, people, api, published,
                                                    django_capture_on_commit_callbacks):
    from meetings.documents import services
    from meetings.documents.models import MeetingBook

    api(people["binh"]).post(f"/meetings/{published.pk}/book")
    assert len(book_of(api(people["binh"]), published).pages) == 1 + 6
    built = MeetingBook.objects.get(user=people["binh"]).built_at
    # binh is named on the restricted document: his book is rebuilt with it (and his watermark).
    with django_capture_on_commit_callbacks(execute=True):
        services.change_document(people["lan"], docs["named"],
                                 allowed_participant_ids=[p.pk for p in published.participants.all()])
    assert MeetingBook.objects.get(user=people["binh"]).built_at > built
    book = book_of(api(people["binh"]), published)
    assert len(book.pages) == 1 + 6 + 2
    assert "Lê Văn Bình" in book.pages[-1].extract_text()
    # Recalled: out of every book.
    with django_capture_on_commit_callbacks(execute=True):
        services.recall(people["lan"], docs["named"])
    assert len(book_of(api(people["binh"]), published).pages) == 1 + 6


def test_an_outdated_book_is_never_served(docs, people, api, published, monkeypatch):
    from meetings.documents import book, services

    api(people["binh"]).post(f"/meetings/{published.pk}/book")
    monkeypatch.setattr(book, "_start", lambda book_id: None)  # the rebuild stays queued
    services.change_document(people["lan"], docs["report"], title="Báo cáo (sửa tên)")
    response = api(people["binh"]).get(f"/meetings/{published.pk}/book.pdf")
    assert response.status_code == 409 and response.json()["error"]["code"] == "book_outdated"
    assert api(people["binh"]).get(f"/meetings/{published.pk}/book").json()["status"] == "queued"
