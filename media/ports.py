"""A UDP port range for the media loop: aioice binds its host candidates to port 0 (any free port) and
has no option for a range, so the media loop itself picks the ports. Firewalls between the sites and the
server can then open one range (``PHONGHOP_MEDIA_UDP_PORTS=40000-40999``) instead of every ephemeral port.

Only datagram sockets asked for with port 0 on this loop are affected (the media loop makes no others).
Every peer connection takes one port per interface it gathers on (BUNDLE: one transport), so a range
must hold about (sites × interfaces) ports, with room for reconnections.
"""

from __future__ import annotations

import asyncio
import errno
from typing import Any


def parse_range(text: str) -> tuple[int, int] | None:
    """"40000-40999" → (40000, 40999); empty → None."""
    if not text:
        return None
    low, _, high = text.partition("-")
    first, last = int(low), int(high or low)
    if not 1024 <= first <= last <= 65535:
        raise ValueError(f"a UDP port range must lie within 1024-65535, not {text!r}")
    return first, last


class PortRangeLoop(asyncio.SelectorEventLoop):
    def __init__(self, ports: tuple[int, int]) -> None:
        super().__init__()
        self.first, self.last = ports
        self._next = self.first

    async def create_datagram_endpoint(self, protocol_factory: Any, local_addr: Any = None, remote_addr: Any = None,
                                       **kwargs: Any) -> Any:
        if local_addr is None or local_addr[1] != 0:
            return await super().create_datagram_endpoint(protocol_factory, local_addr, remote_addr, **kwargs)
        size = self.last - self.first + 1
        for _ in range(size):
            port = self._next
            self._next = self.first if port == self.last else port + 1
            try:
                return await super().create_datagram_endpoint(
                    protocol_factory, (local_addr[0], port, *local_addr[2:]), remote_addr, **kwargs)
            except OSError as e:
                if e.errno != errno.EADDRINUSE:
                    raise
        raise OSError(errno.EADDRINUSE, f"no free UDP port in {self.first}-{self.last}")


def new_loop(ports: tuple[int, int] | None) -> asyncio.AbstractEventLoop:
    return PortRangeLoop(ports) if ports else asyncio.new_event_loop()
