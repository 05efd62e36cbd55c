"""Meeting documents: every test gets its own data directory, small PDF limits, no eager rendering
(pages are rendered when a test asks), meeting books built inline; the render pool is shut down at
the end. The cast is tests/conftest.py's: lan (secretary), minh (chair), hoa and binh (delegates),
tuan (another unit), khach (guest), hanh (unit admin of the host unit), root (system admin)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def documents_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"
    settings.PHONGHOP_PDF_MEMORY_MB = 512
    settings.PHONGHOP_PDF_CPU_SECONDS = 20
    settings.PHONGHOP_PDF_WALL_SECONDS = 30
    settings.PHONGHOP_PDF_RENDER_WORKERS = 1
    settings.PHONGHOP_PDF_EAGER_PAGES = 0
    settings.PHONGHOP_BOOK_INLINE = True
    return settings


@pytest.fixture(scope="session", autouse=True)
def _render_pool():
    yield
    from meetings.pdf import render

    render.shutdown()


@pytest.fixture
def make_pdf(tmp_path):
    """make_pdf(name, title, pages=3, heading=...) → a path to a Vietnamese PDF made with reportlab."""
    from meetings.documents import samples

    def make(name: str, title: str, pages: int = 3, heading: str | None = None, paragraphs=None):
        content = paragraphs or samples.numbered_pages(pages, heading or title)
        return samples.document_pdf(tmp_path / name, title, content)

    return make


@pytest.fixture
def docs(published, people, make_pdf):
    """In the published meeting: an open report for everyone, and a named document for hoa only."""
    from meetings.documents import services

    lan = people["lan"]
    item = published.agenda_items.get()
    hoa = published.participants.get(user=people["hoa"])
    report = services.upload(lan, published, make_pdf("bao-cao.pdf", "Báo cáo kinh tế - xã hội", pages=6),
                             "bao-cao.pdf", agenda_item_id=item.pk)
    named = services.upload(lan, published, make_pdf("mat.pdf", "Phương án nhân sự", pages=2,
                                                     heading="Phương án nhân sự dự kiến"),
                            "nhan-su.pdf", agenda_item_id=item.pk, access="named", allowed_participant_ids=[hoa.pk])
    return {"report": report, "named": named, "item": item}
