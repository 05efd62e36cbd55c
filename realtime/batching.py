"""Requests that arrive together, answered by one database call.

A mass reconnect opens hundreds of sockets within a second. Asked one by one, each socket's reads
queue behind every other socket's in the one thread that runs ``database_sync_to_async`` (issue 18:
20 s for 500 sockets). A ``Batcher`` collects the requests of one kind made while its previous call
runs, and answers all of them with the next call: the number of round trips follows the number of
batches, not of sockets.

A batch's database call always starts after every request in it was made, never before: a request
never joins a read already under way. So an answer is never older than its question (a socket opened
after a token was revoked, or a participant removed, is answered from a read that sees it).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

from channels.db import database_sync_to_async

log = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")


class Batcher(Generic[K, V]):
    """``await batcher.ask(key)`` → that key's answer from ``run(keys)``, which returns one answer per key in
    order; an answer that is an exception is raised to its asker alone."""

    def __init__(self, run: Callable[[list[K]], Sequence[V | BaseException]], max_size: int = 1000,
                 gather: float = 0.0) -> None:
        self.run = run
        self.max_size = max_size
        # Seconds to wait for more requests before a batch that follows another one (a burst): a batch's fixed
        # cost is then shared by more requests. The first request after a quiet moment never waits.
        self.gather = gather
        # In the process's one database thread, like every other database call of the sockets. Worker threads
        # with their own pooled connections were tried: the tests' event loops (one per test, each with its
        # own executor) then kept pooled connections until the pool ran dry; and with a handful of queries
        # per batch the thread no longer bounds a reconnect (bench/reconnect: the survivor's CPU per socket
        # is the floor's).
        self.call = database_sync_to_async(run)
        self.pending: list[tuple[K, asyncio.Future]] = []
        self.flusher: asyncio.Task | None = None

    async def ask(self, key: K) -> V:
        future = asyncio.get_running_loop().create_future()
        self.pending.append((key, future))
        if self.flusher is None:
            self.flusher = asyncio.get_running_loop().create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            following = False
            while self.pending:
                # One turn of the loop: requests made in the same turn (a burst of handshakes) join this batch.
                await asyncio.sleep(self.gather if following and self.gather else 0)
                following = True
                batch, self.pending = self.pending[:self.max_size], self.pending[self.max_size:]
                try:
                    answers = await self.call([key for key, _f in batch])
                except Exception as exc:  # the whole call failed: every asker gets the error
                    answers = [exc] * len(batch)
                for (_key, future), answer in zip(batch, answers, strict=True):
                    if future.done():  # the asker went away (its socket closed)
                        continue
                    if isinstance(answer, BaseException):
                        future.set_exception(answer)
                    else:
                        future.set_result(answer)
        finally:
            self.flusher = None
            if self.pending:  # a failure above left requests behind: never strand them
                self.flusher = asyncio.get_running_loop().create_task(self._flush())


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Hashable, Batcher[Any, Any]]] = (
    weakref.WeakKeyDictionary())


def batcher(run: Callable[[list[K]], Sequence[V | BaseException]], gather: float = 0.0) -> Batcher[K, V]:
    """This event loop's batcher for ``run`` (futures belong to one loop; tests run several)."""
    loop = asyncio.get_running_loop()
    per_loop = _batchers.setdefault(loop, {})
    found = per_loop.get(run)
    if found is None:
        found = per_loop[run] = Batcher(run, gather=gather)
    return found
