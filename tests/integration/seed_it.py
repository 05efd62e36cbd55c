"""Seed the integration database: a meeting in progress and tokens for its people. Prints JSON.

Run as a child process with the integration environment (DATABASE_URL, REDIS_URL, ...)."""

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
from meetings.services import agenda, meetings, participants  # noqa: E402


def person(username: str, unit: Unit, role: str, name: str) -> User:
    return User.objects.create(username=username, full_name=name, unit=unit, role=role)


province = Unit.objects.create(code="tinh", name="UBND tỉnh", kind=Unit.Kind.PROVINCE)
office = Unit.objects.create(code="vp", name="Văn phòng UBND tỉnh", kind=Unit.Kind.DEPARTMENT, parent=province)
lan = person("lan", office, "secretary", "Nguyễn Thị Lan")
minh = person("minh", province, "chair", "Trần Văn Minh")
delegates = [person(f"db{i}", office, "delegate", f"Đại biểu {i}") for i in range(1, 6)]
start = timezone.now() + dt.timedelta(days=30)
meeting = meetings.create_meeting(lan, title="Giao ban trực tuyến", host_unit=office, chair=minh, secretary=lan,
                                  start=start, end=start + dt.timedelta(hours=3))
for title in ("Báo cáo tình hình", "Kế hoạch tháng tới", "Các vấn đề phát sinh"):
    agenda.add_item(lan, meeting, title=title)
for d in delegates:
    participants.add_participant(lan, meeting, d)
meetings.publish_meeting(lan, meeting)
meetings.change_status(lan, meeting, "in_progress")
tokens = {u.username: ApiToken.issue(u, "integration")[1] for u in [lan, minh, *delegates]}
items = list(meeting.agenda_items.order_by("order").values_list("pk", flat=True))
print(json.dumps({"meeting": meeting.pk, "tokens": tokens, "items": items}))
