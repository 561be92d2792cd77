"""Vehicle-stock API (`/api/vehicles/...`): HQ lists and loads vehicles and allocates them
(logistics); a dealer lists its own stock with ETA, state and days in stock. Thin: the rules are
inventory.vehicles.services; a refusal is a 400 that changes nothing, another dealer's vehicle a
404 like a missing one."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from dealers.access import (
    VEHICLE_ALLOCATORS,
    VEHICLE_HQ_READERS,
    VEHICLE_LOADERS,
    VEHICLE_STOCK_READERS,
    DeclaredAccess,
    Rule,
)
from dealers.clock import dealer_today
from dealers.models import Dealer
from dealers.roles import Cap
from dms.api.permissions import HasDealerScope
from dms.tenancy.context import current_scope

from ..models import Colour, Option, Trim
from . import selectors, services
from .models import Allocation, StockVehicle, Vehicle


def _call(func: Any, **kwargs: Any) -> Any:
    try:
        with transaction.atomic():
            return func(**kwargs)
    except DjangoValidationError as exc:
        raise ValidationError(serializers.as_serializer_error(exc)) from exc


class VehicleSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="vehicle_model.code", read_only=True)
    trim = serializers.CharField(source="trim.code", read_only=True)
    colour = serializers.CharField(source="colour.code", read_only=True, default=None)
    options = serializers.SerializerMethodField()
    allocated_to = serializers.SerializerMethodField()
    eta = serializers.SerializerMethodField()
    stop_sale = serializers.SerializerMethodField()

    class Meta:
        model = Vehicle
        fields = [
            "id",
            "vin",
            "model",
            "trim",
            "colour",
            "options",
            "build_date",
            "price",
            "currency",
            "state",
            "allocated_to",
            "eta",
            "stop_sale",
        ]
        read_only_fields = fields

    def get_options(self, obj: Vehicle) -> list[str]:
        return [o.code for o in obj.options.all()]

    def get_allocated_to(self, obj: Vehicle) -> str | None:
        """The dealer's code, when the vehicle is allocated."""
        allocation = selectors.active_allocation(obj)
        return allocation.dealer.code if allocation else None

    def get_eta(self, obj: Vehicle) -> str | None:
        allocation = selectors.active_allocation(obj)
        return allocation.eta.isoformat() if allocation and allocation.eta else None

    def get_stop_sale(self, obj: Vehicle) -> bool:
        return obj.vin in self.context.get("stop_sale", set())


class VehicleCreateSerializer(serializers.Serializer):
    vin = serializers.CharField(max_length=30)
    trim = serializers.SlugRelatedField(slug_field="code", queryset=Trim.objects.all())  # type: ignore[var-annotated]
    colour = serializers.SlugRelatedField(  # type: ignore[var-annotated]
        slug_field="code", queryset=Colour.objects.all(), required=False, allow_null=True
    )
    options = serializers.SlugRelatedField(  # type: ignore[var-annotated]
        slug_field="code", queryset=Option.objects.all(), many=True, required=False
    )
    build_date = serializers.DateField(required=False, allow_null=True)
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField(max_length=3, required=False, default="EUR")


class AllocateSerializer(serializers.Serializer):
    dealer = serializers.SlugRelatedField(  # type: ignore[var-annotated]
        slug_field="code", queryset=Dealer.objects.filter(is_active=True), required=False
    )
    by_rule = serializers.BooleanField(
        required=False, default=False, help_text="Allocate by HQ's rule instead of to `dealer`."
    )
    eta = serializers.DateField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("by_rule") and not attrs.get("dealer"):
            raise serializers.ValidationError({"dealer": "Name the dealer, or allocate by rule."})
        return attrs


