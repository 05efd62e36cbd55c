"""Shared fixtures: a small province and the people the tests tell stories about.

Services the scaled mode needs (PostgreSQL, Redis, Janus) and Chromium are real, never mocked. Under CI=true
a missing one fails the run; elsewhere its tests are skipped, and the summary says so loudly.
"""

from __future__ import annotations

import os

import pytest
from personas import Api, in_days, make_user  # noqa: F401  (re-exported for older imports)
from scripts_path import services  # noqa: F401  (sets sys.path for scripts/)

CI = os.environ.get("CI") == "true"
# Inherited by the Daphne processes the integration and browser tests start, so they accept the
# quickly hashed passwords the fixtures make.
os.environ.setdefault("PHONGHOP_FAST_PASSWORD_HASHER", "1")
_missing: dict[str, str] = {}


def pytest_configure(config):
    from services_up import main as service_up

    for marker, service in (("browser", "chromium"), ("redis", "redis"), ("postgres", "postgres"), ("janus", "janus")):
        if not service_up(service):
            _missing[marker] = service
    if CI and _missing:
        pytest.exit(f"CI=true but these services are missing: {', '.join(sorted(_missing.values()))}", returncode=3)


def pytest_collection_modifyitems(config, items):
    for item in items:
        for marker, service in _missing.items():
            if marker in item.keywords:
                item.add_marker(pytest.mark.skip(reason=f"SKIPPED LOUDLY: {service} is not available here"))


def pytest_terminal_summary(terminalreporter):
    if _missing:
        terminalreporter.section("MISSING SERVICES", sep="!", red=True, bold=True)
        for marker, service in _missing.items():
            terminalreporter.write_line(f"!!! tests marked '{marker}' were SKIPPED: {service} is not available", red=True)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture(autouse=True)
def _nothing_remembered():
    """Each test's database may give a meeting the id and seq a previous test's meeting had: start every test
    as a server process starts on a database, remembering nothing (realtime/entry.py, realtime/snapshot.py)."""
    from realtime import entry, snapshot

    entry.forget_all()
    snapshot.forget_all()


# People and units --------------------------------------------------------------------------------

@pytest.fixture
def units(db):
    from accounts.models import Unit

    province = Unit.objects.create(code="tinh", name="UBND tỉnh", kind=Unit.Kind.PROVINCE)
    office = Unit.objects.create(code="vp", name="Văn phòng UBND tỉnh", kind=Unit.Kind.DEPARTMENT, parent=province)
    finance = Unit.objects.create(code="stc", name="Sở Tài chính", kind=Unit.Kind.DEPARTMENT, parent=province)
    district = Unit.objects.create(
        code="huyen-a", name="Huyện An Phú", kind=Unit.Kind.DISTRICT, parent=province, is_remote_site=True
    )
    commune = Unit.objects.create(
        code="xa-a", name="Xã An Lạc", kind=Unit.Kind.COMMUNE, parent=district, is_remote_site=True
    )
    return {"province": province, "office": office, "finance": finance, "district": district, "commune": commune}


@pytest.fixture
def people(units):
    """lan (secretary, office), minh (chair, province), hoa and binh (delegates, office and finance),
    tuan (delegate of the district: another unit), khach (guest), hanh (unit admin, office), root (system admin)."""
    return {
        "lan": make_user("lan", units["office"], "secretary", "Nguyễn Thị Lan"),
        "minh": make_user("minh", units["province"], "chair", "Trần Văn Minh"),
        "hoa": make_user("hoa", units["office"], "delegate", "Phạm Thị Hoa"),
        "binh": make_user("binh", units["finance"], "delegate", "Lê Văn Bình"),
        "tuan": make_user("tuan", units["district"], "delegate", "Đỗ Minh Tuấn"),
        "khach": make_user("khach", units["finance"], "guest", "Khách Mời"),
        "hanh": make_user("hanh", units["office"], "unit_admin", "Lê Thị Hạnh"),
        "root": make_user("root", units["province"], "system_admin", "Quản trị", is_superuser=True, is_staff=True),
        "operator": make_user("diemcau", units["district"], "site_operator", "Điểm cầu An Phú"),
    }


@pytest.fixture
def meeting(people, units):
    """A draft meeting of the office, chaired by minh, prepared by lan, three weeks ahead."""
    from meetings.services import meetings

    return meetings.create_meeting(
        people["lan"], title="Họp thường kỳ tháng 12", host_unit=units["office"], chair=people["minh"],
        secretary=people["lan"], start=in_days(21), end=in_days(21, 11), location="Phòng họp số 1",
    )


@pytest.fixture
def published(meeting, people):
    """The meeting with an agenda item and hoa and binh invited, then published."""
    from meetings.services import agenda, meetings, participants

    agenda.add_item(people["lan"], meeting, title="Báo cáo kinh tế - xã hội")
    participants.add_participant(people["lan"], meeting, people["hoa"])
    participants.add_participant(people["lan"], meeting, people["binh"])
    return meetings.publish_meeting(people["lan"], meeting)


@pytest.fixture
def api(client):
    """api(person) → an Api client with a fresh token for that person; api(None) → anonymous."""
    from accounts.models import ApiToken

    def for_person(user):
        if user is None:
            return Api(client, None)
        return Api(client, ApiToken.issue(user, "test")[1])

    return for_person
