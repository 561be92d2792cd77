"""API for the visitor register (`/api/visits/`): list a day, register a walk-in or call.

Creating a visit is the visitor log's registration (leads.services.customers.register_contact):
it matches or creates the customer and opens or continues the lead. A colleague's customer
answers 409 with only who serves them, since when and the stage.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from dealers.access import SALES_STAFF, Rule
from dms.api.filters import parse_day
from dms.api.pagination import DefaultPagination
from dms.api.viewsets import TenantViewSetMixin
from dms.tenancy.context import current_scope
from inventory.models import VehicleModel
from leads.models import Customer, Visit
from leads.selectors.visits import day_bounds, visits_visible_to
from leads.services.customers import register_contact

from .customers import ConflictSerializer, conflict_payload


class VisitSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.display_name", read_only=True)
    served_by_name = serializers.SerializerMethodField()
    source = serializers.SlugRelatedField(  # type: ignore[assignment,var-annotated]
        slug_field="code", read_only=True
    )

    class Meta:
        model = Visit
        fields = [
            "id",
            "kind",
            "customer",
            "customer_name",
            "lead",
            "served_by",
            "served_by_name",
            "source",
            "vehicle_model",
            "party_size",
            "arrived_at",
            "left_at",
            "outcome",
            "note",
        ]
        read_only_fields = fields

    def get_served_by_name(self, obj: Visit) -> str:
        user = obj.served_by
        return str(user.get_full_name() or user.get_username())


class RegisterContactSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Visit.Kind.choices)
    name = serializers.CharField(max_length=200)
    is_company = serializers.BooleanField(required=False, default=False)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
    national_id = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    source = serializers.CharField(  # type: ignore[assignment]
        max_length=30, help_text="Lead source code, e.g. walk_in"
    )
    vehicle_model = serializers.PrimaryKeyRelatedField(
        queryset=VehicleModel.objects.filter(is_active=True), required=False, allow_null=True
    )
    party_size = serializers.IntegerField(required=False, default=1)
    arrived_at = serializers.DateTimeField(required=False, allow_null=True)
    left_at = serializers.DateTimeField(required=False, allow_null=True)
    outcome = serializers.ChoiceField(
        choices=Visit.Outcome.choices, required=False, allow_blank=True, default=""
    )
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class RegisterResultSerializer(serializers.Serializer):
    visit = VisitSerializer()
    customer_id = serializers.IntegerField()
    lead_id = serializers.IntegerField()
    created_customer = serializers.BooleanField()


class VisitConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    conflict = ConflictSerializer()


@extend_schema_view(
    list=extend_schema(
        summary="Visitor register (consultants: the contacts they served)",
        parameters=[
            OpenApiParameter("date", dt.date, description="Day in the dealer's time zone"),
            OpenApiParameter("kind", str, enum=Visit.Kind.values),
        ],
    ),
)
class VisitViewSet(  # type: ignore[misc]
    TenantViewSetMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    model = Visit
    serializer_class = VisitSerializer
    pagination_class = DefaultPagination
    access_rule = Rule(read=SALES_STAFF, write=SALES_STAFF)
    filterset_class = None

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        if self.action == "create":
            return RegisterContactSerializer
        return VisitSerializer

    def get_queryset(self) -> QuerySet[Visit]:
        if getattr(self, "swagger_fake_view", False) or current_scope() is None:
            return Visit.objects.none()
        qs = visits_visible_to(self.access).order_by("-arrived_at", "-id")
        params = self.request.query_params
        raw_date = params.get("date", "")
        if raw_date:
            day = parse_day(raw_date, field="date")
            dealer = self.access.dealer
            if dealer is not None:
                start, end = day_bounds(dealer, day)
                qs = qs.filter(arrived_at__gte=start, arrived_at__lt=end)
        kind = params.get("kind", "")
        if kind:
            if kind not in Visit.Kind.values:
                raise ValidationError({"kind": [_("Choose walk_in or phone.")]})
            qs = qs.filter(kind=kind)
        return qs

    @extend_schema(
        summary="Register a walk-in or call (matches or creates the customer, opens the lead)",
        request=RegisterContactSerializer,
        responses={201: RegisterResultSerializer, 409: VisitConflictSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = RegisterContactSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            result = register_contact(
                dealer=self.access.dealer,
                actor=request.user,
                kind=data["kind"],
                name=data["name"],
                customer_kind=Customer.Kind.COMPANY if data["is_company"] else Customer.Kind.PERSON,
                phone=data["phone"],
                email=data["email"],
                national_id=data["national_id"],
                source_code=data["source"],
                vehicle_model=data.get("vehicle_model"),
                party_size=data["party_size"],
                arrived_at=data.get("arrived_at"),
                left_at=data.get("left_at"),
                outcome=data["outcome"],
                note=data["note"],
            )
        except DjangoValidationError as exc:
            raise ValidationError(serializers.as_serializer_error(exc)) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied from exc
        if result.conflict is not None:
            return Response(
                {
                    "detail": _("This customer is served by a colleague."),
                    "conflict": ConflictSerializer(conflict_payload(result.conflict)).data,
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(
            {
                "visit": VisitSerializer(result.visit).data,
                "customer_id": getattr(result.customer, "pk", None),
                "lead_id": getattr(result.lead, "pk", None),
                "created_customer": result.created_customer,
            },
            status=status.HTTP_201_CREATED,
        )
