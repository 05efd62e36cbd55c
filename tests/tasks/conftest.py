"""Tasks assigned by the held meeting (tests/minutes/conftest.py's story): lan (secretary, office) assigns
binh (finance) a task; tuan (district) is the assignee of another unit; khach works in finance too."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from django.utils import timezone

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from minutes.conftest import _quick, held  # noqa: E402, F401  (fixtures)


@pytest.fixture
def deadline() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=10)


@pytest.fixture
def task(held, people, deadline):  # noqa: F811  (the imported fixture)
    from meetings.tasks import services

    first = held.agenda_items.order_by("order").first()
    return services.create(people["lan"], held, {
        "title": "Hoàn thiện báo cáo kinh tế - xã hội", "deadline": deadline.isoformat(),
        "assignee_id": people["binh"].pk, "agenda_item_id": first.pk, "priority": "high",
        "conclusion": "Giao Sở Tài chính hoàn thiện báo cáo trước ngày 20/12."})
