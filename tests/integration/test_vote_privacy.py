"""Secret ballots on two server processes, as an attacker with the database, the server logs and Redis sees
them (issue 17), and the chair's commands in the middle of a burst of ballots.

1. Forty delegates cast a secret ballot, half through each Daphne process, while the organisers work: the
   secretary prepares and deletes votes over REST on one process, the chair checks delegates out and in
   and opens and pauses the floor on the other (events of the same meeting committing between the steps
   of the ballots). Then close, publish, and every voter checks their receipt (the list, downloaded). A
   dump of every table (with PostgreSQL's ``xmin`` and ``ctid``), both processes' output (access log and
   application log) and everything our processes sent through Redis hold no voter's choice or receipt
   beside anything that identifies the voter; the receipts appear only in the anonymous secret ballots.
2. Two hundred delegates cast at once over two processes; the chair's ``vote.extend`` and ``vote.close``
   are sent during the burst: both are answered and take effect (the deadline moves; the vote closes and
   counts exactly the ballots accepted, the later ones being refused as closed). Before the fix the
   ballots' foreign keys waited for the chair's lock on the meeting row while the chair waited for the
   ballots' lock on the vote's row: PostgreSQL aborted one side, and the chair got no answer.

Needs PostgreSQL and Redis (see test_two_processes.py for the environment).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse
from zoneinfo import ZoneInfo

import pytest
from daphne_cluster import BIN, PG, REDIS, ROOT, admin_sql, free_port, wait_for_port

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(600)]

CHOICES = ("for", "against", "abstain")
REPLY_WAIT = 180  # seconds: generous, never asserted on (no timing asserts)


@pytest.fixture
def cluster(tmp_path):
    """make(voters, duration) → two Daphne processes on a fresh database, their output in files."""
    made: list[dict] = []

    def make(voters: int, duration: int = 0) -> dict:
        name = f"phonghop_priv_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin_sql(f'CREATE DATABASE "{name}"')
        prefix = f"vp{uuid.uuid4().hex[:8]}"
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
        env.update({
            "DATABASE_URL": urlunparse(urlparse(PG)._replace(path=f"/{name}")),
            "REDIS_URL": REDIS,
            "CHANNEL_PREFIX": prefix,
            "PHONGHOP_DATA_DIR": str(tmp_path / "data"),
            "PHONGHOP_BALLOT_SECRET": os.urandom(32).hex(),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "DEBUG",  # the most the application logs: still nothing secret
        })
        entry = {"name": name, "procs": [], "logs": [], "db": env["DATABASE_URL"], "prefix": prefix}
        made.append(entry)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                       check=True, timeout=180)
        out = subprocess.run([sys.executable, str(ROOT / "tests/integration/seed_vote.py"), str(voters),
                              str(duration)], cwd=ROOT, env=env, check=True, timeout=300, capture_output=True,
                             text=True).stdout
        entry["seed"] = json.loads(out.strip().splitlines()[-1])
        ports = []
        for i in range(2):
            port = free_port()
            log = open(tmp_path / f"{name}-daphne-{i}.log", "wb")  # noqa: SIM115 - closed below
            entry["logs"].append((log, Path(log.name)))
            # The handshake timeout of production (operations.md): on a busy machine 200 handshakes queue
            # behind each other's access checks longer than Daphne's default 5 s.
            proc = subprocess.Popen([str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                                     "--websocket_connect_timeout", "60", "config.asgi:application"],
                                    cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            entry["procs"].append(proc)
            wait_for_port(port, proc)
            ports.append(port)
        entry["ports"] = ports
        return entry

    try:
        yield make
    finally:
        for entry in made:
            for proc in entry["procs"]:
                if proc.poll() is None:
                    proc.terminate()
            for proc in entry["procs"]:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
            for log, _path in entry["logs"]:
                log.close()
            admin_sql(f'DROP DATABASE IF EXISTS "{entry["name"]}" WITH (FORCE)')


def server_log(entry: dict) -> list[str]:
    for log, _path in entry["logs"]:
        log.flush()
    return [line for _log, path in entry["logs"] for line in path.read_text(errors="replace").splitlines()]


class Client:
    """One person's meeting socket: sends commands, keeps reading (events, tallies), collects replies."""

    def __init__(self, port: int, meeting: int, token: str):
        self.port, self.meeting, self.token = port, meeting, token
        self.replies: dict[str, dict] = {}
        self.ws = None
        self.reader: asyncio.Task | None = None

    async def connect(self) -> Client:
        from websockets.asyncio.client import connect

        self.ws = await connect(f"ws://127.0.0.1:{self.port}/ws/meetings/{self.meeting}/?token={self.token}",
                                origin=f"http://127.0.0.1:{self.port}", open_timeout=60, max_queue=None)
        await self.ws.send(json.dumps({"type": "hello", "last_seq": 0}))
        while json.loads(await asyncio.wait_for(self.ws.recv(), 60))["type"] != "ready":
            pass
        self.reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                frame = json.loads(text)
                if frame.get("type") == "reply":
                    self.replies[frame["id"]] = frame
        except Exception:
            return

    async def send(self, cid: str, name: str, **args) -> None:
        await self.ws.send(json.dumps({"type": "command", "id": cid, "name": name, "args": args}))

    async def reply(self, cid: str) -> dict:
        """The answer to command ``cid``, waiting for it as long as it takes (up to REPLY_WAIT)."""
        async def answered() -> dict:
            while cid not in self.replies:
                await asyncio.sleep(0.02)
            return self.replies[cid]

        return await asyncio.wait_for(answered(), REPLY_WAIT)

    async def command(self, cid: str, name: str, **args) -> dict:
        await self.send(cid, name, **args)
        return await self.reply(cid)

    async def close(self) -> None:
        await self.ws.close()
        if self.reader:
            await self.reader


