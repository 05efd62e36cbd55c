"""Agenda items: add, edit, delete, reorder. Supplementary items may be added while the meeting runs."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from accounts.models import User
from meetings import permissions
from meetings.errors import Invalid, NotFound
from meetings.models import AgendaItem, Meeting
from meetings.services import events
from meetings.services.meetings import EDITABLE_STATUSES

ITEM_FIELDS = ("title", "presenter", "presenter_name", "planned_minutes", "description")


def item_data(item: AgendaItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "order": item.order,
        "title": item.title,
        "presenter": item.presenter_display,
        "planned_minutes": item.planned_minutes,
    }


def agenda_data(meeting: Meeting) -> list[dict[str, Any]]:
    return [item_data(i) for i in meeting.agenda_items.select_related("presenter").order_by("order")]


def _locked_editable(actor: User, meeting: Meeting) -> Meeting:
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    permissions.require_edit(actor, meeting)
    if meeting.status not in EDITABLE_STATUSES:
        raise Invalid(_("A meeting that has ended or was cancelled can no longer be changed."), "not_editable")
    return meeting


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(ITEM_FIELDS)
    if unknown:
        raise Invalid(_("Unknown fields: %(names)s") % {"names": ", ".join(sorted(unknown))})
    if "title" in values and not (values["title"] or "").strip():
        raise Invalid(_("The agenda item needs a title."), field="title")
    if "planned_minutes" in values and not 1 <= int(values["planned_minutes"]) <= 24 * 60:
        raise Invalid(_("Planned time must be between 1 minute and 24 hours."), field="planned_minutes")
    if isinstance(values.get("presenter"), int):
        presenter = User.objects.filter(pk=values["presenter"]).first()
        if presenter is None:
            raise Invalid(_("Unknown presenter."), field="presenter")
        values["presenter"] = presenter
    return values


def _record(actor: User, meeting: Meeting, action: str, target: str) -> None:
    events.record(meeting, "agenda.changed", {"items": agenda_data(meeting)}, actor)
    events.audit(actor, action, meeting, target)


@transaction.atomic
def add_item(actor: User, meeting: Meeting, **values: Any) -> AgendaItem:
    meeting = _locked_editable(actor, meeting)
    values = _clean(values)
    if "title" not in values:
        raise Invalid(_("The agenda item needs a title."), field="title")
    last = meeting.agenda_items.aggregate(m=Max("order"))["m"] or 0
    item = AgendaItem.objects.create(meeting=meeting, order=last + 1, **values)
    _record(actor, meeting, "agenda.add", item.title)
    return item


def _get_item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = meeting.agenda_items.filter(pk=item_id).first()
    if item is None:
        raise NotFound(_("This agenda item does not exist."))
    return item


@transaction.atomic
def update_item(actor: User, meeting: Meeting, item_id: int, **values: Any) -> AgendaItem:
    meeting = _locked_editable(actor, meeting)
    item = _get_item(meeting, item_id)
    for name, value in _clean(values).items():
        setattr(item, name, value)
    item.save()
    _record(actor, meeting, "agenda.update", item.title)
    return item


@transaction.atomic
def delete_item(actor: User, meeting: Meeting, item_id: int) -> None:
    meeting = _locked_editable(actor, meeting)
    item = _get_item(meeting, item_id)
    item.delete()
    for order, remaining in enumerate(meeting.agenda_items.order_by("order"), start=1):
        if remaining.order != order:
            AgendaItem.objects.filter(pk=remaining.pk).update(order=order)
    _record(actor, meeting, "agenda.delete", item.title)


@transaction.atomic
def reorder(actor: User, meeting: Meeting, item_ids: list[int]) -> list[AgendaItem]:
    meeting = _locked_editable(actor, meeting)
    current = set(meeting.agenda_items.values_list("pk", flat=True))
    if len(item_ids) != len(set(item_ids)) or set(item_ids) != current:
        raise Invalid(_("The new order must list every agenda item of this meeting exactly once."), "bad_order")
    for order, pk in enumerate(item_ids, start=1):
        AgendaItem.objects.filter(pk=pk).update(order=order)
    _record(actor, meeting, "agenda.reorder", "")
    return list(meeting.agenda_items.order_by("order"))


@transaction.atomic
def move_item(actor: User, meeting: Meeting, item_id: int, delta: int) -> list[AgendaItem]:
    """Move one item up (-1) or down (+1): what the page's arrow buttons do."""
    meeting = _locked_editable(actor, meeting)  # read the order under the lock, so two moves can't cross
    ids = list(meeting.agenda_items.order_by("order").values_list("pk", flat=True))
    if item_id not in ids:
        raise NotFound(_("This agenda item does not exist."))
    i = ids.index(item_id)
    j = max(0, min(len(ids) - 1, i + delta))
    ids[i], ids[j] = ids[j], ids[i]
    return reorder(actor, meeting, ids)
