"""The floor for bench/reconnect: a minimal socket server that reads a token from PostgreSQL, then answers.

Per socket: the token's row read through an async psycopg pool (2-10 connections, as the project's),
then, on ``hello``, one frame of the size our server sends (a snapshot for ``last_seq`` 0, else a
replay-sized frame) and ``ready``. No permissions, no presence, no channel layer: the cost of a
WebSocket handshake plus one database read in one Python process.

    python bench/reconnect_floor.py PORT DATABASE_URL SNAPSHOT_BYTES REPLAY_BYTES
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
from urllib.parse import parse_qs, urlparse

import websockets
from psycopg_pool import AsyncConnectionPool


async def main(port: int, db_url: str, snapshot_bytes: int, replay_bytes: int) -> None:
    pool = AsyncConnectionPool(db_url, min_size=2, max_size=10, open=False)
    await pool.open()
    pad = {0: "x" * snapshot_bytes, 1: "x" * replay_bytes}

    async def handler(ws) -> None:
        raw = (parse_qs(urlparse(ws.request.path).query).get("token") or [""])[0]
        async with pool.connection() as conn:
            cur = await conn.execute("SELECT user_id FROM accounts_apitoken WHERE key_hash = %s",
                                     (hashlib.sha256(raw.encode()).hexdigest(),))
            row = await cur.fetchone()
        if row is None:
            await ws.close(4401)
            return
        async for message in ws:
            msg = json.loads(message)
            if msg.get("type") == "hello":
                seq = msg.get("last_seq", 0)
                await ws.send(json.dumps({"type": "snapshot", "seq": seq, "state": pad[1 if seq else 0]}))
                await ws.send(json.dumps({"type": "ready", "seq": seq}))

    async with websockets.serve(handler, "127.0.0.1", port, max_queue=None):
        print("ready", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
