"""Janus's HTTP API (https://janus.conf.meetecho.com/docs/rest.html) from asyncio, on aiohttp.

One ``JanusSession`` per briefing room and Janus instance: all of that room's handles (a publisher and a
subscriber per socket) hang on it, so one long poll and one keepalive serve a whole room however many
sites join, and destroying the session at the end takes every handle with it. Plugin requests that Janus
answers asynchronously (join, publish, start, switch...) are matched with their event by transaction id;
every other event (a publisher's PeerConnection came up, talking, slow link, hang-up, a new subscriber
offer) goes to the session's ``on_event``.

Every request carries the API secret; the browsers never see it nor Janus's address (the server relays
SDP over the meeting socket). A Janus that does not answer raises ``JanusUnavailable`` after a bounded
wait, never a hang.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = 10.0  # seconds: a Janus that takes longer than this to answer a request counts as down
EVENT_TIMEOUT = 20.0  # seconds for an asynchronous plugin request's event (a publish gathers candidates first)
POLL_TIMEOUT = 40.0  # Janus answers a long poll after 30 s at most (with a keepalive)
KEEPALIVE_EVERY = 15.0  # Janus's session_timeout is 60 s by default
VIDEOROOM = "janus.plugin.videoroom"


class JanusError(Exception):
    """Janus or its plugin refused a request."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"Janus error {code}: {reason}")
        self.code, self.reason = code, reason


class JanusUnavailable(Exception):
    """Janus did not answer (down, unreachable, or too slow)."""


_transactions = itertools.count(1)


class JanusClient:
    """One Janus instance's HTTP API (``url`` like ``http://10.0.0.5:8088/janus``)."""

    def __init__(self, url: str, api_secret: str = "", http: aiohttp.ClientSession | None = None) -> None:
        self.url = url.rstrip("/")
        self.api_secret = api_secret
        self._http = http

    def http(self) -> aiohttp.ClientSession:
        # Made lazily on the loop that uses it (the media loop); no proxy from the environment: Janus is
        # on a private address.
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(trust_env=False, connector=aiohttp.TCPConnector(limit=0))
        return self._http

    async def close(self) -> None:
        if self._http is not None and not self._http.closed:
            await self._http.close()

    async def post(self, path: str, body: dict[str, Any], timeout: float = REQUEST_TIMEOUT) -> dict[str, Any]:
        body = {**body, "transaction": body.get("transaction") or f"p{next(_transactions)}"}
        if self.api_secret:
            body["apisecret"] = self.api_secret
        try:
            async with self.http().post(self.url + path, json=body,
                                        timeout=aiohttp.ClientTimeout(total=timeout)) as response:
                reply = await response.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as e:
            raise JanusUnavailable(f"{self.url}: {e!r}") from e
        if reply.get("janus") == "error":
            error = reply.get("error") or {}
            raise JanusError(error.get("code"), error.get("reason", ""))
        return reply

    async def get(self, path: str, params: dict[str, Any], timeout: float) -> Any:
        if self.api_secret:
            params = {**params, "apisecret": self.api_secret}
        try:
            async with self.http().get(self.url + path, params=params,
                                       timeout=aiohttp.ClientTimeout(total=timeout)) as response:
                return await response.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as e:
            raise JanusUnavailable(f"{self.url}: {e!r}") from e

    async def info(self) -> dict[str, Any]:
        return await self.get("/info", {}, REQUEST_TIMEOUT)

    async def session(self, on_event: Callable[[dict[str, Any]], None] | None = None,
                      poll: bool = True) -> JanusSession:
        """A new Janus session; ``poll=False`` for a short one with synchronous requests only (placement)."""
        reply = await self.post("", {"janus": "create"})
        session = JanusSession(self, reply["data"]["id"], on_event)
        if poll:
            session.start()
        return session


