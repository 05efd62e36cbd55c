"""The caps every PDF job runs under, read from Django settings at call time.

Each cap has a default here and can be changed per installation:

=============================== ======== =====================================================
setting                         default  what it bounds
=============================== ======== =====================================================
PHONGHOP_PDF_MAX_BYTES          100 MB   size of an uploaded file (checked before any parsing)
PHONGHOP_PDF_MAX_PAGES          2000     pages in one document
PHONGHOP_PDF_MAX_IMAGE_MPX      150      pixels of one embedded image, in megapixels
PHONGHOP_PDF_CPU_SECONDS        20       CPU time of one child process (intake) or one page (render)
PHONGHOP_PDF_MEMORY_MB          1024     address space of one child process or render worker
PHONGHOP_PDF_WALL_SECONDS       30       wall-clock time of one job, enforced by the parent
PHONGHOP_PDF_RENDER_WORKERS     2        processes in the render pool
PHONGHOP_PDF_EAGER_PAGES        3        pages rendered right after intake (the rest on demand)
PHONGHOP_PDF_CONFINE            True     namespaces, Landlock and seccomp in every child (confine.py)
=============================== ======== =====================================================
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 100 * MB
    max_pages: int = 2000
    max_image_pixels: int = 150_000_000
    cpu_seconds: int = 20
    memory_mb: int = 1024
    wall_seconds: float = 30.0
    render_workers: int = 2
    eager_pages: int = 3
    confine: bool = True

    @property
    def memory_bytes(self) -> int:
        return self.memory_mb * MB


def current() -> Limits:
    """The limits in force now; the defaults above when Django settings are not configured."""
    from django.conf import settings

    if not settings.configured:
        return Limits()
    base = Limits()

    def read(name: str, default):
        return type(default)(getattr(settings, f"PHONGHOP_PDF_{name}", default))

    return Limits(
        max_bytes=read("MAX_BYTES", base.max_bytes),
        max_pages=read("MAX_PAGES", base.max_pages),
        max_image_pixels=int(read("MAX_IMAGE_MPX", base.max_image_pixels / 1_000_000) * 1_000_000),
        cpu_seconds=read("CPU_SECONDS", base.cpu_seconds),
        memory_mb=read("MEMORY_MB", base.memory_mb),
        wall_seconds=read("WALL_SECONDS", base.wall_seconds),
        render_workers=max(1, read("RENDER_WORKERS", base.render_workers)),
        eager_pages=read("EAGER_PAGES", base.eager_pages),
        confine=bool(getattr(settings, "PHONGHOP_PDF_CONFINE", base.confine)),
    )
