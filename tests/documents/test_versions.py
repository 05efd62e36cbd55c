"""Versions and approval: lan asks the finance department (Sở Tài chính, binh's unit) to prepare the
budget estimate; binh uploads it, it waits; lan returns it with a reason, binh uploads again, minh
approves; the history stays. A new version from the organisers is current at once."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def post_file(api_client, url, path, **fields):
    with open(path, "rb") as fh:
        return api_client.client.post(f"/api/v1{url}", {"file": fh, **fields}, **api_client.headers)


@pytest.fixture
def requested(published, people, units, api):
    item = published.agenda_items.get()
    response = api(people["lan"]).post(f"/meetings/{published.pk}/documents/requests", {
        "title": "Dự toán ngân sách năm 2027", "preparing_unit_id": units["finance"].pk, "agenda_item_id": item.pk})
    assert response.status_code == 201, response.content
    return response.json()


def test_a_unit_prepares_and_the_secretary_decides(requested, published, people, api, make_pdf):
    doc_id = requested["id"]
    assert requested["current_version"] is None and requested["preparing_unit"]["name"] == "Sở Tài chính"
    # Readers do not see a document that has nothing approved; the preparing unit does.
    hoa_titles = [d["title"] for d in api(people["hoa"]).get(f"/meetings/{published.pk}/documents").json()]
    assert "Dự toán ngân sách năm 2027" not in hoa_titles

    first = post_file(api(people["binh"]), f"/documents/{doc_id}/versions", make_pdf("v1.pdf", "Dự toán (dự thảo)"))
    assert first.status_code == 201, first.content
    assert first.json()["versions"][0]["status"] == "pending" and first.json()["current_version"] is None
    assert api(people["hoa"]).get(f"/documents/{doc_id}").json()["error"]["code"] == "not_approved"

    # Neither the unit itself nor a delegate may approve; a reason is needed to return it.
    for who in ("binh", "hoa", "hanh"):
        assert api(people[who]).post(f"/documents/{doc_id}/versions/1/approve").status_code == 403, who
    refused = api(people["lan"]).post(f"/documents/{doc_id}/versions/1/return", {"reason": "  "})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "reason_required"
    returned = api(people["lan"]).post(f"/documents/{doc_id}/versions/1/return",
                                       {"reason": "Bổ sung số liệu quý IV"})
    assert returned.json()["versions"][0]["status"] == "returned"
    assert returned.json()["versions"][0]["reason"] == "Bổ sung số liệu quý IV"
    assert api(people["lan"]).post(f"/documents/{doc_id}/versions/1/approve").json()["error"]["code"] == \
        "already_decided"

    second = post_file(api(people["binh"]), f"/documents/{doc_id}/versions", make_pdf("v2.pdf", "Dự toán", pages=4))
    assert [v["status"] for v in second.json()["versions"]] == ["returned", "pending"]
    approved = api(people["minh"]).post(f"/documents/{doc_id}/versions/2/approve")
    assert approved.status_code == 200, approved.content
    assert approved.json()["current_version"]["number"] == 2 and approved.json()["current_version"]["pages"] == 4
    # Readers now see it, and only the approved version.
    seen = api(people["hoa"]).get(f"/documents/{doc_id}").json()
    assert [v["number"] for v in seen["versions"]] == [2]
    assert api(people["hoa"]).get(f"/documents/{doc_id}/pages/1/text", version=1).status_code == 404

    from meetings.models import AuditEntry, MeetingEvent

    assert set(AuditEntry.objects.filter(action__startswith="document.").values_list("action", flat=True)) >= {
        "document.requested", "document.version", "document.returned", "document.approved"}
    assert MeetingEvent.objects.filter(meeting=published, type="documents.changed").count() == 5


def test_another_unit_cannot_upload_to_the_request(requested, people, api, make_pdf):
    for who in ("hoa", "tuan"):
        response = post_file(api(people[who]), f"/documents/{requested['id']}/versions", make_pdf("x.pdf", "X"))
        assert response.status_code in (403, 404), who


def test_a_new_version_from_the_organisers_is_current_and_keeps_the_history(docs, people, api, make_pdf):
    from meetings.documents.models import DocumentVersion

    report = docs["report"]
    response = post_file(api(people["lan"]), f"/documents/{report.pk}/versions",
                         make_pdf("v2.pdf", "Báo cáo (bản sửa)", pages=8))
    assert response.status_code == 201, response.content
    body = response.json()
    assert [v["number"] for v in body["versions"]] == [1, 2] and body["current_version"]["pages"] == 8
    assert {v.status for v in DocumentVersion.objects.filter(document=report)} == {"approved"}
    # Readers may still open the earlier version (a presentation may be showing it).
    assert api(people["binh"]).get(f"/documents/{report.pk}/pages/7/text").status_code == 200
    assert api(people["binh"]).get(f"/documents/{report.pk}/pages/1/text", version=1).status_code == 200


def test_the_same_file_twice_is_stored_once(docs, people, published, make_pdf):
    from meetings.documents import services

    path = make_pdf("again.pdf", "Báo cáo kinh tế - xã hội", pages=6)
    received = services.receive_file(path, "again.pdf")
    again = services.receive_file(path, "again.pdf")
    assert again.accepted.duplicate and again.result.sha256 == received.result.sha256


def test_classified_documents_are_refused_unless_the_deployment_allows_them(published, people, api, make_pdf,
                                                                            settings):
    path = make_pdf("mat.pdf", "Tài liệu mật")
    hoa = published.participants.get(user=people["hoa"]).pk
    fields = {"access": "classified", "classification": "mat", "allowed_participant_ids": str(hoa)}
    refused = post_file(api(people["lan"]), f"/meetings/{published.pk}/documents", path, **fields)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "classified_not_allowed"
    assert "Mật" in refused.json()["error"]["message"]

    settings.PHONGHOP_ALLOW_CLASSIFIED = True
    accepted = post_file(api(people["lan"]), f"/meetings/{published.pk}/documents", path, **fields)
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["restricted"] and accepted.json()["classification"] == "mat"
    assert api(people["binh"]).get(f"/documents/{accepted.json()['id']}").status_code == 403


def test_hostile_uploads_get_the_intake_message(published, people, api, tmp_path, settings):
    bad = tmp_path / "bao-cao.pdf"
    bad.write_bytes(b"PK\x03\x04 word/document.xml not a pdf")
    response = post_file(api(people["lan"]), f"/meetings/{published.pk}/documents", bad)
    assert response.status_code == 400 and response.json()["error"]["code"] == "not_pdf"
    assert "Word" in response.json()["error"]["message"]

    settings.PHONGHOP_PDF_MAX_BYTES = 1000
    big = tmp_path / "lon.pdf"
    big.write_bytes(b"%PDF-1.7\n" + b"0" * 5000)
    response = post_file(api(people["lan"]), f"/meetings/{published.pk}/documents", big)
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    assert "MB" in response.json()["error"]["message"]
    empty = api(people["lan"]).client.post(f"/api/v1/meetings/{published.pk}/documents", {},
                                           **api(people["lan"]).headers)
    assert empty.status_code == 400 and empty.json()["error"]["code"] == "no_file"


def test_a_preparing_unit_outside_the_meeting_sees_only_its_request(requested, published, people, units, api,
                                                                    make_pdf):
    from personas import make_user

    thu = make_user("thu", units["finance"], "delegate", "Hồ Thị Thu")  # Sở Tài chính, not invited
    listed = api(thu).get(f"/meetings/{published.pk}/documents")
    assert listed.status_code == 200 and [d["title"] for d in listed.json()] == ["Dự toán ngân sách năm 2027"]
    uploaded = post_file(api(thu), f"/documents/{requested['id']}/versions", make_pdf("v1.pdf", "Dự toán"))
    assert uploaded.status_code == 201, uploaded.content
    assert api(thu).get(f"/meetings/{published.pk}").status_code == 404  # the meeting itself stays closed
    assert api(people["tuan"]).get(f"/meetings/{published.pk}/documents").status_code == 404