class JanusSession:
    """A Janus session: its handles, its long poll and its keepalive."""

    def __init__(self, client: JanusClient, session_id: int,
                 on_event: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.client, self.id, self.on_event = client, session_id, on_event
        self.waiting: dict[str, asyncio.Future] = {}
        self.tasks: list[asyncio.Task] = []
        self.closed = False
        self.on_lost: Callable[[Exception], None] | None = None

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.tasks = [loop.create_task(self._poll()), loop.create_task(self._keepalive())]

    async def attach(self, plugin: str = VIDEOROOM) -> int:
        reply = await self.client.post(f"/{self.id}", {"janus": "attach", "plugin": plugin})
        return reply["data"]["id"]

    async def detach(self, handle: int) -> None:
        try:
            await self.client.post(f"/{self.id}/{handle}", {"janus": "detach"})
        except JanusError:
            pass  # already gone (its PeerConnection failed, or the session timed out)

    async def request(self, handle: int, body: dict[str, Any]) -> dict[str, Any]:
        """A synchronous plugin request (create, exists, list, listparticipants, moderate, enable_recording...):
        the plugin's answer, or ``JanusError``."""
        reply = await self.client.post(f"/{self.id}/{handle}", {"janus": "message", "body": body})
        return _plugin_data(reply)

    async def message(self, handle: int, body: dict[str, Any], jsep: dict[str, Any] | None = None,
                      timeout: float = EVENT_TIMEOUT) -> dict[str, Any]:
        """An asynchronous plugin request: the whole event that answers it (``plugindata``, maybe ``jsep``)."""
        transaction = f"m{next(_transactions)}"
        future = asyncio.get_running_loop().create_future()
        self.waiting[transaction] = future
        try:
            reply = await self.client.post(f"/{self.id}/{handle}", {
                "janus": "message", "body": body, "transaction": transaction, **({"jsep": jsep} if jsep else {})})
            if reply.get("janus") == "success":  # answered at once after all
                return reply
            try:
                event = await asyncio.wait_for(future, timeout)
            except TimeoutError as e:
                raise JanusUnavailable(f"no answer to {body.get('request')} in {timeout:.0f} s") from e
        finally:
            self.waiting.pop(transaction, None)
        _plugin_data(event)  # raises the plugin's error
        return event

    async def trickle_done(self, handle: int) -> None:
        """The browser's candidates are all in its SDP (it waits for gathering): tell Janus there are no more."""
        await self.client.post(f"/{self.id}/{handle}", {"janus": "trickle", "candidate": {"completed": True}})

    async def destroy(self) -> None:
        self.closed = True
        for task in self.tasks:
            task.cancel()
        for future in self.waiting.values():
            if not future.done():
                future.set_exception(JanusUnavailable("session closed"))
        try:
            await self.client.post(f"/{self.id}", {"janus": "destroy"})
        except (JanusError, JanusUnavailable):
            pass

    def _lost(self, error: Exception) -> None:
        if self.closed:
            return
        self.closed = True
        for task in self.tasks:
            if task is not asyncio.current_task():
                task.cancel()
        for future in self.waiting.values():
            if not future.done():
                future.set_exception(JanusUnavailable(str(error)))
        if self.on_lost is not None:
            self.on_lost(error)

    async def _poll(self) -> None:
        failures = 0
        while not self.closed:
            try:
                reply = await self.client.get(f"/{self.id}", {"maxev": 20}, POLL_TIMEOUT)
            except JanusUnavailable as e:
                failures += 1
                if failures >= 3:  # Janus is gone: its sessions are gone with it
                    return self._lost(e)
                await asyncio.sleep(1)
                continue
            failures = 0
            for event in reply if isinstance(reply, list) else [reply]:
                if event.get("janus") == "error":
                    error = event.get("error") or {}
                    if error.get("code") == 458:  # no such session: it timed out, or Janus restarted
                        return self._lost(JanusError(458, error.get("reason", "")))
                    continue
                self._dispatch(event)

    def _dispatch(self, event: dict[str, Any]) -> None:
        kind = event.get("janus")
        if kind in ("keepalive", "ack"):
            return
        future = self.waiting.get(event.get("transaction") or "")
        if future is not None and kind == "event" and not future.done():
            future.set_result(event)
            return
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:
                log.exception("Janus session %s: handling a %s event failed", self.id, kind)

    async def _keepalive(self) -> None:
        while not self.closed:
            await asyncio.sleep(KEEPALIVE_EVERY)
            try:
                await self.client.post(f"/{self.id}", {"janus": "keepalive"})
            except JanusError as e:
                return self._lost(e)
            except JanusUnavailable:
                pass  # the poll decides when Janus counts as gone


def _plugin_data(reply: dict[str, Any]) -> dict[str, Any]:
    data = (reply.get("plugindata") or {}).get("data") or {}
    if "error_code" in data or data.get("videoroom") == "error" or "error" in data:
        raise JanusError(data.get("error_code"), data.get("error", "plugin error"))
    return data
