"""The audit log in Django admin: read only (no add, change or delete, for anyone)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = [
        "at",
        "actor_label",
        "dealer",
        "action",
        "object_type",
        "object_id",
        "count",
        "ip",
    ]
    list_filter = ["action"]
    search_fields = ["actor_label", "object_type", "object_id"]
    date_hierarchy = "at"
    list_select_related = ["dealer"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
