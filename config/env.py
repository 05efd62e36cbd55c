"""Tiny typed helpers to read settings from the environment (the healthchecks way).

Every value can also come from a file named by ``<NAME>_FILE``, so secrets can live in a
mounted file instead of the process environment.
"""

from __future__ import annotations

import os


def env(name: str, default: str | None = None) -> str | None:
    path = os.environ.get(f"{name}_FILE")
    if path:
        with open(path, encoding="utf-8") as fh:
            return fh.read().strip()
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = env(name)
    return default if value in (None, "") else int(value)


def envlist(name: str, default: list[str]) -> list[str]:
    value = env(name)
    if value in (None, ""):
        return default
    return [item.strip() for item in value.split(",") if item.strip()]
