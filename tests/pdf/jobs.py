"""Functions for sandbox tests: a child process imports them by name, so they live in a module."""

from __future__ import annotations

import ctypes
import time


def echo(value):
    return {"value": value, "text": "Quyết định"}


def spin():
    while True:
        pass


def sleep():
    time.sleep(60)


def allocate(megabytes: int):
    return len(bytearray(megabytes * 1024 * 1024))


def segfault():
    ctypes.string_at(0)


def fail():
    raise ValueError("hỏng")


def limits_seen():
    import resource

    return {"as": resource.getrlimit(resource.RLIMIT_AS)[0], "cpu": resource.getrlimit(resource.RLIMIT_CPU)[0],
            "core": resource.getrlimit(resource.RLIMIT_CORE)[0]}


# What a PDF library taken over by a crafted file might try (tests/pdf/test_sandbox.py, "Confinement").

def open_socket():
    import socket

    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
    except OSError as exc:
        return {"refused": type(exc).__name__}
    return {"opened": True}


def network_interfaces():
    with open("/proc/self/net/dev") as fh:
        return sorted(line.split(":")[0].strip() for line in fh.readlines()[2:])


def write(path: str):
    try:
        with open(path, "w") as fh:
            fh.write("x")
    except OSError as exc:
        return {"refused": type(exc).__name__}
    return {"written": True}


def run_program():
    import subprocess

    try:
        subprocess.run(["/bin/true"], check=False)
    except OSError as exc:
        return {"refused": type(exc).__name__}
    return {"ran": True}


def raise_memory_limit():
    import resource

    try:
        resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    except (OSError, ValueError) as exc:
        return {"refused": type(exc).__name__}
    return {"raised": True}


def open_many_files(count: int):
    import os

    fds = []
    try:
        for _ in range(count):
            fds.append(os.open(os.devnull, os.O_RDONLY))
    except OSError as exc:
        return {"refused": type(exc).__name__, "opened": len(fds)}
    finally:
        for fd in fds:
            os.close(fd)
    return {"opened": len(fds)}


def signal_process(pid: int):
    import os

    try:
        os.kill(pid, 0)
    except OSError as exc:
        return {"refused": type(exc).__name__}
    return {"signalled": True}


def start_render_worker(memory_bytes: int, write_to: str):
    """The render pool's initializer, from here: this module is imported before the worker is confined (a
    confined worker may not read the tests folder; the real jobs live in the preloaded meetings.pdf.render)."""
    from meetings.pdf import render

    render._worker_start(memory_bytes, write_to)


def read(path: str):
    try:
        with open(path, "rb") as fh:
            return {"read": len(fh.read())}
    except OSError as exc:
        return {"refused": type(exc).__name__}
