"""Create the bench meeting: a chair, N delegates with API tokens, three agenda items, published.

Run with DATABASE_URL pointing at a scratch database; prints JSON {meeting, items, chair, tokens}.
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


def main(n: int) -> None:
    chair, delegates, meeting, items = meeting_in_progress(n, [f"Mục {i}" for i in range(3)])
    json.dump({"meeting": meeting.pk, "items": [i.pk for i in items], "chair": token(chair),
               "tokens": [token(u) for u in delegates]}, sys.stdout)


if __name__ == "__main__":
    main(int(sys.argv[1]))
