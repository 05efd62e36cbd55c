"""Time limits close the vote by themselves (issue 14, item 3): a job queued for the deadline, and a sweep
every minute, do what the chair's close does, exactly once however many processes run them.

Time is moved, never waited: the job is run with the clock set past the deadline (``now=`` or a patched
``timezone.now``)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

_ids = itertools.count(1)
ROOT = Path(__file__).resolve().parents[2]


def prepare(meeting, people, **spec):
    from meetings.voting import services

    spec.setdefault("question", "Thông qua Nghị quyết về dự toán ngân sách năm 2027")
    return services.prepare(people["lan"], meeting, spec)


def run(person, meeting, name, **args):
    from meetings.services import live

    return live.execute(person, meeting.pk, f"d-{next(_ids)}", name, args)


def ok(person, meeting, name, **args):
    reply = run(person, meeting, name, **args)
    assert reply["ok"], reply
    return reply


def opened(meeting, people, **spec):
    item = prepare(meeting, people, **spec)
    ok(people["minh"], meeting, "vote.open", item_id=item.pk)
    item.refresh_from_db()
    return item


def vote_events(meeting) -> list[tuple[str, int | None]]:
    from meetings.models import MeetingEvent

    return list(MeetingEvent.objects.filter(meeting=meeting, type__startswith="vote.").order_by("seq")
                .values_list("type", "actor_id"))


@pytest.fixture
def jobs_queue():
    """The Huey queue of this test run (settings.HUEY), emptied before and after."""
    from huey.contrib.djhuey import HUEY

    HUEY.flush()
    yield HUEY
    HUEY.flush()


@pytest.mark.django_db
def test_a_one_minute_vote_closes_itself_at_its_deadline_as_the_chair_would(council, people):
    from meetings.models import AuditEntry
    from meetings.voting import deadlines, services

    item = opened(council, people, duration=60)
    ok(people["hoa"], council, "vote.cast", item_id=item.pk, choices=["for"])
    ok(people["binh"], council, "vote.cast", item_id=item.pk, choices=["for"])
    ok(people["tuan"], council, "vote.cast", item_id=item.pk, choices=["for"])
    assert deadlines.close_due(now=item.deadline - dt.timedelta(seconds=1)) == 0  # not yet
    assert deadlines.close_due(now=item.deadline) == 1
    item.refresh_from_db()
    assert item.status == "closed" and item.closed_at is not None
    assert item.sentence == "Thông qua: 3/4 đại biểu tán thành (75,0 %), quá nửa tổng số đại biểu"
    # The chair is told through the event log, as every socket is; the actor is nobody (the deadline).
    assert vote_events(council) == [("vote.prepared", people["lan"].pk), ("vote.opened", people["minh"].pk),
                                     ("vote.closed", None)]
    assert AuditEntry.objects.get(action="vote.close").data["by"] == "deadline"
    assert services.item_data(item)["result"]["passed"] is True
    # Again, and later: nothing more.
    assert deadlines.close_due(now=item.deadline + dt.timedelta(hours=1)) == 0
    assert deadlines.close_if_due(item.pk, now=item.deadline + dt.timedelta(hours=1)) is False
    assert [k for k, _a in vote_events(council)].count("vote.closed") == 1
    assert run(people["minh"], council, "vote.close", item_id=item.pk)["error"]["code"] == "vote_closed"
    assert run(people["minh"], council, "vote.cast", item_id=item.pk, choices=["for"])["error"]["code"] == "vote_closed"


@pytest.mark.django_db
def test_the_result_is_announced_at_the_deadline_when_the_vote_says_so(council, people):
    from meetings.voting import deadlines
    from meetings.voting.live_state import for_members
    from meetings.voting.services import item_data

    quiet = opened(council, people, duration=60)
    loud = opened(council, people, duration=60, question="Thông qua chương trình giám sát", publish_on_close=True)
    ok(people["hoa"], council, "vote.cast", item_id=loud.pk, choices=["against"])
    assert deadlines.close_due(now=max(quiet.deadline, loud.deadline)) == 2
    quiet.refresh_from_db()
    loud.refresh_from_db()
    assert (quiet.status, loud.status) == ("closed", "published")
    assert for_members(item_data(quiet))["result"] is None  # delegates wait for the chair to announce it
    assert for_members(item_data(loud))["result"]["sentence_vi"].startswith("Không thông qua: 0/4")
    types = [k for k, _a in vote_events(council)]
    assert types[-3:] == ["vote.closed", "vote.closed", "vote.published"]


@pytest.mark.django_db
def test_the_chairs_close_also_announces_when_the_vote_says_so(council, people):
    item = opened(council, people, publish_on_close=True)
    ok(people["lan"], council, "vote.close", item_id=item.pk)
    item.refresh_from_db()
    assert item.status == "published"


@pytest.mark.django_db
def test_an_extension_moves_the_deadline_the_job_waits_for(council, people, jobs_queue, monkeypatch,
                                                            django_capture_on_commit_callbacks):
    from django.utils import timezone

    with django_capture_on_commit_callbacks(execute=True):  # the job is queued once the opening commits
        item = opened(council, people, duration=60)
    first_deadline = item.deadline
    with django_capture_on_commit_callbacks(execute=True):
        ok(people["minh"], council, "vote.extend", item_id=item.pk, seconds=60)
    item.refresh_from_db()
    # Queued with their time (the consumer moves them to its schedule when it reads them).
    waiting = jobs_queue.pending() + jobs_queue.scheduled()
    queued = sorted((t for t in waiting if t.name.endswith("close_at_deadline")), key=lambda t: t.eta)
    assert [t.args for t in queued] == [(item.pk,), (item.pk,)]  # one per deadline, the first now too early
    assert [t.eta.replace(tzinfo=dt.UTC) for t in queued] == [first_deadline, item.deadline]

    # The consumer closes Django's connections around a task; here that one holds the test's transaction.
    monkeypatch.setattr("huey.contrib.djhuey.close_old_connections", lambda: None)

    def at(moment: dt.datetime):
        """The consumer's clock (naive UTC) and the application's, both at ``moment``."""
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment.astimezone(dt.UTC).replace(tzinfo=None)

    # The consumer runs the first task when it is due: the vote was extended meanwhile, it stays open.
    assert jobs_queue.execute(queued[0], timestamp=at(first_deadline + dt.timedelta(seconds=1))) is False
    item.refresh_from_db()
    assert item.status == "open"
    assert jobs_queue.execute(queued[1], timestamp=at(item.deadline + dt.timedelta(seconds=1))) is True
    item.refresh_from_db()
    assert item.status == "closed"


@pytest.mark.django_db
def test_the_periodic_sweep_is_registered_locked_and_closes_what_is_due(council, people, monkeypatch):
    from django.utils import timezone
    from huey.contrib.djhuey import HUEY

    from meetings.voting import jobs

    assert any(name.endswith("vote_deadlines") for name in HUEY._registry._registry)
    item = opened(council, people, duration=60)
    untimed = opened(council, people, question="Không giới hạn thời gian")
    assert jobs.vote_deadlines.call_local() == 0
    monkeypatch.setattr(timezone, "now", lambda: item.deadline + dt.timedelta(minutes=5))
    assert jobs.vote_deadlines.call_local() == 1
    untimed.refresh_from_db()
    assert untimed.status == "open"  # a vote without a limit stays open until the chair closes it


@pytest.mark.django_db
def test_a_secret_vote_is_mixed_and_counted_at_its_deadline(council, people):
    from meetings.voting import deadlines
    from meetings.voting.models import SealedBallot, SecretBallot

    item = opened(council, people, duration=60, secret=True)
    ok(people["hoa"], council, "vote.cast", item_id=item.pk, choices=["for"])
    ok(people["binh"], council, "vote.cast", item_id=item.pk, choices=["against"])
    assert deadlines.close_if_due(item.pk, now=item.deadline) is True
    assert SealedBallot.objects.filter(item=item).count() == 0
    assert sorted(c for (c,) in SecretBallot.objects.filter(item=item).values_list("choices")) == [["against"], ["for"]]


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_jobs_racing_in_threads_close_the_vote_once(council, people):
    """Four jobs at the same deadline at once (threads, each its own connection): one closes, the others find
    it closed. On SQLite they take turns as writers; on PostgreSQL they wait on the rows' locks."""
    import threading

    from django.db import connection

    from meetings.voting import deadlines

    item = opened(council, people, duration=60)
    ok(people["hoa"], council, "vote.cast", item_id=item.pk, choices=["for"])
    start = threading.Barrier(4)
    results: list[bool] = []
    errors: list[BaseException] = []

    def job() -> None:
        try:
            start.wait(60)
            results.append(deadlines.close_if_due(item.pk, now=item.deadline + dt.timedelta(seconds=1)))
        except BaseException as e:  # reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=job) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert not errors, errors
    assert sorted(results) == [False, False, False, True]
    assert [k for k, _a in vote_events(council)].count("vote.closed") == 1


