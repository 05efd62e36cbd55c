"""Statistics over a five-year history: the pages, the API and the XLSX export, on SQLite and PostgreSQL.

    python bench/reports.py [--scale 1] [--repeat 15] [--backends sqlite,postgres] [--pg-name NAME]

Seeds (scale 1) 5,000 finished meetings over five years with 40 members each (200,000 participations, with
attendance), 5 turns to speak and 4 votes each (20,000 votes, 10 ballots each), then times each request in
process (Django's test client: the application's own cost, no HTTP server) as a system administrator: the API
for one year and for all five, the page of each view (it opens on this year), the XLSX of all five years.
Each path is requested once, untimed, before it is timed.
The baseline, timed in the same run and the same way, is the profile page (a signed-in page with a query or
two, nothing that grows with the history): every figure
is also given as a ratio to it, because this machine's speed moves from one day to the next.
Prints JSON; docs/benchmarks.md has the figures."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("PHONGHOP_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")


def seed(scale: float) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import Unit, User
    from meetings.models import Attendance, Meeting, MeetingKind, Participant, SpeakRequest
    from meetings.voting.models import Participation, VotingItem

    rng = random.Random(2026)
    n_meetings, per_meeting = int(5000 * scale), 40
    province = Unit.objects.create(code="tinh", name="UBND tỉnh", kind=Unit.Kind.PROVINCE)
    units = [Unit.objects.create(code=f"u{i}", name=f"Sở, ngành số {i + 1}", kind=Unit.Kind.DEPARTMENT,
                                 parent=province) for i in range(20)]
    password = make_password("bench")
    users = User.objects.bulk_create([
        User(username=f"u{i}", full_name=f"Đại biểu số {i + 1}", unit=units[i % 20], role="delegate",
             password=password, calendar_token=f"t{i}") for i in range(400)])
    admin = User.objects.create(username="admin", full_name="Quản trị", unit=province, role="system_admin",
                                is_superuser=True, is_staff=True, calendar_token="admin", password=password)
    kinds = [MeetingKind.objects.create(name=n) for n in ("Họp thường kỳ", "Giao ban", "Hội nghị", "Họp chuyên đề")]
    first = timezone.make_aware(dt.datetime(2022, 1, 3, 8, 0))
    span = (timezone.make_aware(dt.datetime(2026, 12, 1, 8, 0)) - first).total_seconds()
    meetings = Meeting.objects.bulk_create([
        Meeting(title=f"Cuộc họp số {i + 1}", kind=kinds[i % 4], host_unit=units[i % 20], chair=users[0],
                secretary=users[1], start=first + dt.timedelta(seconds=span * i / n_meetings),
                end=first + dt.timedelta(seconds=span * i / n_meetings, hours=3), status=Meeting.Status.ENDED)
        for i in range(n_meetings)], batch_size=1000)
    participants = []
    for m in meetings:
        for u in rng.sample(users, per_meeting):
            participants.append(Participant(meeting=m, user=u, rsvp=rng.choice(["confirmed", "declined", "pending"]),
                                            rsvp_reason="Đi công tác" if rng.random() < 0.1 else ""))
    participants = Participant.objects.bulk_create(participants, batch_size=5000)
    starts = {m.pk: m.start for m in meetings}
    Attendance.objects.bulk_create([
        Attendance(participant=p, status="in_person" if rng.random() < 0.8 else "online",
                   checked_in_at=starts[p.meeting_id] + dt.timedelta(minutes=rng.randint(-10, 15)))
        for p in participants if rng.random() < 0.85], batch_size=5000)
    by_meeting: dict[int, list[Participant]] = {}
    for p in participants:
        by_meeting.setdefault(p.meeting_id, []).append(p)
    turns, items = [], []
    for m in meetings:
        for _t in range(5):
            began = m.start + dt.timedelta(minutes=rng.randint(5, 150))
            turns.append(SpeakRequest(meeting=m, participant=rng.choice(by_meeting[m.pk]), status="done",
                                      started_at=began, ended_at=began + dt.timedelta(seconds=rng.randint(60, 400))))
        items += [VotingItem(meeting=m, question={"text": "Thông qua"}, rule={}, status="published") for _v in range(4)]
    SpeakRequest.objects.bulk_create(turns, batch_size=5000)
    items = VotingItem.objects.bulk_create(items, batch_size=5000)
    Participation.objects.bulk_create([
        Participation(item=item, participant=p, user_id=p.user_id)
        for item in items for p in rng.sample(by_meeting[item.meeting_id], 10)], batch_size=5000)
    return {"admin": admin.pk, "meetings": len(meetings), "participants": len(participants),
            "votes": len(items), "ballots": len(items) * 10}


def timed(client, path: str, repeat: int) -> dict:
    # One request first, untimed: the first of a process pays for imports, URL resolution and template loading,
    # which made the baseline's own p95 its cold first request (733 ms against a p50 of 8 ms in run 2).
    client.get(path)
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
    times.sort()
    return {"p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1)}


def child(scale: float, repeat: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from accounts.models import User

    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    sizes = seed(scale)
    seeded = time.perf_counter() - began
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    client = Client()
    client.force_login(User.objects.get(pk=sizes["admin"]))
    year = "from=2025-01-01&to=2025-12-31"
    figures = {"baseline_profile": timed(client, "/profile/", repeat)}
    for view in ("meetings", "members", "units", "kinds", "periods"):
        figures[f"api_{view}_one_year"] = timed(client, f"/api/v1/reports/{view}?{year}", repeat)
        figures[f"api_{view}_five_years"] = timed(client, f"/api/v1/reports/{view}", max(3, repeat // 3))
        figures[f"page_{view}"] = timed(client, f"/reports/{view}/?{year}", repeat)
    for view in ("meetings", "members"):
        figures[f"xlsx_{view}_five_years"] = timed(client, f"/api/v1/reports/{view}/export?format=xlsx", 3)
    base = figures["baseline_profile"]["p95_ms"] or 1
    for f in figures.values():
        f["p95_ratio_to_baseline"] = round(f["p95_ms"] / base, 2)
    print(json.dumps({"backend": connection.vendor, "seed_s": round(seeded, 1), **sizes, "figures": figures}))


def run_backend(backend: str, scale: float, repeat: int, pg_name: str) -> dict:
    env = {**os.environ, "DJANGO_ALLOW_ASYNC_UNSAFE": "true"}
    env.pop("REDIS_URL", None)
    with tempfile.TemporaryDirectory() as data:
        env["PHONGHOP_DATA_DIR"] = data
        if backend == "postgres":
            sys.path.insert(0, str(ROOT / "bench"))
            from harness import scratch_db

            env["DATABASE_URL"] = scratch_db(PG, pg_name)
        else:
            env.pop("DATABASE_URL", None)
        done = subprocess.run([sys.executable, __file__, "--child", "--scale", str(scale), "--repeat", str(repeat)],
                              env=env, cwd=ROOT, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(done.stderr[-4000:])
        return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--pg-name", default="phonghop_bench_reports",
                        help="the scratch database (dropped and made again) on PHONGHOP_TEST_PG's server")
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        return child(args.scale, args.repeat)
    results = [run_backend(b, args.scale, args.repeat, args.pg_name) for b in args.backends.split(",")]
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
