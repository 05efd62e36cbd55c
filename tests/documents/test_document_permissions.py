"""Who sees what of a restricted document. hoa is named on it, binh (also a participant) is not, tuan is
not in the meeting at all; lan prepared the meeting. Everything binh asks for about the named document
(page images, text, search hits, downloads, its pages in his meeting book) is refused with 403 or
left out; hoa's copies carry her name, unit and the time."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.django_db


def page_url(document, page=1, width=200):
    from django.urls import reverse

    return reverse("document-page", args=[document.pk, document.current_version.number, page]) + f"?w={width}"


def as_person(client, user):
    client.force_login(user)
    return client


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def test_the_list_shows_each_person_what_they_may_read(docs, people, api, published):
    titles = lambda who: [d["title"] for d in api(people[who]).get(f"/meetings/{published.pk}/documents").json()]  # noqa: E731
    assert titles("hoa") == ["Báo cáo kinh tế - xã hội", "Phương án nhân sự"]
    assert titles("binh") == ["Báo cáo kinh tế - xã hội"]
    assert titles("lan") == titles("minh") == titles("hanh") == titles("hoa")
    assert api(people["tuan"]).get(f"/meetings/{published.pk}/documents").status_code == 404


@pytest.mark.parametrize("path", [
    "/documents/{id}", "/documents/{id}/pages/1/text", "/documents/{id}/search?q=nhan",
    "/documents/{id}/download", "/documents/{id}/notes",
])
def test_a_participant_who_is_not_named_gets_403(docs, people, api, path):
    named = docs["named"]
    url = path.format(id=named.pk)
    response = api(people["binh"]).get(url)
    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "restricted"
    assert "Phương án" not in response.content.decode()
    assert api(people["hoa"]).get(url).status_code == 200
    assert api(people["tuan"]).get(url).status_code == 404  # not even the meeting is his to see


def test_page_images_of_a_restricted_document(docs, people, client):
    named, report = docs["named"], docs["report"]
    assert as_person(client, people["binh"]).get(page_url(named)).status_code == 403
    assert client.get(page_url(report)).status_code == 200
    client.logout()
    assert client.get(page_url(named)).status_code == 401

    response = as_person(client, people["hoa"]).get(page_url(named, width=1024))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store" and "ETag" not in response
    assert response["X-Watermarked"] == "1"


def test_page_images_of_an_open_document_are_cached_by_the_browser(docs, people, client, api):
    report = docs["report"]
    first = as_person(client, people["binh"]).get(page_url(report, 2, 1024))
    assert first.status_code == 200
    assert first["Cache-Control"] == "private, max-age=31536000, immutable"
    again = client.get(page_url(report, 2, 1024), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again["ETag"] == first["ETag"]
    assert client.get(page_url(report, 7)).status_code == 404
    assert client.get(page_url(report, 1, 300)).status_code == 400
    # A program with a token, no session.
    client.logout()
    token = api(people["binh"]).headers
    assert client.get(page_url(report), **token).status_code == 200


def test_search_hits_leave_out_what_the_person_may_not_read(docs, people, api):
    hits = lambda who: {r["title"] for r in api(people[who]).get("/documents/search", q="nhan su du kien").json()["results"]}  # noqa: E731
    assert hits("hoa") == {"Phương án nhân sự"}
    assert hits("binh") == set()
    assert hits("tuan") == set()


def test_the_downloaded_copy_carries_the_watermark(docs, people, api):
    response = api(people["hoa"]).get(f"/documents/{docs['named'].pk}/download")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    text = pdf_text(b"".join(response.streaming_content) if response.streaming else response.content)
    assert "Phạm Thị Hoa" in text and "Văn phòng UBND tỉnh" in text
    assert "Phương án nhân sự dự kiến" in text  # the document itself is all there
    from django.utils import timezone

    assert f"{timezone.localtime():%d/%m/%Y}" in text

    from meetings.models import AuditEntry

    assert AuditEntry.objects.filter(action="document.download", actor=people["hoa"]).exists()


def test_an_open_document_downloads_as_it_was_uploaded(docs, people, api):
    from meetings.pdf import store

    response = api(people["binh"]).get(f"/documents/{docs['report'].pk}/download")
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert data == store.path_for(docs["report"].current_version.sha256).read_bytes()


def test_a_recalled_document_is_gone_for_readers_not_for_the_organisers(docs, people, api, client):
    from meetings.documents import services

    report = docs["report"]
    services.recall(people["lan"], report)
    response = api(people["binh"]).get(f"/documents/{report.pk}/download")
    assert response.status_code == 403 and response.json()["error"]["code"] == "recalled"
    assert as_person(client, people["binh"]).get(page_url(report)).status_code == 403
    assert api(people["lan"]).get(f"/documents/{report.pk}/pages/1/text").status_code == 200
    services.restore(people["lan"], report)
    assert api(people["binh"]).get(f"/documents/{report.pk}/pages/1/text").status_code == 200


def test_availability_window(docs, people, api):
    import datetime as dt

    from django.utils import timezone

    report = docs["report"]
    later = timezone.now() + dt.timedelta(days=1)
    reply = api(people["lan"]).patch(f"/documents/{report.pk}", {"available_from": later.isoformat()})
    assert reply.status_code == 200, reply.content
    assert api(people["binh"]).get(f"/documents/{report.pk}").json()["error"]["code"] == "not_yet_available"
    assert api(people["lan"]).get(f"/documents/{report.pk}").status_code == 200
    api(people["lan"]).patch(f"/documents/{report.pk}", {"available_from": None,
                                                          "available_until": (timezone.now() - dt.timedelta(hours=1)).isoformat()})
    assert api(people["binh"]).get(f"/documents/{report.pk}").json()["error"]["code"] == "no_longer_available"


def test_wrong_roles_cannot_upload_change_or_approve(docs, people, api, published, make_pdf):
    from meetings.services import participants

    participants.add_participant(people["lan"], published, people["khach"], role="guest")
    path = make_pdf("x.pdf", "Tài liệu thử")
    for who, status in (("hoa", 403), ("khach", 403), ("binh", 403), ("tuan", 404)):
        with open(path, "rb") as fh:
            response = api(people[who]).client.post(f"/api/v1/meetings/{published.pk}/documents", {"file": fh},
                                                    **api(people[who]).headers)
        assert response.status_code == status, (who, response.content)
        assert api(people[who]).patch(f"/documents/{docs['report'].pk}", {"access": "named"}).status_code == status
        assert api(people[who]).post(f"/documents/{docs['report'].pk}/recall").status_code == status
        assert api(people[who]).get(f"/meetings/{published.pk}/documents/reads").status_code == status


def test_the_meeting_book_leaves_out_what_the_person_may_not_see(docs, people, api, published):
    for who in ("hoa", "binh"):
        assert api(people[who]).post(f"/meetings/{published.pk}/book").status_code == 202
    hoa = PdfReader(io.BytesIO(b"".join(api(people["hoa"]).get(f"/meetings/{published.pk}/book.pdf").streaming_content)))
    binh_response = api(people["binh"]).get(f"/meetings/{published.pk}/book.pdf")
    assert binh_response.status_code == 200
    binh = PdfReader(io.BytesIO(b"".join(binh_response.streaming_content)))
    hoa_text = "\n".join(p.extract_text() for p in hoa.pages)
    binh_text = "\n".join(p.extract_text() for p in binh.pages)
    assert "Phương án nhân sự dự kiến" in hoa_text and "Phạm Thị Hoa" in hoa_text
    assert "Phương án nhân sự" not in binh_text
    assert len(binh.pages) == len(hoa.pages) - 2
    assert [o.title for o in binh.outline if not isinstance(o, list)] == ["1. Báo cáo kinh tế - xã hội"]
    # Nobody downloads another person's book: the address is always the caller's own.
    assert api(people["tuan"]).get(f"/meetings/{published.pk}/book.pdf").status_code == 404
