"""Shares and counts as a Vietnamese reader writes them (87,5 %; 1.234), or in English when that is the
page's language. A share with nothing to divide is a dash, not 0 %."""

from __future__ import annotations

from django.utils.translation import get_language

DASH = "–"


def _vietnamese() -> bool:
    return (get_language() or "vi").startswith("vi")


def percent(share: float | None) -> str:
    if share is None:
        return DASH
    tenths = int(share * 1000 + 0.5)
    if _vietnamese():
        return f"{tenths // 10},{tenths % 10} %"
    return f"{tenths // 10}.{tenths % 10}%"


def count(value: int | float) -> str:
    if isinstance(value, float):
        text = f"{value:,.1f}"
    else:
        text = f"{value:,}"
    if _vietnamese():
        return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text
