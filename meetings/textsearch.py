"""Vietnamese search that ignores diacritics and case: "quyet dinh" finds "Quyết định"."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())
