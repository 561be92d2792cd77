"""Template context for the top bar: `unread_notifications`, the current user's unread
notifications in the current dealer, counted up to 100 ("99+"). It is a memoised callable, so the
query runs only when a template uses it, and once per request."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.http import HttpRequest
from django_scopes import ScopeError


def unread_notifications(request: HttpRequest) -> dict[str, Callable[[], int]]:
    @cache
    def count() -> int:
        from dealers.selectors import NO_ACCESS
        from leads.selectors.notifications import unread_count

        access: Any = getattr(request, "access", NO_ACCESS)
        try:
            return unread_count(access)
        except ScopeError:  # outside a tenant scope (e.g. error pages): no badge
            return 0

    return {"unread_notifications": count}
