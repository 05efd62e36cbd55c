"""Create the vote bench's meeting: a chair, N delegates with API tokens, all checked in, the meeting in
progress, and one prepared vote (named, or secret with ``--secret``).

Run with DATABASE_URL pointing at a scratch database; prints JSON {meeting, item, chair, tokens}.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django  # noqa: E402

django.setup()

from seed import meeting_in_progress, token  # noqa: E402

from meetings.services import live  # noqa: E402
from meetings.voting import services as votes  # noqa: E402


def main(n: int, secret: bool) -> None:
    chair, delegates, meeting, (item,) = meeting_in_progress(n, ["Biểu quyết"])
    for p in meeting.participants.all():
        live.execute(chair, meeting.pk, f"in-{p.pk}", "checkin", {"mode": "in_person", "participant_id": p.pk})
    vote = votes.prepare(chair, meeting, {"question": "Thông qua Nghị quyết (bench)", "secret": secret,
                                          "agenda_item_id": item.pk})
    json.dump({"meeting": meeting.pk, "item": vote.pk, "chair": token(chair), "tokens": [token(u) for u in delegates]},
              sys.stdout)


if __name__ == "__main__":
    main(int(sys.argv[1]), "--secret" in sys.argv[2:])
