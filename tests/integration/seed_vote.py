"""Seed the vote fault test's database: a meeting in progress, N delegates checked in, a prepared secret
vote, tokens for everyone. Prints JSON {meeting, item, chair, tokens}.

Run as a child process with the integration environment (DATABASE_URL, ...): seed_vote.py N [DURATION]
(the vote's time limit in seconds; none by default). The meeting's secretary is "thuky"; its token is
"secretary" in the JSON."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.utils import timezone  # noqa: E402

from accounts.models import ApiToken, Unit, User  # noqa: E402
from meetings.services import live, meetings, participants  # noqa: E402
from meetings.voting import services as votes  # noqa: E402

n = int(sys.argv[1])
duration = int(sys.argv[2]) if len(sys.argv) > 2 else 0
unit = Unit.objects.create(code="hdnd", name="HĐND tỉnh", kind=Unit.Kind.PROVINCE)
chair = User.objects.create(username="chutoa", full_name="Chủ tọa", unit=unit, role="chair")
secretary = User.objects.create(username="thuky", full_name="Thư ký kỳ họp", unit=unit, role="secretary")
delegates = [User.objects.create(username=f"db{i}", full_name=f"Đại biểu {i}", unit=unit, role="delegate")
             for i in range(n)]
start = timezone.now() + dt.timedelta(days=30)
meeting = meetings.create_meeting(chair, title="Kỳ họp HĐND", host_unit=unit, chair=chair,
                                  start=start, end=start + dt.timedelta(hours=3), urgent=True, secretary=secretary)
for d in delegates:
    participants.add_participant(chair, meeting, d)
meetings.publish_meeting(chair, meeting)
meetings.change_status(chair, meeting, "in_progress")
for p in meeting.participants.all():
    live.execute(chair, meeting.pk, f"in-{p.pk}", "checkin", {"mode": "in_person", "participant_id": p.pk})
item = votes.prepare(chair, meeting, {"question": "Miễn nhiệm (bỏ phiếu kín)", "secret": True, "duration": duration})
print(json.dumps({"meeting": meeting.pk, "item": item.pk, "chair": ApiToken.issue(chair, "it")[1],
                  "secretary": ApiToken.issue(secretary, "it")[1],
                  "tokens": [ApiToken.issue(u, "it")[1] for u in delegates]}))
