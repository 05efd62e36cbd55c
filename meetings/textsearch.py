"""Vietnamese search that ignores diacritics and case: "quyet dinh" finds "Quyết định"."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())


# Vietnamese dictionary order: ă and â after a, đ after d, ê after e, ô and ơ after o, ư after u; tones only
# break ties (ngang, huyền, hỏi, ngã, sắc, nặng). Code-point order would put every "Đ..." after "Y...".
_ALPHABET = {ch: i for i, ch in enumerate("aăâbcdđeêfghijklmnoôơpqrstuưvwxyz")}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def sort_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    letters: list[int] = []
    tones: list[int] = []
    for ch in unicodedata.normalize("NFC", (text or "").lower()):
        parts = unicodedata.normalize("NFD", ch)
        tone = next((_TONES[m] for m in parts if m in _TONES), 0)
        base = unicodedata.normalize("NFC", "".join(m for m in parts if m not in _TONES))
        letters.append(_ALPHABET[base] if base in _ALPHABET else 100 + ord(base[0]))
        tones.append(tone)
    return tuple(letters), tuple(tones)
