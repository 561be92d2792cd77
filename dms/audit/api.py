"""Read-only API of the audit log (`/api/audit-entries/`), scoped like the screen."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request

from dealers.access import AUDITORS, DeclaredAccess, Rule
from dms.api.permissions import access_of

from .filters import AuditEntryFilterSet
from .models import AuditEntry
from .selectors import audit_entries_for, can_view_audit


class CanViewAudit(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return can_view_audit(access_of(request))


class AuditEntrySerializer(serializers.ModelSerializer):
    dealer_code = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "at",
            "actor",
            "actor_label",
            "dealer",
            "dealer_code",
            "action",
            "object_type",
            "object_id",
            "count",
            "ip",
            "detail",
        ]
        read_only_fields = fields

    def get_dealer_code(self, obj: AuditEntry) -> str | None:
        return obj.dealer.code if obj.dealer else None


@extend_schema_view(
    list=extend_schema(summary="Audit log entries (HQ admin: all; dealer admin: own dealer)"),
    retrieve=extend_schema(summary="One audit log entry"),
)
class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AuditEntrySerializer
    permission_classes = [IsAuthenticated, DeclaredAccess, CanViewAudit]
    access_rule = Rule(read=AUDITORS)
    filterset_class = AuditEntryFilterSet
    queryset = AuditEntry.objects.none()  # for the schema; real rows come from the selector

    def get_queryset(self) -> QuerySet[AuditEntry]:
        if getattr(self, "swagger_fake_view", False):
            return AuditEntry.objects.none()
        return audit_entries_for(access_of(self.request))
