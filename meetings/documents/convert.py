"""Office files (.docx, .doc, .xlsx, .pptx, .odt) become PDF through LibreOffice, when it is installed.

``soffice --headless --convert-to pdf`` runs in a temporary folder of its own (its own profile too, so
two conversions at once do not fight over one), under a wall-clock timeout; the PDF it writes then goes
through the same intake as any uploaded PDF. Without LibreOffice the file is refused with a message
that says what to do. Blocking: call it from a thread, never from the event loop.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from meetings.errors import Invalid

log = logging.getLogger("phonghop.documents")

OFFICE_EXTENSIONS = {".docx", ".doc", ".xlsx", ".pptx", ".odt"}
TIMEOUT_SECONDS = 120


class ConversionError(Invalid):
    pass


def is_office(name: str) -> bool:
    return Path(name).suffix.lower() in OFFICE_EXTENSIONS


def soffice() -> str | None:
    configured = getattr(settings, "PHONGHOP_SOFFICE", None)
    if configured:
        return shutil.which(configured)
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(source: Path, original_name: str, target: Path) -> Path:
    """Convert ``source`` (an office file named ``original_name``) to ``target``; returns ``target``."""
    program = soffice()
    extension = Path(original_name).suffix.lower()
    if program is None:
        raise ConversionError(
            _("%(ext)s files are converted to PDF with LibreOffice, which is not installed on this server. "
              "Save the file as PDF on your computer (File → Save as → PDF) and upload the PDF, or ask the "
              "administrator to install LibreOffice.") % {"ext": extension}, "conversion_unavailable")
    timeout = getattr(settings, "PHONGHOP_SOFFICE_TIMEOUT", TIMEOUT_SECONDS)
    with tempfile.TemporaryDirectory(prefix="phonghop-office-") as scratch:
        work = Path(scratch)
        named = work / f"document{extension}"
        shutil.copyfile(source, named)
        profile = (work / "profile").as_uri()
        command = [program, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--convert-to", "pdf",
                   "--outdir", str(work / "out"), str(named)]
        process = subprocess.Popen(command, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   env={**os.environ, "HOME": str(work)}, start_new_session=True)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            os.killpg(process.pid, signal.SIGKILL)  # soffice starts helpers: stop the whole group
            process.wait()
            raise ConversionError(_("Converting the file to PDF took longer than %(seconds)s seconds. Save it as "
                                    "PDF on your computer and upload the PDF.") % {"seconds": timeout},
                                  "conversion_failed") from exc
        produced = work / "out" / "document.pdf"
        if not produced.is_file() or produced.stat().st_size == 0:
            log.warning("LibreOffice made no PDF of %s", original_name)
            raise ConversionError(_("The file could not be converted to PDF: it may be damaged or protected by a "
                                    "password. Open it on your computer, save it as PDF and upload the PDF."),
                                  "conversion_failed")
        shutil.move(produced, target)
    return target
