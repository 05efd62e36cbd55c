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
