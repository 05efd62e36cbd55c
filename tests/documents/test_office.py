"""Office files: converted to PDF by LibreOffice when it is installed, refused with a clear message
when it is not. The "installed" case uses a stand-in soffice that writes a PDF where LibreOffice would."""

from __future__ import annotations

import shutil
import stat

import pytest

pytestmark = pytest.mark.django_db


def post_file(api_client, url, path, name):
    with open(path, "rb") as fh:
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile(name, fh.read())
    return api_client.client.post(f"/api/v1{url}", {"file": upload}, **api_client.headers)


@pytest.fixture
def docx(tmp_path):
    path = tmp_path / "bao-cao.docx"
    path.write_bytes(b"PK\x03\x04" + b"[Content_Types].xml word/document.xml" + b"\x00" * 100)
    return path


@pytest.mark.parametrize("extension", [".docx", ".doc", ".xlsx", ".pptx", ".odt"])
def test_office_files_are_refused_clearly_without_libreoffice(published, people, api, docx, settings, monkeypatch,
                                                               extension):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    response = post_file(api(people["lan"]), f"/meetings/{published.pk}/documents", docx, f"bao-cao{extension}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "conversion_unavailable"
    assert "LibreOffice" in error["message"] and "PDF" in error["message"] and extension in error["message"]
    assert "chưa được cài" in error["message"] or "not installed" in error["message"]


def test_office_files_are_converted_when_libreoffice_is_there(published, people, api, docx, make_pdf, tmp_path,
                                                             settings):
    made = make_pdf("converted.pdf", "Báo cáo chuyển từ Word", pages=2)
    fake = tmp_path / "soffice"
    # Like soffice: --outdir DIR FILE → DIR/<name>.pdf
    fake.write_text(f"""#!/bin/sh
out=""; last=""
while [ $# -gt 0 ]; do case "$1" in --outdir) out="$2"; shift;; *) last="$1";; esac; shift; done
mkdir -p "$out"; base=$(basename "$last"); cp "{made}" "$out/${{base%.*}}.pdf"
""")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    settings.PHONGHOP_SOFFICE = str(fake)
    response = post_file(api(people["lan"]), f"/meetings/{published.pk}/documents", docx, "bao-cao.docx")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["current_version"]["converted_from"] == "docx"
    assert body["current_version"]["original_name"] == "bao-cao.docx"
    assert body["current_version"]["pages"] == 2
    text = api(people["hoa"]).get(f"/documents/{body['id']}/pages/1/text").json()["text"]
    assert "Báo cáo chuyển từ Word" in text
