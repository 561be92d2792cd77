"""API of parts orders (`/api/parts-orders/…`, issue 15, item 7).

Same rules as the pages, through the same services and selectors:
- `parts-orders/`: the dealer's orders (its parts readers read, its parts clerks create a draft
  with lines and send it); another dealer's id is 404;
- `parts-orders/network/`: HQ logistics reads every dealer's open orders (filters: dealer,
  region, kind, state; urgent first), confirms lines (backorder the rest with a date) and ships.
Bad input answers 400 with the service's message and changes nothing. Orders hold parts and
quantities, at most a VIN or repair-order reference: never a customer.
"""

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
    PARTS_ORDER_CLERKS,
    PARTS_ORDER_HQ,
    PARTS_ORDER_HQ_READERS,
    PARTS_ORDER_READERS,
    DeclaredAccess,
    Rule,
)
from dms.api.permissions import access_of
from dms.tenancy.context import current_scope

from . import selectors, services
from .models import PartsOrder, PartsOrderLine, PartsShipment, PartsShipmentLine


def _call(func: Any, **kwargs: Any) -> Any:
    """Run a service in a savepoint: a ValidationError becomes a 400 and nothing is changed."""
    try:
        with transaction.atomic():
            return func(**kwargs)
    except DjangoValidationError as exc:
        raise ValidationError(serializers.as_serializer_error(exc)) from exc


# --- serializers ---------------------------------------------------------------------------------


class PartsOrderLineSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    part_number = serializers.CharField(source="part.number")
    description = serializers.CharField(source="part.description")
    supplied_part_number = serializers.CharField(
        source="supplied_part.number", allow_null=True, default=None
    )
    substituted = serializers.BooleanField(
        help_text="HQ supplies a newer number than the one ordered."
    )

    class Meta:
        model = PartsOrderLine
        fields = [
            "id",
            "position",
            "part_number",
            "description",
            "asked_number",
            "supplied_part_number",
            "substituted",
            "quantity",
            "confirmed",
            "backordered",
            "backorder_expected",
            "shipped",
            "received",
            "suggested",
        ]
        read_only_fields = fields


class PartsShipmentLineSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    part_number = serializers.CharField(source="part.number")
    order_line = serializers.IntegerField(source="order_line_id")
    difference = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="Received − shipped (negative: short; positive: over delivery).",
    )

    class Meta:
        model = PartsShipmentLine
        fields = ["id", "order_line", "part_number", "quantity", "received", "difference"]
        read_only_fields = fields


class PartsShipmentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    lines = PartsShipmentLineSerializer(many=True, read_only=True)

    class Meta:
        model = PartsShipment
        fields = [
            "id",
            "number",
            "state",
            "carrier_reference",
            "shipped_at",
            "received_at",
            "lines",
        ]
        read_only_fields = fields


class PartsOrderSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    lines = PartsOrderLineSerializer(many=True, read_only=True)
    shipments = PartsShipmentSerializer(many=True, read_only=True)

    class Meta:
        model = PartsOrder
        fields = [
            "id",
            "number",
            "label",
            "kind",
            "state",
            "origin",
            "vehicle_reference",
            "note",
            "created_at",
            "sent_at",
            "closed_at",
            "lines",
            "shipments",
        ]
        read_only_fields = fields


class NetworkPartsOrderSerializer(PartsOrderSerializer):
    dealer_code = serializers.CharField(source="dealer.code")
    dealer_name = serializers.CharField(source="dealer.name")
    region = serializers.CharField(source="dealer.region.name")

    class Meta(PartsOrderSerializer.Meta):
        fields = ["dealer_code", "dealer_name", "region", *PartsOrderSerializer.Meta.fields]
        read_only_fields = fields


class NewPartsOrderLineSerializer(serializers.Serializer):  # type: ignore[type-arg]
    part_number = serializers.CharField(max_length=40)
    quantity = serializers.CharField(max_length=12, help_text="In the part's unit, e.g. 2 or 1.5")


class NewPartsOrderSerializer(serializers.Serializer):  # type: ignore[type-arg]
    kind = serializers.ChoiceField(choices=PartsOrder.Kind.choices, default="stock")
    vehicle_reference = serializers.CharField(max_length=40, required=False, allow_blank=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)
    lines = NewPartsOrderLineSerializer(many=True, required=False)


class ConfirmPartsLineSerializer(serializers.Serializer):  # type: ignore[type-arg]
    line = serializers.IntegerField()
    confirm = serializers.CharField(max_length=12, help_text="Quantity confirmed now (0: none)")
    expected = serializers.DateField(
        required=False, allow_null=True, help_text="When the rest (backordered) is expected"
    )


class ConfirmPartsSerializer(serializers.Serializer):  # type: ignore[type-arg]
    lines = ConfirmPartsLineSerializer(many=True)


class ShipPartsLineSerializer(serializers.Serializer):  # type: ignore[type-arg]
    line = serializers.IntegerField()
    quantity = serializers.CharField(max_length=12)


