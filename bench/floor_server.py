"""The floor for bench/fanout: a minimal broadcast server written with ``websockets``.

It speaks just enough of docs/protocol.md for the same load client: ``hello`` → ``ready``; a
``command`` → one ``event`` frame broadcast to every connection, then a ``reply``. No database, no
permissions, no channel layer: the cost of WebSocket delivery alone, in one Python process.
"""

from __future__ import annotations

import asyncio
import json
import sys

import websockets

clients: set = set()
seq = 0


async def handler(ws) -> None:
    global seq
    clients.add(ws)
    try:
        async for raw in ws:
            msg = json.loads(raw)
            if msg.get("type") == "hello":
                await ws.send(json.dumps({"type": "ready", "seq": seq}))
            elif msg.get("type") == "command":
                seq += 1
                frame = json.dumps({"type": "event", "seq": seq, "event": "agenda.current", "data": msg.get("args")})
                websockets.broadcast(clients, frame)
                await ws.send(json.dumps({"type": "reply", "id": msg.get("id"), "ok": True, "seq": seq}))
    finally:
        clients.discard(ws)


async def main(port: int) -> None:
    async with websockets.serve(handler, "127.0.0.1", port, max_queue=None):
        print("ready", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
