"""Hostile and broken files, made by the tests: each is refused with its own code and message, within
the limits, and the server process neither dies nor grows."""

from __future__ import annotations

import os

import pytest
from django.utils import translation

from meetings.pdf import intake, store
from meetings.pdf.intake import IntakeError

from . import makepdf

HOSTILE = {
    "zero-bytes": (lambda: b"", "empty"),
    "encrypted": (makepdf.encrypted_pdf, "encrypted"),
    "truncated": (makepdf.truncated_pdf, "truncated"),
    "wrong-magic": (makepdf.wrong_magic_pdf, "not_pdf"),
    "png-renamed": (makepdf.png_bytes, "not_pdf"),
    "docx-renamed": (makepdf.docx_bytes, "not_pdf"),
    "decompression-bomb": (makepdf.decompression_bomb_pdf, "too_much_memory"),
    "billion-laughs": (makepdf.billion_laughs_pdf, "too_much_memory"),
    "deeply-nested": (makepdf.deeply_nested_pdf, "broken"),
    "page-tree-loop": (makepdf.page_tree_loop_pdf, "broken"),
    "huge-image": (makepdf.huge_image_pdf, "image_too_large"),
}


@pytest.fixture(scope="module")
def hostile_bytes():
    return {name: make() for name, (make, _code) in HOSTILE.items()}


def refused(path) -> IntakeError:
    with pytest.raises(IntakeError) as caught:
        intake.inspect(path)
    return caught.value


@pytest.mark.parametrize("name", HOSTILE)
def test_each_hostile_file_is_refused_with_its_code(name, hostile_bytes, write):
    error = refused(write(f"{name}.pdf", hostile_bytes[name]))
    assert error.code == HOSTILE[name][1]
    assert str(error) == str(intake.IntakeError(error.code, **error.params))
    assert str(error).strip()


def test_five_thousand_pages_are_too_many(five_thousand_pages):
    error = refused(five_thousand_pages)
    assert error.code == "too_many_pages"
    assert any(shown in str(error) for shown in ("5000", "5,000", "5.000"))


def test_too_large_is_refused_before_parsing(pdf_settings, write):
    pdf_settings.PHONGHOP_PDF_MAX_BYTES = 500
    error = refused(write("lon.pdf", makepdf.text_pdf(["Bao cao"] * 5)))
    assert (error.code, error.status) == ("too_large", 413)


def test_cpu_time_limit_gives_too_slow(pdf_settings, cpu_bomb):
    pdf_settings.PHONGHOP_PDF_CPU_SECONDS = 1
    assert refused(cpu_bomb).code == "too_slow"


def test_wall_clock_limit_gives_too_slow(pdf_settings, cpu_bomb):
    pdf_settings.PHONGHOP_PDF_WALL_SECONDS = 0.5
    assert refused(cpu_bomb).code == "too_slow"


def test_renamed_files_are_named_in_the_message(write):
    with translation.override("en"):
        assert "Word document" in str(refused(write("bien-ban.pdf", makepdf.docx_bytes())))
        assert "an image" in str(refused(write("anh.pdf", makepdf.png_bytes())))


def test_every_refusal_has_its_own_message():
    params = {"too_large": {"size": "120", "limit": "100"}, "too_many_pages": {"pages": "5000", "limit": "2000"},
              "image_too_large": {"page": 1, "width": "60000", "height": "60000", "limit": "150"},
              "too_slow": {"seconds": "30"}, "too_much_memory": {"limit": "1024"}}
    codes = ["empty", "not_pdf", "encrypted", "broken", "truncated", *params]
    with translation.override("vi"):
        messages = {code: str(IntakeError(code, **params.get(code, {}))) for code in codes}
    assert len(set(messages.values())) == len(codes)
    assert all("%(" not in message for message in messages.values())


def test_javascript_is_accepted_and_flagged(write):
    result = intake.inspect(write("script.pdf", makepdf.javascript_pdf()))
    assert result.has_javascript
    assert result.pages == 1
    assert "Bao cao co script" in result.text_per_page[0]


def test_plain_file_has_no_javascript_flag(write):
    assert not intake.inspect(write("plain.pdf", makepdf.text_pdf(["Khong co script"]))).has_javascript


def test_nesting_where_no_reader_looks_is_tolerated(write):
    assert intake.inspect(write("nested.pdf", makepdf.nested_but_unused_pdf())).pages == 1


def test_owner_password_only_opens_and_is_flagged(write):
    result = intake.inspect(write("chi-doc.pdf", makepdf.owner_only_encrypted_pdf()))
    assert result.encrypted
    assert "Chi doc" in result.text_per_page[0]


def test_header_after_some_junk_is_still_a_pdf(write):
    result = intake.inspect(write("junk.pdf", b"\r\n" * 100 + makepdf.text_pdf(["Tieu de"])))
    assert result.pages == 1


def test_nothing_is_stored_for_a_refused_file(pdf_settings, write):
    with pytest.raises(IntakeError):
        intake.accept(write("bom.pdf", makepdf.page_tree_loop_pdf()))
    assert not (pdf_settings.MEDIA_ROOT / "pdf").exists() or not any((pdf_settings.MEDIA_ROOT / "pdf").rglob("*.pdf"))


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_server_stays_up_and_does_not_grow(hostile_bytes, five_thousand_pages, write):
    """Hostile files, round after round: the parent process keeps its size and still accepts a good file."""
    paths = [write(f"{name}.pdf", data) for name, data in hostile_bytes.items()] + [five_thousand_pages]

    def one_round():
        for path in paths:
            with pytest.raises(IntakeError):
                intake.inspect(path)

    one_round()
    before = rss_bytes()
    for _ in range(3):
        one_round()
    grown = rss_bytes() - before
    assert grown < 16 * 1024 * 1024, f"the server process grew by {grown / 1e6:.1f} MB"
    good = intake.accept(write("tot.pdf", makepdf.text_pdf(["Van ban tot"])))
    assert good.result.pages == 1 and store.exists(good.result.sha256)
