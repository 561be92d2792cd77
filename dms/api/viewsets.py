"""Base for API viewsets over tenant models (dms.tenancy.models.TenantModel).

The queryset comes from the model's scoped manager, so it holds exactly the rows of the dealers
in the request's tenant scope (set by TenantMiddleware, which also resolves DRF tokens): another
dealer's id is "not found" (404), like a missing one. Writes need a writable scope (HQ is read
only: 403) and the view's write capability; new rows belong to the caller's current dealer.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

from dealers.access import DeclaredAccess, Rule
from dms.tenancy.context import current_scope

from .permissions import HasDealerScope, WritableScope, access_of


class TenantViewSetMixin:
    """Mix into a GenericViewSet. Declare `model` (a TenantModel) and `access` (a
    dealers.access.Rule: who may read, who may write)."""

    model: ClassVar[type[models.Model]]
    access_rule: ClassVar[Rule]
    permission_classes = [IsAuthenticated, HasDealerScope, DeclaredAccess, WritableScope]

    def get_queryset(self) -> models.QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False) or current_scope() is None:
            # Schema generation, or no scope at all: never an unscoped query.
            return self.model.objects.none()  # type: ignore[attr-defined]
        return self.scoped_queryset(self.model.objects.all())  # type: ignore[attr-defined]

    def scoped_queryset(self, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        """Hook for select_related / ordering; the queryset is already tenant-scoped."""
        return queryset

    @property
    def access(self) -> Any:
        return access_of(self.request)  # type: ignore[attr-defined]


class TenantModelViewSet(TenantViewSetMixin, viewsets.ModelViewSet):  # type: ignore[misc]
    pass


class TenantReadOnlyModelViewSet(  # type: ignore[misc]
    TenantViewSetMixin, viewsets.ReadOnlyModelViewSet
):
    pass
