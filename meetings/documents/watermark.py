"""The viewer's watermark on restricted documents: name, unit and time, on every page image and every
downloaded PDF.

Page images: the page is rendered and cached once (meetings.pdf.render); the watermark is drawn with
Pillow over the cached JPEG for each request, never cached per viewer (a few ms at 1024 px).
PDFs: stamped with pypdf in a sandboxed child (pdfwork.stamp), from a stamp page reportlab draws
with DejaVu Sans. Both are blocking: call them from a thread, not from the event loop.
"""

from __future__ import annotations

import functools
import io
import os
import tempfile
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

from accounts.models import User
from meetings.pdf import limits as pdf_limits
from meetings.pdf import sandbox

from . import pdfwork

FONT_PATH = Path(pdfwork.FONT_DIR) / "DejaVuSans-Bold.ttf"


def label_for(user: User, when=None) -> str:
    """ "Nguyễn Thị Lan · Văn phòng UBND tỉnh · 24/11/2026 08:05" """
    when = timezone.localtime(when or timezone.now())
    parts = [user.get_full_name() or user.get_username()]
    if user.unit_id:
        parts.append(str(user.unit))
    parts.append(f"{when:%d/%m/%Y %H:%M}")
    return " · ".join(parts)


def footer_for(label: str) -> str:
    return _("Copy for %(label)s. Do not copy or pass on.") % {"label": label}


@functools.lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), size)


@functools.lru_cache(maxsize=64)
def _stamp(label: str, width: int) -> Image.Image:
    """The label, faint and turned 30°, as an RGBA image for a page ``width`` pixels wide (cached: a
    reader turning pages gets the same label for a minute)."""
    font = _font(max(9, width // 32))
    box = font.getbbox(label)
    stamp = Image.new("RGBA", (box[2] - box[0] + 8, box[3] - box[1] + 8), (0, 0, 0, 0))
    ImageDraw.Draw(stamp).text((4 - box[0], 4 - box[1]), label, font=font, fill=(140, 25, 25, 60))
    return stamp.rotate(30, expand=True, resample=Image.Resampling.BICUBIC)


def image(path: str | os.PathLike, label: str) -> bytes:
    """The cached page image with the label drawn across it (three diagonal lines and one at the foot).
    Only the stamped areas are blended; the page itself is decoded and encoded once."""
    with Image.open(path) as picture:
        base = picture.convert("RGB")
    width, height = base.size
    stamp = _stamp(label, width)
    for fraction in (0.25, 0.5, 0.75):
        base.paste(stamp, (max(0, (width - stamp.width) // 2), max(0, int(height * fraction) - stamp.height // 2)),
                   stamp)
    small = _font(max(8, width // 90))
    foot = small.getbbox(label)
    ImageDraw.Draw(base).text(((width - (foot[2] - foot[0])) // 2,
                               height - (foot[3] - foot[1]) - max(4, height // 150)), label, font=small,
                              fill=(125, 30, 30))
    buffer = io.BytesIO()
    base.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def stamped_pdf(source: str | os.PathLike, label: str) -> Path:
    """A temporary copy of the PDF with the label on every page; the caller deletes it."""
    fd, target = tempfile.mkstemp(prefix="phonghop-stamped-", suffix=".pdf")
    os.close(fd)
    limits = pdf_limits.current()
    try:
        sandbox.run(pdfwork.stamp, str(source), target, label, footer_for(label),
                    limits=scaled(limits, 4), write_to=[target])  # that one file
    except BaseException:
        os.unlink(target)
        raise
    return Path(target)


def scaled(limits: pdf_limits.Limits, factor: float) -> pdf_limits.Limits:
    """Longer CPU and wall-clock limits for work on a whole document (intake's are per file read)."""
    from dataclasses import replace

    return replace(limits, cpu_seconds=int(limits.cpu_seconds * factor), wall_seconds=limits.wall_seconds * factor)
