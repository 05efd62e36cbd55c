"""A meeting's whole record as one archive: every file listed in the manifest with its SHA-256, documents as
uploaded (their hash is the store's), the event log whose chain checks out inside the archive."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_archive_holds_the_record_and_its_manifest_matches(api, people, published, docs):
    from meetings.record import archive

    response = api(people["lan"]).get(f"/meetings/{published.pk}/archive")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(response.content))
    manifest = json.loads(z.read("manifest.json"))
    assert set(manifest["files"]) == set(z.namelist()) - {"manifest.json"}
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(z.read(name)).hexdigest() == digest, name

    documents = json.loads(z.read("documents.json"))
    report = next(d for d in documents if d["title"] == "Báo cáo kinh tế - xã hội")
    version = report["versions"][0]
    assert hashlib.sha256(z.read(version["file"])).hexdigest() == version["sha256"], "the PDF as uploaded"
    meeting = json.loads(z.read("meeting.json"))
    assert meeting["title"] == published.title and meeting["last_seq"] == len(json.loads(z.read("events.json")))
    assert {p["name"] for p in json.loads(z.read("participants.json"))} >= {"Phạm Thị Hoa", "Lê Văn Bình"}
    assert archive.check(response.content) == []

    # One byte changed in one file: the manifest says which.
    tampered = io.BytesIO()
    with zipfile.ZipFile(tampered, "w") as out:
        for name in z.namelist():
            data = z.read(name)
            if name == "participants.json":
                data = data.replace("Phạm Thị Hoa".encode(), "Phạm Thị Hòa".encode())
            out.writestr(name, data)
    assert archive.check(tampered.getvalue()) == ["participants.json: changed"]


@pytest.mark.parametrize("name", ["hoa", "binh", "khach"])
def test_only_the_organisers_export_the_archive(api, people, published, name):
    response = api(people[name]).get(f"/meetings/{published.pk}/archive")
    assert response.status_code in (403, 404)
    assert response.json()["error"]["code"] in ("forbidden", "not_found")


def test_the_export_is_in_the_audit_trail(api, people, published):
    from meetings.models import AuditEntry

    api(people["minh"]).get(f"/meetings/{published.pk}/archive")
    entry = AuditEntry.objects.get(action="meeting.archive_export")
    assert entry.actor == people["minh"] and entry.meeting_id == published.pk
