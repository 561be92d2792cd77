"""API for the network app: staff absences (`/api/absences/`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from dms.api.permissions import access_of
from dms.api.viewsets import TenantModelViewSet

from . import services
from .access import ABSENCE_MANAGERS, ABSENCE_READERS, Rule
from .filters import AbsenceFilterSet
from .models import Membership, StaffAbsence
from .selectors import absence_memberships


class ScopedMembershipField(serializers.PrimaryKeyRelatedField):
    """Only staff of the caller's dealer(s) are valid: another dealer's membership id reads as
    "does not exist", exactly like a missing one."""

    def get_queryset(self) -> QuerySet[Membership]:
        request = self.context.get("request")
        if request is None:
            return Membership.objects.none()
        return absence_memberships(access_of(request))


class AbsenceSerializer(serializers.ModelSerializer):
    membership = ScopedMembershipField()
    person = serializers.SerializerMethodField()

    class Meta:
        model = StaffAbsence
        fields = ["id", "dealer", "membership", "person", "starts_on", "ends_on", "reason", "note"]
        read_only_fields = ["id", "dealer", "person"]

    def get_person(self, obj: StaffAbsence) -> str:
        user = obj.membership.user
        return user.get_full_name() or user.get_username()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        starts_on = attrs.get("starts_on", getattr(self.instance, "starts_on", None))
        ends_on = attrs.get("ends_on", getattr(self.instance, "ends_on", None))
        if starts_on and ends_on and ends_on < starts_on:
            raise ValidationError({"ends_on": [services.absence_order_message()]})
        return attrs


def _service_call(func: Any, **kwargs: Any) -> Any:
    try:
        return func(**kwargs)
    except DjangoValidationError as exc:
        raise ValidationError(serializers.as_serializer_error(exc)) from exc


@extend_schema_view(
    list=extend_schema(summary="Staff absences of the dealers in scope"),
    create=extend_schema(summary="Record an absence (dealer managers and admins)"),
)
class AbsenceViewSet(TenantModelViewSet):
    """Staff absences. Readable by staff and sales managers of the dealer and by HQ for the
    dealers in its scope; written only by the dealer's own managers/admins."""

    model = StaffAbsence
    serializer_class = AbsenceSerializer
    filterset_class = AbsenceFilterSet
    access_rule = Rule(read=ABSENCE_READERS, write=ABSENCE_MANAGERS)

    def scoped_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = queryset.select_related("membership__user").order_by("-starts_on", "-id")
        if self.action in ("update", "partial_update", "destroy"):
            # Lock the row when it is looked up: a concurrent DELETE then either went first
            # (404 here) or waits for this write, never deleting the row under its UPDATE.
            queryset = queryset.select_for_update(of=("self",))
        return queryset

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = _service_call(
            services.create_absence,
            dealer=self.access.dealer,
            actor=self.request.user,
            **serializer.validated_data,
        )

    def perform_update(self, serializer: Any) -> None:
        absence: StaffAbsence = serializer.instance
        current = {
            "membership": absence.membership,
            "starts_on": absence.starts_on,
            "ends_on": absence.ends_on,
            "reason": absence.reason,
            "note": absence.note,
        }
        serializer.instance = _service_call(
            services.update_absence,
            absence=absence,
            actor=self.request.user,
            **{**current, **serializer.validated_data},
        )

    def perform_destroy(self, instance: StaffAbsence) -> None:
        services.delete_absence(absence=instance, actor=self.request.user)
