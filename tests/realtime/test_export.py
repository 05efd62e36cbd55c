"""The roll-call download (CSV, XLSX): what it says, and who may have it."""

import csv
import io

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

pytestmark = [pytest.mark.django_db, pytest.mark.urls("rt_urls")]


@pytest.fixture
def roll_call(running, people, units):
    """hoa in the hall, tuan online from An Phú, khach absent (with a reason), binh not yet."""
    from meetings.services import live

    def run(who, name, **args):
        reply = live.execute(people[who], running.pk, f"{who}-{name}", name, args)
        assert reply["ok"], reply

    run("hoa", "checkin", mode="in_person")
    run("tuan", "checkin", mode="online")
    khach = running.participants.get(user=people["khach"])
    run("lan", "mark_absent", participant_id=khach.pk, reason="Đi công tác")
    return running


def said(r, text):
    """``text`` as the response's language says it."""
    with translation.override(r.get("Content-Language", settings.LANGUAGE_CODE)):
        return str(_(text))


def rows_of(content: bytes):
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_the_secretary_downloads_the_roll_call_as_csv(client, people, roll_call):
    client.force_login(people["lan"])
    r = client.get(reverse("attendance-csv", args=[roll_call.pk]))
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/csv")
    assert f"diem-danh-{roll_call.pk}.csv" in r["Content-Disposition"]
    rows = rows_of(r.content)
    assert roll_call.title in rows[0][0]
    by_name = {row[1]: row for row in rows if len(row) > 8}
    assert by_name["Phạm Thị Hoa"][7] == said(r, "Present in person")
    assert by_name["Đỗ Minh Tuấn"][7] == said(r, "Present online") and by_name["Đỗ Minh Tuấn"][8] == "Huyện An Phú"
    assert by_name["Khách Mời"][7] == said(r, "Absent") and by_name["Khách Mời"][11] == "Đi công tác"
    assert by_name["Lê Văn Bình"][7] == said(r, "Not checked in yet")
    summary = {row[0]: row[1] for row in rows if len(row) == 2}
    assert summary[said(r, "Present in person")] == "1" and summary[said(r, "Present online")] == "1"
    assert summary[said(r, "Members with a voting right")] == "4" and summary[said(r, "Quorum reached")] == said(r, "No")


def test_the_xlsx_has_the_same_rows(client, people, roll_call):
    from openpyxl import load_workbook

    client.force_login(people["minh"])
    r = client.get(reverse("attendance-xlsx", args=[roll_call.pk]))
    assert r.status_code == 200
    assert r["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(r.content)).active
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert roll_call.title in values[0][0]
    hoa = next(row for row in values if row[1] == "Phạm Thị Hoa")
    assert hoa[7] == said(r, "Present in person") and hoa[9]  # checked in at
    assert any(row[1] == said(r, "Members present") and row[2] == 2 for row in values)


@pytest.mark.parametrize("name", ["lan", "minh", "hanh", "root"])
def test_organisers_may_download(client, people, roll_call, name):
    client.force_login(people[name])
    assert client.get(reverse("attendance-csv", args=[roll_call.pk])).status_code == 200


@pytest.mark.parametrize("name", ["hoa", "khach", "nam", "thu", "operator"])
def test_everyone_else_gets_403(client, people, roll_call, name):
    client.force_login(people[name])
    assert client.get(reverse("attendance-csv", args=[roll_call.pk])).status_code == 403
    assert client.get(reverse("attendance-xlsx", args=[roll_call.pk])).status_code == 403


def test_anonymous_is_sent_to_sign_in_and_unknown_meetings_are_404(client, people, roll_call):
    r = client.get(reverse("attendance-csv", args=[roll_call.pk]))
    assert r.status_code == 302
    client.force_login(people["lan"])
    assert client.get(reverse("attendance-csv", args=[roll_call.pk + 999])).status_code == 404
