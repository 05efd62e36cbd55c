"""Small charts drawn on the server as inline SVG: no library, no script, nothing fetched, readable on an old
tablet and printable. Each chart is a list of labelled bars; the numbers are also in the table beside it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from meetings.reports.numbers import count, percent

ROW = 26  # px per bar
LABEL = 220  # px for the labels
WIDTH = 640


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    text: str  # the value as shown (e.g. "87,5 %")


def bars(title: str, items: Sequence[Bar], maximum: float | None = None) -> SafeString:
    """A horizontal bar chart; ``maximum`` fixes the scale (1 for shares), else the largest value."""
    top = maximum or max((b.value or 0 for b in items), default=0) or 1
    height = ROW * len(items) + 8
    span = WIDTH - LABEL - 80
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {height}" '
             f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
             f'<title>{escape(title)}</title>']
    for i, bar in enumerate(items):
        y = 4 + i * ROW
        w = round(span * max(0.0, min(1.0, (bar.value or 0) / top)), 1)
        label = bar.label if len(bar.label) <= 34 else bar.label[:33] + "…"
        parts.append(
            f'<g><title>{escape(bar.label)}: {escape(bar.text)}</title>'
            f'<text x="{LABEL - 8}" y="{y + 16}" text-anchor="end" class="chart-label">{escape(label)}</text>'
            f'<rect x="{LABEL}" y="{y + 3}" width="{w}" height="{ROW - 8}" rx="2" class="chart-bar"/>'
            f'<text x="{LABEL + w + 6}" y="{y + 16}" class="chart-value">{escape(bar.text)}</text></g>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text above is escaped


def share_bars(title: str, rows: Sequence[dict], label: str, key: str = "attendance_rate") -> SafeString:
    return bars(title, [Bar(str(r[label]), r[key], percent(r[key])) for r in rows], maximum=1)


def count_bars(title: str, rows: Sequence[dict], label: str, key: str) -> SafeString:
    return bars(title, [Bar(str(r[label]), r[key], count(r[key])) for r in rows])
