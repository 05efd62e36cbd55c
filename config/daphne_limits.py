"""Our request and socket limits, enforced inside Daphne where it reads from the network.

1. **HTTP bodies.** Twisted reads a request's whole body (spooled to a temporary file above 100 kB)
   before Daphne hands the request to the application, so an ASGI middleware alone would answer a
   200 MB upload only after receiving it. Here the limit of the route (``request_limits.body_limit``) is
   checked when the headers are complete: a ``Content-Length`` over it is answered 413 at once, in our
   JSON error shape, and the rest of the body is discarded, never stored. A chunked body is counted as it
   arrives and cut off the same way at the limit.
2. **WebSocket messages.** Daphne's own limit (autobahn's ``maxMessagePayloadSize`` /
   ``maxFramePayloadSize``, 1 MiB by default) is set to the protocol's 64 KiB, and a message over it is
   closed with our code 4413 (autobahn would drop the TCP connection: 1006 on the client, no reason). The
   header of a frame carries its length, so a 2 MB frame is refused from its first bytes, not buffered.
   Autobahn applies ``maxMessagePayloadSize`` to what it *sends* too (a snapshot of a large meeting is
   more than 64 KiB, and was refused over 1 MiB before): the limit is lifted while the server sends, so
   it bounds only what clients send; what a slow client leaves unsent is bounded by ``daphne_tuning``.

Patches of Daphne's request and protocol classes, installed by ``config/asgi.py`` whether or not the
send-path tuning is on; tested in ``tests/test_request_limits.py`` and ``tests/realtime/test_bad_input.py``
against a real Daphne.
"""

from __future__ import annotations

import logging
from typing import Any

from config import request_limits

log = logging.getLogger(__name__)

CLOSE_TOO_LARGE = 4413  # realtime.consumers.CLOSE_TOO_LARGE; protocol.md, "Close codes"
_installed = False


def install(socket_message_limit: int) -> bool:
    """Apply both in this process (idempotent). False when Daphne is not installed."""
    global _installed
    if _installed:
        return True
    try:
        from daphne.http_protocol import WebRequest
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:
        return False
    _bound_http_bodies(WebRequest)
    _bound_socket_messages(WebSocketProtocol, socket_message_limit)
    _installed = True
    return True


class _Discard:
    """A transfer decoder that throws the rest of a refused body away."""

    def dataReceived(self, data: bytes) -> None:  # noqa: N802 - Twisted's name
        pass

    def noMoreData(self) -> None:  # noqa: N802 - Twisted's name
        pass


def _refuse(request: Any, limit: int) -> None:
    """Answer 413 and close, without reading (or keeping) another byte of the body."""
    request.phonghop_refused = True
    channel = request.channel
    path = channel._path.split(b"?", 1)[0].decode("latin-1")
    accept = (request.requestHeaders.getRawHeaders(b"Accept-Language") or [b""])[0].decode("latin-1")
    body = request_limits.too_large_body(path, limit, accept)
    log.info("refused a request body over %s bytes for %s", limit, path)
    # No "100 Continue" after the refusal: Twisted sends one once the headers are done if the client asked.
    request.requestHeaders.removeHeader(b"Expect")
    channel._transferDecoder = _Discard()
    channel.dataReceived = lambda data: None  # whatever else the client sends
    transport = channel.transport
    transport.write(
        b"HTTP/1.1 413 Payload Too Large\r\n"
        b"Content-Type: application/json; charset=utf-8\r\n"
        b"Content-Length: %d\r\n"
        b"Connection: close\r\n\r\n" % len(body) + body
    )
    # Half-close: the client reads the answer while what it still sends is discarded; it closes its side.
    if hasattr(transport, "loseWriteConnection"):
        transport.loseWriteConnection()
    else:
        transport.loseConnection()


def _bound_http_bodies(web_request: type) -> None:
    got_length = web_request.gotLength
    handle_chunk = web_request.handleContentChunk
    request_received = web_request.requestReceived

    def gotLength(self, length: int | None) -> None:  # noqa: N802 - Twisted's name
        path = self.channel._path.split(b"?", 1)[0].decode("latin-1")
        self.phonghop_limit = request_limits.body_limit(path)
        self.phonghop_received = 0
        self.phonghop_refused = False
        if length is not None and length > self.phonghop_limit:
            return _refuse(self, self.phonghop_limit)
        got_length(self, length)

    def handleContentChunk(self, data: bytes) -> None:  # noqa: N802 - Twisted's name
        if getattr(self, "phonghop_refused", False):
            return
        self.phonghop_received = getattr(self, "phonghop_received", 0) + len(data)
        if self.phonghop_received > getattr(self, "phonghop_limit", self.phonghop_received):
            return _refuse(self, self.phonghop_limit)
        handle_chunk(self, data)

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:  # noqa: N802
        if getattr(self, "phonghop_refused", False):
            return  # answered already; the application never sees it
        request_received(self, command, path, version)

    web_request.gotLength = gotLength
    web_request.handleContentChunk = handleContentChunk
    web_request.requestReceived = requestReceived


def _bound_socket_messages(protocol: type, limit: int) -> None:
    on_connect = protocol.onConnect

    def onConnect(self, request: Any) -> Any:  # noqa: N802 - autobahn's name
        # Per connection, whatever the command line said: autobahn copied the factory's options already.
        self.maxMessagePayloadSize = limit
        self.maxFramePayloadSize = limit
        return on_connect(self, request)

    def _max_message_size_exceeded(self, size: int, max_size: int, reason: str) -> None:
        if self.failedByMe:
            return
        # Stop collecting the message's data (autobahn skips it once it failed the connection) and close
        # with our code, so the client learns why instead of seeing the connection drop.
        self.failedByMe = True
        log.info("closing a socket that sent a message of %s bytes (limit %s)", size, max_size)
        self.sendCloseFrame(code=CLOSE_TOO_LARGE, reasonUtf8=b"message too large", isReply=False)

    send_message = protocol.sendMessage

    def sendMessage(self, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 - autobahn's name
        limit_in = self.maxMessagePayloadSize
        self.maxMessagePayloadSize = 0  # the limit is for what clients send; the reactor runs this at once
        try:
            return send_message(self, *args, **kwargs)
        finally:
            self.maxMessagePayloadSize = limit_in

    protocol.onConnect = onConnect
    protocol.sendMessage = sendMessage
    protocol._max_message_size_exceeded = _max_message_size_exceeded
