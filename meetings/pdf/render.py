"""Page images: a stored PDF's page rendered by PDFium at a few fixed widths, as JPEG, cached on disk.

Widths: ``thumb`` 200 px (the page strip), ``tablet`` 1024 px (reading on a tablet), ``full`` 2048 px
(a large screen or zoom). Only these widths exist, so the cache stays bounded and nobody can make the
server render a page at any size they like. A page is rendered once and then served from
``MEDIA_ROOT/pages/<sha>/<width>/<page>.jpg`` (pages numbered from 1).

pypdfium2 is not thread-safe, even across documents, so rendering happens in a pool of worker
processes (forked from the sandbox's forkserver). Each worker runs under the memory limit, each page
under the CPU limit, and the caller waits at most the wall-clock limit. A worker that dies takes the
pool with it: a new pool is started, and the page is rendered again alone in a sandboxed child
(``sandbox.run``), which tells which limit it hit. A page that failed is remembered for ten minutes and not retried meanwhile.

Right after intake, ``prefetch_first_pages`` renders the first pages at the small widths in the
background; the rest is rendered when someone opens it (``page_image``).
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from meetings.errors import NotFound, ServiceError
from operations import metrics

from . import confine, sandbox, store
from . import limits as limits_module
from .limits import Limits

WIDTHS = {"thumb": 200, "tablet": 1024, "full": 2048}
EAGER_WIDTHS = (WIDTHS["thumb"], WIDTHS["tablet"])
JPEG_QUALITY = {200: 75}  # other widths: 80
MAX_ASPECT = 4  # a page up to 4× taller than wide gets the full width; a taller one is rendered narrower
FAILURE_MEMORY_SECONDS = 600  # a page that failed is not tried again for this long (a busy machine may recover)
TASKS_PER_WORKER = 500  # recycle workers now and then: PDFium caches fonts and images per document


class RenderError(ServiceError):
    status = 500
    code = "render_failed"


MESSAGES = {
    "render_failed": _("This page cannot be displayed: the document is damaged here."),
    "too_slow": _("This page takes too long to display: it is unusually complex."),
    "too_much_memory": _("This page needs too much memory to display: it is unusually large."),
}


@dataclass(frozen=True)
class PageImage:
    page: int
    width: int
    path: Path
    cached: bool
    render_ms: float = 0.0  # PDFium, in the worker
    encode_ms: float = 0.0  # JPEG, in the worker


def pages_root() -> Path:
    """Where rendered page images go: the only folder a render child may write to."""
    root = Path(settings.MEDIA_ROOT) / "pages"
    root.mkdir(parents=True, exist_ok=True)
    return root


def cache_path(sha256: str, page: int, width: int) -> Path:
    store.path_for(sha256)  # validates the hash
    return Path(settings.MEDIA_ROOT) / "pages" / sha256 / str(width) / f"{page}.jpg"


def page_image(sha256: str, page: int, width: int, limits: Limits | None = None) -> Path:
    """The JPEG of one page (from 1) at one of WIDTHS; renders it if it is not cached yet. Blocking:
    async code calls it through a thread (``sync_to_async``)."""
    return render_page(sha256, page, [width], limits)[0].path


def render_page(sha256: str, page: int, widths: list[int], limits: Limits | None = None) -> list[PageImage]:
    """One page at several widths (one job: the page is loaded once)."""
    limits = limits or limits_module.current()
    _check(sha256, page, widths)
    found = [cache_path(sha256, page, w) for w in widths]
    if all(path.is_file() for path in found):
        return [PageImage(page, w, path, cached=True) for w, path in zip(widths, found, strict=True)]
    key = (sha256, page, tuple(widths))
    failed = _failed.get(key)
    if failed and time.monotonic() - failed[1] < FAILURE_MEMORY_SECONDS:
        raise _error(failed[0])
    pool, future = _submit(key, limits)
    try:
        outcome = future.result(timeout=limits.wall_seconds)
    except FutureTimeout:
        _restart(pool, kill=True)
        _remember(key, "too_slow")
        metrics.PDF_RENDERS.labels(outcome="killed").inc()
        raise _error("too_slow") from None
    except BrokenProcessPool:
        # A worker died: this page, or another job in the pool. Render it again alone, in a sandboxed
        # child, which names the limit that was hit, if one was.
        _restart(pool)
        outcome = _render_alone(key, limits)
    if "error" in outcome:
        _remember(key, outcome["error"])
        metrics.PDF_RENDERS.labels(outcome="refused").inc()
        raise _error(outcome["error"])
    metrics.PDF_RENDERS.labels(outcome="rendered").inc()
    return [PageImage(page, item["width"], Path(item["path"]), cached=False,
                      render_ms=item["render_ms"], encode_ms=item["encode_ms"]) for item in outcome["images"]]


def _render_alone(key: tuple, limits: Limits) -> dict[str, Any]:
    try:
        return sandbox.run(_render_in_worker, *_job_args(key, limits), limits=limits, write_to=[pages_root()])
    except sandbox.TimeLimit:
        return {"error": "too_slow"}
    except sandbox.MemoryLimit:
        return {"error": "too_much_memory"}
    except sandbox.SandboxError:
        return {"error": "render_failed"}


def prefetch(sha256: str, pages: list[int], widths: tuple[int, ...] = EAGER_WIDTHS,
             limits: Limits | None = None) -> list[Future]:
    """Start rendering pages in the background; returns the jobs (already cached pages are skipped)."""
    limits = limits or limits_module.current()
    _check(sha256, 1, list(widths))
    jobs = []
    for page in pages:
        if not all(cache_path(sha256, page, w).is_file() for w in widths):
            jobs.append(_submit((sha256, page, tuple(widths)), limits)[1])
    return jobs


def prefetch_first_pages(sha256: str, page_count: int, limits: Limits | None = None) -> list[Future]:
    limits = limits or limits_module.current()
    return prefetch(sha256, list(range(1, min(page_count, limits.eager_pages) + 1)), EAGER_WIDTHS, limits)


def shutdown() -> None:
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def _check(sha256: str, page: int, widths: list[int]) -> None:
    if not store.exists(sha256):
        raise NotFound(_("This document does not exist."), "no_such_document")
    if page < 1:
        raise NotFound(_("This page does not exist."), "no_such_page")
    if not widths or any(w not in WIDTHS.values() for w in widths):
        raise ServiceError(_("Unknown image width."), "bad_width")


def _error(code: str) -> ServiceError:
    if code == "no_such_page":
        return NotFound(_("This page does not exist."), "no_such_page")
    return RenderError(MESSAGES[code], code)


# The pool (server side) ---------------------------------------------------------------------------

_lock = threading.RLock()  # a done callback may run at once, in the thread that holds it
_pool: ProcessPoolExecutor | None = None
_pool_confinement: tuple | None = None  # (folder, memory): what the pool's workers were confined to
_inflight: dict[tuple, Future] = {}
_failed: OrderedDict[tuple, tuple[str, float]] = OrderedDict()  # key → (code, when)


def _remember(key: tuple, code: str) -> None:
    with _lock:
        _failed[key] = (code, time.monotonic())
        _failed.move_to_end(key)
        while len(_failed) > 1000:
            _failed.popitem(last=False)


def _submit(key: tuple, limits: Limits) -> tuple[ProcessPoolExecutor, Future]:
    """One job per page and set of widths at a time: a second request for it waits on the first."""
    global _pool, _pool_confinement
    with _lock:
        running = _inflight.get(key)
        if running is not None and not running.done():
            return _pool, running
        job = (_render_in_worker, *_job_args(key, limits))
        confinement = (str(pages_root()) if limits.confine else None, limits.memory_bytes)
        if _pool is not None and _pool_confinement != confinement:
            # Workers are confined for good when they start: another cache folder (or memory limit) needs new ones.
            _pool.shutdown(wait=False)
            _pool = None
        for _attempt in range(2):
            if _pool is None:
                _pool = ProcessPoolExecutor(
                    max_workers=limits.render_workers, mp_context=sandbox.context(),
                    initializer=_worker_start, initargs=(confinement[1], confinement[0]),
                    max_tasks_per_child=TASKS_PER_WORKER,
                )
                _pool_confinement = confinement
            try:
                future = _pool.submit(*job)
                break
            except (BrokenProcessPool, RuntimeError):  # broken by another job, not replaced yet
                _pool.shutdown(wait=False, cancel_futures=True)
                _pool = None
        _inflight[key] = future
        future.add_done_callback(lambda done, key=key: _forget(key, done))
        return _pool, future


def _job_args(key: tuple, limits: Limits) -> tuple:
    sha256, page, widths = key
    return (str(store.render_source(sha256)), page, list(widths), str(cache_path(sha256, page, 0).parent.parent),
            limits.cpu_seconds)


def _forget(key: tuple, future: Future) -> None:
    with _lock:
        if _inflight.get(key) is future:
            del _inflight[key]


def _restart(pool: ProcessPoolExecutor, kill: bool = False) -> None:
    """Replace a broken or hung pool (unless another thread already did)."""
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    if kill:
        # ProcessPoolExecutor cannot stop a running job (3.14 adds terminate_workers()): kill its workers.
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


# The worker side -------------------------------------------------------------------------------

_docs: OrderedDict[str, Any] = OrderedDict()


def _worker_start(memory_bytes: int, write_to: str | None) -> None:
    sandbox.apply_limits(None, memory_bytes)
    if write_to is not None:
        # Writes only to the page-image cache; reads the stored PDFs beside it.
        confine.confine([write_to], read_from=[str(Path(write_to).parent / "pdf")])


def _open(path: str):
    import pypdfium2 as pdfium

    doc = _docs.pop(path, None) or pdfium.PdfDocument(path)
    _docs[path] = doc
    while len(_docs) > 4:
        _docs.popitem(last=False)[1].close()
    return doc


def _render_in_worker(path: str, page_number: int, widths: list[int], out_root: str,
                      cpu_seconds: float) -> dict[str, Any]:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + cpu_seconds)  # this page's CPU budget
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))
    try:
        doc = _open(path)
        if page_number > len(doc):
            return {"error": "no_such_page"}
        page = doc[page_number - 1]
        try:
            images = [_render_one(page, width, Path(out_root) / str(width), page_number) for width in widths]
        finally:
            page.close()
        return {"images": images}
    except MemoryError:
        _docs.clear()
        return {"error": "too_much_memory"}
    except Exception:  # noqa: BLE001 — a page PDFium cannot load or render
        return {"error": "render_failed"}


def _render_one(page, width: int, folder: Path, page_number: int) -> dict[str, Any]:
    started = time.perf_counter()
    page_width, page_height = page.get_size()
    # PDFium's bitmap is ceil(size × scale): aim a hair below the width so that it comes out exact.
    scale = (width - 0.01) / page_width
    if page_height * scale > width * MAX_ASPECT:
        scale = (width * MAX_ASPECT - 0.01) / page_height
    bitmap = page.render(scale=scale, draw_annots=True)
    image = bitmap.to_pil()
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    rendered = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{page_number}.jpg"
    temporary = folder / f".{page_number}.{os.getpid()}.jpg"
    image.save(temporary, "JPEG", quality=JPEG_QUALITY.get(width, 80))
    os.replace(temporary, target)
    bitmap.close()
    return {"width": width, "path": str(target), "render_ms": 1000 * (rendered - started),
            "encode_ms": 1000 * (time.perf_counter() - rendered)}
