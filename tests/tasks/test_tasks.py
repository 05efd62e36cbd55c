"""Follow-up tasks: assigned by the meeting's office, reported on by the person in charge, extended with a
reason, confirmed; seen by the people concerned only (another unit's assignee gets 404)."""

from __future__ import annotations

import datetime as dt

import pytest
from api_helpers import refused

from meetings.errors import Conflict, Forbidden, Invalid, NotFound

pytestmark = pytest.mark.django_db


def test_a_task_is_assigned_from_a_conclusion_and_the_assignee_is_told(task, held, people, units):
    from meetings.models import AuditEntry, MeetingEvent, Notification

    assert task.unit == units["finance"]  # the person's unit, when none is given
    assert task.status == "assigned" and task.priority == "high"
    assert Notification.objects.filter(user=people["binh"], kind="task").count() == 1
    event = MeetingEvent.objects.filter(meeting=held, type="task.changed").last()
    assert event.data == {"task_id": task.pk, "status": "assigned", "action": "assigned"}  # no title, no unit
    assert AuditEntry.objects.filter(action="task.assigned", meeting=held).exists()


@pytest.mark.parametrize("who", ["hoa", "binh", "khach"])
def test_only_the_meetings_office_assigns_tasks(held, people, deadline, who):
    from meetings.tasks import services

    with pytest.raises(Forbidden):
        services.create(people[who], held, {"title": "X", "deadline": deadline.isoformat(),
                                            "assignee_id": people["binh"].pk})


def test_a_task_needs_someone_in_charge_and_a_future_deadline(held, people, deadline):
    from meetings.tasks import services

    with pytest.raises(Invalid):
        services.create(people["lan"], held, {"title": "X", "deadline": deadline.isoformat()})
    with pytest.raises(Invalid):
        services.create(people["lan"], held, {"title": "X", "deadline": "2020-01-01", "unit_id": people["binh"].unit_id})


def test_the_assignee_reports_progress_then_done_and_the_office_confirms(task, people):
    from meetings.models import Notification
    from meetings.tasks import services

    binh, lan = people["binh"], people["lan"]
    task = services.report(binh, task, "Đã thu thập số liệu", 40)
    assert (task.status, task.progress) == ("in_progress", 40)
    assert Notification.objects.filter(user=lan, kind="task").count() == 1
    with pytest.raises(Conflict):
        services.confirm(lan, task)
    task = services.report(binh, task, "Đã gửi báo cáo", done=True)
    assert task.status == "done" and task.progress == 100
    with pytest.raises(Conflict):
        services.report(binh, task, "thêm")
    task = services.confirm(lan, task)
    assert task.confirmed_by == lan
    kinds = list(task.updates.values_list("kind", flat=True))
    assert kinds == ["assigned", "report", "done", "confirmed"]


def test_the_office_sends_a_task_back_with_a_reason(task, people):
    from meetings.tasks import services

    services.report(people["binh"], task, "Xong", done=True)
    with pytest.raises(Invalid):
        services.reopen(people["lan"], task, "")
    task = services.reopen(people["lan"], task, "Thiếu số liệu quý IV")
    assert task.status == "in_progress" and task.done_at is None


def test_extending_needs_a_later_date_and_a_reason(task, people, deadline):
    from meetings.tasks import services

    later = (deadline + dt.timedelta(days=7)).isoformat()
    with pytest.raises(Invalid):
        services.extend(people["lan"], task, later, " ")
    with pytest.raises(Invalid):
        services.extend(people["lan"], task, deadline.isoformat(), "Lý do")
    task = services.extend(people["lan"], task, later, "Chờ số liệu của Tổng cục Thống kê")
    assert task.status == "extended" and task.deadline.isoformat() == later
    update = task.updates.get(kind="extended")
    assert (update.old_deadline, update.text) == (deadline, "Chờ số liệu của Tổng cục Thống kê")


@pytest.mark.parametrize("who", ["binh", "khach"])
def test_only_the_office_extends_confirms_or_sends_back(task, people, deadline, who):
    from meetings.tasks import services

    with pytest.raises(Forbidden):
        services.extend(people[who], task, (deadline + dt.timedelta(days=3)).isoformat(), "Lý do")
    with pytest.raises(Forbidden):
        services.change(people[who], task, {"priority": "low"})
    services.report(people["binh"], task, "Xong", done=True)
    with pytest.raises(Forbidden):
        services.confirm(people[who], task)
    with pytest.raises(Forbidden):
        services.reopen(people[who], task, "Lý do")


def test_someone_of_the_unit_sees_the_task_but_only_the_assignee_reports(task, people):
    from meetings.tasks import access, services

    assert access.task_for(people["khach"], task.pk) == task  # finance, like binh
    with pytest.raises(Forbidden):
        services.report(people["khach"], task, "Báo cáo hộ")


