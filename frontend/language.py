"""Vietnamese unless the person chose otherwise.

Django's LocaleMiddleware follows the browser's Accept-Language, so an office PC with an English
Windows would get English pages. The buyer wants the UI in Vietnamese: our pages use the language
cookie set by the switch in the header (Django's set_language view) and otherwise LANGUAGE_CODE.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


def chosen_language(request) -> str:
    code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if code and code in dict(settings.LANGUAGES):
        return code
    return settings.LANGUAGE_CODE


def vietnamese_by_default(view):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        language = chosen_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        return view(request, *args, **kwargs)

    return wrapped


class VietnameseByDefaultMiddleware(LocaleMiddleware):
    """Project-wide: pages, admin and error pages speak the switch's choice, else Vietnamese.

    The REST API keeps Django's Accept-Language negotiation: a calling system that asks for English
    says so explicitly, and one that says nothing gets Vietnamese (LANGUAGE_CODE).
    """

    def process_request(self, request) -> None:
        if request.path.startswith("/api/"):
            return super().process_request(request)
        language = chosen_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
