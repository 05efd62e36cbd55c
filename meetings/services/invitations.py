"""Invitations (giấy mời): in-app notifications and e-mail with an iCalendar attachment.

Mail goes out after the transaction commits, so a refused change never invites anyone, and a mail
server that is down never undoes a publication (the failure is logged; the in-app notice stays).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from meetings.formatting import time_range
from meetings.ics import meeting_calendar
from meetings.models import Meeting, Notification, Participant

log = logging.getLogger(__name__)


def _in_site_language(fn):
    """Notices are read by other people: write them in the site's language, not the sender's."""

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return fn(*args, **kwargs)

    return wrapped


def meeting_url(meeting: Meeting) -> str:
    return reverse("meeting-detail", args=[meeting.pk])


def _invitation_text(meeting: Meeting) -> str:
    lines = [
        _("Meeting: %(title)s") % {"title": meeting.title},
        _("Time: %(time)s") % {"time": time_range(meeting.start, meeting.end)},
        _("Place: %(place)s") % {"place": meeting.place or "—"},
        _("Host unit: %(unit)s") % {"unit": meeting.host_unit},
    ]
    if meeting.chair_id:
        lines.append(_("Chair: %(name)s") % {"name": meeting.chair})
    agenda = list(meeting.agenda_items.order_by("order"))
    if agenda:
        lines.append(_("Agenda:"))
        lines += [f"  {item.order}. {item.title}" for item in agenda]
    if meeting.preparation:
        lines.append(_("Please prepare: %(what)s") % {"what": meeting.preparation})
    if meeting.contact:
        lines.append(_("Contact: %(who)s") % {"who": meeting.contact})
    if meeting.urgent:
        lines.append(_("This is an urgent meeting."))
    return "\n".join(lines)


def _notify(users: Iterable[User], meeting: Meeting, kind: str, title: str, body: str) -> None:
    url = meeting_url(meeting)
    Notification.objects.bulk_create(
        [Notification(user=u, meeting=meeting, kind=kind, title=title, body=body, url=url) for u in users]
    )


def _mail_after_commit(users: list[User], meeting_id: int, kind: str, method: str) -> None:
    emails = [u.email for u in users if u.email]
    if emails:
        transaction.on_commit(lambda: _send_mail(emails, meeting_id, kind, method))


def _send_mail(emails: list[str], meeting_id: int, kind: str, method: str) -> None:
    names = dict(User.objects.filter(email__in=emails).values_list("email", "full_name"))
    with translation.override(settings.LANGUAGE_CODE):
        meeting = Meeting.objects.select_related("host_unit", "chair", "room").get(pk=meeting_id)
        subject = {
            "invitation": _("Invitation: %(title)s"),
            "changed": _("Changed: %(title)s"),
            "cancelled": _("Cancelled: %(title)s"),
            "withdrawn": _("No longer invited: %(title)s"),
        }[kind] % {"title": meeting.title}
        body = _invitation_text(meeting)
        if kind == "cancelled":
            body = _("The meeting has been cancelled. Reason: %(reason)s") % {"reason": meeting.cancel_reason} + "\n\n" + body
        if kind == "withdrawn":
            body = _("You are no longer on the list of participants of this meeting.") + "\n\n" + body
        body += "\n\n" + _("Details and your answer: %(url)s") % {"url": settings.SITE_URL + meeting_url(meeting)}
    for address in emails:
        # One message per person: invitees must not see each other's addresses.
        ics = meeting_calendar([meeting], method=method, attendee=(address, names.get(address, ""))).to_ical()
        message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
        # Django adds the charset of a text attachment itself.
        message.attach("giaymoi.ics", ics, f"text/calendar; method={method}")
        try:
            message.send()
        except Exception:
            log.exception("sending %s for meeting %s to %s failed", kind, meeting_id, address)


@_in_site_language
def send_invitations(meeting: Meeting, actor: User, only: list[Participant] | None = None) -> None:
    participants = only if only is not None else list(meeting.participants.select_related("user"))
    now = timezone.now()
    Participant.objects.filter(pk__in=[p.pk for p in participants]).update(invited_at=now)
    for p in participants:
        p.invited_at = now
    users = [p.user for p in participants]
    _notify(users, meeting, "invitation", _("Invitation: %(title)s") % {"title": meeting.title}, _invitation_text(meeting))
    _mail_after_commit(users, meeting.pk, "invitation", "REQUEST")


def _bump_sequence(meeting: Meeting) -> None:
    meeting.ics_sequence += 1
    Meeting.objects.filter(pk=meeting.pk).update(ics_sequence=meeting.ics_sequence)


def _answering_users(meeting: Meeting) -> list[User]:
    return [p.user for p in meeting.participants.select_related("user").exclude(rsvp=Participant.Rsvp.DECLINED)]


@_in_site_language
def send_change(meeting: Meeting, actor: User) -> None:
    _bump_sequence(meeting)
    users = _answering_users(meeting)
    _notify(users, meeting, "changed", _("Changed: %(title)s") % {"title": meeting.title}, _invitation_text(meeting))
    _mail_after_commit(users, meeting.pk, "changed", "REQUEST")


@_in_site_language
def send_cancellation(meeting: Meeting, actor: User) -> None:
    _bump_sequence(meeting)
    users = [p.user for p in meeting.participants.select_related("user")]
    body = _("The meeting has been cancelled. Reason: %(reason)s") % {"reason": meeting.cancel_reason}
    _notify(users, meeting, "cancelled", _("Cancelled: %(title)s") % {"title": meeting.title}, body)
    _mail_after_commit(users, meeting.pk, "cancelled", "CANCEL")


@_in_site_language
def send_withdrawal(meeting: Meeting, actor: User, user: User) -> None:
    """Someone taken off the participants of an announced meeting: told, and the entry leaves their calendar."""
    _bump_sequence(meeting)
    title = _("No longer invited: %(title)s") % {"title": meeting.title}
    _notify([user], meeting, "withdrawn", title, _("You are no longer on the list of participants of this meeting."))
    _mail_after_commit([user], meeting.pk, "withdrawn", "CANCEL")


@_in_site_language
def notify_editors_of_answer(meeting: Meeting, p: Participant) -> None:
    editors = {u for u in (meeting.secretary, meeting.chair) if u is not None and u.pk != p.user_id}
    if not editors:
        return
    title = _("%(name)s answered: %(answer)s") % {"name": p.user, "answer": p.get_rsvp_display()}
    body = p.rsvp_reason and _("Reason: %(reason)s") % {"reason": p.rsvp_reason}
    _notify(editors, meeting, "answer", title, body or "")
