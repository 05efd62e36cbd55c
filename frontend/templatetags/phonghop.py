"""Template filters: dates the Vietnamese way, and the meeting's badges."""

from __future__ import annotations

from django import template

from meetings import formatting
from meetings.models import Meeting, Participant

register = template.Library()


@register.filter
def long_datetime(value):
    """{{ meeting.start|long_datetime }} → "Thứ Hai, 23/11/2026, 08:00"."""
    return formatting.long_datetime(value)


@register.filter
def long_date(value):
    return formatting.long_date(value)


@register.filter
def time_range(start, end):
    """{{ meeting.start|time_range:meeting.end }} → "Thứ Hai, 23/11/2026, 08:00 – 11:00"."""
    if start is None or end is None:
        return formatting.long_datetime(start)
    return formatting.time_range(start, end)


@register.filter
def local_date(value):
    """The local calendar day of a datetime (to group a calendar by day)."""
    return formatting.local(value).date()


@register.inclusion_tag("frontend/includes/badges.html")
def meeting_badges(meeting: Meeting):
    return {"meeting": meeting, "classified": meeting.classification != Meeting.Classification.NONE}


@register.inclusion_tag("frontend/includes/rsvp_badge.html")
def rsvp_badge(participant: Participant):
    return {"p": participant}