def rest(port: int, token: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1{path}", data=data, method=method,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def query(url: str, sql: str, *params) -> list[tuple]:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def dump(url: str) -> dict[str, list[dict]]:
    """Every row of every table, with PostgreSQL's xmin and ctid, as an attacker with SQL access reads it."""
    import psycopg
    from psycopg.rows import dict_row

    tables: dict[str, list[dict]] = {}
    with psycopg.connect(url, row_factory=dict_row) as conn:
        names = [r["table_name"] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE'").fetchall()]
        for name in names:
            tables[name] = conn.execute(f'SELECT xmin::text AS "_xmin", ctid::text AS "_ctid", t.* FROM "{name}" t'
                                        ).fetchall()
    return tables


def _plain(value):
    if isinstance(value, memoryview | bytes):
        return bytes(value).hex()
    return str(value)


def text_of(row: dict) -> str:
    return json.dumps(row, default=_plain, ensure_ascii=False)


PERSON_COLUMNS = {"user_id", "actor_id", "marked_by_id", "created_by_id", "uploaded_by_id", "by_id"}


class Person:
    def __init__(self, index: int, token: str, user_id: int, participant_id: int, choice: str):
        self.index, self.token, self.user_id, self.participant_id = index, token, user_id, participant_id
        self.username, self.full_name, self.choice = f"db{index}", f"Đại biểu {index}", choice
        self.receipts: list[str] = []

    def identified_by(self, table: str, row: dict) -> bool:
        """Does this row name the person (their user, participant, name or token)?"""
        if table == "accounts_user" and row.get("id") == self.user_id:
            return True
        if table == "meetings_participant" and row.get("id") == self.participant_id:
            return True
        if any(row.get(c) == self.user_id for c in PERSON_COLUMNS if c in row):
            return True
        if row.get("participant_id") == self.participant_id:
            return True
        text = text_of(row)
        return self.username in text.split('"') or self.full_name in text or self.token[:8] in text


def people(entry: dict, rng: random.Random) -> list[Person]:
    seed, db = entry["seed"], entry["db"]
    users = dict(query(db, "SELECT username, id FROM accounts_user"))
    parts = dict(query(db, "SELECT user_id, id FROM meetings_participant WHERE meeting_id = %s", seed["meeting"]))
    return [Person(i, token, users[f"db{i}"], parts[users[f"db{i}"]], rng.choice(CHOICES))
            for i, token in enumerate(seed["tokens"])]


async def organisers_work(entry: dict, chair: Client, voters: list[Person], stop: asyncio.Event,
                          done: dict) -> None:
    """The secretary prepares and deletes votes over REST on process B; the chair checks delegates out and in
    and opens and pauses the floor on process A (its own socket: 20 commands per 10 s). Until ``stop``;
    ``done`` counts what committed."""
    seed, port_b = entry["seed"], entry["ports"][1]
    meeting = seed["meeting"]
    n = 0

    async def secretary() -> None:
        while not stop.is_set():
            status, body = await asyncio.to_thread(rest, port_b, seed["secretary"], "POST",
                                                   f"/meetings/{meeting}/votes", {"question": f"Dự thảo {n}"})
            assert status == 201, body
            done["prepared"] += 1
            status, _ = await asyncio.to_thread(rest, port_b, seed["secretary"], "DELETE",
                                                f"/meetings/{meeting}/votes/{body['id']}")
            assert status == 204
            done["deleted"] += 1

    async def the_chair() -> None:
        nonlocal n
        while not stop.is_set():
            n += 1
            person = voters[n % len(voters)]
            for name, args in (("checkout", {"participant_id": person.participant_id}),
                               ("checkin", {"participant_id": person.participant_id, "mode": "in_person"}),
                               ("floor.open" if n % 2 else "floor.pause", {})):
                reply = await chair.command(f"work-{n}-{name}", name, **args)
                assert reply["ok"], reply
                done["chair"] += 1
            await asyncio.sleep(2)  # three commands every two seconds: under the socket's 20 per 10 s

    await asyncio.gather(secretary(), the_chair())


def redis_monitor(path: Path) -> subprocess.Popen:
    url = urlparse(REDIS)
    out = open(path, "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(["redis-cli", "-h", url.hostname or "127.0.0.1", "-p", str(url.port or 6379), "monitor"],
                            stdout=out, stderr=subprocess.STDOUT)


async def test_a_secret_vote_under_organiser_work_leaves_no_voter_beside_a_choice(cluster, tmp_path):
    import shutil

    if shutil.which("redis-cli") is None:
        pytest.skip("redis-cli is needed to watch what goes through Redis")
    entry = cluster(40)
    seed, db = entry["seed"], entry["db"]
    meeting, item = seed["meeting"], seed["item"]
    port_a, port_b = entry["ports"]
    voters = people(entry, random.Random(17))
    monitor = redis_monitor(tmp_path / "redis.monitor")
    try:
        chair = await Client(port_a, meeting, seed["chair"]).connect()
        assert (await chair.command("open-1", "vote.open", item_id=item))["ok"]
        sockets = await asyncio.gather(*(Client(port_a if p.index % 2 else port_b, meeting, p.token).connect()
                                         for p in voters))
        chair_work = await Client(port_a, meeting, seed["chair"]).connect()
        stop, done = asyncio.Event(), {"prepared": 0, "deleted": 0, "chair": 0}
        work = asyncio.create_task(organisers_work(entry, chair_work, voters, stop, done))
        # The ballots in three waves; before each, the secretary's work has committed more events, and it
        # goes on during the wave (observed through its counts, never timed).
        during: dict[str, list[dict]] = {}
        for wave in range(3):
            target = done["prepared"] + 2
            while done["prepared"] < target:
                await asyncio.sleep(0.01)
            group = [(p, s) for p, s in zip(voters, sockets, strict=True) if p.index % 3 == wave]
            for p, s in group:
                await s.send(f"ballot-{p.index}", "vote.cast", item_id=item, choices=[p.choice])
            for p, s in group:
                reply = await s.reply(f"ballot-{p.index}")
                assert reply["ok"], reply
                assert reply["seq"] is None
                p.receipts = reply["receipts"]
            if wave == 1:
                during = dump(db)  # a copy taken while the vote is open
        while done["chair"] < 3:  # at least one round of the chair's roll-call work
            await asyncio.sleep(0.05)
        stop.set()
        await work
        await chair_work.close()
        assert (await chair.command("close-1", "vote.close", item_id=item))["ok"]
        assert (await chair.command("publish-1", "vote.publish", item_id=item))["ok"]
        # Every voter checks their receipt as the page does: the published list, searched on their side.
        for p in voters:
            status, body = await asyncio.to_thread(rest, port_a if p.index % 2 else port_b, p.token, "GET",
                                                   f"/meetings/{meeting}/votes/{item}/receipts")
            assert status == 200
            assert {r["receipt"]: r["choices"] for r in body["receipts"]}[p.receipts[0]] == [p.choice]
        # An old client that still puts the code in the URL is refused, and the access log drops the query.
        status, body = await asyncio.to_thread(rest, port_a, voters[0].token, "GET",
                                               f"/meetings/{meeting}/votes/{item}/receipts?code={voters[0].receipts[0]}")
        assert status == 400 and body["error"]["code"] == "code_in_url"
        for s in sockets:
            await s.close()
        await chair.close()
    finally:
        monitor.terminate()
        monitor.wait(10)
    after = dump(db)

    # The database, during and after the vote: no row names a voter beside their choice or a receipt; while
    # the vote is open no receipt is anywhere in clear; afterwards only in the anonymous secret ballots.
    every_code = {code for p in voters for code in p.receipts}
    for label, tables in (("during", during), ("after", after)):
        for table, rows in tables.items():
            for row in rows:
                text = text_of(row)
                codes_here = {c for c in every_code if c in text or c.replace("-", "") in text}
                if label == "during" or table != "voting_secretballot":
                    assert not codes_here, (label, table, row)
                for p in voters:
                    if p.identified_by(table, row):
                        assert not set(p.receipts) & codes_here, (label, table, row)
                        assert f'"{p.choice}"' not in text or table == "voting_votingitem", (label, table, row)
    secret = after["voting_secretballot"]
    assert {r["receipt"] for r in secret} == every_code
    assert all(set(r) == {"_xmin", "_ctid", "id", "item_id", "choices", "text", "receipt"} for r in secret)
    # The audit trail: one "vote.cast" entry per voter, none with arguments.
    casts = [r for r in after["meetings_auditentry"] if r["action"] == "vote.cast"]
    assert len(casts) == len(voters) and all(r["data"] == {} for r in casts)
    assert not any("args" in (r["data"] or {}) and r["action"] == "live.vote.cast" for r in after["meetings_auditentry"])
    # Token bookkeeping says on which day, not when.
    zone = ZoneInfo("Asia/Ho_Chi_Minh")  # the deployment's TIME_ZONE (config/settings.py default)
    for row in after["accounts_apitoken"]:
        if row["last_used_at"] is not None:
            local = row["last_used_at"].astimezone(zone)
            assert local.time() == dt.time(0), row

    # The server log (access log and application log at DEBUG) of both processes.
    lines = server_log(entry)
    assert any("/receipts" in line for line in lines), "the access log was not captured"
    for line in lines:
        assert not any(c in line or c.replace("-", "") in line for c in every_code), line
        assert "choices" not in line and "code=" not in line and "token=" not in line, line
        assert not any(p.token in line for p in voters), line

    # Redis: what our processes sent through the channel layer.
    ours = [line for line in (tmp_path / "redis.monitor").read_text(errors="replace").splitlines()
            if entry["prefix"] in line]
    assert ours, "nothing of ours went through Redis: the monitor saw nothing"
    for line in ours:
        plain = line.replace('\\"', '"')
        assert not any(c in plain or c.replace("-", "") in plain for c in every_code), line
        assert '"choices":[' not in plain and '"receipts"' not in plain, line
    print(f"\n{len(voters)} secret ballots over two processes while the organisers committed {done}; "
          f"{sum(len(r) for r in after.values())} rows in {len(after)} tables, {len(lines)} log lines, "
          f"{len(ours)} Redis commands of ours: no choice or receipt beside a voter")


async def test_the_chair_extends_and_closes_during_a_burst_of_200_ballots_on_two_processes(cluster):
    entry = cluster(200, duration=900)
    seed, db = entry["seed"], entry["db"]
    meeting, item = seed["meeting"], seed["item"]
    port_a, port_b = entry["ports"]
    voters = people(entry, random.Random(3))
    chair = await Client(port_a, meeting, seed["chair"]).connect()
    assert (await chair.command("open-1", "vote.open", item_id=item))["ok"]
    (deadline_opened,) = query(db, "SELECT deadline FROM voting_votingitem WHERE id = %s", item)[0]
    # A third of the delegates on the chair's process A, two thirds on B: each process runs its database work
    # in one thread, so the chair's commands wait behind A's ballots and then run while B's are in flight.
    sockets = []
    for start in range(0, len(voters), 50):  # connect in groups: 200 handshakes at once queue behind each other
        sockets += await asyncio.gather(*(Client(port_a if p.index % 3 == 0 else port_b, meeting, p.token).connect()
                                          for p in voters[start:start + 50]))

    for p, s in zip(voters, sockets, strict=True):
        await s.send(f"ballot-{p.index}", "vote.cast", item_id=item, choices=[p.choice])

    def answered() -> int:
        return sum(f"ballot-{p.index}" in s.replies for p, s in zip(voters, sockets, strict=True))

    # The chair's commands go in while the burst is being processed: extend once the first ballots are
    # answered, close as soon as the extension is (never waiting for the end of the burst).
    while answered() < 5:
        await asyncio.sleep(0.01)
    extended = await chair.command("extend-1", "vote.extend", item_id=item, seconds=120)
    burst_left_at_extend = len(voters) - answered()
    closed = await chair.command("close-1", "vote.close", item_id=item)
    burst_left_at_close = len(voters) - answered()
    replies = [await s.reply(f"ballot-{p.index}") for p, s in zip(voters, sockets, strict=True)]

    assert extended["ok"], extended
    assert dt.datetime.fromisoformat(extended["deadline"]) > deadline_opened
    assert closed["ok"], closed
    accepted = [r for r in replies if r["ok"]]
    refused = [r for r in replies if not r["ok"]]
    assert {r["error"]["code"] for r in refused} <= {"vote_closed"}, refused[:3]
    (status, result) = query(db, "SELECT status, result FROM voting_votingitem WHERE id = %s", item)[0]
    assert status == "closed" and result["cast"] == len(accepted)
    assert query(db, "SELECT count(*) FROM voting_secretballot WHERE item_id = %s", item)[0][0] == len(accepted)
    assert query(db, "SELECT count(*) FROM voting_participation WHERE item_id = %s", item)[0][0] == len(accepted)
    (stored_deadline,) = query(db, "SELECT deadline FROM voting_votingitem WHERE id = %s", item)[0]
    assert stored_deadline == dt.datetime.fromisoformat(extended["deadline"])
    # Answered without a deadlock victim being run again (live.execute's retry is a safety net, not the fix).
    aborted = [line for line in server_log(entry) if "transaction aborted" in line or "deadlock" in line.lower()]
    assert not aborted, aborted[:5]
    for s in sockets:
        await s.close()
    await chair.close()
    print(f"\n200-ballot burst on two processes: vote.extend answered with {burst_left_at_extend} ballots "
          f"still unanswered, vote.close with {burst_left_at_close}; {len(accepted)} ballots counted, "
          f"{len(refused)} refused as closed; no deadlock")
