"""A Daphne process killed with SIGKILL in the middle of a burst of ballots loses no acknowledged ballot and
counts none twice.

Sixty delegates cast a secret ballot on process A within about a second and a half (each at its own moment,
as in a real vote: ballots sent at the same instant are cast in one transaction and acknowledged together,
meetings/voting/batch.py); after a third of the acknowledgements, A is killed (SIGKILL: no cleanup, no flush). Then, on the database alone: every acknowledged ballot is there,
and every participation has its sealed ballot (a ballot is all or nothing). The clients that had no answer
reconnect to process B and send the same command again, with the same id, as the live page does; the
ballots that had committed before the kill are answered from the stored reply (same receipt codes),
the others are cast now. Finally the tally equals the acknowledged ballots, option by option, and every
voter finds their receipt codes in the published list with the choice they made.

Needs PostgreSQL and Redis (see test_two_processes.py for the environment).
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import random
import signal
import subprocess
import sys
import uuid
from urllib.parse import urlparse, urlunparse

import pytest
from daphne_cluster import BIN, DAPHNE_OPTIONS, PG, REDIS, ROOT, admin_sql, free_port, wait_for_port

VOTERS = 60
KILL_AFTER = 20  # acknowledgements
SPREAD = 1.5  # seconds over which the ballots are sent

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(240)]


@pytest.fixture
def cluster(tmp_path):
    name = f"phonghop_vote_it_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin_sql(f'CREATE DATABASE "{name}"')
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update({
        "DATABASE_URL": urlunparse(urlparse(PG)._replace(path=f"/{name}")),
        "REDIS_URL": REDIS,
        "CHANNEL_PREFIX": f"vk{uuid.uuid4().hex[:8]}",
        "PHONGHOP_DATA_DIR": str(tmp_path / "data"),
        "PHONGHOP_BALLOT_SECRET": os.urandom(32).hex(),  # the same in both processes, as in production
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    })
    procs: list[subprocess.Popen] = []

    def start() -> int:
        port = free_port()
        proc = subprocess.Popen([str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), *DAPHNE_OPTIONS,
                                 "config.asgi:application"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append(proc)
        wait_for_port(port, proc)
        return port

    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                       check=True, timeout=120)
        out = subprocess.run([sys.executable, str(ROOT / "tests/integration/seed_vote.py"), str(VOTERS)], cwd=ROOT,
                             env=env, check=True, timeout=120, capture_output=True, text=True).stdout
        yield {"seed": json.loads(out.strip().splitlines()[-1]), "start": start, "procs": procs,
               "db": env["DATABASE_URL"]}
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Voter:
    """One delegate's page: a socket, and the ballot command it keeps until it is answered."""

    def __init__(self, meeting: int, token: str, choice: str, cid: str):
        self.meeting, self.token, self.choice, self.cid = meeting, token, choice, cid
        self.reply: dict | None = None
        self.ws = None

    async def connect(self, port: int) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(f"ws://127.0.0.1:{port}/ws/meetings/{self.meeting}/?token={self.token}",
                                origin=f"http://127.0.0.1:{port}", open_timeout=60)
        await self.ws.send(json.dumps({"type": "hello", "last_seq": 0}))
        while json.loads(await asyncio.wait_for(self.ws.recv(), 60))["type"] != "ready":
            pass

    async def cast(self, item: int, delay: float = 0.0) -> None:
        """Send the ballot (after ``delay`` seconds) and wait for its answer; a dead connection leaves ``reply``
        None."""
        try:
            await asyncio.sleep(delay)
            await self.ws.send(json.dumps({"type": "command", "id": self.cid, "name": "vote.cast",
                                           "args": {"item_id": item, "choices": [self.choice]}}))
            while True:
                frame = json.loads(await asyncio.wait_for(self.ws.recv(), 60))
                if frame["type"] == "reply" and frame["id"] == self.cid:
                    self.reply = frame
                    return
        except Exception:
            return


async def command(port: int, meeting: int, token: str, cid: str, name: str, **args) -> dict:
    chair = Voter(meeting, token, "", cid)
    await chair.connect(port)
    await chair.ws.send(json.dumps({"type": "command", "id": cid, "name": name, "args": args}))
    while True:
        frame = json.loads(await asyncio.wait_for(chair.ws.recv(), 60))
        if frame["type"] == "reply" and frame["id"] == cid:
            await chair.ws.close()
            assert frame["ok"], frame
            return frame


