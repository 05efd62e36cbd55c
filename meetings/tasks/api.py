"""REST API for follow-up tasks (docs/api.md, "Follow-up tasks"). Every write goes through
``meetings.tasks.services``; lists show only what the caller may see (404 for any other task)."""

from __future__ import annotations

from django.http import FileResponse, HttpResponse
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from meetings.api.auth import AUTH, actor
from meetings.api.schemas import Error
from meetings.permissions import get_visible

from . import access, ics, queries, services

router = Router(tags=["tasks"], auth=AUTH)
meeting_router = Router(tags=["tasks"], auth=AUTH)
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


class TaskIn(Schema):
    title: str
    deadline: str  # YYYY-MM-DD
    description: str = ""
    conclusion: str = ""  # the conclusion the task carries out
    unit_id: int | None = None
    assignee_id: int | None = None
    agenda_item_id: int | None = None
    priority: str = "normal"  # low | normal | high | urgent


class TaskPatch(Schema):
    title: str | None = None
    description: str | None = None
    conclusion: str | None = None
    unit_id: int | None = None
    assignee_id: int | None = None
    agenda_item_id: int | None = None
    priority: str | None = None


class ReportIn(Schema):
    text: str = ""
    progress: int | None = None
    done: bool = False


class ExtendIn(Schema):
    deadline: str
    reason: str


class ReasonIn(Schema):
    reason: str


@router.get("", response={200: list, **ERRORS},
            summary="Tasks one may see; filters: meeting_id, unit_id, assignee_id, mine, status "
                    "(assigned, in_progress, extended, done, overdue, confirmed, open)")
def list_tasks(request, meeting_id: int | None = None, unit_id: int | None = None, assignee_id: int | None = None,
               status: str | None = None, mine: bool = False):
    tasks = queries.filtered(actor(request), meeting_id=meeting_id, unit_id=unit_id, assignee_id=assignee_id,
                             status=status, mine=mine)
    return [services.task_data(t) for t in tasks[:1000]]


@router.get("/deadlines.ics", response={200: None, **ERRORS}, summary="Deadlines of one's open tasks (.ics)")
def deadlines(request, mine: bool = False):
    tasks = queries.filtered(actor(request), status="open", mine=mine)
    response = HttpResponse(ics.deadlines_calendar(tasks), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="han-xu-ly-nhiem-vu.ics"'
    return response


@router.get("/{task_id}", response={200: dict, **ERRORS}, summary="A task with its history")
def get_task(request, task_id: int):
    task = access.task_for(actor(request), task_id)
    return {**services.task_data(task), "updates": [services.update_data(u) for u in task.updates.all()],
            "may_report": access.is_assignee(actor(request), task),
            "may_manage": access.is_assigner(actor(request), task)}


@router.patch("/{task_id}", response={200: dict, **ERRORS}, summary="Change a task (the assigning office)")
def change_task(request, task_id: int, payload: TaskPatch):
    return services.task_data(services.change(actor(request), task_id, payload.dict(exclude_unset=True)))


@router.post("/{task_id}/reports", response={201: dict, **ERRORS},
             summary="Report progress, or that the task is done (the person in charge)")
def report(request, task_id: int, payload: ReportIn):
    task = services.report(actor(request), task_id, payload.text, payload.progress, done=payload.done)
    return Status(201, services.task_data(task))


@router.post("/{task_id}/reports/upload", response={201: dict, **ERRORS},
             summary="A progress report with an attachment (multipart: text, progress, done, attachment ≤ 20 MB)")
def report_with_file(request, task_id: int, text: Form[str] = "", progress: Form[int | None] = None,
                     done: Form[bool] = False, attachment: File[UploadedFile] = None):
    task = services.report(actor(request), task_id, text, progress, done=done, attachment=attachment)
    return Status(201, services.task_data(task))


@router.get("/{task_id}/updates/{update_id}/attachment", response={200: None, **ERRORS},
            summary="A report's attachment (whoever may see the task)")
def attachment(request, task_id: int, update_id: int):
    from meetings.errors import NotFound

    task = access.task_for(actor(request), task_id)
    update = task.updates.filter(pk=update_id).exclude(attachment="").first()
    if update is None:
        raise NotFound()
    response = FileResponse(update.attachment.open("rb"), as_attachment=True,
                            filename=update.attachment.name.rsplit("/", 1)[-1])
    response["Cache-Control"] = "private, no-store"
    return response


@router.post("/{task_id}/extend", response={200: dict, **ERRORS},
             summary="Extend the deadline, with the reason (the assigning office)")
def extend(request, task_id: int, payload: ExtendIn):
    return services.task_data(services.extend(actor(request), task_id, payload.deadline, payload.reason))


@router.post("/{task_id}/confirm", response={200: dict, **ERRORS},
             summary="Confirm a task reported done (the assigning office)")
def confirm(request, task_id: int):
    return services.task_data(services.confirm(actor(request), task_id))


@router.post("/{task_id}/reopen", response={200: dict, **ERRORS},
             summary="Send a task reported done back, with the reason (the assigning office)")
def reopen(request, task_id: int, payload: ReasonIn):
    return services.task_data(services.reopen(actor(request), task_id, payload.reason))


@meeting_router.get("/{meeting_id}/tasks", response={200: list, **ERRORS}, summary="The meeting's tasks one may see")
def meeting_tasks(request, meeting_id: int, status: str | None = None):
    get_visible(actor(request), meeting_id)
    return [services.task_data(t) for t in queries.filtered(actor(request), meeting_id=meeting_id, status=status)]


@meeting_router.post("/{meeting_id}/tasks", response={201: dict, **ERRORS},
                     summary="Assign a task from a conclusion or an agenda item (the meeting's office)")
def create_task(request, meeting_id: int, payload: TaskIn):
    return Status(201, services.task_data(services.create(actor(request), meeting_id, payload.dict())))
