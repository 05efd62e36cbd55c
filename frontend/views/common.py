"""Helpers shared by the page views."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import redirect
from django.utils import translation

from meetings.errors import NotFound, ServiceError
from meetings.models import Meeting
from meetings.permissions import can_edit, get_visible


def visible_meeting(request: HttpRequest, meeting_id: int) -> Meeting:
    try:
        return get_visible(request.user, meeting_id)
    except NotFound:
        raise Http404 from None


def editable_meeting(request: HttpRequest, meeting_id: int) -> Meeting:
    meeting = visible_meeting(request, meeting_id)
    if not can_edit(request.user, meeting):
        raise PermissionDenied
    return meeting


def attempt(request: HttpRequest, action: Callable[[], Any], success: str,
            form: forms.Form | None = None) -> bool:
    """Run one service call. On success say so; on a ServiceError show its message, on the form's
    field when the service named one the form has, otherwise as a page message."""
    try:
        action()
    except ServiceError as error:
        show_error(request, error, form)
        return False
    messages.success(request, success)
    return True


def show_error(request: HttpRequest, error: ServiceError, form: forms.Form | None = None) -> None:
    if form is not None:
        field = error.field if error.field in form.fields else None
        form.add_error(field, str(error.message))
    else:
        messages.error(request, str(error.message))


def post_only(fallback: str):
    """For actions: a GET (a reload, a bookmark, the language switch coming back to this address)
    goes to the page the action belongs to instead of an error page."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if request.method != "POST":
                if "meeting_id" in kwargs:
                    return redirect(fallback, kwargs["meeting_id"])
                return redirect(fallback)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def in_site_language(service: Callable[..., Any], *args, **kwargs) -> Any:
    """Call a service that notifies other people in the site's language (LANGUAGE_CODE).

    The services write notification texts with gettext in whatever language is active, so a
    secretary who switched the pages to English would otherwise send English notices to everyone.
    """
    with translation.override(settings.LANGUAGE_CODE):
        return service(*args, **kwargs)