# Two server processes on PostgreSQL ---------------------------------------------------------------------

sys.path.insert(0, str(ROOT / "tests" / "integration"))


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.timeout(300)
async def test_two_processes_running_the_deadline_job_close_the_vote_once_and_both_servers_tell_the_room(tmp_path):
    """Two Daphne processes serve the room (as tests/integration/test_vote_sigkill.py starts them); the chair
    opens a one-minute vote on A, delegates vote on A and B. Then the deadline job runs in two more
    processes with the clock one minute and a second later, let go at the same moment (both wait for a row
    lock this test holds): one closes the vote, the other finds it closed. One ``vote.closed`` event, the
    result counted once, and the sockets on both servers receive it."""
    import asyncio

    import psycopg
    from daphne_cluster import BIN, DAPHNE_OPTIONS, PG, REDIS, admin_sql, free_port, wait_for_port
    from test_vote_sigkill import Voter, command

    name = f"phonghop_deadline_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin_sql(f'CREATE DATABASE "{name}"')
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update({
        "DATABASE_URL": urlunparse(urlparse(PG)._replace(path=f"/{name}")), "REDIS_URL": REDIS,
        "CHANNEL_PREFIX": f"dl{uuid.uuid4().hex[:8]}", "PHONGHOP_DATA_DIR": str(tmp_path / "data"),
        "PHONGHOP_BALLOT_SECRET": os.urandom(32).hex(), "DJANGO_SETTINGS_MODULE": "config.settings",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend", "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING", "PHONGHOP_JOBS": "0",
    })
    db = env["DATABASE_URL"]
    procs: list[subprocess.Popen] = []

    def start() -> int:
        port = free_port()
        proc = subprocess.Popen([str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), *DAPHNE_OPTIONS,
                                 "config.asgi:application"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        procs.append(proc)
        wait_for_port(port, proc)
        return port

    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                       check=True, timeout=180)
        out = subprocess.run([sys.executable, str(ROOT / "tests/integration/seed_vote.py"), "6", "60"], cwd=ROOT,
                             env=env, check=True, timeout=120, capture_output=True, text=True).stdout
        seed = json.loads(out.strip().splitlines()[-1])
        meeting, item = seed["meeting"], seed["item"]
        port_a, port_b = start(), start()
        await command(port_a, meeting, seed["chair"], "open-1", "vote.open", item_id=item)
        choices = ["for", "for", "for", "for", "against", "abstain"]
        voters = [Voter(meeting, token, choice, f"b-{i}") for i, (token, choice) in enumerate(
            zip(seed["tokens"], choices, strict=True))]
        for i, v in enumerate(voters):
            await v.connect(port_a if i % 2 else port_b)
        await asyncio.gather(*(v.cast(item) for v in voters))
        assert all(v.reply and v.reply["ok"] for v in voters)
        with psycopg.connect(db) as conn:
            (deadline,) = conn.execute("SELECT deadline FROM voting_votingitem WHERE id = %s", (item,)).fetchone()
        later = (deadline + dt.timedelta(seconds=1)).isoformat()

        job = ("import django, datetime, sys; django.setup(); from meetings.voting import deadlines; "
               "print('closed', deadlines.close_due(now=datetime.datetime.fromisoformat(sys.argv[1])))")
        with psycopg.connect(db) as gate:
            # Hold the meeting row: both jobs block on it, then race the moment it is let go.
            gate.execute("SELECT id FROM meetings_meeting WHERE id = %s FOR UPDATE", (meeting,))
            jobs = [subprocess.Popen([sys.executable, "-c", job, later], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True) for _ in range(2)]
            with psycopg.connect(db, autocommit=True) as watch:
                waiting = 0
                for _ in range(1200):  # a bound for a broken run, not a timing: we wait for a state
                    (waiting,) = watch.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
                        (name,)).fetchone()
                    if waiting == 2 or any(j.poll() is not None for j in jobs):
                        break
                    await asyncio.sleep(0.1)
            assert waiting == 2, [j.communicate() for j in jobs if j.poll() is not None]
            gate.rollback()
        said = [j.communicate(timeout=120) for j in jobs]
        assert all(j.returncode == 0 for j in jobs), said
        assert sorted(out.strip() for out, _err in said) == ["closed 0", "closed 1"]

        with psycopg.connect(db) as conn:
            rows = conn.execute("SELECT type, actor_id FROM meetings_meetingevent WHERE meeting_id = %s AND type "
                                "LIKE 'vote.%%' ORDER BY seq", (meeting,)).fetchall()
            (status, result) = conn.execute("SELECT status, result FROM voting_votingitem WHERE id = %s",
                                            (item,)).fetchone()
        assert [r[0] for r in rows] == ["vote.prepared", "vote.opened", "vote.closed"] and rows[-1][1] is None
        assert status == "closed" and result["cast"] == 6
        assert {o["key"]: o["votes"] for o in result["options"]} == {"for": 4, "against": 1, "abstain": 1}

        # Both servers told their sockets, once: the delegates' pages on A and on B see the vote closed.
        async def closed_events(v: Voter) -> int:
            seen = 0
            while True:
                frame = json.loads(await asyncio.wait_for(v.ws.recv(), 60))
                if frame.get("type") == "event" and frame.get("event") == "vote.closed":
                    seen += 1
                    assert frame["data"]["id"] == item and frame["data"]["status"] == "closed"
                    return seen

        assert await asyncio.gather(closed_events(voters[0]), closed_events(voters[1])) == [1, 1]
        for v in voters:
            await v.ws.close()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
