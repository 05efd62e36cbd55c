"""Signing in and out, the password, the profile and the private calendar feed."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.messages.views import SuccessMessageMixin
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from frontend.forms import LoginForm
from frontend.views.common import post_only
from meetings.ics import meeting_calendar
from meetings.models import Meeting
from meetings.queries import search_meetings


class LoginView(auth_views.LoginView):
    template_name = "frontend/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(SuccessMessageMixin, auth_views.PasswordChangeView):
    template_name = "frontend/password_change.html"
    success_url = reverse_lazy("profile")
    success_message = gettext_lazy("Your password has been changed.")


def feed_url(user: User) -> str:
    return settings.SITE_URL + reverse("calendar-feed", args=[user.calendar_token])


@login_required
def profile(request):
    return render(request, "frontend/profile.html", {"feed_url": feed_url(request.user)})


@login_required
@post_only("profile")
def reset_calendar_key(request):
    request.user.reset_calendar_token()
    messages.success(request, _("A new calendar address has been made. The old address no longer works: "
                                "update it in your calendar application."))
    return redirect("profile")


def calendar_feed(request, token: str):
    """The person's meetings as iCalendar, for Outlook, Thunderbird or a phone. The key is the secret."""
    user = User.objects.filter(calendar_token=token, is_active=True).first()
    if user is None:
        raise Http404
    meetings = search_meetings(user, mine=True).exclude(status=Meeting.Status.DRAFT)
    calendar = meeting_calendar(meetings, name=_("Meetings of %(name)s") % {"name": user})
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
