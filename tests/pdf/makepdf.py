"""PDFs made by hand for the tests and the benchmark: well-formed ones and hostile ones.

Most are written byte by byte (objects, xref table, trailer), so each defect is exactly the one named.
"""

from __future__ import annotations

import ctypes
import io
import random
import struct
import zlib
from pathlib import Path

FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
]


def stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def assemble(objects: list[bytes], root: int = 1, trailer_extra: bytes = b"") -> bytes:
    """Objects numbered from 1, an xref table and a trailer."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, root, trailer_extra, xref)
    return bytes(out)


def _escape(text: str) -> bytes:
    return text.encode("latin-1", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def text_pdf(pages: list[str], catalog_extra: bytes = b"", page_extra: bytes = b"", title: str | None = None) -> bytes:
    """One line of Helvetica text per page (Latin-1 only); a title in the document information."""
    n = len(pages)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(n)) + b"] /Count %d "
        b"/MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> >>" % n,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, line in enumerate(pages):
        objects.append(b"<< /Type /Page /Parent 2 0 R /Contents %d 0 R " % (5 + 2 * i) + page_extra + b">>")
        objects.append(stream(b"", b"BT /F1 18 Tf 72 760 Td (" + _escape(line) + b") Tj ET"))
    if title is None:
        return assemble(objects)
    encoded = b"<FEFF" + title.encode("utf-16-be").hex().upper().encode() + b">"
    objects.append(b"<< /Title " + encoded + b" >>")
    return assemble(objects, trailer_extra=b"/Info %d 0 R " % len(objects))


def blank_pdf(pages: int) -> bytes:
    """Many cheap pages: each an empty dictionary inheriting its size from the page tree."""
    kids = b" ".join(b"%d 0 R" % (3 + i) for i in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [" + kids + b"] /Count %d /MediaBox [0 0 595 842] >>" % pages]
    objects += [b"<< /Type /Page /Parent 2 0 R >>"] * pages
    return assemble(objects)


def rootless_trailer_pdf() -> bytes:
    """Damaged: the trailer lost its /Root. PDFium gives up; pypdf finds the catalog by searching."""
    return text_pdf(["Bien ban da sua"]).replace(b"/Root 1 0 R", b"")


# Hostile files ---------------------------------------------------------------------------------

def encrypted_pdf(password: str = "mat-khau") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf(["Tai lieu mat"]))))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def owner_only_encrypted_pdf() -> bytes:
    """Encrypted with an empty user password: anyone may open it, only editing is restricted."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf(["Chi doc, khong sua"]))))
    writer.encrypt(user_password="", owner_password="chu-so-huu", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def truncated_pdf() -> bytes:
    whole = text_pdf([f"Trang {i}" for i in range(1, 21)])
    return whole[: len(whole) // 3]


def wrong_magic_pdf() -> bytes:
    return b"%PDX-1.7" + text_pdf(["sai"])[8:]


def zlib_bomb(megabytes: int) -> bytes:
    """A zlib stream of ``megabytes`` MB of spaces, made in a fraction of a second: after a full flush
    deflate starts afresh, so the compressed form of each 1 MB block is the same bytes."""
    block = b" " * (1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush()
    checksum = 1
    for _ in range(megabytes):
        checksum = zlib.adler32(block, checksum)
    return b"\x78\xda" + body * megabytes + end + checksum.to_bytes(4, "big")


def decompression_bomb_pdf(megabytes: int = 2048) -> bytes:
    """A page whose 2 MB content stream inflates to 2 GB of spaces."""
    return assemble([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        stream(b"/Filter /FlateDecode", zlib_bomb(megabytes)),
    ])


def deeply_nested_pdf(depth: int = 100_000) -> bytes:
    """The page tree's kids are an array nested 100,000 deep instead of page references."""
    return assemble([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + b"[" * depth + b"3 0 R" + b"]" * depth + b"] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ])


def nested_but_unused_pdf(depth: int = 100_000) -> bytes:
    """A readable page carrying a deeply nested array under a key no reader uses."""
    return text_pdf(["Van ban hop le"], catalog_extra=b"/PieceInfo " + b"[" * depth + b"]" * depth + b" ")


def page_tree_loop_pdf() -> bytes:
    """Two page-tree nodes that are each other's kid; there is no page at all."""
    return assemble([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>",
    ])


def javascript_pdf() -> bytes:
    """Opens with a JavaScript action and carries a document-level script too."""
    return assemble([
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R /Names << /JavaScript 6 0 R >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>",
        b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 7 0 R >> >> >>",
        stream(b"", b"BT /F1 18 Tf 72 760 Td (Bao cao co script) Tj ET"),
        b"<< /S /JavaScript /JS (app.alert\\('xin chao'\\);) >>",
        b"<< /Names [(chao) 5 0 R] >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ])


def huge_image_pdf(width: int = 60_000, height: int = 60_000) -> bytes:
    """An image declared 60,000 × 60,000 pixels (10.8 GB decoded) with a few bytes of data."""
    data = zlib.compress(b"\x80" * 4096)
    return assemble([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /XObject << /Im1 5 0 R >> >> >>",
        stream(b"", b"q 595 0 0 842 0 0 cm /Im1 Do Q"),
        stream(b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
               b"/BitsPerComponent 8 /Filter /FlateDecode" % (width, height), data),
    ])


def billion_laughs_pdf(levels: int = 40) -> bytes:
    """Form XObject n draws form n+1 ten times: 10^levels drawing operations from a 10 KB file."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /XObject << /X 5 0 R >> /Font << /F1 %d 0 R >> >> >>" % (5 + levels),
        stream(b"", b"/X Do"),
    ]
    for level in range(levels):
        body = b"BT /F1 1 Tf (a) Tj ET " if level == levels - 1 else b"/X Do " * 10
        objects.append(stream(
            b"/Type /XObject /Subtype /Form /BBox [0 0 595 842] "
            b"/Resources << /XObject << /X %d 0 R >> /Font << /F1 %d 0 R >> >>" % (6 + level, 5 + levels),
            body))
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    return assemble(objects)


def cpu_bomb_pdf(pages: int = 10) -> bytes:
    """Ten pages, each drawing one 40 KB content stream of 10 million no-op operators (q Q) three
    times: over a second of parsing per page, many seconds in all, from a 40 KB file."""
    compressor = zlib.compressobj(9)
    chunk = b"q Q " * 1_000_000
    data = b"".join(compressor.compress(chunk) for _ in range(10)) + compressor.flush()
    kids = b" ".join(b"%d 0 R" % (4 + i) for i in range(pages))
    return assemble([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d /MediaBox [0 0 595 842] >>" % pages,
        stream(b"/Filter /FlateDecode", data),
    ] + [b"<< /Type /Page /Parent 2 0 R /Contents [3 0 R 3 0 R 3 0 R] >>"] * pages)


def shading_bomb_pdf(operators: int = 20_000) -> bytes:
    """A well-formed page painted by a shading whose PostScript function runs 40,000 operators for
    every pixel: a tiny file, little memory, seconds of CPU even for a thumbnail."""
    function = b"{ add 2 div " + b"dup mul " * operators + b"}"
    return assemble([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Shading << "
        b"/Sh0 << /ShadingType 1 /ColorSpace /DeviceGray /Domain [0 1 0 1] /Matrix [595 0 0 842 0 0] "
        b"/Function 5 0 R >> >> >> >>",
        stream(b"", b"/Sh0 sh"),
        stream(b"/FunctionType 4 /Domain [0 1 0 1] /Range [0 1]", function),
    ])


def png_bytes() -> bytes:
    """A real 1×1 PNG, to be renamed .pdf."""
    raw = b"\x00\xff\x00\x00"
    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def docx_bytes() -> bytes:
    """A Word document (a ZIP with word/document.xml), to be renamed .pdf."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


# Realistic documents made with PDFium's own writer ------------------------------------------------

def font_path() -> Path | None:
    return next((Path(p) for p in FONT_CANDIDATES if Path(p).exists()), None)


def photo_jpeg(seed: int, width: int = 1200, height: int = 800) -> bytes:
    """A photo-like JPEG: gradients and noise, so it does not compress to nothing."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    image = Image.radial_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(20, 200)
        draw.ellipse((x - r, y - r, x + r, y + r),
                     fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    image = image.filter(ImageFilter.GaussianBlur(3))
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    image = Image.blend(image, noise, 0.15)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def document_pdf(path: Path, pages: int, lines: list[str], images: int = 0, seed: int = 1) -> Path:
    """A document as an office suite would write it: an embedded TrueType font (Unicode text, so
    Vietnamese works), a paragraph of text on every page and, with ``images``, a photo on every page
    (``images`` distinct ones, used in turn)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as c

    font_file = font_path()
    doc = pdfium.PdfDocument.new()
    if font_file:
        data = font_file.read_bytes()
        buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        font = c.FPDFText_LoadFont(doc, buffer, len(data), c.FPDF_FONT_TRUETYPE, True)
    else:
        font = c.FPDFText_LoadStandardFont(doc, b"Helvetica")
    photos = [photo_jpeg(seed * 100 + i) for i in range(images)]
    for number in range(1, pages + 1):
        page = doc.new_page(595, 842)
        if photos:
            image = pdfium.PdfImage.new(doc)
            image.load_jpeg(io.BytesIO(photos[number % len(photos)]), inline=True)
            image.set_matrix(pdfium.PdfMatrix().scale(451, 300).translate(72, 400))
            page.insert_obj(image)
        y = 770
        for line in [f"Trang {number}"] + lines:
            text = line.replace("{page}", str(number))
            obj = c.FPDFPageObj_CreateTextObj(doc, font, 12.0)
            encoded = (text + "\x00").encode("utf-16-le")
            c.FPDFText_SetText(obj, ctypes.cast(ctypes.c_char_p(encoded), ctypes.POINTER(c.FPDF_WCHAR)))
            c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, 72, y)
            c.FPDFPage_InsertObject(page, obj)
            y -= 18
        page.gen_content()
        page.close()
    doc.save(str(path))
    doc.close()
    return path
