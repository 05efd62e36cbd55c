"""PDF engine tests: every test gets its own data directory and small limits, so hostile files fail
fast; the render pool is shut down at the end."""

from __future__ import annotations

import pytest

from . import makepdf

# Tight enough for bombs to hit the memory limit within a second, loose enough for every real file.
TEST_LIMITS = {
    "PHONGHOP_PDF_MEMORY_MB": 320,
    "PHONGHOP_PDF_CPU_SECONDS": 10,
    "PHONGHOP_PDF_WALL_SECONDS": 20,
    "PHONGHOP_PDF_RENDER_WORKERS": 1,
}


@pytest.fixture(autouse=True)
def pdf_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"
    for name, value in TEST_LIMITS.items():
        setattr(settings, name, value)
    return settings


@pytest.fixture(scope="session", autouse=True)
def _render_pool():
    yield
    from meetings.pdf import render

    render.shutdown()


@pytest.fixture
def write(tmp_path):
    """write(name, data) → a file in the test's folder."""

    def write_file(name: str, data: bytes):
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write_file


@pytest.fixture(scope="session")
def five_thousand_pages(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "5000-trang.pdf"
    path.write_bytes(makepdf.blank_pdf(5000))
    return path


@pytest.fixture(scope="session")
def cpu_bomb(tmp_path_factory):
    """Ten pages of 30 million no-op operators each: seconds of parsing from a 40 KB file."""
    path = tmp_path_factory.mktemp("slow") / "cham.pdf"
    path.write_bytes(makepdf.cpu_bomb_pdf())
    return path
