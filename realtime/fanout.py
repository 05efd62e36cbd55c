"""Process-local fan-out: one channel-layer subscription per group and process, not per socket.

Every socket joining the channel layer itself costs, per event and socket, a put into its channel
queue, a wake-up of its dispatch task and a handler call through Channels' machinery. Here the
process subscribes once per group (on Redis: one subscriber per process, whatever the number of
sockets) and hands each message to the local sockets in one loop: an idle socket gets the shared frame
text written at once, a busy one in its bounded send queue (``MeetingConsumer.deliver``). Daphne's send
does not suspend, so the loop does not wait on any one socket. Measured in bench/fanout (docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from typing import Any, Protocol

from channels.layers import get_channel_layer

from operations import metrics

log = logging.getLogger(__name__)


class Receiver(Protocol):
    async def deliver(self, message: dict[str, Any]) -> None: ...


class Hub:
    """The sockets of one event loop, by group. Messages carry their ``group`` (see realtime.publish)."""

    def __init__(self, layer) -> None:
        self.layer = layer
        self.members: dict[str, set[Receiver]] = {}
        self.channel: str | None = None
        self.reader: asyncio.Task | None = None
        self.lock = asyncio.Lock()

    async def join(self, group: str, receiver: Receiver) -> None:
        layer = self.layer
        async with self.lock:
            if self.channel is None:
                self.channel = await layer.new_channel("fanout.")
                self.reader = asyncio.get_running_loop().create_task(self._read(layer, self.channel))
            if group not in self.members:
                self.members[group] = set()
                await layer.group_add(group, self.channel)
            self.members[group].add(receiver)

    async def leave(self, group: str, receiver: Receiver) -> None:
        layer = self.layer
        async with self.lock:
            members = self.members.get(group)
            if members is None:
                return
            members.discard(receiver)
            if not members:
                del self.members[group]
                await layer.group_discard(group, self.channel)

    async def _read(self, layer, channel: str) -> None:
        while True:
            try:
                message = await layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # the layer reconnects on its own; sockets repair gaps from the log
                log.exception("fan-out: receiving from the channel layer failed")
                await asyncio.sleep(0.5)
                continue
            receivers = tuple(self.members.get(message.get("group", ""), ()))
            for receiver in receivers:
                try:
                    await receiver.deliver(message)
                except Exception:
                    log.exception("fan-out: a socket refused a message")
            metrics.FANOUT_MESSAGES.inc()
            metrics.FANOUT_DELIVERIES.inc(len(receivers))
            if "sent_at" in message:
                metrics.FANOUT_LATENCY.observe(max(0.0, time.time() - message["sent_at"]))


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """This event loop's hub on the current channel layer (a new layer, as after a restart, gets a new hub)."""
    loop = asyncio.get_running_loop()
    layer = get_channel_layer()
    found = _hubs.get(loop)
    if found is None or found.layer is not layer:
        if found is not None and found.reader is not None:
            found.reader.cancel()
        found = _hubs[loop] = Hub(layer)
    return found
