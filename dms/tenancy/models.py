"""Base for every tenant-owned model: non-null dealer FK, scoped manager, RLS, Citus-ready keys."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from .rls import RowLevelSecurity, TenantPrimaryKey


class TenantModel(models.Model):
    dealer = models.ForeignKey(
        "dealers.Dealer",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("dealer"),
        db_index=False,  # every index starts with dealer_id already (see Meta)
    )

    # Raises without an active tenant scope (django-scopes); filters by it otherwise.
    objects = ScopedManager(dealer="dealer")

    class Meta:
        abstract = True
        base_manager_name = "objects"
        constraints = [
            # PRIMARY KEY (dealer_id, id): Citus's distribution column in every unique key, and
            # the target of the composite keys of TenantForeignKey.
            TenantPrimaryKey(name="%(app_label)s_%(class)s_pkey"),
            RowLevelSecurity(name="%(app_label)s_%(class)s_rls"),
        ]
