"""Who sees and who changes a task. Read-only: nothing here writes.

- **The assigning office**: whoever may edit the meeting (``permissions.can_edit``: its chair, secretary,
  host-unit administrators, system administrators) creates tasks, changes them, extends deadlines (with a
  reason), confirms completion or sends a task back.
- **The assignee**: the person in charge updates their own task (progress reports, reporting it done).
  When a task names only a unit, that unit's administrators act as its assignee.
- **The unit**: people of the unit in charge see its tasks, read-only. Nobody else sees a task (404).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from meetings import permissions
from meetings.errors import Forbidden, NotFound

from .models import Task


def visible_tasks(user: User) -> QuerySet[Task]:
    tasks = Task.objects.all()
    if not user.is_authenticated or not user.is_active:
        return tasks.none()
    if user.is_system_admin:
        return tasks
    managed = permissions.admin_unit_ids(user)
    rule = Q(assignee=user) | Q(meeting__chair=user) | Q(meeting__secretary=user)
    if user.unit_id:
        rule |= Q(unit_id=user.unit_id)
    if managed:
        rule |= Q(unit_id__in=managed) | Q(meeting__host_unit_id__in=managed)
    return tasks.filter(rule).distinct()


def task_for(user: User, task_id: int) -> Task:
    task = visible_tasks(user).select_related("meeting", "unit", "assignee", "agenda_item").filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("This task does not exist, or you may not see it."), "no_task")
    return task


def is_assigner(user: User, task: Task) -> bool:
    return permissions.can_edit(user, task.meeting)


def is_assignee(user: User, task: Task) -> bool:
    if not user.is_authenticated:
        return False
    if task.assignee_id is not None:
        return task.assignee_id == user.pk
    return task.unit_id is not None and task.unit_id in permissions.admin_unit_ids(user)


def require_assigner(user: User, task: Task) -> None:
    if not is_assigner(user, task):
        raise Forbidden(_("Only the office that assigned the task can do this."), "not_assigner")


def require_assignee(user: User, task: Task) -> None:
    if not is_assignee(user, task):
        raise Forbidden(_("Only the person in charge of the task can report on it."), "not_assignee")
