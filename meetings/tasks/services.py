"""Follow-up tasks: the only code that changes them.

Each service checks permission and input, runs in one transaction (the task row locked), keeps the task's
history (``TaskUpdate``), appends ``task.changed`` to the meeting's event log (id, status and action only:
a task's title and unit are for the people concerned, not for every socket of the meeting) and writes the
audit trail. The assignee is told of a new task, the assigning office of a report, in the application.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Unit, User
from meetings import permissions
from meetings.errors import Conflict, Forbidden, Invalid
from meetings.models import AgendaItem, Meeting, Notification
from meetings.services import events

from . import access
from .models import Task, TaskUpdate

T = Task.Status
# Tasks are assigned by a meeting that has been held (or is being held).
ASSIGNING_STATUSES = (Meeting.Status.IN_PROGRESS, Meeting.Status.ENDED, Meeting.Status.ARCHIVED)
MAX_TEXT = 20_000
MAX_ATTACHMENT = 20 * 1024 * 1024


def task_data(task: Task) -> dict[str, Any]:
    return {
        "id": task.pk,
        "meeting_id": task.meeting_id,
        "meeting_title": task.meeting.title,
        "agenda_item_id": task.agenda_item_id,
        "conclusion": task.conclusion,
        "title": task.title,
        "description": task.description,
        "unit_id": task.unit_id,
        "unit": task.unit.name if task.unit_id else None,
        "assignee_id": task.assignee_id,
        "assignee": str(task.assignee) if task.assignee_id else None,
        "deadline": task.deadline.isoformat(),
        "priority": task.priority,
        "status": task.status,
        "shown_status": task.shown_status,
        "overdue": task.is_overdue(),
        "progress": task.progress,
        "done_at": task.done_at.isoformat() if task.done_at else None,
        "confirmed_at": task.confirmed_at.isoformat() if task.confirmed_at else None,
        "confirmed_by": str(task.confirmed_by) if task.confirmed_by_id else None,
        "created_at": task.created_at.isoformat(),
    }


def update_data(u: TaskUpdate) -> dict[str, Any]:
    return {"kind": u.kind, "author": str(u.author) if u.author_id else None, "text": u.text,
            "progress": u.progress, "old_deadline": u.old_deadline.isoformat() if u.old_deadline else None,
            "new_deadline": u.new_deadline.isoformat() if u.new_deadline else None,
            "attachment": u.attachment.name.rsplit("/", 1)[-1] if u.attachment else None,
            "attachment_url": reverse("task-attachment", args=[u.task_id, u.pk]) if u.attachment else None,
            "at": u.at.isoformat()}


def _text(value: Any, field: str, limit: int = MAX_TEXT, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(_("“%(name)s” must be text.") % {"name": field}, "bad_field", field=field)
    value = value.strip()[:limit]
    if required and not value:
        raise Invalid(_("This field cannot be empty."), "required", field=field)
    return value


def _date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise Invalid(_("The date must be written as YYYY-MM-DD."), "bad_date", field=field) from None


def _emit(task: Task, actor: User, action: str, **audit: Any) -> None:
    events.record(task.meeting, "task.changed", {"task_id": task.pk, "status": task.status, "action": action}, actor)
    events.audit(actor, f"task.{action}", task.meeting, f"task {task.pk}", **audit)


def _notify(users, task: Task, title: str, body: str = "") -> None:
    url = reverse("task-detail", args=[task.pk])
    with translation.override(settings.LANGUAGE_CODE):
        Notification.objects.bulk_create([
            Notification(user=u, meeting=task.meeting, kind="task", title=str(title)[:500], body=str(body), url=url)
            for u in users if u is not None])


def _people_in_charge(task: Task) -> list[User]:
    if task.assignee_id:
        return [task.assignee]
    if task.unit_id:
        return list(User.objects.filter(role="unit_admin", unit_id=task.unit_id, is_active=True))
    return []


def _assignment(meeting: Meeting, spec: dict[str, Any], task: Task, past_deadline: bool = False) -> None:
    """Unit, person, agenda item, deadline and priority from what the office typed."""
    if "unit_id" in spec:
        task.unit = None if spec["unit_id"] is None else Unit.objects.filter(pk=spec["unit_id"]).first()
        if spec["unit_id"] is not None and task.unit is None:
            raise Invalid(_("Unknown unit."), "bad_unit", field="unit_id")
    if "assignee_id" in spec:
        task.assignee = None if spec["assignee_id"] is None else User.objects.filter(
            pk=spec["assignee_id"], is_active=True).first()
        if spec["assignee_id"] is not None and task.assignee is None:
            raise Invalid(_("Unknown person."), "bad_assignee", field="assignee_id")
        if task.assignee is not None and task.unit_id is None:
            task.unit_id = task.assignee.unit_id
    if task.unit_id is None and task.assignee_id is None:
        raise Invalid(_("Assign the task to a unit or a person."), "no_assignee", field="unit_id")
    if "agenda_item_id" in spec:
        item_id = spec["agenda_item_id"]
        task.agenda_item = None if item_id is None else AgendaItem.objects.filter(meeting=meeting, pk=item_id).first()
        if item_id is not None and task.agenda_item is None:
            raise Invalid(_("This agenda item is not in the meeting."), "bad_agenda_item", field="agenda_item_id")
    if "deadline" in spec:
        deadline = _date(spec["deadline"], "deadline")
        if task.pk is None and deadline < timezone.localdate() and not past_deadline:
            raise Invalid(_("The deadline cannot be in the past."), "deadline_past", field="deadline")
        task.deadline = deadline
    if "priority" in spec:
        if spec["priority"] not in Task.Priority.values:
            raise Invalid(_("Unknown priority."), "bad_priority", field="priority")
        task.priority = spec["priority"]
    for name in ("title", "description", "conclusion"):
        if name in spec:
            setattr(task, name, _text(spec[name], name, 500 if name == "title" else MAX_TEXT, name == "title"))


FIELDS = {"title", "description", "conclusion", "unit_id", "assignee_id", "agenda_item_id", "deadline", "priority"}


@transaction.atomic
def create(actor: User, meeting: Meeting | int, spec: dict[str, Any], *, past_deadline: bool = False) -> Task:
    """Assign a task. ``past_deadline`` (code only, never the API) records an assignment made on paper
    earlier, whose deadline may already have passed (the demo uses it for an overdue task)."""
    meeting_id = meeting.pk if isinstance(meeting, Meeting) else meeting
    meeting = permissions.get_visible(actor, meeting_id)
    if not permissions.can_edit(actor, meeting):
        raise Forbidden(_("Only the office that held the meeting assigns its tasks."), "not_assigner")
    if meeting.status not in ASSIGNING_STATUSES:
        raise Invalid(_("Tasks are assigned once the meeting is held."), "meeting_not_held")
    unknown = set(spec) - FIELDS
    if unknown:
        raise Invalid(_("Unknown fields: %(names)s") % {"names": ", ".join(sorted(unknown))}, "bad_field")
    if "deadline" not in spec or "title" not in spec:
        raise Invalid(_("A task needs a title and a deadline."), "required", field="deadline" if "title" in spec
                      else "title")
    task = Task(meeting=meeting, created_by=actor)
    _assignment(meeting, spec, task, past_deadline)
    task.save()
    TaskUpdate.objects.create(task=task, kind=TaskUpdate.Kind.ASSIGNED, author=actor, new_deadline=task.deadline)
    _emit(task, actor, "assigned", unit=task.unit_id, assignee=task.assignee_id)
    _notify(_people_in_charge(task), task, _("New task: %(title)s") % {"title": task.title},
            _("Deadline: %(date)s") % {"date": task.deadline.strftime("%d/%m/%Y")})
    return task


def _locked(actor: User, task: Task | int) -> Task:
    task = access.task_for(actor, task if isinstance(task, int) else task.pk)
    return Task.objects.select_for_update(of=("self",)).select_related("meeting", "unit", "assignee").get(pk=task.pk)


@transaction.atomic
def change(actor: User, task: Task | int, spec: dict[str, Any]) -> Task:
    """The office changes what it assigned (not the deadline: that is ``extend``, with a reason)."""
    task = _locked(actor, task)
    access.require_assigner(actor, task)
    unknown = set(spec) - (FIELDS - {"deadline"})
    if unknown:
        raise Invalid(_("Unknown fields: %(names)s") % {"names": ", ".join(sorted(unknown))}, "bad_field")
    _assignment(task.meeting, spec, task)
    task.updated_at = timezone.now()
    task.save()
    TaskUpdate.objects.create(task=task, kind=TaskUpdate.Kind.CHANGED, author=actor, text=", ".join(sorted(spec)))
    _emit(task, actor, "changed", fields=sorted(spec))
    return task


def _attachment(upload) -> Any:
    if upload is None:
        return None
    if upload.size > MAX_ATTACHMENT:
        raise Invalid(_("The attachment is larger than 20 MB."), "too_large", field="attachment")
    return upload


@transaction.atomic
def report(actor: User, task: Task | int, text: Any, progress: Any = None, *, done: bool = False,
           attachment=None) -> Task:
    """The person in charge reports progress, or that the task is done (the office then confirms)."""
    task = _locked(actor, task)
    access.require_assignee(actor, task)
    if task.status == T.DONE:
        raise Conflict(_("The task is reported done; the office confirms it or sends it back."), "task_done")
    text = _text(text, "text", required=not done)
    if progress is not None:
        if not isinstance(progress, int) or isinstance(progress, bool) or not 0 <= progress <= 100:
            raise Invalid(_("Progress is a whole number from 0 to 100."), "bad_progress", field="progress")
        task.progress = progress
    if done:
        task.status, task.done_at, task.progress = T.DONE, timezone.now(), 100
    elif task.status == T.ASSIGNED:
        task.status = T.IN_PROGRESS
    task.updated_at = timezone.now()
    task.save()
    TaskUpdate.objects.create(task=task, kind=TaskUpdate.Kind.DONE if done else TaskUpdate.Kind.REPORT,
                              author=actor, text=text, progress=task.progress, attachment=_attachment(attachment))
    _emit(task, actor, "done" if done else "report", progress=task.progress)
    office = [u for u in (task.meeting.secretary, task.created_by) if u is not None and u.pk != actor.pk]
    _notify({u.pk: u for u in office}.values(), task,
            (_("Task reported done: %(title)s") if done else _("Progress report: %(title)s")) % {"title": task.title},
            text)
    return task


@transaction.atomic
def extend(actor: User, task: Task | int, deadline: Any, reason: Any) -> Task:
    task = _locked(actor, task)
    access.require_assigner(actor, task)
    if task.status == T.DONE:
        raise Conflict(_("A task reported done is not extended."), "task_done")
    new = _date(deadline, "deadline")
    if new <= task.deadline:
        raise Invalid(_("The new deadline must be after the current one."), "deadline_not_later", field="deadline")
    reason = _text(reason, "reason", required=True)
    old, task.deadline, task.status, task.updated_at = task.deadline, new, T.EXTENDED, timezone.now()
    task.save()
    TaskUpdate.objects.create(task=task, kind=TaskUpdate.Kind.EXTENDED, author=actor, text=reason,
                              old_deadline=old, new_deadline=new)
    _emit(task, actor, "extended", old=old.isoformat(), new=new.isoformat(), reason=reason)
    _notify(_people_in_charge(task), task, _("Deadline extended: %(title)s") % {"title": task.title}, reason)
    return task


@transaction.atomic
def confirm(actor: User, task: Task | int) -> Task:
    task = _locked(actor, task)
    access.require_assigner(actor, task)
    if task.status != T.DONE:
        raise Conflict(_("Only a task reported done can be confirmed."), "task_not_done")
    if task.confirmed_at is not None:
        return task
    task.confirmed_by, task.confirmed_at, task.updated_at = actor, timezone.now(), timezone.now()
    task.save()
    TaskUpdate.objects.create(task=task, kind=TaskUpdate.Kind.CONFIRMED, author=actor)
    _emit(task, actor, "confirmed")
    _notify(_people_in_charge(task), task, _("Completion confirmed: %(title)s") % {"title": task.title})
    return task


@transaction.atomic
def reopen(actor: User, task: Task | int, reason: Any) -> Task:
    """The office sends a task reported done back to the person in charge, with the reason."""
    task = _locked(actor, task)
    access.require_assigner(actor, task)
    if task.status != T.DONE or task.confirmed_at is not None:
        raise Conflict(_("Only a task reported done and not yet confirmed can be sent back."), "task_not_done")
    reason = _text(reason, "reason", required=True)
    task.status, task.done_at, task.updated_at = T.IN_PROGRESS, None, timezone.now()
    task.save()
    TaskUpdate.objects.create(task=task, kind=TaskUpdate.Kind.REOPENED, author=actor, text=reason)
    _emit(task, actor, "reopened", reason=reason)
    _notify(_people_in_charge(task), task, _("Task sent back: %(title)s") % {"title": task.title}, reason)
    return task
