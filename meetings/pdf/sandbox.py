"""Run one function in a fresh child process under CPU-time, memory and wall-clock limits.

Untrusted PDFs are parsed by C++ (PDFium) and by pure Python (pypdf); both have had inputs that loop
forever or allocate without bound. So each job gets its own process, forked from a small "forkserver"
that has only the PDF libraries imported: the child inherits none of the server's sockets, database
connections or threads, starts in a few milliseconds, and dies when the job ends.

In the child: ``RLIMIT_AS`` caps memory (an allocation past it fails: ``MemoryError`` in Python, an
abort in PDFium), ``RLIMIT_CPU`` caps CPU time (the kernel sends SIGXCPU), core dumps are off.
In the parent: a wall-clock deadline; a child still running then is killed.

The result comes back as JSON bytes over a pipe, bounded in size: plain data, never a pickle, so the
parent does not run code chosen by the child.

What this boundary is for: crashes, endless loops, memory blow-ups and decompression bombs stay in a
child that is killed. Against a code-execution exploit of PDFium, each child is then confined
(``confine.py``): user and network namespaces of its own, Landlock (writes only under the folders the job
names, ``write_to``), seccomp (no sockets, no programs), a bounded number of open files.
"""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import threading
from collections.abc import Callable, Sequence
from multiprocessing import context as mp_context
from multiprocessing import forkserver, popen_forkserver, spawn, util
from multiprocessing.context import reduction, set_spawning_popen
from pathlib import Path
from typing import Any

from . import confine
from .limits import Limits

# Modules the forkserver imports once, so that every child starts with them loaded.
PRELOAD = ["pypdfium2", "pypdf", "PIL.Image", "meetings.pdf.intake", "meetings.pdf.render"]
MAX_RESULT_BYTES = 256 * 1024 * 1024
NICE = 5  # PDF work yields to the web server on a small machine

_lock = threading.Lock()
_context: mp_context.BaseContext | None = None


class SandboxError(Exception):
    """The child did not return a result."""


class TimeLimit(SandboxError):
    def __init__(self, kind: str, seconds: float):
        super().__init__(f"{kind} time limit of {seconds:g} s reached")
        self.kind = kind  # "cpu" or "wall"
        self.seconds = seconds


class MemoryLimit(SandboxError):
    pass


class Crashed(SandboxError):
    def __init__(self, exitcode: int | None):
        name = signal.Signals(-exitcode).name if exitcode and exitcode < 0 else f"exit code {exitcode}"
        super().__init__(f"child died: {name}")
        self.exitcode = exitcode


class ChildError(SandboxError):
    """The function raised an exception in the child; only its type name and text come back."""

    def __init__(self, type_name: str, text: str):
        super().__init__(f"{type_name}: {text}")
        self.type_name = type_name
        self.text = text


class _Popen(popen_forkserver.Popen):
    """The forkserver's Popen, except that the child does not import the parent's main script.

    Every forkserver child re-runs the server's entry script (manage.py, daphne's, a benchmark) as
    ``__mp_main__`` before running its target: 270 ms per child here with Django set up. CPython
    3.11/3.12 mean to preload it once in the forkserver, but ask for a key ("main_path") that
    get_preparation_data() never sets. Our targets live in importable modules, so the child needs no
    main module at all. This is ``popen_forkserver.Popen._launch`` without those two keys.
    """

    def _launch(self, process_obj):
        prep_data = spawn.get_preparation_data(process_obj._name)
        prep_data.pop("init_main_from_path", None)
        prep_data.pop("init_main_from_name", None)
        buf = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)
        _parent_w = os.dup(w)
        self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _Process(mp_context.ForkServerProcess):
    @staticmethod
    def _Popen(process_obj):
        return _Popen(process_obj)


class _Context(mp_context.ForkServerContext):
    Process = _Process


def context() -> mp_context.BaseContext:
    """The forkserver context, with the PDF libraries preloaded in the server."""
    global _context
    with _lock:
        if _context is None:
            ctx = _Context()
            ctx.set_forkserver_preload(PRELOAD)
            _context = ctx
        return _context


