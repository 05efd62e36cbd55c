"""Pages of follow-up tasks: one's list (mine, my unit's, everything one may see), a task with its history
and forms, and a meeting's tasks with the form that assigns them. Every change is a service call."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.models import Unit, User
from frontend.views.common import attempt, in_site_language
from meetings import permissions
from meetings.errors import NotFound
from meetings.minutes.models import ConclusionNotice, MinutesVersion

from . import access, queries, services
from .models import Task


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    scope = request.GET.get("scope", "mine")
    status = request.GET.get("status") or None
    if status not in queries.SHOWN_STATUSES:
        status = None
    kwargs: dict = {"status": status}
    if scope == "mine":
        kwargs["mine"] = True
    elif scope == "unit" and user.unit_id:
        kwargs["unit_id"] = user.unit_id
    tasks = list(queries.filtered(user, **kwargs)[:500])
    return render(request, "tasks/list.html", {
        "tasks": tasks, "scope": scope, "status": status, "statuses": queries.SHOWN_STATUSES,
        "status_labels": _status_labels(),
    })


def _status_labels() -> dict[str, str]:
    return {**{k: str(v) for k, v in Task.Status.choices}, "overdue": _("Overdue"), "confirmed": pgettext("task", "Confirmed"),
            "open": _("Not done yet")}


@login_required
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    user = request.user
    try:
        task = access.task_for(user, task_id)
    except NotFound:
        raise Http404 from None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action in ("report", "done"):
            progress = _int(request.POST.get("progress"))
            attempt(request, lambda: in_site_language(
                services.report, user, task, request.POST.get("text", ""), progress, done=action == "done",
                attachment=request.FILES.get("attachment")),
                _("The task is reported done.") if action == "done" else _("Your report has been saved."))
        elif action == "extend":
            attempt(request, lambda: in_site_language(services.extend, user, task, request.POST.get("deadline", ""),
                                                      request.POST.get("reason", "")), _("The deadline is extended."))
        elif action == "confirm":
            attempt(request, lambda: in_site_language(services.confirm, user, task), _("Completion confirmed."))
        elif action == "reopen":
            attempt(request, lambda: in_site_language(services.reopen, user, task, request.POST.get("reason", "")),
                    _("The task has been sent back."))
        return redirect("task-detail", task.pk)
    return render(request, "tasks/detail.html", {
        "task": task, "updates": task.updates.select_related("author"),
        "may_report": access.is_assignee(user, task), "may_manage": access.is_assigner(user, task),
        "status_labels": _status_labels(),
    })


@login_required
def task_attachment(request: HttpRequest, task_id: int, update_id: int) -> FileResponse:
    """A report's attachment, for whoever may see the task (404 for anyone else)."""
    try:
        task = access.task_for(request.user, task_id)
    except NotFound:
        raise Http404 from None
    update = task.updates.filter(pk=update_id).exclude(attachment="").first()
    if update is None:
        raise Http404
    name = update.attachment.name.rsplit("/", 1)[-1]
    response = FileResponse(update.attachment.open("rb"), as_attachment=True, filename=name)
    response["Cache-Control"] = "private, no-store"
    return response


def _conclusions(meeting) -> list[str]:
    notice = ConclusionNotice.objects.filter(meeting=meeting).first()
    if notice is not None:
        return [f"{c['title']}: {c['text']}" for c in notice.content.get("conclusions", [])]
    version = MinutesVersion.objects.filter(minutes__meeting=meeting).order_by("-number").first()
    if version is None:
        return []
    return [f"{i['title']}: {i['conclusion']}" for i in version.content.get("items", []) if i.get("conclusion")]


@login_required
def meeting_tasks(request: HttpRequest, meeting_id: int) -> HttpResponse:
    user = request.user
    try:
        meeting = permissions.get_visible(user, meeting_id)
    except NotFound:
        raise Http404 from None
    assigner = permissions.can_edit(user, meeting)
    if request.method == "POST" and assigner:
        spec = {"title": request.POST.get("title", ""), "deadline": request.POST.get("deadline", ""),
                "description": request.POST.get("description", ""), "conclusion": request.POST.get("conclusion", ""),
                "unit_id": _int(request.POST.get("unit_id")), "assignee_id": _int(request.POST.get("assignee_id")),
                "agenda_item_id": _int(request.POST.get("agenda_item_id")),
                "priority": request.POST.get("priority") or "normal"}
        attempt(request, lambda: in_site_language(services.create, user, meeting, spec), _("The task is assigned."))
        return redirect("meeting-tasks", meeting.pk)
    return render(request, "tasks/meeting.html", {
        "meeting": meeting, "tasks": list(queries.filtered(user, meeting_id=meeting.pk)),
        "assigner": assigner, "status_labels": _status_labels(),
        "can_assign": assigner and meeting.status in services.ASSIGNING_STATUSES,
        "units": Unit.objects.order_by("order", "name") if assigner else [],
        "people": User.objects.filter(is_active=True).order_by("full_name")[:2000] if assigner else [],
        "agenda": meeting.agenda_items.order_by("order"), "conclusions": _conclusions(meeting) if assigner else [],
        "priorities": Task.Priority.choices,
    })
