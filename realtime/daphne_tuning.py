"""Three changes to Daphne's WebSocket send path, for the live room's fan-out (one small frame to each of
1,000 sockets per event). Measured with bench/fanout and py-spy (docs/benchmarks.md, "Fan-out").

1. **Send at once.** Twisted buffers every ``transport.write`` and sends it when the reactor next sees
   the socket writable: on the asyncio reactor that is two ``epoll_ctl`` calls (add, then remove the
   writer), a loop turn and half a dozen Python frames of dispatch per write. That bookkeeping was
   40 % of Daphne's CPU in the fan-out. Twisted's own ticket proposes the same policy
   (twisted/twisted#5303, "Default transport implementation doesn't write out bytes immediately").
   The rule is the one asyncio's transports follow: when nothing is buffered, try ``send`` right away;
   whatever the kernel does not take (a full socket buffer, an error) goes through Twisted's buffered
   path unchanged, which keeps its back-pressure, producer and error handling. TLS connections,
   connections being closed and pull producers are left to Twisted entirely.
2. **No colouring of debug messages nobody logs.** Autobahn builds the arguments of a debug message
   (``hltype``/``hlval``: terminal colours through click) on every frame it sends, before the logger
   drops the message: 9 % of Daphne's CPU. Its debug messages are written plain instead.
3. **A bound on what a socket may leave unsent.** Daphne's ASGI ``send`` returns once the bytes are in
   Twisted's buffer, which grows without limit for a peer that stops reading (a tablet asleep on a live
   link, a stalled commune line). A WebSocket whose unsent bytes pass ``limit`` is dropped; the client
   reconnects with its last ``seq`` and resyncs, as after any lost connection. HTTP responses (document
   downloads on slow links) are not bounded here.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

_installed = False


def install(limit: int = 4 * 1024 * 1024) -> bool:
    """Apply all three in this process (idempotent). False when Daphne's stack is not installed."""
    global _installed
    if _installed:
        return True
    try:
        from autobahn.websocket import protocol as autobahn_protocol
        from twisted.internet import tcp
    except ImportError:
        return False
    _send_at_once(tcp, autobahn_protocol.WebSocketServerProtocol, limit)
    autobahn_protocol.hltype = _plain
    autobahn_protocol.hlval = _plain
    _installed = True
    return True


def _plain(value, *args, **kwargs):
    return value


def _send_at_once(tcp, websocket, limit: int) -> None:
    buffered_write = tcp.Connection.write

    def write(self, data: bytes) -> None:
        if (
            data
            and not self.TLS
            and self.connected
            and not self.disconnecting
            and not self._writeDisconnected
            and not self._tempDataBuffer
            and self.offset == len(self.dataBuffer)
            and (self.producer is None or self.streamingProducer)
            and type(data) is bytes
        ):
            sent = self.writeSomeData(data)  # a count, or an exception instance when the connection is lost
            if isinstance(sent, int) and sent >= 0:
                if sent == len(data):
                    return
                data = data[sent:]
            # else: Twisted's next doWrite meets the same error and closes the connection its usual way
        buffered_write(self, data)
        unsent = self._tempDataLen + len(self.dataBuffer) - self.offset
        if unsent > limit and isinstance(self.protocol, websocket) and not self.disconnecting:
            log.info("dropping the WebSocket of %s: %d bytes left unread", getattr(self.protocol, "peer", "?"), unsent)
            self.abortConnection()

    tcp.Connection.write = write
