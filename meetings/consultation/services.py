"""The only code that changes consultations. Each service checks who may do it and what was sent, writes in
one transaction, records the change in the audit trail, and notifies after commit."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import CREATE_MEETING, Role
from meetings.consultation.models import Answer, Attachment, Consultation, Question, Recipient
from meetings.errors import Forbidden, Invalid, NotFound
from meetings.models import Notification
from meetings.permissions import admin_unit_ids
from meetings.services import events

REMIND_BEFORE = dt.timedelta(hours=24)
C = Consultation.Status


# Who ---------------------------------------------------------------------------------------------

def may_ask(user: User) -> bool:
    return user.is_authenticated and user.is_active and (user.is_system_admin or user.can(CREATE_MEETING))


def is_office(user: User, c: Consultation) -> bool:
    """The asking office: whoever asked, the organisers of the asking unit, its administrators."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_system_admin or user.pk == c.created_by_id:
        return True
    if user.role == Role.UNIT_ADMIN:
        return c.host_unit_id in admin_unit_ids(user)
    return may_ask(user) and user.unit_id == c.host_unit_id


def visible(user: User):
    """Consultations a person asks (as the office) or is asked; drafts only to the office."""
    if not user.is_authenticated or not user.is_active:
        return Consultation.objects.none()
    if user.is_system_admin:
        return Consultation.objects.all()
    rule = Q(created_by=user) | (Q(recipients__user=user) & ~Q(status=C.DRAFT))
    if user.role == Role.UNIT_ADMIN:
        rule |= Q(host_unit_id__in=admin_unit_ids(user))
    elif may_ask(user) and user.unit_id:
        rule |= Q(host_unit_id=user.unit_id)
    return Consultation.objects.filter(rule).distinct()


def get_visible(user: User, consultation_id: int) -> Consultation:
    found = visible(user).filter(pk=consultation_id).first()
    if found is None:
        raise NotFound()
    return found


def _office(user: User, c: Consultation) -> None:
    if not is_office(user, c):
        raise Forbidden(_("Only the office that asked can do this."))


# Asking -------------------------------------------------------------------------------------------

def _questions(specs: Iterable[dict[str, Any]]) -> list[tuple[str, str]]:
    out = []
    for spec in specs:
        text, kind = str(spec.get("text") or "").strip(), spec.get("kind") or Question.Kind.OPINION
        if not text:
            raise Invalid(_("Each question needs its text."), field="questions")
        if kind not in Question.Kind.values:
            raise Invalid(_("A question is either an opinion (agree / disagree / other) or a free answer."),
                          field="questions")
        out.append((text[:5000], kind))
    if not out:
        raise Invalid(_("Ask at least one question."), field="questions")
    return out


def create(actor: User, *, title: str, deadline: dt.datetime, questions: list[dict[str, Any]],
           recipient_ids: list[int], body: str = "", send: bool = True) -> Consultation:
    if not may_ask(actor):
        raise Forbidden(_("Only secretaries, chairs and administrators can ask for written opinions."))
    title = (title or "").strip()
    if not title:
        raise Invalid(_("Give the consultation a title."), field="title")
    if deadline <= timezone.now():
        raise Invalid(_("The deadline must be in the future."), field="deadline")
    specs = _questions(questions)
    people = list(User.objects.filter(pk__in=set(recipient_ids), is_active=True))
    if not people or len(people) != len(set(recipient_ids)):
        raise Invalid(_("Choose the people to ask (active accounts)."), field="recipient_ids")
    if not actor.unit_id:
        raise Invalid(_("Your account belongs to no unit, so it cannot ask in a unit's name."))
    with transaction.atomic():
        c = Consultation.objects.create(title=title[:500], body=body, host_unit_id=actor.unit_id, created_by=actor,
                                        deadline=deadline)
        Question.objects.bulk_create([Question(consultation=c, order=i, text=t, kind=k)
                                      for i, (t, k) in enumerate(specs, start=1)])
        Recipient.objects.bulk_create([Recipient(consultation=c, user=u) for u in people])
        events.audit(actor, "consultation.create", None, f"consultation {c.pk}", title=c.title,
                     recipients=len(people))
        if send:
            _send(actor, c)
    return c


