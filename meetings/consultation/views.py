"""Pages of written consultations: my list, the answer page (phone-sized, plain form), the result sheet for the
asking office, and the office's form to ask. Every change goes through ``services``."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from frontend.language import vietnamese_by_default
from frontend.views.common import attempt, show_error
from meetings.consultation import results, services
from meetings.consultation.models import Answer, Consultation
from meetings.errors import Invalid, NotFound


def _get(request: HttpRequest, consultation_id: int) -> Consultation:
    try:
        return services.get_visible(request.user, consultation_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


@vietnamese_by_default
@login_required
def index(request: HttpRequest) -> HttpResponse:
    found = list(services.visible(request.user).order_by("deadline"))
    asked = [c for c in found if c.recipients.filter(user=request.user).exists()]
    office = [c for c in found if services.is_office(request.user, c)]
    return render(request, "consultation/index.html", {
        "asked": asked, "office": office, "may_ask": services.may_ask(request.user), "now": timezone.now()})


@vietnamese_by_default
@login_required
def detail(request: HttpRequest, consultation_id: int) -> HttpResponse:
    c = _get(request, consultation_id)
    mine = c.recipients.filter(user=request.user).first()
    if request.method == "POST":
        if mine is None:
            raise PermissionDenied
        answers = [{"question_id": q.pk, "choice": request.POST.get(f"q{q.pk}-choice", ""),
                    "text": request.POST.get(f"q{q.pk}-text", "")} for q in c.questions.all()]
        done = _("Your answer has been recorded.") if mine.answered_at is None else _("Your answer has been changed.")
        if attempt(request, lambda: services.answer(request.user, c, answers), done):
            return redirect("consultation-detail", c.pk)
    given = {a.question_id: a for a in Answer.objects.filter(recipient=mine)} if mine else {}
    questions = [{"q": q, "answer": given.get(q.pk)} for q in c.questions.all()]
    if request.method == "POST":  # refused: show what was typed, not what was stored
        questions = [{"q": row["q"], "answer": Answer(choice=request.POST.get(f"q{row['q'].pk}-choice", ""),
                                                      text=request.POST.get(f"q{row['q'].pk}-text", ""))}
                     for row in questions]
    return render(request, "consultation/detail.html", {
        "c": c, "mine": mine, "questions": questions, "office": services.is_office(request.user, c),
        "closed": c.is_closed(), "choices": Answer.Choice.choices})


@vietnamese_by_default
@login_required
def result_page(request: HttpRequest, consultation_id: int) -> HttpResponse:
    c = _get(request, consultation_id)
    if not services.is_office(request.user, c):
        raise PermissionDenied(_("Only the office that asked sees the answers of others."))
    return render(request, "consultation/results.html", {"c": c, "sheet": results.sheet(c),
                                                          "labels": results.CHOICES})


@vietnamese_by_default
@login_required
def result_file(request: HttpRequest, consultation_id: int, fmt: str) -> HttpResponse:
    c = _get(request, consultation_id)
    if not services.is_office(request.user, c):
        raise PermissionDenied(_("Only the office that asked sees the answers of others."))
    return results.as_download(c, fmt)


@vietnamese_by_default
@login_required
def create(request: HttpRequest) -> HttpResponse:
    if not services.may_ask(request.user):
        raise PermissionDenied(_("Only secretaries, chairs and administrators can ask for written opinions."))
    people = User.objects.filter(is_active=True).exclude(pk=request.user.pk).select_related("unit").order_by(
        "unit__name", "full_name")
    form = {"title": "", "body": "", "deadline": "", "questions": "", "recipients": []}
    if request.method == "POST":
        form = {"title": request.POST.get("title", ""), "body": request.POST.get("body", ""),
                "deadline": request.POST.get("deadline", ""), "questions": request.POST.get("questions", ""),
                "recipients": [int(x) for x in request.POST.getlist("recipients") if x.isdigit()]}
        try:
            deadline = timezone.make_aware(dt.datetime.fromisoformat(form["deadline"]))
        except ValueError:
            show_error(request, Invalid(_("Give the deadline as a date and time.")))
        else:
            questions = [{"text": line.strip()} for line in form["questions"].splitlines() if line.strip()]
            made: list[Consultation] = []
            if attempt(request, lambda: made.append(services.create(
                    request.user, title=form["title"], body=form["body"], deadline=deadline, questions=questions,
                    recipient_ids=form["recipients"])), _("The consultation has been sent.")):
                return redirect("consultation-detail", made[0].pk)
    return render(request, "consultation/create.html", {"form": form, "people": people})


