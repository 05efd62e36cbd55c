"""The ``layout`` frame (docs/protocol.md, "Media"): the room's state, the same for every site, beside each
site's own slots; a site is sent a frame only when its own would differ from the last one it got.

The room's part carries the whole site list (100–170 sites in a province-wide briefing), so it is
serialized once per relayout, not once per site: during a join storm every relayout went to every site,
and encoding the list for each was the largest single cost of a media worker's joins after the
handshakes themselves (bench/briefing.py)."""

from __future__ import annotations

import json
from typing import Any, Protocol


class LayoutTarget(Protocol):
    last_layout: str

    def send(self, frame: dict[str, Any]) -> None: ...


class Layouts:
    """One relayout's frames: ``state`` is the room's part; ``send`` adds a site's own part."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state
        self.text = json.dumps(state, sort_keys=True)

    def send(self, target: LayoutTarget, mine: dict[str, Any]) -> None:
        text = self.text + json.dumps(mine, sort_keys=True)
        if text != target.last_layout:
            target.last_layout = text
            target.send({"type": "media", "event": "layout", **self.state, **mine})