def _notify(users: Iterable[User], c: Consultation, kind: str, title: str, body: str) -> None:
    Notification.objects.bulk_create([Notification(user=u, kind=kind, title=title[:500], body=body,
                                                   url=f"/consultations/{c.pk}/") for u in users])


def _deadline_text(c: Consultation) -> str:
    return timezone.localtime(c.deadline).strftime("%H:%M, %d/%m/%Y")


def _send(actor: User, c: Consultation) -> None:
    c.status, c.sent_at = C.OPEN, timezone.now()
    c.save(update_fields=["status", "sent_at"])
    people = [r.user for r in c.recipients.select_related("user")]
    _notify(people, c, "consultation", _("Your written opinion is asked: %(title)s") % {"title": c.title},
            _("Please answer by %(when)s.") % {"when": _deadline_text(c)})
    events.audit(actor, "consultation.send", None, f"consultation {c.pk}", recipients=len(people))


def send(actor: User, c: Consultation) -> Consultation:
    with transaction.atomic():
        c = Consultation.objects.select_for_update().get(pk=c.pk)
        _office(actor, c)
        if c.status != C.DRAFT:
            raise Invalid(_("This consultation has already been sent."), "already_sent")
        if c.deadline <= timezone.now():
            raise Invalid(_("The deadline must be in the future."), field="deadline")
        _send(actor, c)
    return c


def withdraw(actor: User, c: Consultation, reason: str) -> Consultation:
    if not (reason or "").strip():
        raise Invalid(_("Say why the consultation is withdrawn."), field="reason")
    with transaction.atomic():
        c = Consultation.objects.select_for_update().get(pk=c.pk)
        _office(actor, c)
        c.status = C.WITHDRAWN
        c.save(update_fields=["status"])
        _notify([r.user for r in c.recipients.select_related("user")], c, "consultation",
                _("Consultation withdrawn: %(title)s") % {"title": c.title}, reason)
        events.audit(actor, "consultation.withdraw", None, f"consultation {c.pk}", reason=reason)
    return c


def attach(actor: User, c: Consultation, path: str | os.PathLike, name: str) -> Attachment:
    """A draft for the members to read: the PDF intake (sandboxed child, limits) before anything is written."""
    from meetings.pdf import intake

    _office(actor, c)
    if c.status == C.WITHDRAWN:
        raise Invalid(_("This consultation was withdrawn."), "withdrawn")
    accepted = intake.accept(path)
    with transaction.atomic():
        a = Attachment.objects.create(consultation=c, sha256=accepted.result.sha256, name=os.path.basename(name)[:255],
                                      title=(accepted.result.title or "")[:500], pages=accepted.result.pages)
        events.audit(actor, "consultation.attach", None, f"consultation {c.pk}", sha256=a.sha256, name=a.name)
    return a


# Answering ----------------------------------------------------------------------------------------

def _clean_answers(c: Consultation, answers: list[dict[str, Any]]) -> dict[int, tuple[str, str]]:
    questions = {q.pk: q for q in c.questions.all()}
    out: dict[int, tuple[str, str]] = {}
    for a in answers:
        q = questions.get(int(a.get("question_id") or 0))
        if q is None:
            raise Invalid(_("There is no such question in this consultation."), field="answers")
        choice, text = (a.get("choice") or "").strip(), (a.get("text") or "").strip()[:10000]
        if q.kind == Question.Kind.OPINION:
            if choice not in Answer.Choice.values:
                raise Invalid(_("Choose agree, disagree or other opinion for question %(n)s.") % {"n": q.order},
                              field="answers")
            if choice == Answer.Choice.OTHER and not text:
                raise Invalid(_("Write your other opinion for question %(n)s.") % {"n": q.order}, field="answers")
        elif not text:
            raise Invalid(_("Write your answer to question %(n)s.") % {"n": q.order}, field="answers")
        else:
            choice = ""
        out[q.pk] = (choice, text)
    missing = [q.order for pk, q in questions.items() if pk not in out]
    if missing:
        raise Invalid(_("Answer every question (missing: %(list)s).") % {"list": ", ".join(map(str, missing))},
                      field="answers")
    return out