def test_another_units_assignee_neither_sees_nor_changes_the_task(task, held, people, deadline):
    from meetings.tasks import access, queries, services

    services.create(people["lan"], held, {"title": "Việc của huyện", "deadline": deadline.isoformat(),
                                          "assignee_id": people["tuan"].pk})
    tuan = people["tuan"]
    with pytest.raises(NotFound):
        access.task_for(tuan, task.pk)
    with pytest.raises(NotFound):
        services.report(tuan, task, "Không phải việc của tôi")
    assert [t.title for t in queries.filtered(tuan)] == ["Việc của huyện"]
    assert [t.title for t in queries.filtered(people["hoa"])] == []  # office delegate: neither unit


def test_a_task_for_a_unit_is_reported_on_by_its_administrator(held, people, units, deadline):
    from meetings.tasks import services

    task = services.create(people["minh"], held, {"title": "Rà soát quy chế", "deadline": deadline.isoformat(),
                                                  "unit_id": units["office"].pk})
    with pytest.raises(Forbidden):
        services.report(people["hoa"], task, "x")  # of the office, not its administrator
    assert services.report(people["hanh"], task, "Đang rà soát", 20).status == "in_progress"


def test_overdue_is_derived_from_the_deadline(task, people, deadline):
    from meetings.tasks import queries

    assert not task.is_overdue()
    later = deadline + dt.timedelta(days=1)
    assert task.is_overdue(later)
    assert [t.pk for t in queries.filtered(people["lan"], status="overdue", today=later)] == [task.pk]
    assert list(queries.filtered(people["lan"], status="assigned", today=later)) == []
    assert [t.pk for t in queries.filtered(people["lan"], status="assigned")] == [task.pk]


def test_lists_per_unit_person_and_meeting(task, held, people, units):
    from meetings.tasks import queries

    lan = people["lan"]
    assert [t.pk for t in queries.filtered(lan, unit_id=units["finance"].pk)] == [task.pk]
    assert list(queries.filtered(lan, unit_id=units["district"].pk)) == []
    assert [t.pk for t in queries.filtered(lan, assignee_id=people["binh"].pk)] == [task.pk]
    assert [t.pk for t in queries.filtered(people["binh"], mine=True)] == [task.pk]
    assert [t.pk for t in queries.filtered(lan, meeting_id=held.pk)] == [task.pk]


# REST API ----------------------------------------------------------------------------------------

def test_the_api_assigns_reports_and_confirms(held, people, api, deadline):
    lan, binh, tuan = api(people["lan"]), api(people["binh"]), api(people["tuan"])
    r = lan.post(f"/meetings/{held.pk}/tasks", {"title": "Báo cáo giải ngân", "deadline": deadline.isoformat(),
                                                 "assignee_id": people["binh"].pk})
    assert r.status_code == 201, r.content
    task_id = r.json()["id"]
    refused(binh.post(f"/meetings/{held.pk}/tasks", {"title": "x", "deadline": deadline.isoformat(),
                                                       "assignee_id": people["binh"].pk}), 403, "not_assigner")
    assert binh.get(f"/tasks/{task_id}").json()["may_report"] is True
    refused(tuan.get(f"/tasks/{task_id}"), 404, "no_task")
    refused(tuan.post(f"/tasks/{task_id}/reports", {"text": "x"}), 404, "no_task")
    r = binh.post(f"/tasks/{task_id}/reports", {"text": "Đang làm", "progress": 50})
    assert r.status_code == 201 and r.json()["status"] == "in_progress"
    refused(binh.post(f"/tasks/{task_id}/extend", {"deadline": "2099-01-01", "reason": "x"}), 403, "not_assigner")
    assert binh.post(f"/tasks/{task_id}/reports", {"done": True}).json()["status"] == "done"
    assert lan.post(f"/tasks/{task_id}/confirm").json()["confirmed_by"] == "Nguyễn Thị Lan"
    assert [t["id"] for t in binh.get("/tasks", mine="true").json()] == [task_id]
    assert tuan.get("/tasks").json() == []
    assert [t["id"] for t in lan.get(f"/meetings/{held.pk}/tasks").json()] == [task_id]
    history = lan.get(f"/tasks/{task_id}").json()["updates"]
    assert [u["kind"] for u in history] == ["assigned", "report", "done", "confirmed"]


def test_deadlines_as_a_calendar(task, people, api):
    from icalendar import Calendar

    r = api(people["binh"]).get("/tasks/deadlines.ics")
    assert r.status_code == 200
    (event,) = Calendar.from_ical(r.content).walk("VEVENT")
    assert str(event["summary"]) == "Hạn xử lý: Hoàn thiện báo cáo kinh tế - xã hội"
    assert event.decoded("dtstart") == task.deadline


# Pages -------------------------------------------------------------------------------------------

