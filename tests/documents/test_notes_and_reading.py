"""Personal notes are their author's alone and survive a new version; the chair and the secretary see
who opened which document and how many of its pages."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_notes_are_private_and_exportable(docs, people, api, make_pdf):
    report = docs["report"]
    hoa, binh = api(people["hoa"]), api(people["binh"])
    created = hoa.post(f"/documents/{report.pk}/notes", {"page": 2, "text": "Hỏi lại số liệu tăng trưởng",
                                                         "rect": {"x": 0.1, "y": 0.2, "w": 0.5, "h": 0.1}})
    assert created.status_code == 201, created.content
    note = created.json()
    assert note["rect"] == {"x": 0.1, "y": 0.2, "w": 0.5, "h": 0.1}
    assert hoa.post(f"/documents/{report.pk}/notes", {"page": 9, "text": "x"}).status_code == 400
    assert hoa.post(f"/documents/{report.pk}/notes", {"page": 1, "text": ""}).status_code == 400
    bad_rect = hoa.post(f"/documents/{report.pk}/notes", {"page": 1, "text": "x", "rect": {"x": 0.9, "y": 0, "w": 0.5, "h": 0.1}})
    assert bad_rect.status_code == 400

    assert binh.get(f"/documents/{report.pk}/notes").json() == []
    assert binh.patch(f"/notes/{note['id']}", {"text": "sửa trộm"}).status_code == 404
    assert binh.delete(f"/notes/{note['id']}").status_code == 404

    changed = hoa.patch(f"/notes/{note['id']}", {"text": "Hỏi lại số liệu tăng trưởng quý IV", "rect": None})
    assert changed.json()["rect"] is None and changed.json()["text"].endswith("quý IV")

    # A new version: the note is still there, on its page.
    from meetings.documents import services

    services.upload_version(people["lan"], report, make_pdf("v2.pdf", "Báo cáo (bản sửa)", pages=6), "v2.pdf")
    assert [n["page"] for n in hoa.get(f"/documents/{report.pk}/notes").json()] == [2]

    exported = hoa.get(f"/meetings/{report.meeting_id}/notes/export")
    assert exported["Content-Type"] == "text/plain; charset=utf-8" and "attachment" in exported["Content-Disposition"]
    text = exported.content.decode()
    assert "Báo cáo kinh tế - xã hội" in text and "quý IV" in text
    assert "quý IV" not in binh.get(f"/meetings/{report.meeting_id}/notes/export").content.decode()
    assert hoa.delete(f"/notes/{note['id']}").status_code == 204


def test_read_report(docs, people, api, published):
    report, named = docs["report"], docs["named"]
    hoa = api(people["hoa"])
    assert hoa.post(f"/documents/{report.pk}/seen", {"version": 1, "pages": [1, 2, 2, 3, 99]}).json()["pages_seen"] \
        == [1, 2, 3]
    hoa.post(f"/documents/{report.pk}/seen", {"version": 1, "pages": [6]})
    assert api(people["binh"]).post(f"/documents/{named.pk}/seen", {"version": 1, "pages": [1]}).status_code == 403

    report_rows = api(people["minh"]).get(f"/meetings/{published.pk}/documents/reads").json()
    by_doc = {row["title"]: {r["name"]: (r["opened"], r["pages_seen"]) for r in row["readers"]} for row in report_rows}
    assert by_doc["Báo cáo kinh tế - xã hội"]["Phạm Thị Hoa"] == (True, 4)
    assert by_doc["Báo cáo kinh tế - xã hội"]["Lê Văn Bình"] == (False, 0)
    assert "Lê Văn Bình" not in by_doc["Phương án nhân sự"]  # not named on it: not expected to read it
    assert api(people["hoa"]).get(f"/meetings/{published.pk}/documents/reads").status_code == 403
