"""What the socket benches share: scratch database, Daphne processes, the load client's socket.

The load client is one Python process holding every socket; each ``BenchSocket`` says ``hello``, tracks
``seq`` (a gap or a repeat is recorded in ``errors``), and hands the frames it does not handle itself
to ``on_frame``. Subclasses record what their bench measures.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import socket
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psycopg
import websockets

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def raise_file_limit() -> None:
    """Thousands of sockets in one process need more descriptors than the usual soft limit."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def scratch_db(admin_url: str, name: str) -> str:
    """A fresh, empty database ``name`` on the server of ``admin_url``; returns its URL."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return urlparse(admin_url)._replace(path=f"/{name}").geturl()


def emptied_db(url: str) -> str:
    """The database of ``url`` itself, emptied (its ``public`` schema dropped and made again): for a machine
    where each engineer has one database of their own and may not create others."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return url


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server on {port} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server on {port} did not start")


def start_daphnes(count: int, env: dict[str, str]) -> tuple[list[int], list[subprocess.Popen]]:
    """``count`` Daphne processes serving the project, as ``phonghop start`` runs them; waits until they listen."""
    ports = [free_port() for _ in range(count)]
    # BENCH_SERVER_LOG=folder keeps each server's output (by port), to see why a run went wrong.
    folder = os.environ.get("BENCH_SERVER_LOG")
    servers = [subprocess.Popen([str(ROOT / ".venv" / "bin" / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                                 "--websocket_connect_timeout", "60", "config.asgi:application"],
                                env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=open(f"{folder}/daphne-{port}.log", "w") if folder else subprocess.DEVNULL)  # noqa: SIM115
               for port in ports]
    try:
        for port, proc in zip(ports, servers, strict=True):
            wait_port(port, proc)
    except BaseException:
        stop(servers)
        raise
    return ports, servers


def stop(processes: list[subprocess.Popen]) -> None:
    for proc in processes:
        proc.terminate()
    for proc in processes:
        proc.wait(10)


def meeting_urls(ports: list[int], meeting: int, tokens: list[str]) -> list[str]:
    """One socket URL per token, spread over the processes in turn."""
    return [f"ws://127.0.0.1:{ports[i % len(ports)]}/ws/meetings/{meeting}/?token={token}"
            for i, token in enumerate(tokens)]


def origin_of(url: str) -> str:
    return "http://" + urlparse(url).netloc


def quantiles(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    q = statistics.quantiles(values, n=100) if len(values) > 1 else [values[0]] * 99
    return {"p50_ms": round(q[49], 1), "p99_ms": round(q[98], 1), "max_ms": round(values[-1], 1)}


class BenchSocket:
    def __init__(self, url: str, origin: str):
        self.url, self.origin = url, origin
        self.ws = None
        self.ready = asyncio.Event()
        self.seq = 0
        self.replies: dict[str, asyncio.Future] = {}
        self.errors: list[str] = []
        self.closed: str | None = None

    async def run(self) -> None:
        try:
            await self._run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # recorded: a dropped socket is a result, not a crash of the bench
            self.closed = f"{type(exc).__name__}: {exc}"[:120]

    async def _run(self) -> None:
        # No client pings: with thousands of sockets in one load process, a busy client loop would
        # time its own pings out and close sockets the server never dropped.
        async with websockets.connect(self.url, origin=self.origin, max_size=2**22, open_timeout=120,
                                      ping_interval=None) as ws:
            self.ws = ws
            await ws.send(json.dumps({"type": "hello", "last_seq": 0}))
            async for raw in ws:
                now = time.perf_counter()
                msg = json.loads(raw)
                kind = msg.get("type")
                if kind in ("snapshot", "ready"):
                    self.seq = max(self.seq, msg.get("seq", 0))
                    if kind == "ready":
                        self.ready.set()
                elif kind == "event":
                    if msg["seq"] != self.seq + 1:
                        self.errors.append(f"gap/order: got {msg['seq']} after {self.seq}")
                    self.seq = msg["seq"]
                    self.on_event(msg, now)
                elif kind == "reply":
                    fut = self.replies.pop(msg.get("id"), None)
                    if fut is not None and not fut.done():
                        fut.set_result((now, msg))
                else:
                    self.on_frame(msg, now)

    def on_event(self, msg: dict[str, Any], now: float) -> None:
        """An event in order (``seq`` already checked); ``now`` is its arrival (perf_counter)."""

    def on_frame(self, msg: dict[str, Any], now: float) -> None:
        """Any other frame (presence, vote.tally, ...)."""

    async def command(self, cid: str, name: str, timeout: float = 120, **args) -> tuple[float, dict]:
        """Send a command; returns (arrival time of the reply, the reply)."""
        fut = asyncio.get_running_loop().create_future()
        self.replies[cid] = fut
        await self.ws.send(json.dumps({"type": "command", "id": cid, "name": name, "args": args}))
        return await asyncio.wait_for(fut, timeout)


async def connect_all(sockets: list[BenchSocket], parallel: int = 100) -> tuple[list[asyncio.Task], float]:
    """Open every socket, ``parallel`` handshakes at a time, each until ``ready`` (or its failure).
    Returns the sockets' tasks (cancel them to close) and the seconds it took."""
    gate = asyncio.Semaphore(parallel)

    async def start(s: BenchSocket) -> asyncio.Task:
        async with gate:
            task = asyncio.create_task(s.run())
            await asyncio.wait([task, asyncio.create_task(s.ready.wait())], return_when=asyncio.FIRST_COMPLETED)
            return task

    started = time.perf_counter()
    tasks = await asyncio.gather(*(start(s) for s in sockets))
    return list(tasks), time.perf_counter() - started


async def close_all(tasks: list[asyncio.Task]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
