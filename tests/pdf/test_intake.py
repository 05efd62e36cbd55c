"""Intake of good files: what is read, how it is stored, and duplicates."""

from __future__ import annotations

import json

import pytest

from meetings.pdf import intake, store
from meetings.textsearch import fold

from . import makepdf


def test_reads_pages_title_sizes_and_text(write):
    data = makepdf.text_pdf(["Mot", "Hai", "Ba"], title="  Kế hoạch\x00 năm 2027 ")
    path = write("ba.pdf", data)
    result = intake.inspect(path)
    assert result.pages == 3
    assert result.title == "Kế hoạch năm 2027"
    assert [t.strip() for t in result.text_per_page] == ["Mot", "Hai", "Ba"]
    assert result.page_sizes == [(595.0, 842.0)] * 3
    assert result.sha256 == intake.sha256_of(path) and result.size == len(data)
    assert not result.encrypted and not result.has_javascript


def test_vietnamese_text_is_searchable(tmp_path):
    if makepdf.font_path() is None:
        pytest.skip("no TrueType font with Vietnamese glyphs on this machine")
    path = makepdf.document_pdf(tmp_path / "qd.pdf", 2, ["Quyết định về việc phê duyệt kế hoạch", "Trang {page}"])
    result = intake.inspect(path)
    assert "Quyết định về việc phê duyệt kế hoạch" in result.text_per_page[0]
    assert "quyet dinh ve viec" in fold(result.text_per_page[1])


def test_accept_stores_by_content_and_recognises_duplicates(pdf_settings, write):
    data = makepdf.text_pdf(["Bien ban hop"])
    first = intake.accept(write("bien-ban.pdf", data))
    sha = first.result.sha256
    assert not first.duplicate
    assert first.path == pdf_settings.MEDIA_ROOT / "pdf" / sha[:2] / f"{sha}.pdf"
    assert first.path.read_bytes() == data
    record = json.loads(first.path.with_suffix(".json").read_text())
    assert record["result"]["pages"] == 1

    again = intake.accept(write("ban-sao-ten-khac.pdf", data))
    assert again.duplicate and again.path == first.path and again.result == first.result


def test_store_checks_the_hash_while_copying(write):
    path = write("a.pdf", makepdf.text_pdf(["A"]))
    with pytest.raises(ValueError):
        store.put(path, "f" * 64)
    assert not store.exists("f" * 64)


def test_store_refuses_a_name_that_is_not_a_hash():
    with pytest.raises(ValueError):
        store.path_for("../../etc/passwd")


def test_delete_removes_the_file_its_record_and_its_pages(pdf_settings, write):
    from meetings.pdf import render

    sha = intake.accept(write("xoa.pdf", makepdf.text_pdf(["Xoa"]))).result.sha256
    render.page_image(sha, 1, render.WIDTHS["thumb"])
    store.delete(sha)
    assert not store.exists(sha) and store.load_result(sha) is None
    assert not (pdf_settings.MEDIA_ROOT / "pages" / sha).exists()


def test_a_file_only_pypdf_can_read_is_repaired_and_rendered(pdf_settings, write):
    from meetings.pdf import render

    accepted = intake.accept(write("hong-nhe.pdf", makepdf.rootless_trailer_pdf()))
    result = accepted.result
    assert result.repaired and result.pages == 1
    assert "Bien ban da sua" in result.text_per_page[0]
    assert store.render_source(result.sha256).name == f"{result.sha256}.repaired.pdf"
    assert accepted.path.read_bytes() == makepdf.rootless_trailer_pdf()  # the original is kept as sent
    assert render.page_image(result.sha256, 1, render.WIDTHS["thumb"]).is_file()