class AllocationSerializer(serializers.ModelSerializer):
    vin = serializers.CharField(source="vehicle.vin", read_only=True)
    dealer = serializers.CharField(source="dealer.code", read_only=True)

    class Meta:
        model = Allocation
        fields = ["id", "vin", "dealer", "method", "reason", "eta", "allocated_at", "is_active"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        summary="HQ's vehicles (state, allocation, stop-sale)",
        parameters=[
            OpenApiParameter("state", str, description="Only this state."),
            OpenApiParameter("q", str, description="Part of the VIN or the trim's name."),
        ],
    ),
    retrieve=extend_schema(summary="One vehicle"),
)
class VehicleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):  # type: ignore[type-arg]
    """HQ: every vehicle (HQ data, no customer)."""

    permission_classes = [IsAuthenticated, DeclaredAccess]
    access_rule = Rule(read=VEHICLE_HQ_READERS, write=VEHICLE_LOADERS)
    action_access_rules = {"allocate": Rule(read=VEHICLE_HQ_READERS, write=VEHICLE_ALLOCATORS)}
    serializer_class = VehicleSerializer

    def get_queryset(self) -> QuerySet[Vehicle]:
        access = getattr(self.request, "access", None)
        network_wide = access is not None and (
            access.can(Cap.LOGISTICS) or access.can(Cap.NETWORK_ADMIN)
        )
        rows = selectors.hq_vehicles_for(
            dealer_ids=access.dealer_ids if access is not None else (), network_wide=network_wide
        ).prefetch_related("options")
        if getattr(self, "swagger_fake_view", False) or self.action != "list":
            return rows
        state = self.request.query_params.get("state", "")
        if state and state not in Vehicle.State.values:
            raise ValidationError({"state": "Unknown state."})
        q = self.request.query_params.get("q", "").replace("\x00", "")[:40]
        return selectors.hq_vehicle_filter(rows, q=q, state=state)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["stop_sale"] = getattr(self, "_stop_sale", set())
        return context

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        rows = list(page if page is not None else self.get_queryset())
        self._stop_sale = selectors.stop_sale_vins(v.vin for v in rows)
        data = self.get_serializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        vehicle = self.get_object()
        self._stop_sale = selectors.stop_sale_vins([vehicle.vin])
        return Response(self.get_serializer(vehicle).data)

    @extend_schema(
        request=VehicleCreateSerializer,
        responses={201: VehicleSerializer},
        summary="Load a new vehicle (HQ logistics and network admins)",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = VehicleCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        vehicle = _call(
            services.create_vehicle,
            actor=request.user,
            spec=services.VehicleSpec(
                vin=data["vin"],
                trim=data["trim"],
                colour=data.get("colour"),
                options=data.get("options") or (),
                build_date=data.get("build_date"),
                price=data["price"],
                currency=data.get("currency") or "EUR",
            ),
            request=request,
        )
        return Response(self.get_serializer(vehicle).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=AllocateSerializer,
        responses={201: AllocationSerializer},
        summary="Allocate the vehicle to a dealer, or by HQ's rule (HQ logistics)",
    )
    @action(detail=True, methods=["post"])
    def allocate(self, request: Request, pk: str | None = None) -> Response:
        vehicle = self.get_object()
        body = AllocateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if data.get("by_rule"):
            allocation = _call(
                services.allocate_by_rule,
                actor=request.user,
                vehicle=vehicle,
                eta=data.get("eta"),
                request=request,
            )
        else:
            allocation = _call(
                services.allocate,
                actor=request.user,
                vehicle=vehicle,
                dealer=data["dealer"],
                eta=data.get("eta"),
                request=request,
            )
        return Response(AllocationSerializer(allocation).data, status=status.HTTP_201_CREATED)


class StockVehicleSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="vehicle.vehicle_model.code", read_only=True)
    trim = serializers.CharField(source="vehicle.trim.code", read_only=True)
    colour = serializers.CharField(source="vehicle.colour.code", read_only=True, default=None)
    days_in_stock = serializers.SerializerMethodField()
    stop_sale = serializers.SerializerMethodField()

    class Meta:
        model = StockVehicle
        fields = [
            "id",
            "vin",
            "model",
            "trim",
            "colour",
            "state",
            "eta",
            "arrived_on",
            "delivered_on",
            "days_in_stock",
            "reserved_for",
            "stop_sale",
        ]
        read_only_fields = fields

    def get_days_in_stock(self, obj: StockVehicle) -> int | None:
        return selectors.days_in_stock(obj, self.context["today"])

    def get_stop_sale(self, obj: StockVehicle) -> bool:
        return obj.vin in self.context.get("stop_sale", set())


@extend_schema_view(
    list=extend_schema(
        summary="The dealer's vehicle stock (allocated, in transit, at the dealer…)",
        parameters=[OpenApiParameter("state", str, description="Only this state.")],
    ),
    retrieve=extend_schema(summary="One of the dealer's vehicles"),
)
class StockVehicleViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """A dealer's own vehicles: the tenant scope holds them (another dealer's id: 404)."""

    permission_classes = [IsAuthenticated, HasDealerScope, DeclaredAccess]
    access_rule = Rule(read=VEHICLE_STOCK_READERS)
    serializer_class = StockVehicleSerializer

    def get_queryset(self) -> QuerySet[StockVehicle]:
        access = getattr(self.request, "access", None)
        if (
            getattr(self, "swagger_fake_view", False)
            or current_scope() is None
            or access is None
            or access.dealer is None
        ):
            return StockVehicle.objects.none()
        states: Any = selectors.CURRENT_STATES
        state = self.request.query_params.get("state", "")
        if state and self.action == "list":
            if state not in StockVehicle.State.values:
                raise ValidationError({"state": "Unknown state."})
            states = [state]
        elif self.action != "list":
            states = StockVehicle.State.values
        return selectors.dealer_stock(dealer=access.dealer, states=states).order_by(
            "eta", "vin", "pk"
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        access = getattr(self.request, "access", None)
        dealer = access.dealer if access is not None else None
        context["today"] = dealer_today(dealer)
        context["stop_sale"] = getattr(self, "_stop_sale", set())
        return context

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.get_queryset()
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        self._stop_sale = selectors.stop_sale_vins(s.vin for s in rows)
        data = self.get_serializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)