def apply_limits(cpu_seconds: float | None, memory_bytes: int | None) -> None:
    """Called in a child before any untrusted byte is read."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    if cpu_seconds:
        # Soft limit: SIGXCPU (kills, Python does not handle it). Hard limit a bit later: SIGKILL.
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        soft = int(cpu_seconds + 0.999)
        new_hard = soft + 2 if hard == resource.RLIM_INFINITY else min(hard, soft + 2)
        resource.setrlimit(resource.RLIMIT_CPU, (min(soft, new_hard), new_hard))
    try:
        os.nice(NICE)
    except OSError:
        pass


def _child(conn, func: Callable[..., Any], args: tuple, cpu_seconds: float, memory_bytes: int,
           write_to: Sequence[str] | None, read_from: Sequence[str]) -> None:
    apply_limits(cpu_seconds, memory_bytes)
    if write_to is not None:
        confine.confine(write_to, read_from=read_from)
    try:
        reply: list[Any] = ["ok", func(*args)]
    except MemoryError:
        reply = ["memory"]
    except BaseException as exc:  # noqa: BLE001 — everything goes back to the parent as data
        reply = ["error", type(exc).__name__, str(exc)[:2000]]
    try:
        data = json.dumps(reply, ensure_ascii=False).encode()
    except MemoryError:
        data = b'["memory"]'
    conn.send_bytes(data)
    conn.close()


def run(func: Callable[..., Any], *args: Any, limits: Limits, write_to: Sequence[str | os.PathLike] = (),
        read_from: Sequence[str | os.PathLike] = ()) -> Any:
    """Call ``func(*args)`` in a fresh child and return its (JSON-able) result.

    ``func`` must be a function of an importable module (the child does not load the entry script);
    its arguments are pickled to the child, its result comes back as JSON. ``write_to``: the folders (or
    files) the child may write; nothing else (with ``limits.confine``). ``read_from``: what it may read
    besides the installation and the stored PDFs (``confine.readable_paths``), e.g. an uploaded file.
    Raises TimeLimit, MemoryLimit, Crashed or ChildError.
    """
    if func.__module__ == "__main__":
        raise ValueError("sandbox.run needs a function from an importable module, not from __main__")
    ctx = context()
    reader, writer = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=_child, args=(writer, func, args, limits.cpu_seconds, limits.memory_bytes,
                             [str(p) for p in write_to] if limits.confine else None,
                             [str(p) for p in (*read_from, *_stored_pdfs())]),
        name="phonghop-pdf", daemon=True,
    )
    data: bytes | None = None
    timed_out = False
    try:
        proc.start()
        writer.close()
        if reader.poll(limits.wall_seconds):  # true on data and on end of file (the child died)
            try:
                data = reader.recv_bytes(MAX_RESULT_BYTES)
            except (EOFError, OSError):
                data = None
        else:
            timed_out = True
    finally:
        reader.close()
        if not timed_out:
            proc.join(2)  # it has sent its reply and is exiting
        if proc.is_alive():
            proc.kill()
        proc.join()
        exitcode = proc.exitcode
        proc.close()
    if timed_out:
        raise TimeLimit("wall", limits.wall_seconds)
    if data is None:
        raise _death(exitcode, limits)
    reply = json.loads(data)
    if reply[0] == "ok":
        return reply[1]
    if reply[0] == "memory":
        raise MemoryLimit(f"memory limit of {limits.memory_mb} MB reached")
    raise ChildError(reply[1], reply[2])


def _stored_pdfs() -> list[str]:
    """The content-addressed store (documents are read from there); no other part of the data directory."""
    from django.conf import settings

    if not settings.configured:
        return []
    return [str(Path(settings.MEDIA_ROOT) / "pdf")]


def _death(exitcode: int | None, limits: Limits) -> SandboxError:
    """Name the limit that killed a child which sent nothing back."""
    if exitcode == -signal.SIGXCPU:
        return TimeLimit("cpu", limits.cpu_seconds)
    if exitcode == -signal.SIGKILL:  # not ours (that is the wall clock): the kernel's out-of-memory killer
        return MemoryLimit("killed by the kernel, out of memory")
    if exitcode == -signal.SIGABRT:
        # Under RLIMIT_AS a failed allocation is how C++ code dies: PDFium's allocator and an uncaught
        # std::bad_alloc both call abort(). Its own consistency checks trap instead (SIGTRAP/SIGILL).
        return MemoryLimit(f"memory limit of {limits.memory_mb} MB reached (aborted)")
    return Crashed(exitcode)