def database(url: str, sql: str, *params):
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


async def test_sigkill_in_a_burst_of_ballots_loses_no_acknowledged_ballot(cluster):
    seed, db = cluster["seed"], cluster["db"]
    meeting, item = seed["meeting"], seed["item"]
    rng = random.Random(5)
    voters = [Voter(meeting, token, rng.choice(["for", "against", "abstain"]), f"ballot-{i}")
              for i, token in enumerate(seed["tokens"])]

    port_a = cluster["start"]()
    await command(port_a, meeting, seed["chair"], "open-1", "vote.open", item_id=item)
    await asyncio.gather(*(v.connect(port_a) for v in voters))

    # The burst, and SIGKILL once a third of it has been acknowledged.
    process_a = cluster["procs"][0]
    burst = [asyncio.create_task(v.cast(item, i * SPREAD / VOTERS)) for i, v in enumerate(voters)]
    while sum(v.reply is not None for v in voters) < KILL_AFTER:
        await asyncio.sleep(0.001)
    process_a.send_signal(signal.SIGKILL)
    process_a.wait(10)
    await asyncio.gather(*burst)
    acknowledged = {v.cid: v.reply for v in voters if v.reply is not None}
    assert all(r["ok"] for r in acknowledged.values())
    assert KILL_AFTER <= len(acknowledged) < VOTERS, "the kill did not land inside the burst"

    # On the database alone: every acknowledged ballot is stored, and stored whole.
    voted_users = {row[0] for row in database(db, "SELECT u.username FROM voting_participation p JOIN "
                                                  "accounts_user u ON u.id = p.user_id WHERE p.item_id = %s", item)}
    by_cid = {v.cid: v for v in voters}
    acked_users = {f"db{int(cid.split('-')[1])}" for cid in acknowledged}
    assert acked_users <= voted_users
    (weights,) = database(db, "SELECT coalesce(sum(weight), 0) FROM voting_participation WHERE item_id = %s", item)
    (sealed,) = database(db, "SELECT count(*) FROM voting_sealedballot WHERE item_id = %s", item)
    assert weights[0] == sealed[0] == len(voted_users)
    committed_unanswered = len(voted_users) - len(acked_users)

    # The pages reconnect to process B and send their unanswered ballot again, with the same command id.
    port_b = cluster["start"]()
    retried = [v for v in voters if v.reply is None]
    for v in retried:
        await v.connect(port_b)
    await asyncio.gather(*(v.cast(item) for v in retried))
    assert all(v.reply is not None and v.reply["ok"] for v in voters)
    # A ballot that had committed before the kill is answered from its stored reply: same codes, no second ballot.
    assert database(db, "SELECT count(*) FROM voting_participation WHERE item_id = %s", item)[0][0] == VOTERS
    for v in voters:
        assert len(v.reply["receipts"]) == 1
    for cid, first in acknowledged.items():
        assert by_cid[cid].reply == first

    await command(port_b, meeting, seed["chair"], "close-1", "vote.close", item_id=item)
    await command(port_b, meeting, seed["chair"], "publish-1", "vote.publish", item_id=item)
    (result,) = database(db, "SELECT result FROM voting_votingitem WHERE id = %s", item)
    counted = {o["key"]: o["votes"] for o in result[0]["options"]}
    sent = collections.Counter(v.choice for v in voters)
    assert result[0]["cast"] == VOTERS
    assert counted == {key: sent.get(key, 0) for key in ("for", "against", "abstain")}
    published = dict(database(db, "SELECT receipt, choices FROM voting_secretballot WHERE item_id = %s", item))
    for v in voters:
        assert published[v.reply["receipts"][0]] == [v.choice]
    for v in voters:
        await v.ws.close()
    print(f"\nSIGKILL after {len(acknowledged)} of {VOTERS} acknowledgements: {len(voted_users)} ballots in the "
          f"database ({committed_unanswered} committed but unanswered), {len(retried)} sent again to process B; "
          f"tally {dict(counted)} = ballots sent")
