"""The user's own language (User.preferred_language, set by an admin or by the user's last choice
in the language switcher) wins over the browser's and the cookie's for pages of a logged-in
user: a Japanese consultant reads Japanese on any computer in the showroom.

UserLanguageMiddleware (after AuthenticationMiddleware) activates it for the request;
set_language (the switcher's URL, Django's view of the same name) also stores the choice on the
user, so it follows them to their next login and device."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.i18n import set_language as django_set_language


def supported(language: str) -> str:
    """The LANGUAGES code for `language` ('zh_Hans', 'ZH-hans' -> 'zh-hans'), or ''."""
    wanted = (language or "").strip().replace("_", "-").lower()
    return next((code for code, _name in settings.LANGUAGES if code == wanted), "")


def remember_language(user: Any, language: str) -> bool:
    """Store a supported language as the user's own; anything else changes nothing."""
    code = supported(language)
    if not code or not getattr(user, "is_authenticated", False):
        return False
    if user.preferred_language != code:
        user.preferred_language = code
        user.save(update_fields=["preferred_language"])
    return True


class UserLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            code = supported(user.preferred_language)
            if code and code != translation.get_language():
                translation.activate(code)
                request.LANGUAGE_CODE = code
        return self.get_response(request)


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (cookie, redirect to `next`), plus the choice stored on the user."""
    response = django_set_language(request)
    if request.method == "POST" and response.status_code in (302, 204):
        remember_language(request.user, request.POST.get("language", ""))
    return response