def answer(actor: User, c: Consultation, answers: list[dict[str, Any]], now: dt.datetime | None = None) -> Recipient:
    """The member's answer, or a change of it, until the deadline; the time is the database's commit, so a
    change a moment after the deadline is refused even if the page was opened before."""
    with transaction.atomic():
        c = Consultation.objects.select_for_update().get(pk=c.pk)
        r = c.recipients.filter(user=actor).first()
        if r is None:
            raise Forbidden(_("This consultation does not ask you."))
        if c.status == C.WITHDRAWN:
            raise Invalid(_("This consultation was withdrawn."), "withdrawn")
        if c.is_closed(now):
            raise Invalid(_("The deadline has passed: answers can no longer be given or changed."), "closed")
        cleaned = _clean_answers(c, answers)
        moment = now or timezone.now()
        for question_id, (choice, text) in cleaned.items():
            Answer.objects.update_or_create(recipient=r, question_id=question_id,
                                            defaults={"choice": choice, "text": text, "at": moment})
        first = r.answered_at is None
        if first:
            r.answered_at = moment
        else:
            r.changed += 1
        r.save(update_fields=["answered_at", "changed"])
        # The fact of answering, never its content: the office reads the content on the result sheet.
        events.audit(actor, "consultation.answer" if first else "consultation.change", None, f"consultation {c.pk}")
    return r


def attach_to_answer(actor: User, c: Consultation, path: str | os.PathLike, name: str) -> Recipient:
    from meetings.pdf import intake

    r = c.recipients.filter(user=actor).first()
    if r is None:
        raise Forbidden(_("This consultation does not ask you."))
    if c.is_closed():
        raise Invalid(_("The deadline has passed: answers can no longer be given or changed."), "closed")
    accepted = intake.accept(path)
    with transaction.atomic():
        r.file_sha256, r.file_name = accepted.result.sha256, os.path.basename(name)[:255]
        r.save(update_fields=["file_sha256", "file_name"])
        events.audit(actor, "consultation.answer_file", None, f"consultation {c.pk}", sha256=r.file_sha256)
    return r


# Reminders ----------------------------------------------------------------------------------------

def remind_due(now: dt.datetime | None = None, before: dt.timedelta = REMIND_BEFORE) -> int:
    """Remind those who have not answered, once per consultation, when its deadline is near. Run it often
    (the Huey job, or ``phonghop manage consultation_reminders``): each consultation is claimed
    by a conditional UPDATE, so several processes running it at once send one reminder. Scheduled by the
    Huey job in ``jobs.py``."""
    now = now or timezone.now()
    sent = 0
    due = Consultation.objects.filter(status=C.OPEN, reminded_at__isnull=True, deadline__gt=now,
                                      deadline__lte=now + before)
    for c in due:
        with transaction.atomic():
            if not Consultation.objects.filter(pk=c.pk, reminded_at__isnull=True).update(reminded_at=now):
                continue  # another process reminded
            waiting = [r.user for r in c.recipients.filter(answered_at__isnull=True).select_related("user")]
            _notify(waiting, c, "consultation_reminder",
                    _("Reminder: your written opinion is awaited: %(title)s") % {"title": c.title},
                    _("Please answer by %(when)s.") % {"when": _deadline_text(c)})
            events.audit(None, "consultation.remind", None, f"consultation {c.pk}", recipients=len(waiting))
            sent += len(waiting)
    return sent
