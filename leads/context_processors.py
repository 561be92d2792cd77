"""Template context for the top bar: `unread_notifications` (lazy: a query only when a template
uses it), counted up to 100 ("99+")."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from django_scopes import ScopeError


def unread_notifications(request: HttpRequest) -> dict[str, Any]:
    def count() -> int:
        from dealers.selectors import NO_ACCESS
        from leads.selectors.notifications import unread_count

        access = getattr(request, "access", NO_ACCESS)
        try:
            return unread_count(access)
        except ScopeError:  # outside a tenant scope (e.g. error pages): no badge
            return 0

    return {"unread_notifications": SimpleLazyObject(count)}
