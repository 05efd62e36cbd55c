"""The person's notifications: invitations, changes, cancellations, answers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from frontend.views.common import post_only
from meetings.models import Notification
from meetings.services.notifications import mark_read


@login_required
def notifications(request):
    qs = Notification.objects.filter(user=request.user).select_related("meeting")
    if request.GET.get("unread"):
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "frontend/notifications.html", {"page": page, "only_unread": bool(request.GET.get("unread"))})


@login_required
@post_only("notifications")
def read(request):
    if request.POST.get("all"):
        mark_read(request.user)
        messages.success(request, _("All notifications are marked as read."))
    else:
        ids = [int(v) for v in request.POST.getlist("id") if v.isdigit()]
        mark_read(request.user, ids)
    return redirect("notifications")


@login_required
def open_notification(request, notification_id: int):
    """Follow a notification's link, marking it read on the way."""
    note = get_object_or_404(Notification, pk=notification_id, user=request.user)
    mark_read(request.user, [note.pk])
    if note.url and url_has_allowed_host_and_scheme(note.url, allowed_hosts={request.get_host()}):
        return redirect(note.url)
    return redirect("notifications")
