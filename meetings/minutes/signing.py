"""Digital signatures (ký số): PAdES signing and verification of our PDFs with pyHanko.

The signer is the deployment's: a PKCS#12 file and its passphrase (``PHONGHOP_SIGNER_PKCS12``,
``PHONGHOP_SIGNER_PASSPHRASE``). Vietnamese government certificates usually sit on a USB token or an HSM;
pyHanko reaches those through PKCS#11 (``pyhanko.sign.pkcs11``, with python-pkcs11), which a deployment
would plug in at ``load_signer``. Verification trusts the certificates listed in
``PHONGHOP_SIGNER_TRUST_ROOTS`` (PEM or DER files), plus the self-signed CA certificates shipped in the
PKCS#12 file, so a province's own CA works without further setup. No network access is ever made:
revocation is not checked (a closed government network has no OCSP responder we could rely on).
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings

from meetings.errors import Invalid

FIELD = "ChuKySo"


def _outside_event_loop(fn, *args, **kwargs):
    """pyHanko's synchronous calls run an asyncio loop of their own, which fails in a thread where a loop is
    already running (an async caller, a sync Playwright test): such a caller's call runs in a worker thread."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


class NoSigner(Invalid):
    code = "no_signer"


def load_signer():
    from pyhanko.sign import signers

    path = settings.PHONGHOP_SIGNER_PKCS12
    if not path:
        return None
    passphrase = settings.PHONGHOP_SIGNER_PASSPHRASE.encode() or None
    return signers.SimpleSigner.load_pkcs12(path, passphrase=passphrase)


def signer_name(signer) -> str:
    return signer.signing_cert.subject.native.get("common_name", "") or signer.signing_cert.subject.human_friendly


def sign_pdf(data: bytes, signer, *, reason: str, location: str = "") -> bytes:
    """The PDF with one more PAdES signature (an incremental update: the signed bytes stay as they were)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    meta = signers.PdfSignatureMetadata(field_name=FIELD, reason=reason, location=location or None,
                                        subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256")
    return _outside_event_loop(signers.sign_pdf, writer, meta, signer=signer).getvalue()


def load_certificates(path: str):
    from asn1crypto import pem, x509

    raw = open(path, "rb").read()
    if pem.detect(raw):
        return [x509.Certificate.load(der) for _kind, _headers, der in pem.unarmor(raw, multiple=True)]
    return [x509.Certificate.load(raw)]


def trust_roots() -> list:
    roots = []
    for path in getattr(settings, "PHONGHOP_SIGNER_TRUST_ROOTS", []) or []:
        roots += load_certificates(path)
    signer = None
    try:
        signer = load_signer()
    except Exception:  # a broken signer setting must not hide the signatures already stored
        signer = None
    if signer is not None:
        roots += [c for c in signer.cert_registry if c.subject == c.issuer]
    return roots


def verify_pdf(data: bytes, roots: list | None = None) -> dict[str, Any]:
    """Every signature of the PDF checked: intact (the signed bytes unchanged), valid, trusted, and the whole
    file covered. ``valid`` is the bottom line the pages show; any error reads as invalid."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
        if not signatures:
            return {"valid": False, "intact": False, "trusted": False, "signer": "", "signed_at": None,
                    "error": "no signature"}
        context = ValidationContext(trust_roots=roots if roots is not None else trust_roots(),
                                    allow_fetching=False, revocation_mode="soft-fail")
        results = []
        for sig in signatures:
            status = _outside_event_loop(validate_pdf_signature, sig, context)
            results.append(status)
        last = results[-1]
        entire = str(last.coverage).endswith("ENTIRE_FILE")
        cert = last.signing_cert
        return {
            "valid": all(s.bottom_line for s in results) and entire,
            "intact": all(s.intact for s in results),
            "trusted": all(s.trusted for s in results),
            "entire_file": entire,
            "signer": cert.subject.native.get("common_name", "") if cert else "",
            "signed_at": last.signer_reported_dt.isoformat() if last.signer_reported_dt else None,
            "error": None,
        }
    except Exception as exc:  # a damaged file: say so rather than fail the page
        return {"valid": False, "intact": False, "trusted": False, "signer": "", "signed_at": None,
                "error": f"{type(exc).__name__}: {exc}"[:300]}
