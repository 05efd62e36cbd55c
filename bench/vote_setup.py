"""Create the vote bench's meeting: a chair, N delegates with API tokens, all checked in, the meeting in
progress, and ``--votes K`` prepared votes (named, or secret with ``--secret``; one by default): a run that
compares two ways of casting (bench/vote.py --compare) gives each burst a vote of its own.

Run with DATABASE_URL pointing at a scratch database; prints JSON {meeting, item, items, chair, tokens}.
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


def main(n: int, secret: bool, count: int) -> None:
    chair, delegates, meeting, (item,) = meeting_in_progress(n, ["Biểu quyết"])
    for p in meeting.participants.all():
        live.execute(chair, meeting.pk, f"in-{p.pk}", "checkin", {"mode": "in_person", "participant_id": p.pk})
    items = [votes.prepare(chair, meeting, {"question": f"Thông qua Nghị quyết {k + 1} (bench)", "secret": secret,
                                            "agenda_item_id": item.pk}).pk for k in range(count)]
    json.dump({"meeting": meeting.pk, "item": items[0], "items": items, "chair": token(chair),
               "tokens": [token(u) for u in delegates]}, sys.stdout)


if __name__ == "__main__":
    rest = sys.argv[2:]
    main(int(sys.argv[1]), "--secret" in rest, int(rest[rest.index("--votes") + 1]) if "--votes" in rest else 1)
