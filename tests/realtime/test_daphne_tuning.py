"""realtime/daphne_tuning.py: Twisted's TCP writes go out at once, and nothing is lost or reordered when the
kernel takes only part of them (a delegate on a slow link whose socket buffer is full)."""

from __future__ import annotations

import socket

import pytest

twisted_tcp = pytest.importorskip("twisted.internet.tcp")
from autobahn.twisted.websocket import WebSocketServerProtocol  # noqa: E402
from twisted.internet.protocol import Protocol  # noqa: E402
from twisted.internet.testing import MemoryReactorClock  # noqa: E402

from realtime import daphne_tuning  # noqa: E402

LIMIT = 4 * 1024 * 1024  # the default of PHONGHOP_SOCKET_UNSENT_LIMIT


@pytest.fixture
def protocol():
    return Protocol()


@pytest.fixture
def connection(protocol):
    assert daphne_tuning.install(limit=LIMIT)
    ours, theirs = socket.socketpair()
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    reactor = MemoryReactorClock()
    conn = twisted_tcp.Connection(ours, protocol, reactor=reactor)
    conn.connected = True
    theirs.setblocking(False)
    yield conn, theirs, reactor
    ours.close()
    theirs.close()


def drain(sock: socket.socket) -> bytes:
    out = bytearray()
    while True:
        try:
            chunk = sock.recv(1 << 16)
        except BlockingIOError:
            return bytes(out)
        if not chunk:
            return bytes(out)
        out += chunk


def test_a_small_write_is_on_the_wire_before_the_reactor_runs(connection):
    conn, theirs, reactor = connection
    conn.write(b"frame one")
    assert drain(theirs) == b"frame one"
    assert conn not in reactor.writers  # nothing left for the reactor to do


def test_what_the_kernel_does_not_take_is_sent_later_in_order(connection):
    conn, theirs, reactor = connection
    big = bytes(range(256)) * 4096  # 1 MiB: far more than the socket buffer
    conn.write(big)
    conn.write(b"after")  # must queue behind the rest of the first write, not jump ahead
    assert conn in reactor.writers
    received = bytearray(drain(theirs))
    assert 0 < len(received) < len(big)
    while conn in reactor.writers:  # what the reactor does each time the socket is writable
        conn.doWrite()
        received += drain(theirs)
    received += drain(theirs)
    assert bytes(received) == big + b"after"


def test_a_closing_connection_is_left_to_twisted(connection):
    conn, theirs, reactor = connection
    conn.disconnecting = True
    conn.write(b"late")
    assert drain(theirs) == b""
    assert conn in reactor.writers


def stalled_peer_writes(conn) -> None:
    """A peer that has stopped reading: 1,000 frames of 5 KB, nothing drained (about 5 MB)."""
    frame = b"x" * 5000
    for _ in range(1000):
        if conn.disconnecting or getattr(conn, "_aborting", False):
            return
        conn.write(frame)


@pytest.mark.parametrize("protocol", [WebSocketServerProtocol()])
def test_a_websocket_that_stops_reading_is_dropped_before_its_backlog_passes_the_limit(connection):
    conn, theirs, reactor = connection
    stalled_peer_writes(conn)
    assert conn._aborting  # dropped: the client reconnects with its last seq and resyncs
    assert conn._tempDataLen + len(conn.dataBuffer) - conn.offset <= LIMIT + 5000


def test_other_connections_keep_their_backlog(connection):
    """A slow download over HTTP is not cut off by the WebSocket bound."""
    conn, theirs, reactor = connection
    stalled_peer_writes(conn)
    assert not getattr(conn, "_aborting", False)
    assert conn._tempDataLen + len(conn.dataBuffer) - conn.offset > LIMIT