class ShipPartsSerializer(serializers.Serializer):  # type: ignore[type-arg]
    carrier_reference = serializers.CharField(max_length=60, required=False, allow_blank=True)
    lines = ShipPartsLineSerializer(
        many=True, required=False, help_text="Default: everything confirmed and not shipped"
    )


# --- the dealer --------------------------------------------------------------------------------


class _Base(viewsets.GenericViewSet):  # type: ignore[type-arg]
    permission_classes = [IsAuthenticated, DeclaredAccess]
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False) or current_scope() is None:
            return PartsOrder.objects.none()
        return self.visible(access_of(self.request))

    def visible(self, access: Any) -> QuerySet[Any]:
        raise NotImplementedError


@extend_schema_view(
    list=extend_schema(summary="The dealer's parts orders, newest first"),
    retrieve=extend_schema(summary="One parts order with its lines and shipments"),
)
class PartsOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _Base):
    serializer_class = PartsOrderSerializer
    access_rule = Rule(read=PARTS_ORDER_READERS, write=PARTS_ORDER_CLERKS)

    def visible(self, access: Any) -> QuerySet[Any]:
        if access.dealer is None:
            return PartsOrder.objects.none()
        return selectors.with_lines(selectors.dealer_orders(dealer_id=access.dealer.pk))

    @extend_schema(
        request=NewPartsOrderSerializer,
        responses={201: PartsOrderSerializer},
        summary="Create a draft order (lines by part number, any case)",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = NewPartsOrderSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        lines = data.pop("lines", [])
        dealer_id = access_of(request).dealer.pk  # type: ignore[union-attr]

        def create_with_lines() -> PartsOrder:
            order = services.create_order(dealer_id=dealer_id, actor=request.user, **data)
            for line in lines:
                services.add_line(order=order, actor=request.user, **line)
            return order

        order = _call(lambda: create_with_lines())
        return Response(
            PartsOrderSerializer(self.visible(access_of(request)).get(pk=order.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=None, responses=PartsOrderSerializer, summary="Send a draft to the importer"
    )
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        order = self.get_object()
        _call(services.send, order=order, actor=request.user, request=request)
        return Response(PartsOrderSerializer(self.get_queryset().get(pk=order.pk)).data)


# --- HQ logistics --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Every dealer's open parts orders, urgent first",
        parameters=[
            OpenApiParameter("dealer", int, description="a dealer's id"),
            OpenApiParameter("region", int, description="a region's id"),
            OpenApiParameter("kind", str, enum=PartsOrder.Kind.values),
            OpenApiParameter("state", str, description="sent, confirmed, backordered or shipped"),
        ],
    ),
    retrieve=extend_schema(summary="One dealer's sent parts order"),
)
class NetworkPartsOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _Base):
    serializer_class = NetworkPartsOrderSerializer
    access_rule = Rule(read=PARTS_ORDER_HQ_READERS, write=PARTS_ORDER_HQ)

    def visible(self, access: Any) -> QuerySet[Any]:
        if self.action == "list":
            orders = selectors.network_open_orders()
            params = self.request.query_params
            for name, lookup in (("dealer", "dealer_id"), ("region", "dealer__region_id")):
                value = params.get(name, "")
                if value:
                    if not value.isdigit():
                        raise ValidationError({name: ["Give an id."]})
                    orders = orders.filter(**{lookup: int(value)})
            if params.get("kind"):
                orders = orders.filter(kind=params["kind"])
            if params.get("state"):
                orders = orders.filter(state=params["state"])
            return selectors.with_lines(orders)
        return selectors.with_lines(
            PartsOrder.objects.exclude(state=PartsOrder.State.DRAFT)
        ).select_related("dealer", "dealer__region")

    @extend_schema(
        request=ConfirmPartsSerializer,
        responses=NetworkPartsOrderSerializer,
        summary="Confirm lines; the rest is backordered with its expected date",
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        order = self.get_object()
        body = ConfirmPartsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        decisions = [
            services.LineDecision(row["line"], row["confirm"], row.get("expected"))
            for row in body.validated_data["lines"]
        ]
        _call(
            services.confirm, order=order, decisions=decisions, actor=request.user, request=request
        )
        return Response(NetworkPartsOrderSerializer(self.get_queryset().get(pk=order.pk)).data)

    @extend_schema(
        request=ShipPartsSerializer,
        responses={201: PartsShipmentSerializer},
        summary="Ship confirmed parts (a newer number where HQ substituted one)",
    )
    @action(detail=True, methods=["post"])
    def ship(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        order = self.get_object()
        body = ShipPartsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rows = body.validated_data.get("lines")
        quantities = {row["line"]: row["quantity"] for row in rows} if rows else None
        shipment = _call(
            services.ship,
            order=order,
            actor=request.user,
            quantities=quantities,
            carrier_reference=body.validated_data.get("carrier_reference", ""),
            request=request,
        )
        with_lines = selectors.dealer_shipment(
            dealer_id=order.dealer_id, order_pk=order.pk, pk=shipment.pk
        )
        return Response(PartsShipmentSerializer(with_lines).data, status=status.HTTP_201_CREATED)
