"""Create the vote bench's meeting: a chair, N delegates with API tokens, all checked in, the meeting in
progress, and one prepared vote (named, or secret with ``--secret``).

Run with DATABASE_URL pointing at a scratch database; prints JSON {meeting, item, chair, tokens}.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import ApiToken, Unit, User  # noqa: E402
from meetings.services import agenda, live, meetings, participants  # noqa: E402
from meetings.voting import services as votes  # noqa: E402


def main(n: int, secret: bool) -> None:
    call_command("migrate", verbosity=0)
    unit = Unit.objects.create(code="bench", name="Bench unit")
    chair = User.objects.create(username="chair", full_name="Chủ trì", unit=unit, role="chair")
    delegates = User.objects.bulk_create(
        [User(username=f"d{i}", full_name=f"Đại biểu {i}", unit=unit, role="delegate", calendar_token=f"c{i}")
         for i in range(n)]
    )
    start = timezone.now() + dt.timedelta(days=30)
    meeting = meetings.create_meeting(
        chair, title="Bench", host_unit=unit, chair=chair, start=start, end=start + dt.timedelta(hours=2), urgent=True
    )
    item = agenda.add_item(chair, meeting, title="Biểu quyết")
    for user in delegates:
        participants.add_participant(chair, meeting, user)
    meetings.publish_meeting(chair, meeting)
    meetings.change_status(chair, meeting, "in_progress")
    for p in meeting.participants.all():
        live.execute(chair, meeting.pk, f"in-{p.pk}", "checkin", {"mode": "in_person", "participant_id": p.pk})
    vote = votes.prepare(chair, meeting, {"question": "Thông qua Nghị quyết (bench)", "secret": secret,
                                          "agenda_item_id": item.pk})
    tokens = [ApiToken.issue(u, "bench")[1] for u in delegates]
    json.dump({"meeting": meeting.pk, "item": vote.pk, "chair": ApiToken.issue(chair, "bench")[1], "tokens": tokens},
              sys.stdout)


if __name__ == "__main__":
    main(int(sys.argv[1]), "--secret" in sys.argv[2:])
