"""Search ignores diacritics and case: "quyet dinh" finds "Quyết định", inside one document and across
every document a person may read."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_search_inside_a_document(docs, people, api):
    report = docs["report"]
    result = api(people["binh"]).get(f"/documents/{report.pk}/search", q="quyet dinh").json()
    assert [hit["page"] for hit in result["hits"]] == [1, 2, 3, 4, 5, 6]
    first = result["hits"][0]
    assert first["match"] == "Quyết định"
    assert "về việc phê duyệt" in first["after"]
    assert api(people["binh"]).get(f"/documents/{report.pk}/search", q="TRANG SO 4").json()["hits"][0]["page"] == 4
    assert api(people["binh"]).get(f"/documents/{report.pk}/search", q="không có chữ này").json()["hits"] == []
    assert api(people["binh"]).get(f"/documents/{report.pk}/search", q="  ").json()["hits"] == []


def test_search_across_documents(docs, people, api, published, make_pdf):
    from meetings.documents import services

    services.upload(people["lan"], published, make_pdf("qd.pdf", "Quyết định thành lập Tổ công tác", pages=1,
                                                       paragraphs=[["Điều 1. Thành lập Tổ công tác đặc biệt."]]),
                    "qd.pdf")
    results = api(people["binh"]).get("/documents/search", q="to cong tac dac biet").json()["results"]
    assert [r["title"] for r in results] == ["Quyết định thành lập Tổ công tác"]
    assert results[0]["match"] == "Tổ công tác đặc biệt" and results[0]["meeting_id"] == published.pk
    everywhere = api(people["binh"]).get("/documents/search", q="Quyet Dinh").json()["results"]
    assert {r["title"] for r in everywhere} == {"Báo cáo kinh tế - xã hội", "Quyết định thành lập Tổ công tác"}


def test_the_search_page(docs, people, client):
    client.force_login(people["hoa"])
    page = client.get("/documents/search/", {"q": "phuong an nhan su"}).content.decode()
    assert "Phương án nhân sự" in page and f"/documents/{docs['named'].pk}/?page=1" in page
    client.force_login(people["binh"])
    assert "Phương án nhân sự" not in client.get("/documents/search/", {"q": "phuong an nhan su"}).content.decode()


def test_folding_keeps_positions():
    from meetings.documents.search import snippet

    found = snippet("Căn cứ  Luật Tổ chức   chính quyền địa phương", "chinh quyen dia")
    assert found["match"] == "chính quyền địa"
