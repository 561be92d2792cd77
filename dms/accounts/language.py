"""The user's own language (User.preferred_language, set by an admin or by the user's last choice
in the language switcher) wins over the browser's and the cookie's for pages of a logged-in
user: a Japanese consultant reads Japanese on any computer in the showroom.

UserLanguageMiddleware (after AuthenticationMiddleware) activates it for the request;
set_language (the switcher's URL, Django's view of the same name) also stores the choice on the
user, so it follows them to their next login and device. Messages stored for one reader
(notifications, reminder emails) are written in that reader's language (in_each_language)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
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
        code = supported(user.preferred_language) if user and user.is_authenticated else ""
        if not code or code == translation.get_language():
            return self.get_response(request)
        request.LANGUAGE_CODE = code
        # override, not activate: the thread's language is back as it was after the response,
        # so nothing run later in this thread (a task, the next test) inherits this user's.
        with translation.override(code):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", code)  # LocaleMiddleware would say
        return response


def past_security_gates(user: Any) -> bool:
    """Is the user through the checks SecurityPolicyMiddleware makes before any other page
    (second factor when one is required or enrolled, no pending password change)? The switcher's
    URL stays open before them (it only sets a cookie then); writing to the account does not."""
    from dms.security.selectors import security_checks_owed

    return bool(getattr(user, "is_authenticated", False)) and not security_checks_owed(user)


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (cookie, redirect to `next`), plus the choice stored on the user."""
    response = django_set_language(request)
    if (
        request.method == "POST"
        and response.status_code in (302, 204)
        and past_security_gates(request.user)
    ):
        remember_language(request.user, request.POST.get("language", ""))
    return response


def languages_of(user_ids: Iterable[int]) -> dict[int, str]:
    """Each user's own language code ('' where none is set or it is no longer offered)."""
    from django.contrib.auth import get_user_model

    ids = set(user_ids)
    if not ids:
        return {}
    rows = get_user_model().objects.filter(pk__in=ids).values_list("pk", "preferred_language")
    return {pk: supported(code) for pk, code in rows}


def speaking(code: str) -> AbstractContextManager[Any]:
    """Translations in `code`; '' keeps the active language (a user without a language of their
    own reads what the person or task that wrote to them was using)."""
    return translation.override(code) if code else nullcontext()


def in_each_language(user_ids: Iterable[int], render: Callable[[], Any]) -> dict[int, str]:
    """render() in each user's own language (once per language): a message stored for its
    reader, such as a notification, is written in the reader's language, not the sender's."""
    user_ids = list(user_ids)  # read twice below: a generator would be empty the second time
    languages = languages_of(user_ids)
    texts: dict[str, str] = {}
    result = {}
    for uid in dict.fromkeys(user_ids):
        code = languages.get(uid, "")
        if code not in texts:
            with speaking(code):
                texts[code] = str(render())
        result[uid] = texts[code]
    return result


def every_language(render: Callable[[], Any]) -> dict[str, str]:
    """render() in every language the application speaks (LANGUAGES), for a text stored once and
    read later by people of any language (a notification, a note the system writes): the page
    shows the reader's version (`in_reader_language`), whatever language the writer used."""
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = str(render())
    return texts


def in_reader_language(texts: Any, written: str) -> str:
    """The version of a text stored by `every_language` in the active language; `written` (the
    text as stored for its first reader) when there is none (rows written before)."""
    if isinstance(texts, dict):
        return str(texts.get(translation.get_language() or "", "") or written)
    return written
