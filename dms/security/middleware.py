from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class SessionLifetimeMiddleware:
    """Placeholder: absolute session lifetime (implemented in the security work)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)


class SecurityPolicyMiddleware(SessionLifetimeMiddleware):
    """Placeholder: forced 2FA enrolment and password change (implemented in the security work)."""