def test_the_pages_assign_report_and_show_the_status(client, held, people, deadline):
    from django.urls import reverse

    from meetings.tasks.models import Task

    client.force_login(people["lan"])
    url = reverse("meeting-tasks", args=[held.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"title": "Lập kế hoạch", "deadline": deadline.isoformat(), "assignee_id": people["binh"].pk,
                      "priority": "urgent"})
    task = Task.objects.get(title="Lập kế hoạch")
    client.force_login(people["binh"])
    detail = reverse("task-detail", args=[task.pk])
    client.post(detail, {"action": "report", "text": "Đã làm xong dự thảo", "progress": "60"})
    task.refresh_from_db()
    assert (task.status, task.progress) == ("in_progress", 60)
    html = client.get(reverse("task-list")).content.decode()
    assert f'data-task="{task.pk}"' in html and 'data-status="in_progress"' in html
    client.force_login(people["tuan"])
    assert client.get(detail).status_code == 404
    client.force_login(people["lan"])
    html = client.get(reverse("meeting-detail", args=[held.pk])).content.decode()
    assert url in html  # the meeting page counts and links the tasks


# Reminders ---------------------------------------------------------------------------------------

def test_reminders_go_out_once_before_the_deadline_and_once_when_overdue(task, people, deadline, settings, mailoutbox):
    from meetings.models import Notification
    from meetings.tasks import reminders

    settings.PHONGHOP_TASK_REMIND_DAYS = 2
    assert reminders.send_due_reminders(deadline - dt.timedelta(days=3)) == 0  # not yet
    assert reminders.send_due_reminders(deadline - dt.timedelta(days=2)) == 1
    assert reminders.send_due_reminders(deadline - dt.timedelta(days=1)) == 0  # already reminded
    notes = Notification.objects.filter(kind="task_reminder")
    assert [n.user.username for n in notes] == ["binh"]
    assert [m.to for m in mailoutbox] == [["binh@example.vn"]]
    assert reminders.send_due_reminders(deadline + dt.timedelta(days=1)) == 1  # overdue: binh and the office
    assert reminders.send_due_reminders(deadline + dt.timedelta(days=2)) == 0
    assert sorted(n.user.username for n in notes.filter(title__contains="quá hạn")) == ["binh", "lan"]


def test_a_done_task_is_not_reminded(task, people, deadline):
    from meetings.tasks import reminders, services

    services.report(people["binh"], task, "Xong", done=True)
    assert reminders.send_due_reminders(deadline + dt.timedelta(days=5)) == 0


def test_the_periodic_job_is_registered_and_locked(task, deadline, settings):
    from huey.contrib.djhuey import HUEY

    from meetings.tasks import jobs

    assert any("task_reminders" in name for name in HUEY._registry._registry)
    assert jobs.task_reminders.call_local() == 0  # the deadline is ten days away


def test_a_report_carries_an_attachment_that_only_the_people_concerned_download(client, task, people, settings,
                                                                                tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    settings.MEDIA_ROOT = tmp_path
    client.force_login(people["binh"])
    detail = reverse("task-detail", args=[task.pk])
    client.post(detail, {"action": "report", "text": "Gửi kèm số liệu", "progress": "50",
                         "attachment": SimpleUploadedFile("so-lieu.csv", "Quý,Giải ngân\nIV,75%\n".encode())})
    update = task.updates.get(kind="report")
    url = reverse("task-attachment", args=[task.pk, update.pk])
    assert url in client.get(detail).content.decode()
    client.force_login(people["lan"])
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).decode() == "Quý,Giải ngân\nIV,75%\n"
    client.force_login(people["tuan"])  # another unit's assignee
    assert client.get(url).status_code == 404


def test_the_api_takes_a_report_with_a_file(client, task, people, api, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import ApiToken

    settings.MEDIA_ROOT = tmp_path
    token = ApiToken.issue(people["binh"], "test")[1]
    r = client.post(f"/api/v1/tasks/{task.pk}/reports/upload", {
        "text": "Báo cáo kèm tệp", "progress": "30",
        "attachment": SimpleUploadedFile("bao-cao.txt", "Nội dung".encode())}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 201, r.content
    (update,) = [u for u in api(people["lan"]).get(f"/tasks/{task.pk}").json()["updates"] if u["attachment"]]
    assert update["attachment"].endswith(".txt")
    uid = task.updates.exclude(attachment="").get().pk
    r = api(people["lan"]).get(f"/tasks/{task.pk}/updates/{uid}/attachment")
    assert b"".join(r.streaming_content).decode() == "Nội dung"
    refused(api(people["tuan"]).get(f"/tasks/{task.pk}/updates/{uid}/attachment"), 404, "no_task")


def test_task_words_are_not_the_meetings_words(client, task, people):
    """"In progress" of a task is not "Đang họp" of a meeting: the task's labels have their own context."""
    from django.urls import reverse

    from meetings.tasks import services

    services.report(people["binh"], task, "Đang làm", 10)
    client.force_login(people["lan"])
    html = client.get(reverse("meeting-tasks", args=[task.meeting_id])).content.decode()
    assert "Đang thực hiện" in html and "Đang họp" not in html
