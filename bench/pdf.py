"""PDF engine benchmark: intake of a generated 200-page document with text and photos, page rendering
per width (PDFium in the pool) against poppler's pdftoppm on the same pages, and cold versus warm fetch;
then the same document over HTTP from a real Daphne (the page-image view: access check, render, ETag).

    .venv/bin/python bench/pdf.py [--pages 200] [--sample 20] [--no-http]

Needs pdftoppm for the comparison (Debian: apt-get install poppler-utils); without it that column is
left out. Prints a Markdown report; nothing is written outside a temporary folder.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def load_makepdf():
    spec = importlib.util.spec_from_file_location("makepdf", REPO / "tests" / "pdf" / "makepdf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Linux {platform.release()}, Python {platform.python_version()}"


def ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"{statistics.median(ordered):.1f} / {p95:.1f}"


def pdftoppm_ms_per_page(pdf: Path, pages: int, width: int, out: Path) -> float | None:
    """Median of 3 runs rendering pages 1..pages at this width to JPEG quality 80, per page."""
    if not shutil.which("pdftoppm"):
        return None
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run(["pdftoppm", "-f", "1", "-l", str(pages), "-scale-to-x", str(width), "-scale-to-y", "-1",
                        "-jpeg", "-jpegopt", "quality=80", str(pdf), str(out / f"p{width}")], check=True)
        runs.append((time.perf_counter() - started) * 1000 / pages)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--sample", type=int, default=20, help="pages timed per width")
    parser.add_argument("--no-http", action="store_true", help="leave out the fetch over HTTP")
    parser.add_argument("--http-setup", help=argparse.SUPPRESS)  # internal: run in the server's environment
    args = parser.parse_args()
    if args.http_setup:
        http_setup(Path(args.http_setup))
        return

    work = Path(tempfile.mkdtemp(prefix="bench-pdf-"))
    os.environ.setdefault("PHONGHOP_DATA_DIR", str(work / "data"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    import pypdfium2
    from django.conf import settings

    from meetings.pdf import intake, render
    from meetings.pdf.limits import current

    settings.MEDIA_ROOT = work / "files"
    makepdf = load_makepdf()
    limits = current()
    out: list[str] = []

    started = time.perf_counter()
    source = makepdf.document_pdf(
        work / "ke-hoach.pdf", args.pages, images=8,
        lines=["Quyết định về việc phê duyệt kế hoạch phát triển kinh tế - xã hội năm 2027",
               "Căn cứ Luật Tổ chức chính quyền địa phương; xét đề nghị của Sở Kế hoạch và Đầu tư,",
               "Ủy ban nhân dân tỉnh quyết định: trang {page} của tài liệu họp."])
    made = time.perf_counter() - started
    size_mb = source.stat().st_size / 1e6

    tiny = work / "tiny.pdf"
    tiny.write_bytes(makepdf.text_pdf(["x"]))
    started = time.perf_counter()
    intake.inspect(tiny)
    first_child = time.perf_counter() - started
    started = time.perf_counter()
    intake.inspect(tiny)
    next_child = time.perf_counter() - started

    started = time.perf_counter()
    accepted = intake.accept(source)
    intake_s = time.perf_counter() - started
    result = accepted.result
    started = time.perf_counter()
    again = intake.accept(source)
    duplicate_ms = (time.perf_counter() - started) * 1000
    assert again.duplicate

    out += [
        f"Run {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} on {machine()}; "
        f"pypdfium2 {pypdfium2.PYPDFIUM_INFO} (PDFium {pypdfium2.PDFIUM_INFO}), "
        f"{subprocess.run(['pdftoppm', '-v'], capture_output=True, text=True).stderr.splitlines()[0] if shutil.which('pdftoppm') else 'no pdftoppm'}.",
        "",
        f"Document: {result.pages} pages A4, {size_mb:.1f} MB, an embedded TrueType font, three lines of Vietnamese "
        f"text and a 1200×800 photo (JPEG) on every page (generated in {made:.1f} s).",
        "",
        "| intake | figure |",
        "| --- | --- |",
        f"| intake of a 1-page file: first (starts the forkserver) / next | {first_child * 1000:.0f} ms / "
        f"{next_child * 1000:.0f} ms |",
        f"| intake of the {result.pages} pages (hash, child, PDFium: pages, sizes, text, image sizes; store) | {intake_s:.2f} s "
        f"({intake_s * 1000 / result.pages:.1f} ms/page) |",
        f"| text read | {sum(map(len, result.text_per_page)):,} characters |",
        f"| the same file again (duplicate, recognised by SHA-256) | {duplicate_ms:.1f} ms |",
        "",
    ]

    sample = list(range(1, min(args.sample, result.pages) + 1))
    out += [f"Rendering, pages 1–{sample[-1]}, one page at a time, median / p95 in ms; pdftoppm renders the "
            "same pages to JPEG quality 80 in one run (its figure is that run's time per page, median of 3 runs).",
            "",
            "| width | PDFium render | JPEG encode | cold fetch (end to end) | warm fetch (cached) | pdftoppm | ratio cold / pdftoppm |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for width in render.WIDTHS.values():
        rendered, encoded, cold, warm = [], [], [], []
        for page in sample:
            started = time.perf_counter()
            image = render.render_page(result.sha256, page, [width])[0]
            cold.append((time.perf_counter() - started) * 1000)
            rendered.append(image.render_ms)
            encoded.append(image.encode_ms)
            started = time.perf_counter()
            render.page_image(result.sha256, page, width)
            warm.append((time.perf_counter() - started) * 1000)
        poppler = pdftoppm_ms_per_page(source, len(sample), width, work)
        poppler_text = f"{poppler:.1f}" if poppler else "–"
        ratio = f"{statistics.median(cold) / poppler:.2f}" if poppler else "–"
        out.append(f"| {width} | {ms(rendered)} | {ms(encoded)} | {ms(cold)} | {ms(warm)} | {poppler_text} | {ratio} |")

    rest = list(range(sample[-1] + 1, result.pages + 1))
    started = time.perf_counter()
    for job in render.prefetch(result.sha256, rest, (render.WIDTHS["thumb"],)):
        job.result()
    thumbs = time.perf_counter() - started
    out += ["",
            f"Thumbnails of the other {len(rest)} pages through the pool ({limits.render_workers} workers): "
            f"{thumbs:.2f} s ({len(rest) / thumbs:.0f} pages/s)."]
    render.shutdown()
    if not args.no_http:
        out += ["", *http_fetch(source, work, sample)]
    shutil.rmtree(work, ignore_errors=True)
    print("\n".join(out))


# Over HTTP --------------------------------------------------------------------------------------------

def http_setup(pdf: Path) -> None:
    """In the server's environment: a meeting with the document twice (open, and restricted to the
    reader), a reader, and their session. Prints JSON for the parent."""
    import json

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from accounts.models import Unit, User
    from meetings.documents import services
    from meetings.services import meetings, participants

    unit = Unit.objects.create(code="bench", name="Văn phòng UBND tỉnh")
    secretary = User.objects.create(username="thuky", full_name="Nguyễn Thị Lan", unit=unit, role="secretary")
    reader = User.objects.create(username="daibieu", full_name="Phạm Thị Hoa", unit=unit, role="delegate")
    start = timezone.now() + dt.timedelta(days=30)
    meeting = meetings.create_meeting(secretary, title="Đo tốc độ", host_unit=unit, chair=secretary,
                                      secretary=secretary, start=start, end=start + dt.timedelta(hours=2))
    pid = participants.add_participant(secretary, meeting, reader).pk
    meetings.publish_meeting(secretary, meeting)  # participants see published meetings
    open_doc = services.upload(secretary, meeting, pdf, "ke-hoach.pdf")
    named = services.upload(secretary, meeting, pdf, "ke-hoach.pdf", access="named", allowed_participant_ids=[pid])
    session = SessionStore()
    session[SESSION_KEY] = str(reader.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = reader.get_session_auth_hash()
    session.create()
    print(json.dumps({"open": open_doc.pk, "named": named.pk, "session": session.session_key,
                      "cookie": settings.SESSION_COOKIE_NAME}))


def http_fetch(source: Path, work: Path, sample: list[int]) -> list[str]:
    """Start Daphne on a fresh database, then time page fetches as a browser makes them."""
    import http.client
    import json
    import socket

    data = work / "http"
    data.mkdir()
    env = {**os.environ, "PHONGHOP_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "config.settings",
           "PHONGHOP_PDF_EAGER_PAGES": "0",
           "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend", "DATABASE_URL": f"sqlite:///{data / 'bench.sqlite3'}"}
    env.pop("REDIS_URL", None)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=REPO, env=env, check=True)
    setup = subprocess.run([python, __file__, "--http-setup", str(source)], cwd=REPO, env=env, check=True,
                           capture_output=True, text=True)
    ids = json.loads(setup.stdout.strip().splitlines()[-1])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    daphne = subprocess.Popen([str(Path(python).with_name("daphne")), "-b", "127.0.0.1", "-p", str(port),
                               "config.asgi:application"], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        cookie = f"{ids['cookie']}={ids['session']}"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def get(doc: int, page: int, width: int, etag: str | None = None) -> tuple[float, int, str, int]:
            headers = {"Cookie": cookie, "Host": "127.0.0.1"}
            if etag:
                headers["If-None-Match"] = etag
            started = time.perf_counter()
            conn.request("GET", f"/documents/{doc}/v1/pages/{page}.jpg?w={width}", headers=headers)
            response = conn.getresponse()
            body = response.read()
            if response.status >= 400:
                raise RuntimeError(f"GET page {page} at {width}: {response.status} {body[:300]!r}")
            return (time.perf_counter() - started) * 1000, response.status, response.getheader("ETag") or "", len(body)

        get(ids["open"], 1, 200)  # first request: the server's pools and caches start
        rows = ["Over HTTP: Daphne on this machine, SQLite, a signed-in reader's session; pages "
                f"2–{sample[-1]}, one request at a time on one keep-alive connection, median / p95 in ms "
                "(end to end, as the browser waits).",
                "",
                "| width | cold (rendered on request) | warm (cached on disk, 200) | revalidated (304) | restricted, watermarked (200) | image size |",
                "| --- | --- | --- | --- | --- | --- |"]
        pages = [p for p in sample if p > 1]
        for width in (200, 1024, 2048):
            cold, warm, revalidated, marked, sizes = [], [], [], [], []
            for page in pages:
                elapsed, status, etag, size = get(ids["open"], page, width)
                assert status == 200, status
                cold.append(elapsed)
                sizes.append(size)
                elapsed, status, _etag, _size = get(ids["open"], page, width)
                warm.append(elapsed)
                elapsed, status, _etag, _size = get(ids["open"], page, width, etag)
                assert status == 304, status
                revalidated.append(elapsed)
                elapsed, status, _etag, _size = get(ids["named"], page, width)
                assert status == 200, status
                marked.append(elapsed)
            rows.append(f"| {width} | {ms(cold)} | {ms(warm)} | {ms(revalidated)} | {ms(marked)} | "
                        f"{statistics.median(sizes) / 1024:.0f} KB |")
        conn.close()
        return rows
    finally:
        os.killpg(daphne.pid, 15)
        daphne.wait(10)


if __name__ == "__main__":
    main()
