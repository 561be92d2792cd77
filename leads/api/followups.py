"""API for follow-ups (`/api/follow-ups/`): a consultant's own (a manager: the dealer's), with
the outcome (`complete`) and `reschedule` actions. Same rules and services as the pages."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from dealers.access import SALES_STAFF, Rule
from dealers.roles import Cap
from dms.api.filters import IsoDateTimeFilter
from dms.api.viewsets import TenantViewSetMixin
from dms.tenancy.context import current_scope
from leads.models import FollowUp
from leads.services import followups as services

from .leads import call_service


class FollowUpPagination(CursorPagination):
    ordering = ("due_at", "id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class FollowUpSerializer(serializers.ModelSerializer):
    customer_name = serializers.SerializerMethodField()
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "lead",
            "customer",
            "customer_name",
            "owner",
            "kind",
            "kind_label",
            "due_at",
            "done_at",
            "result",
            "note",
            "reminded_at",
            "rescheduled_from",
            "reschedule_reason",
            "created_at",
        ]
        read_only_fields = fields

    def get_customer_name(self, obj: FollowUp) -> str:
        return str(obj.customer.display_name)


class CompleteSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=FollowUp.Result.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class RescheduleSerializer(serializers.Serializer):
    due_at = serializers.DateTimeField()
    reason = serializers.CharField(max_length=200)


class FollowUpFilter(django_filters.FilterSet):
    open = django_filters.BooleanFilter(field_name="done_at", lookup_expr="isnull")
    due_before = IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")
    lead = django_filters.NumberFilter(field_name="lead_id")
    kind = django_filters.ChoiceFilter(choices=FollowUp.Kind.choices)

    class Meta:
        model = FollowUp
        fields = ["open", "due_before", "lead", "kind"]


@extend_schema_view(
    list=extend_schema(summary="Follow-ups (consultants: their own), by due time"),
    retrieve=extend_schema(summary="One follow-up"),
)
class FollowUpViewSet(  # type: ignore[misc]
    TenantViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    model = FollowUp
    serializer_class = FollowUpSerializer
    pagination_class = FollowUpPagination
    filterset_class = FollowUpFilter
    access_rule = Rule(read=SALES_STAFF, write=SALES_STAFF)

    def get_queryset(self) -> QuerySet[FollowUp]:
        if getattr(self, "swagger_fake_view", False) or current_scope() is None:
            return FollowUp.objects.none()
        access = self.access
        if access.dealer is None:
            return FollowUp.objects.none()
        qs = FollowUp.objects.filter(dealer_id=access.dealer.pk).select_related("customer", "lead")
        if not access.can(Cap.SALES_ALL):
            qs = qs.filter(owner_id=access.user_id)
        return qs

    def _follow_up(self) -> FollowUp:
        follow_up: FollowUp = self.get_object()
        if not self.access.writable:
            raise PermissionDenied
        return follow_up

    @extend_schema(
        summary="Log the outcome (goes on the timeline; next follow-up planned)",
        request=CompleteSerializer,
        responses=FollowUpSerializer,
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str, **kwargs: object) -> Response:
        follow_up = self._follow_up()
        data = CompleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        call_service(
            services.complete_follow_up,
            follow_up=follow_up,
            actor=request.user,
            result=data.validated_data["result"],
            note=data.validated_data.get("note", ""),
        )
        follow_up.refresh_from_db()
        return Response(FollowUpSerializer(follow_up).data)

    @extend_schema(
        summary="Move to a new time, with a reason",
        request=RescheduleSerializer,
        responses=FollowUpSerializer,
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, pk: str, **kwargs: object) -> Response:
        follow_up = self._follow_up()
        data = RescheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = dict(data.validated_data)
        call_service(
            services.reschedule_follow_up,
            follow_up=follow_up,
            actor=request.user,
            due_at=values["due_at"],
            reason=values["reason"],
        )
        follow_up.refresh_from_db()
        return Response(FollowUpSerializer(follow_up).data)
