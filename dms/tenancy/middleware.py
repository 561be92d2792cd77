"""Sets the tenant scope for each request from the user's memberships or HQ scope."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .context import as_dealer, as_dealers

SESSION_DEALER_KEY = "dms_dealer_id"


def scope_for_access(access: Any) -> AbstractContextManager[Any]:
    if not access.dealer_ids:
        return nullcontext()
    if access.writable and len(access.dealer_ids) == 1:
        return as_dealer(access.dealer_ids[0])
    return as_dealers(access.dealer_ids, write=False)


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from dealers import clock as dealer_clock
        from dealers.selectors import NO_ACCESS, access_for

        user = getattr(request, "user", None)
        if (user is None or not user.is_authenticated) and request.headers.get("Authorization"):
            user = _token_user(request)
        if user is None or not user.is_authenticated:
            request.access = NO_ACCESS  # type: ignore[attr-defined]
            return self.get_response(request)
        access = access_for(user, request.session.get(SESSION_DEALER_KEY))
        request.access = access  # type: ignore[attr-defined]
        # Every time a person reads is on the dealer's wall clock (dealers.clock), pages and
        # forms alike; the API keeps writing UTC (machine format, ISO 8601 with "Z").
        zone = dealer_clock.UTC if _is_api(request) else dealer_clock.reader_zone(access)
        with scope_for_access(access), timezone.override(zone):
            return self.get_response(request)


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _token_user(request: HttpRequest) -> Any:
    """API calls authenticate in DRF, after middleware; resolve the token here too so the
    request runs inside its tenant scope. Bad tokens are left for DRF to answer 401."""
    from rest_framework.exceptions import AuthenticationFailed

    from dms.accounts.api_auth import ActiveUserTokenAuthentication

    try:
        result = ActiveUserTokenAuthentication().authenticate(request)  # type: ignore[arg-type]
    except AuthenticationFailed:
        return None
    return result[0] if result else None
