"""Real-world PDFs (py-pdf/sample-files, kept in shared/corpus beside the repository): each one PDFium or
pypdf can read is accepted, counted, rendered and its text searchable; the password-protected one is
refused as encrypted; none takes longer than the limits (the sandbox enforces them)."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import pytest
from PIL import Image

from meetings.pdf import intake, render
from meetings.pdf.intake import IntakeError
from meetings.textsearch import fold

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus" / "pdf-samples"
CI = os.environ.get("CI") == "true"


def samples():
    if not CORPUS.is_dir():
        return [pytest.param(None, id="corpus-missing")]
    return [pytest.param(path, id=str(path.relative_to(CORPUS))) for path in sorted(CORPUS.glob("*/*.pdf"))]


def metadata() -> dict[str, dict]:
    listing = CORPUS / "files.json"
    return {entry["path"]: entry for entry in json.loads(listing.read_text())["data"]} if listing.exists() else {}


def what_the_libraries_read(path: Path) -> dict | None:
    """The oracle, run here in the test process on trusted files: pages and text as PDFium and pypdf
    see them, or None when neither can open the file; "encrypted" when it needs a password."""
    import pypdf
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(str(path))
        pages = len(doc)
        doc.close()
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium.raw.FPDF_ERR_PASSWORD:
            return {"encrypted": True}
        pages = None
    text = ""
    try:
        reader = pypdf.PdfReader(path)
        if reader.is_encrypted and pages is None:
            return {"encrypted": True}
        text = " ".join(page.extract_text() or "" for page in reader.pages)
        pages = pages or len(reader.pages)
    except Exception:  # noqa: BLE001 — pypdf could not read it: PDFium's word stands
        pass
    return None if pages is None else {"encrypted": False, "pages": pages, "text": text}


def words(text: str) -> list[str]:
    """Words of five letters or more, longest first."""
    return sorted({w for w in re.findall(r"[^\W\d_]{5,}", fold(text))}, key=len, reverse=True)


@pytest.mark.parametrize("path", samples())
def test_real_world_pdf(path):
    if path is None:
        if CI:
            pytest.fail(f"CI=true but the real-world PDF corpus is missing: {CORPUS}")
        pytest.skip(f"the real-world PDF corpus is not at {CORPUS}")
    expected = what_the_libraries_read(path)
    if expected is None:
        with pytest.raises(IntakeError) as caught:
            intake.accept(path)
        assert caught.value.code in {"broken", "truncated"}
        return
    if expected["encrypted"]:
        with pytest.raises(IntakeError) as caught:
            intake.accept(path)
        assert caught.value.code == "encrypted"
        return

    accepted = intake.accept(path)
    result = accepted.result
    assert result.pages == expected["pages"]
    listed = metadata().get(str(path.relative_to(CORPUS)))
    if listed:
        assert result.pages == listed["pages"]
    assert len(result.text_per_page) == len(result.page_sizes) == result.pages

    ours = fold(" ".join(result.text_per_page)).replace(" ", "")
    theirs = words(expected["text"])[:10]
    if theirs:  # search finds what pypdf reads, whitespace aside
        assert any(word in ours for word in theirs), f"none of {theirs} in the extracted text"

    image = render.page_image(result.sha256, 1, render.WIDTHS["thumb"])
    with Image.open(io.BytesIO(image.read_bytes())) as picture:
        assert picture.format == "JPEG"
        assert picture.width == render.WIDTHS["thumb"] or picture.height == 4 * render.WIDTHS["thumb"]

    assert intake.accept(path).duplicate
