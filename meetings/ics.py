"""iCalendar (.ics) for invitations and the personal calendar feed, made with ``icalendar``."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from icalendar import Calendar, Event, vCalAddress, vText

from meetings.models import Meeting


def _uid(meeting: Meeting) -> str:
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "phonghop"
    return f"meeting-{meeting.pk}@{host}"


def meeting_event(meeting: Meeting, cancelled: bool = False, attendee: tuple[str, str] | None = None) -> Event:
    """The meeting as one VEVENT; ``attendee`` (e-mail, name) names the person a personal copy is for."""
    event = Event()
    event.add("uid", _uid(meeting))
    event.add("dtstamp", meeting.updated_at)
    event.add("dtstart", meeting.start)
    event.add("dtend", meeting.end)
    event.add("summary", meeting.title)
    event.add("sequence", meeting.ics_sequence)
    if meeting.place:
        event.add("location", meeting.place)
    description = meeting.description or ""
    url = settings.SITE_URL + reverse("meeting-detail", args=[meeting.pk])
    event.add("description", (description + "\n\n" + url).strip())
    event.add("url", url)
    if meeting.chair_id and meeting.chair.email:
        organizer = vCalAddress(f"mailto:{meeting.chair.email}")
        organizer.params["cn"] = vText(str(meeting.chair))
        event.add("organizer", organizer)
    if attendee:
        address = vCalAddress(f"mailto:{attendee[0]}")
        if attendee[1]:
            address.params["cn"] = vText(attendee[1])
        address.params["role"] = vText("REQ-PARTICIPANT")
        address.params["rsvp"] = vText("FALSE")  # answers go through the system, not by calendar reply
        event.add("attendee", address)
    is_cancelled = cancelled or meeting.status == Meeting.Status.CANCELLED
    event.add("status", "CANCELLED" if is_cancelled else "CONFIRMED")
    return event


def meeting_calendar(
    meetings: Iterable[Meeting], method: str | None = None, name: str = "Phòng họp số",
    attendee: tuple[str, str] | None = None,
) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Phong hop so//phonghop//VI")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    if method:
        cal.add("method", method)
    for meeting in meetings:
        cal.add_component(meeting_event(meeting, cancelled=method == "CANCEL", attendee=attendee))
    return cal
