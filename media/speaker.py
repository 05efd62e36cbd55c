"""Who is speaking, from the audio level every publisher's packets carry (RFC 6464).

Browsers put the level of each Opus packet in an RTP header extension: 0 is the loudest (0 dBov),
127 silence. The forwarder never decodes audio, so this is all it knows. Every tick (0.2 s) each
site's loudness is the mean of ``127 - level`` over its packets of the tick, smoothed over ticks; a
site becomes the speaker when it is above ``threshold`` and louder than the current speaker by
``margin`` for ``hold`` ticks in a row. Without anyone above the threshold the last speaker stays:
the picture does not jump to an empty room when someone pauses.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field


@dataclass
class Loudness:
    total: int = 0
    count: int = 0
    smooth: float = 0.0


@dataclass
class SpeakerDetector:
    threshold: float = 60.0  # ``127 - level``: 60 is -67 dBov, above a quiet room, below speech
    margin: float = 6.0
    hold: int = 2  # ticks a challenger must lead before it takes over
    alpha: float = 0.5  # weight of the newest tick
    speaker: Hashable | None = None
    sites: dict[Hashable, Loudness] = field(default_factory=dict)
    _challenger: Hashable | None = None
    _lead: int = 0

    def level(self, site: Hashable, level: int) -> None:
        """One packet's RFC 6464 level (0 loud .. 127 silent)."""
        s = self.sites.setdefault(site, Loudness())
        s.total += 127 - min(max(level, 0), 127)
        s.count += 1

    def forget(self, site: Hashable) -> None:
        self.sites.pop(site, None)
        if self.speaker == site:
            self.speaker = None
        if self._challenger == site:
            self._challenger, self._lead = None, 0

    def tick(self) -> bool:
        """Close a tick; True when the speaker changed."""
        for s in self.sites.values():
            now = s.total / s.count if s.count else 0.0
            s.smooth = self.alpha * now + (1 - self.alpha) * s.smooth
            s.total = s.count = 0
        loud = [(s.smooth, site) for site, s in self.sites.items() if s.smooth >= self.threshold]
        if not loud:
            self._challenger, self._lead = None, 0
            return False
        best_level, best = max(loud, key=lambda x: x[0])
        current = self.sites.get(self.speaker).smooth if self.speaker in self.sites else 0.0
        if best == self.speaker or best_level < current + self.margin:
            self._challenger, self._lead = None, 0
            return False
        self._lead = self._lead + 1 if best == self._challenger else 1
        self._challenger = best
        if self._lead < self.hold:
            return False
        self.speaker, self._challenger, self._lead = best, None, 0
        return True
