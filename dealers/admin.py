"""Django admin for the network (HQ admins only — the admin site itself is restricted).
Changes made here are audited like those made on the network pages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from dms.audit.models import AuditAction
from dms.audit.services import record

from .models import Dealer, DealerGroup, Membership, Region


class AuditedAdmin(admin.ModelAdmin):
    audit_action = AuditAction.DEALER_CHANGE

    def _dealer_of(self, obj: Any) -> Any:
        return None

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        record(
            action=self.audit_action,
            actor=request.user,
            dealer=self._dealer_of(obj),
            obj=obj,
            request=request,
            detail={
                "via": "admin",
                "change": "updated" if change else "created",
                "fields": sorted(form.changed_data),
            },
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        dealer = self._dealer_of(obj)
        label, pk = obj._meta.label, obj.pk
        super().delete_model(request, obj)
        record(
            action=self.audit_action,
            actor=request.user,
            dealer=dealer,
            object_type=label,
            object_id=pk,
            request=request,
            detail={"via": "admin", "change": "deleted"},
        )

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(DealerGroup)
class DealerGroupAdmin(AuditedAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Dealer)
class DealerAdmin(AuditedAdmin):
    list_display = ["code", "name", "region", "group", "city", "timezone", "is_active"]
    list_filter = ["is_active", "region", "require_2fa"]
    search_fields = ["code", "name", "legal_name", "city"]
    list_select_related = ["region", "group"]

    def _dealer_of(self, obj: Any) -> Any:
        return obj


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    audit_action = AuditAction.ROLE_CHANGE
    list_display = ["user", "dealer", "role", "is_active", "is_present", "started_on", "leaving_on"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__username", "user__last_name", "dealer__code", "dealer__name"]
    list_select_related = ["user", "dealer"]
    raw_id_fields = ["user"]
    autocomplete_fields = ["dealer"]

    def _dealer_of(self, obj: Any) -> Any:
        return obj.dealer_id
