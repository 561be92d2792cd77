"""Django admin (HQ admins only) for the sales funnel's HQ reference data: prospect grades with
their follow-up cadence, lead sources with their first-response time, lost reasons, and the stage
playbooks (steps, required or advised, guidance text). Changes are audited."""

from __future__ import annotations

import importlib.util

from django.contrib import admin

from dealers.admin import AuditedAdmin
from sales.models import PlaybookStep

from .models import Grade, LeadSource, LostReason


class ReferenceAdmin(AuditedAdmin):
    audit_action = "reference_change"  # type: ignore[assignment]  # not in AuditAction yet


@admin.register(Grade)
class GradeAdmin(ReferenceAdmin):
    list_display = ("code", "name", "follow_up_every_days", "purchase_within_days", "order")
    ordering = ("order",)


@admin.register(LeadSource)
class LeadSourceAdmin(ReferenceAdmin):
    list_display = ("code", "name", "first_response_minutes")
    search_fields = ("code", "name")


@admin.register(LostReason)
class LostReasonAdmin(ReferenceAdmin):
    list_display = ("code", "name", "is_active")
    list_filter = ("is_active",)


class PlaybookStepAdmin(ReferenceAdmin):
    list_display = ("stage", "order", "code", "name", "required", "is_active")
    list_filter = ("stage", "required", "is_active")
    list_editable = ("order", "required", "is_active")
    search_fields = ("code", "name", "guidance")
    ordering = ("stage", "order")


# The sales app owns PlaybookStep; register it here unless it ships its own admin module.
if importlib.util.find_spec("sales.admin") is None and not admin.site.is_registered(PlaybookStep):
    admin.site.register(PlaybookStep, PlaybookStepAdmin)
