"""Page images: exact widths, cached on disk, rendered in the pool; a page that crashes, hangs or
bloats a worker gets its own error and the pool carries on."""

from __future__ import annotations

import threading

import pytest
from PIL import Image

from meetings.errors import NotFound, ServiceError
from meetings.pdf import intake, render, store
from meetings.pdf.render import WIDTHS, RenderError

from . import makepdf


def accepted(write, name: str, data: bytes) -> str:
    return intake.accept(write(name, data)).result.sha256


def stored_as_is(write, name: str, data: bytes) -> str:
    """Put a file in the store without intake, as if an older version had let it through."""
    path = write(name, data)
    sha = intake.sha256_of(path)
    store.put(path, sha)
    return sha


def size_of(path) -> tuple[int, int]:
    with Image.open(path) as picture:
        assert picture.format == "JPEG"
        return picture.size


def test_each_width_is_exact_and_cached(pdf_settings, write):
    sha = accepted(write, "ba-trang.pdf", makepdf.text_pdf(["Mot", "Hai", "Ba"]))
    images = render.render_page(sha, 2, list(WIDTHS.values()))
    for image, width in zip(images, WIDTHS.values(), strict=True):
        assert image.path == pdf_settings.MEDIA_ROOT / "pages" / sha / str(width) / "2.jpg"
        shown_width, shown_height = size_of(image.path)
        assert shown_width == width and abs(shown_height - width * 842 / 595) <= 1
        assert not image.cached
    again = render.render_page(sha, 2, [WIDTHS["tablet"]])
    assert again[0].cached and again[0].path == images[1].path


def test_rotated_page_comes_out_landscape(write):
    sha = accepted(write, "xoay.pdf", makepdf.text_pdf(["Ngang"], page_extra=b"/Rotate 90 "))
    width, height = size_of(render.page_image(sha, 1, WIDTHS["thumb"]))
    assert width == WIDTHS["thumb"] and width > height


def test_very_tall_page_is_bounded(write):
    tall = makepdf.text_pdf(["Cuon giay"], page_extra=b"/MediaBox [0 0 100 20000] ")
    sha = accepted(write, "dai.pdf", tall)
    width, height = size_of(render.page_image(sha, 1, WIDTHS["tablet"]))
    assert height == render.MAX_ASPECT * WIDTHS["tablet"] and width < WIDTHS["tablet"]


def test_unknown_page_width_or_document(write):
    sha = accepted(write, "mot.pdf", makepdf.text_pdf(["Mot trang"]))
    with pytest.raises(NotFound) as caught:
        render.page_image(sha, 2, WIDTHS["thumb"])
    assert caught.value.code == "no_such_page"
    with pytest.raises(ServiceError) as caught:
        render.page_image(sha, 1, 333)
    assert caught.value.code == "bad_width"
    with pytest.raises(NotFound) as caught:
        render.page_image("0" * 64, 1, WIDTHS["thumb"])
    assert caught.value.code == "no_such_document"


def test_first_pages_are_rendered_eagerly(pdf_settings, write):
    pdf_settings.PHONGHOP_PDF_EAGER_PAGES = 2
    sha = accepted(write, "nam.pdf", makepdf.text_pdf([f"Trang {n}" for n in range(1, 6)]))
    for job in render.prefetch_first_pages(sha, 5):
        job.result(timeout=30)
    root = pdf_settings.MEDIA_ROOT / "pages" / sha
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*.jpg")) == [
        "1024/1.jpg", "1024/2.jpg", "200/1.jpg", "200/2.jpg"]


def test_many_requests_for_one_page_at_once(write):
    sha = accepted(write, "dong-thoi.pdf", makepdf.text_pdf(["Cung luc"]))
    found, failed = [], []

    def ask():
        try:
            found.append(render.page_image(sha, 1, WIDTHS["full"]))
        except Exception as exc:  # noqa: BLE001
            failed.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failed and len(set(found)) == 1
    assert size_of(found[0])[0] == WIDTHS["full"]


def test_vietnamese_text_renders(write):
    if makepdf.font_path() is None:
        pytest.skip("no TrueType font with Vietnamese glyphs on this machine")
    path = makepdf.document_pdf(write("vn.pdf", b"").with_name("vn-doc.pdf"), 1, ["Quyết định số 12/QĐ-UBND"])
    sha = intake.accept(path).result.sha256
    assert size_of(render.page_image(sha, 1, WIDTHS["tablet"]))[0] == WIDTHS["tablet"]


def test_a_page_that_exhausts_memory_fails_alone(write):
    bomb = stored_as_is(write, "bom.pdf", makepdf.decompression_bomb_pdf(1024))
    with pytest.raises(RenderError) as caught:
        render.page_image(bomb, 1, WIDTHS["thumb"])
    assert caught.value.code == "too_much_memory"
    sha = accepted(write, "sau-do.pdf", makepdf.text_pdf(["Van hoat dong"]))
    assert size_of(render.page_image(sha, 1, WIDTHS["thumb"]))[0] == WIDTHS["thumb"]


def test_a_slow_page_passes_intake_but_is_too_slow_to_render(pdf_settings, write):
    pdf_settings.PHONGHOP_PDF_CPU_SECONDS = 1
    sha = accepted(write, "to-mau.pdf", makepdf.shading_bomb_pdf())
    for _ in range(2):  # the second time from memory, without rendering again
        with pytest.raises(RenderError) as caught:
            render.page_image(sha, 1, WIDTHS["thumb"])
        assert caught.value.code == "too_slow"


def test_a_hung_page_is_cut_off_by_the_wall_clock(pdf_settings, write):
    pdf_settings.PHONGHOP_PDF_WALL_SECONDS = 0.5
    sha = accepted(write, "treo.pdf", makepdf.shading_bomb_pdf())
    with pytest.raises(RenderError) as caught:
        render.page_image(sha, 1, WIDTHS["tablet"])
    assert caught.value.code == "too_slow"
    pdf_settings.PHONGHOP_PDF_WALL_SECONDS = 20
    good = accepted(write, "tot.pdf", makepdf.text_pdf(["Tiep tuc"]))
    assert size_of(render.page_image(good, 1, WIDTHS["thumb"]))[0] == WIDTHS["thumb"]
