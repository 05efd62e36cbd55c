"""REST API for written consultations (docs/api.md, "Written consultations"). Writes go through services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from ninja import Router, Schema
from ninja.responses import Status

from meetings.api.auth import AUTH, actor
from meetings.api.schemas import Error
from meetings.consultation import results, services
from meetings.consultation.models import Answer, Consultation

router = Router(tags=["consultations"], auth=AUTH)
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 422: Error}


class QuestionIn(Schema):
    text: str
    kind: str = "opinion"  # opinion (agree / disagree / other) | free


class ConsultationIn(Schema):
    title: str
    body: str = ""
    deadline: dt.datetime
    questions: list[QuestionIn]
    recipient_ids: list[int]
    send: bool = True


class AnswerIn(Schema):
    question_id: int
    choice: str = ""  # agree | disagree | other (opinion questions)
    text: str = ""


class AnswersIn(Schema):
    answers: list[AnswerIn]


class WithdrawIn(Schema):
    reason: str


def summary(c: Consultation, user) -> dict[str, Any]:
    mine = c.recipients.filter(user=user).first()
    out = {"id": c.pk, "title": c.title, "body": c.body, "status": c.status, "deadline": c.deadline.isoformat(),
           "closed": c.is_closed(), "office": services.is_office(user, c),
           "questions": [{"id": q.pk, "order": q.order, "text": q.text, "kind": q.kind} for q in c.questions.all()],
           "attachments": [{"id": a.pk, "name": a.name, "pages": a.pages, "sha256": a.sha256}
                           for a in c.attachments.all()]}
    if mine is not None:
        out["mine"] = {"answered_at": mine.answered_at.isoformat() if mine.answered_at else None,
                       "answers": [{"question_id": a.question_id, "choice": a.choice, "text": a.text}
                                   for a in Answer.objects.filter(recipient=mine)]}
    return out


@router.get("", response=list[dict], summary="Consultations I am asked, or that my office asks")
def list_consultations(request):
    user = actor(request)
    return [{"id": c.pk, "title": c.title, "status": c.status, "deadline": c.deadline.isoformat(),
             "closed": c.is_closed(), "office": services.is_office(user, c)}
            for c in services.visible(user).order_by("deadline")[:500]]


@router.post("", response={201: dict, **ERRORS}, summary="Ask members for their written opinion")
def create(request, payload: ConsultationIn):
    user = actor(request)
    deadline = payload.deadline if timezone.is_aware(payload.deadline) else timezone.make_aware(payload.deadline)
    c = services.create(user, title=payload.title, body=payload.body, deadline=deadline,
                        questions=[q.dict() for q in payload.questions], recipient_ids=payload.recipient_ids,
                        send=payload.send)
    return Status(201, summary(c, user))


@router.get("/{int:consultation_id}", response={200: dict, **ERRORS})
def detail(request, consultation_id: int):
    user = actor(request)
    return summary(services.get_visible(user, consultation_id), user)


@router.put("/{int:consultation_id}/answer", response={200: dict, **ERRORS},
            summary="Give or change my answer (until the deadline)")
def give_answer(request, consultation_id: int, payload: AnswersIn):
    user = actor(request)
    c = services.get_visible(user, consultation_id)
    services.answer(user, c, [a.dict() for a in payload.answers])
    return summary(c, user)


@router.post("/{int:consultation_id}/send", response={200: dict, **ERRORS})
def send(request, consultation_id: int):
    user = actor(request)
    return summary(services.send(user, services.get_visible(user, consultation_id)), user)


@router.post("/{int:consultation_id}/withdraw", response={200: dict, **ERRORS})
def withdraw(request, consultation_id: int, payload: WithdrawIn):
    user = actor(request)
    return summary(services.withdraw(user, services.get_visible(user, consultation_id), payload.reason), user)


def _office_consultation(request, consultation_id: int) -> Consultation:
    from django.utils.translation import gettext as _

    from meetings.errors import Forbidden

    user = actor(request)
    c = services.get_visible(user, consultation_id)
    if not services.is_office(user, c):
        raise Forbidden(_("Only the office that asked sees the answers of others."))
    return c


@router.get("/{int:consultation_id}/results", response={200: dict, **ERRORS},
            summary="The result sheet: counts, the result in words, who answered what (the asking office)")
def result_sheet(request, consultation_id: int):
    data = results.sheet(_office_consultation(request, consultation_id))
    data["deadline"] = data["deadline"].isoformat()
    for p in data["people"]:
        p["answered_at"] = p["answered_at"].isoformat() if p["answered_at"] else None
    return data


@router.get("/{int:consultation_id}/results/export", response={200: None, **ERRORS},
            summary="The result sheet as XLSX or PDF (the asking office)")
def result_file(request, consultation_id: int, format: str = "xlsx"):
    from django.utils.translation import gettext as _

    from meetings.errors import Invalid

    c = _office_consultation(request, consultation_id)
    if format not in results.FILES:
        raise Invalid(_("The file format must be xlsx or pdf."), field="format")
    return results.as_download(c, format)
