"""One briefing spread over two media workers (issue 13, item 3): real ``manage.py mediaworker`` processes,
Redis for the channel layer and their heartbeats, TCP trunks between them. The sites are aiortc peers that
signal through WorkerBackend, as a Daphne process does. A publisher placed on one worker reaches a subscriber
placed on the other; when that worker is killed (SIGKILL: no goodbye), its site is told to offer again, lands
on the survivor and sees the picture again."""

from __future__ import annotations

import asyncio
import os
import signal as signals
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sfu_clients import Site, info, wait_for
from test_media_worker import signal

pytestmark = [pytest.mark.redis, pytest.mark.timeout(240)]

ROOT = Path(__file__).resolve().parents[2]
REDIS = os.environ.get("PHONGHOP_TEST_REDIS", "redis://127.0.0.1:6379/")


@pytest.fixture
def two_workers(tmp_path):
    prefix = f"phonghop-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "REDIS_URL": REDIS, "CHANNEL_PREFIX": prefix, "PHONGHOP_MEDIA_WORKERS": "wa,wb",
           "PHONGHOP_DATA_DIR": str(tmp_path), "SECRET_KEY": f"test-{uuid.uuid4().hex}",
           "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONUNBUFFERED": "1"}
    env.pop("DATABASE_URL", None)  # the roll call of these made-up sites has no meeting to mark
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    processes, logs = {}, {}
    for name in ("wa", "wb"):
        logs[name] = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed below
        processes[name] = subprocess.Popen([sys.executable, "manage.py", "mediaworker", "--name", name], cwd=ROOT,
                                           env=env, stdout=logs[name], stderr=subprocess.STDOUT, start_new_session=True)
    yield prefix, processes, tmp_path
    for process in processes.values():
        if process.poll() is None:
            os.killpg(process.pid, signals.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signals.SIGKILL)
    for log in logs.values():
        log.close()


def log_tail(folder: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(folder.glob("w*.log")))


async def test_a_briefing_spread_over_two_workers_survives_losing_one(two_workers, sites):
    import redis.asyncio
    from channels_redis.pubsub import RedisPubSubChannelLayer

    from media.backend import WorkerBackend
    from media.cluster import read_workers, registry_prefix

    prefix, processes, folder = two_workers
    client = redis.asyncio.from_url(REDIS)
    alive: dict = {}

    async def refresh() -> None:
        alive.clear()
        alive.update(await read_workers(client, registry_prefix(prefix)))

    async def both_up() -> bool:
        await refresh()
        return {"wa", "wb"} <= set(alive)

    deadline = time.monotonic() + 90
    while not await both_up():
        assert time.monotonic() < deadline, f"the workers never came up:\n{log_tail(folder)}"
        await asyncio.sleep(0.5)

    layer = RedisPubSubChannelLayer(hosts=[REDIS], prefix=prefix)
    backend = WorkerBackend(["wa", "wb"], layer=layer, redis_url=REDIS, prefix=prefix)
    try:
        meeting = 4242
        hall_info = info(meeting_id=meeting, site=1, main_site=1, roles=["chair", "participant"], controls=True)
        commune_info = info(meeting_id=meeting, site=2, main_site=1)
        hall = sites(await signal(backend, Site("tinh", audio=True, slots=0), hall_info))
        commune = sites(await signal(backend, Site("xa", video=False, slots=1), commune_info))
        first, second = backend.placement[hall_info.id], backend.placement[commune_info.id]
        assert first != second, "placed by load: the second site goes to the idle worker"

        # The hall publishes on one worker; the commune, on the other, receives it through the trunk.
        assert await wait_for(lambda: commune.total() >= 30 and commune.layout["video"][0]["site"] == 1, 60), \
            f"the picture crosses between workers: {commune.layout}\n{log_tail(folder)}"
        assert commune.received[commune.slot_of(1)].first_keyframe, "it starts on a keyframe asked over the trunk"
        # The chair's mute on one worker holds on the other.
        await backend.request(hall_info, {"type": "media", "action": "mute", "site": 1, "muted": True}, hall.on_frame)
        assert await wait_for(lambda: commune.layout["muted"] == [1], 30), "mute reaches the other worker"

        # The live room's floor comes from any Daphne process, even one with no media session: every
        # worker of the briefing applies it.
        other_process = WorkerBackend(["wa", "wb"], layer=layer, redis_url=REDIS, prefix=prefix)
        await asyncio.to_thread(other_process.control, meeting, "floor", {"site": 2})
        assert await wait_for(lambda: commune.layout["spotlight"] == 2 and hall.layout["spotlight"] == 2, 30), \
            "the floor reaches both workers"

        # The commune's worker dies without a word.
        killed_at = time.monotonic()
        os.killpg(processes[second].pid, signals.SIGKILL)
        processes[second].wait(10)
        assert await wait_for(lambda: any(f.get("code") == "moved" for f in commune.frames), 30), \
            "the site is told to offer again"
        # It offers again on the same socket (the page does this by itself) and lands on the survivor.
        again = sites(await signal(backend, Site("xa-2", video=False, slots=1), commune_info))
        assert backend.placement[commune_info.id] == first
        assert await wait_for(lambda: again.total() >= 30, 60), f"the picture is back:\n{log_tail(folder)}"
        print(f"picture back {time.monotonic() - killed_at:.1f} s after the worker was killed")
        assert hall.layout["you"]["publishing"], "the hall never noticed"
    finally:
        await client.aclose()
        await layer.flush()
