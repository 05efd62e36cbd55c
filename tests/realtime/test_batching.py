"""realtime.batching: requests made together share one call; a request never joins a call under way."""

import asyncio
import threading

import pytest

from realtime.batching import Batcher

pytestmark = pytest.mark.timeout(10)


async def test_requests_made_together_share_one_call_and_each_gets_its_answer():
    calls = []

    def run(keys):
        calls.append(list(keys))
        return [ValueError(k) if k == "bad" else k.upper() for k in keys]

    batch = Batcher(run)
    answers = await asyncio.gather(batch.ask("a"), batch.ask("bad"), batch.ask("b"), return_exceptions=True)
    assert calls == [["a", "bad", "b"]]
    assert answers[0] == "A" and answers[2] == "B"
    assert isinstance(answers[1], ValueError)


async def test_a_request_made_while_a_call_runs_waits_for_the_next_call():
    started, release = threading.Event(), threading.Event()
    calls = []

    def run(keys):
        calls.append(list(keys))
        if keys == [1]:
            started.set()
            release.wait(5)
        return keys

    batch = Batcher(run)
    first = asyncio.ensure_future(batch.ask(1))
    await asyncio.get_running_loop().run_in_executor(None, started.wait, 5)
    second = asyncio.ensure_future(batch.ask(2))
    while not batch.pending:  # let the second request be made (a yield, not a wait for time)
        await asyncio.sleep(0)
    release.set()
    assert (await first, await second) == (1, 2)
    assert calls == [[1], [2]]  # the second was answered by a read that began after it was asked


async def test_a_failing_call_fails_its_batch_only():
    calls = []

    def run(keys):
        calls.append(list(keys))
        if len(calls) == 1:
            raise RuntimeError("database gone")
        return keys

    batch = Batcher(run)
    with pytest.raises(RuntimeError):
        await batch.ask("x")
    assert await batch.ask("y") == "y"
