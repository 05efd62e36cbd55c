"""{% vote_ballot %}: the delegate's ballot in the live room; {% vote_console %}: the organisers' voting
card in the chair's console; {% vote_record %}: announced results on the meeting page."""

from __future__ import annotations

from django import template
from django.urls import reverse

from meetings import permissions
from meetings.models import Meeting
from meetings.voting import services
from meetings.voting.models import VotingItem
from meetings.voting.options import Preset
from meetings.voting.strings import strings

register = template.Library()


def _config(meeting: Meeting, **extra) -> dict:
    return {"meeting_id": meeting.pk, "api": f"/api/v1/meetings/{meeting.pk}/votes", **extra}


@register.inclusion_tag("voting/ballot.html", takes_context=True)
def vote_ballot(context) -> dict:
    meeting: Meeting = context["meeting"]
    return {"config": _config(meeting), "strings": strings()}


@register.inclusion_tag("voting/console.html", takes_context=True)
def vote_console(context) -> dict:
    meeting: Meeting = context["meeting"]
    return {
        "config": _config(meeting, screen_url=reverse("vote-screen", args=[meeting.pk])),
        "strings": strings(), "presets": [(p.value, p.value) for p in Preset], "request": context.get("request"),
        "agenda": meeting.agenda_items.order_by("order"),
    }


@register.inclusion_tag("voting/record.html", takes_context=True)
def vote_record(context) -> dict:
    meeting: Meeting = context["meeting"]
    user = context["request"].user
    editor = permissions.can_edit(user, meeting)
    shown = [VotingItem.Status.PUBLISHED, *([VotingItem.Status.CLOSED] if editor else [])]
    items = list(VotingItem.objects.filter(meeting=meeting, status__in=shown).order_by("id"))
    return {
        "meeting": meeting, "items": [(i, services.item_data(i)) for i in items], "editor": editor,
        "screen_url": reverse("vote-screen", args=[meeting.pk]),
    }
