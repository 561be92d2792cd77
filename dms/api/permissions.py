"""DRF permission classes reading `request.access` (dealers.selectors.Access), which the tenancy
middleware resolved for session and token requests alike.

Order of answers for an authenticated caller:
- no dealer in scope, or the role lacks the view's capability → 403 (nothing about any object);
- an object outside the scope → 404 (the scoped queryset does not contain it);
- a write from a read-only scope (HQ) or without the write capability → 403.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from dealers.selectors import Access, request_access


def access_of(request: Request) -> Access:
    # DRF's Request proxies attribute access to the Django HttpRequest.
    return request_access(request)


class HasDealerScope(BasePermission):
    """The caller works in (or oversees) at least one dealer."""

    message = _("Your account has no dealer to work in.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(access_of(request).dealer_ids)


class HasCapability(BasePermission):
    """Any of the view's `read_capabilities` for safe methods, any of `write_capabilities` for
    the others. An empty tuple means no capability beyond the scope is required."""

    message = _("Your role may not do this.")

    def has_permission(self, request: Request, view: Any) -> bool:
        access = access_of(request)
        if request.method in SAFE_METHODS:
            needed = getattr(view, "read_capabilities", ())
        else:
            needed = getattr(view, "write_capabilities", ())
        return not needed or any(access.can(cap) for cap in needed)


class WritableScope(BasePermission):
    """Writes only from a writable single-dealer scope: HQ scopes are read only."""

    message = _("Your access to this dealer's data is read only.")

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        access = access_of(request)
        return access.writable and access.dealer is not None


class CapabilityRequired(BasePermission):
    """For non-tenant endpoints: any of the view's `required_capabilities`, all methods."""

    message = _("Your role may not do this.")

    def has_permission(self, request: Request, view: Any) -> bool:
        access = access_of(request)
        needed = getattr(view, "required_capabilities", ())
        return bool(needed) and any(access.can(cap) for cap in needed)
