"""Per-request security policy for logged-in users.

SessionMiddleware: Django's, with a session store that renews the idle deadline at most once per
DMS_SESSION_RENEW_SECONDS (see SlidingSessionStore).

SessionLifetimeMiddleware: a session lives at most DMS_SESSION_ABSOLUTE_SECONDS after login
(the idle timeout is Django's SESSION_COOKIE_AGE with SESSION_SAVE_EVERY_REQUEST).

NoStoreMiddleware: personal data never stays in a browser's or proxy's cache.

SecurityPolicyMiddleware: before any other page, a user who must use a second factor and has not
verified one this session is sent to enrolment (no device yet) or verification; then a user whose
password is too old or was reset by an admin is sent to the password change page.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions.backends import db as db_sessions
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from .selectors import password_change_reason, second_factor_owed
from .services import LOGIN_AT_SESSION_KEY

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _always_open(request: HttpRequest) -> bool:
    path = request.path
    return (
        path.startswith(settings.STATIC_URL)
        or path.startswith("/i18n/")
        or path.startswith("/health/")
        or path in {"/favicon.ico", "/robots.txt"}
    )


def _logout_paths() -> set[str]:
    paths = {reverse("security:logout")}
    with contextlib.suppress(NoReverseMatch):
        paths.add(reverse("logout"))  # the project-level logout URL, if any
    return paths


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if request.headers.get("HX-Request"):
        # htmx follows a plain redirect inside the swapped element; ask for a full page instead.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


class SlidingSessionStore(db_sessions.SessionStore):
    """Database sessions whose idle deadline (expire_date = last renewal + SESSION_COOKIE_AGE)
    is renewed at most once per DMS_SESSION_RENEW_SECONDS instead of on every request: an
    unchanged session whose row was renewed less than that long ago is not written again (the
    write was an UPDATE plus a savepoint on every page). So an idle session ends between
    SESSION_COOKIE_AGE - DMS_SESSION_RENEW_SECONDS and SESSION_COOKIE_AGE after the last
    request, never later; a changed session is always saved. Same table and format as Django's
    db engine (SESSION_ENGINE stays that engine; everything else uses it unchanged)."""

    loaded_expiry: Any = None  # expire_date of the row this request loaded
    # Signed like Django's db engine (its salt is the class name), so both read each other's rows.
    key_salt = "django.contrib.sessions.SessionStore"

    def _get_session_from_db(self) -> Any:
        row = super()._get_session_from_db()  # type: ignore[misc]  # not in django-stubs
        self.loaded_expiry = row.expire_date if row is not None else None
        return row

    def save(self, must_create: bool = False) -> None:
        if must_create or self.modified or self.session_key is None or not self._recent():
            super().save(must_create=must_create)
            self.loaded_expiry = None

    def _recent(self) -> bool:
        """Was the loaded row renewed less than DMS_SESSION_RENEW_SECONDS ago?"""
        if self.loaded_expiry is None:
            return False
        left = (self.loaded_expiry - timezone.now()).total_seconds()
        return left > self.get_expiry_age() - int(settings.DMS_SESSION_RENEW_SECONDS)


class SessionMiddleware(DjangoSessionMiddleware):
    """django.contrib.sessions' middleware with SlidingSessionStore for the request's session."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        super().__init__(get_response)
        if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db":
            self.SessionStore = SlidingSessionStore


class SessionLifetimeMiddleware:
    """Absolute session lifetime: logout and back to the login page once it has passed."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            login_at = request.session.get(LOGIN_AT_SESSION_KEY)
            now = int(time.time())
            if not isinstance(login_at, int):
                # A session from before this policy: its lifetime starts now.
                request.session[LOGIN_AT_SESSION_KEY] = now
            elif now - login_at > int(settings.DMS_SESSION_ABSOLUTE_SECONDS):
                request.dms_logout_reason = "absolute_lifetime"  # type: ignore[attr-defined]
                logout(request)
                if not _is_api(request):
                    messages.warning(
                        request,
                        _(
                            "Your session reached its maximum length of %(hours)d hours. "
                            "Please log in again."
                        )
                        % {"hours": int(settings.DMS_SESSION_ABSOLUTE_SECONDS) // 3600},
                    )
                    return _redirect(request, redirect_to_login(request.get_full_path()).url)
        return self.get_response(request)


class SecurityPolicyMiddleware:
    """Second factor first, then password change, before any other page (see module doc)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or _always_open(request):
            return self.get_response(request)
        blocked = self._second_factor(request, user) or self._password(request, user)
        return blocked or self.get_response(request)

    def _second_factor(self, request: HttpRequest, user: object) -> HttpResponse | None:
        state = second_factor_owed(user)
        if state is None:
            return None
        if request.path in {
            reverse("two_factor:login"),
            reverse("security:verify"),
            reverse("two_factor:setup"),
            reverse("two_factor:qr"),
            *_logout_paths(),
        }:
            return None
        if _is_api(request):
            return JsonResponse(
                {"detail": _("Verify your login with your second factor first.")}, status=403
            )
        if not state.has_device:
            # Enrolment ends on its own page (backup codes advice), not on the page asked for.
            return _redirect(request, reverse("two_factor:setup"))
        target = reverse("security:verify")
        return _redirect(request, f"{target}?{urlencode({'next': request.get_full_path()})}")

    def _password(self, request: HttpRequest, user: object) -> HttpResponse | None:
        if not password_change_reason(user):
            return None
        if request.path in {reverse("security:password_change"), *_logout_paths()}:
            return None
        if _is_api(request):
            return JsonResponse(
                {"detail": _("Change your password in the web application first.")}, status=403
            )
        return _redirect(request, reverse("security:password_change"))


class NoStoreMiddleware:
    """`Cache-Control: no-store, private` on every response but static files (pages, PDFs,
    exports and API answers may carry customer data; a shared tablet's browser cache or a proxy
    must keep none of it). Static files keep their long caching: WhiteNoise answers them before
    this middleware, and the STATIC_URL check covers the dev server's static view."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.static_prefix = str(getattr(settings, "STATIC_URL", "") or "/static/")
        if not self.static_prefix.startswith("/"):
            self.static_prefix = "/" + self.static_prefix

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(self.static_prefix):
            # Merged with what a view set (never_cache's no-cache, must-revalidate...); `private`
            # drops any `public`.
            patch_cache_control(response, no_store=True, private=True)
        return response
