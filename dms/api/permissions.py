"""DRF permission classes reading `request.access` (dealers.selectors.Access), which the tenancy
middleware resolved for session and token requests alike.

Who may read and write a view is its declaration (`access_rule`, checked by
dealers.access.DeclaredAccess); these add the scope conditions. Order of answers for an
authenticated caller:
- no dealer in scope, or a role the declaration does not admit → 403 (nothing about any object);
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


class WritableScope(BasePermission):
    """Writes only from a writable single-dealer scope: HQ scopes are read only."""

    message = _("Your access to this dealer's data is read only.")

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        access = access_of(request)
        return access.writable and access.dealer is not None
