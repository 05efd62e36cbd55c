"""The secretary's free text: HTML from the editor, sanitised with nh3 (Ammonia) before it is stored, and
read back as paragraphs of bold / italic / underlined runs for the DOCX and PDF renderers.

Only a handful of tags survive (paragraphs, line breaks, emphasis, lists): what an official text uses.
Scripts, styles, attributes and links are dropped, so stored text is safe to show in any page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import nh3

TAGS = {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li"}
MAX_LENGTH = 200_000


def clean(html: str | None) -> str:
    """Sanitised HTML; plain text (no tags) becomes paragraphs, one per line, so a textarea works too."""
    text = (html or "").strip()[:MAX_LENGTH]
    if not text:
        return ""
    if "<" not in text:
        from django.utils.html import escape

        text = "".join(f"<p>{escape(line.strip())}</p>" for line in text.splitlines() if line.strip())
    return nh3.clean(text, tags=TAGS, attributes={}, strip_comments=True, link_rel=None).strip()


@dataclass
class Run:
    text: str
    bold: bool = False
    italic: bool = False
    underline: bool = False


@dataclass
class Paragraph:
    runs: list[Run] = field(default_factory=list)
    bullet: str = ""  # "-" for an unordered item, "1." ... for an ordered one

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[Paragraph] = []
        self.current: Paragraph | None = None
        self.marks = {"bold": 0, "italic": 0, "underline": 0}
        self.lists: list[list[int]] = []  # per open list: [ordered, counter]

    def _open(self, bullet: str = "") -> None:
        self._close()
        self.current = Paragraph(bullet=bullet)

    def _close(self) -> None:
        if self.current is not None and self.current.text.strip():
            self.paragraphs.append(self.current)
        self.current = None

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "p":
            self._open()
        elif tag == "br":
            self._open()
        elif tag in ("ul", "ol"):
            self._close()
            self.lists.append([tag == "ol", 0])
        elif tag == "li":
            if self.lists and self.lists[-1][0]:
                self.lists[-1][1] += 1
                self._open(f"{self.lists[-1][1]}.")
            else:
                self._open("-")
        elif tag in ("strong", "b"):
            self.marks["bold"] += 1
        elif tag in ("em", "i"):
            self.marks["italic"] += 1
        elif tag == "u":
            self.marks["underline"] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "li"):
            self._close()
        elif tag in ("ul", "ol"):
            self._close()
            if self.lists:
                self.lists.pop()
        elif tag in ("strong", "b"):
            self.marks["bold"] = max(0, self.marks["bold"] - 1)
        elif tag in ("em", "i"):
            self.marks["italic"] = max(0, self.marks["italic"] - 1)
        elif tag == "u":
            self.marks["underline"] = max(0, self.marks["underline"] - 1)

    def handle_data(self, data: str) -> None:
        if not data.strip() and self.current is None:
            return
        if self.current is None:
            self.current = Paragraph()
        self.current.runs.append(Run(re.sub(r"\s+", " ", data), bool(self.marks["bold"]),
                                     bool(self.marks["italic"]), bool(self.marks["underline"])))


def paragraphs(html: str | None) -> list[Paragraph]:
    """The sanitised HTML as paragraphs (what the exports lay out)."""
    reader = _Reader()
    reader.feed(clean(html))
    reader.close()
    reader._close()
    return reader.paragraphs
