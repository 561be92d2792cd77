"""API of the dealer's parts store (issue 15): `/api/parts-stock/`, `/api/parts-reservations/`,
`/api/parts-transfers/`.

Same rules as the pages, through the same selectors and services (inventory.stock.services,
.selectors, .transfers): the dealer's parts and workshop staff and managers read (HQ drilled into
the dealer too), only the dealer's parts clerks change stock and see the network's availability.
A refused movement (`StockRefused`) answers 400 with its message and changes nothing; another
dealer's reservation or transfer is "not found" (404), like a missing one. Part ids are ids of the
shared HQ catalogue; a transfer names its supplier by the dealer id the network lookup gives.
A POST carrying an `Idempotency-Key` runs once (dms.idempotency).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dealers.access import PARTS_CLERKS, PARTS_READERS, DeclaredAccess, Rule
from dealers.clock import dealer_today
from dealers.models import Dealer
from dms.api.filters import NUL
from dms.api.permissions import HasDealerScope, WritableScope, access_of
from dms.api.schema import ErrorDetailSerializer, QueryCheckedSchema
from dms.tenancy.context import current_scope

from ..models import Part
from . import api_selectors, filters, selectors, services, transfers
from .models import PartReservation, PartStock, PartTransfer, StockMovement

READ = Rule(read=PARTS_READERS, write=PARTS_CLERKS)
CLERKS_ONLY = Rule(read=PARTS_CLERKS, write=PARTS_CLERKS)
QUANTITY = {"max_digits": 12, "decimal_places": 2}


def _call(func: Any, **kwargs: Any) -> Any:
    """Run a service in a savepoint: its ValidationError (StockRefused) becomes a 400 with the
    message, and nothing is changed."""
    try:
        with transaction.atomic():
            return func(**kwargs)
    except DjangoValidationError as exc:
        raise ValidationError(serializers.as_serializer_error(exc)) from exc


def _dealer(request: Request) -> Dealer:
    dealer = access_of(request).dealer
    if dealer is None:  # the audiences need a current dealer; never reached
        raise PermissionDenied
    return dealer


# --- answers --------------------------------------------------------------------------------------


class PartRefSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Part
        fields = ["id", "number", "description", "unit"]
        read_only_fields = fields


class PartStockSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    part = PartRefSerializer(read_only=True)
    available = serializers.DecimalField(read_only=True, **QUANTITY)  # type: ignore[arg-type]

    class Meta:
        model = PartStock
        fields = [
            "part",
            "bin",
            "on_hand",
            "reserved",
            "available",
            "on_order",
            "minimum",
            "reorder_point",
            "maximum",
            "average_cost",
            "last_movement_at",
        ]
        read_only_fields = fields


class LookupLineSerializer(serializers.Serializer):  # type: ignore[type-arg]
    part = PartRefSerializer()
    bin = serializers.CharField()
    on_hand = serializers.DecimalField(**QUANTITY)  # type: ignore[arg-type]
    reserved = serializers.DecimalField(**QUANTITY)  # type: ignore[arg-type]
    available = serializers.DecimalField(**QUANTITY)  # type: ignore[arg-type]


class LookupSerializer(serializers.Serializer):  # type: ignore[type-arg]
    asked = serializers.CharField(help_text="The part number asked for, as the catalogue has it.")
    superseded = serializers.BooleanField(help_text="The asked number is replaced by `part`.")
    part = PartRefSerializer(help_text="The part in force today on the dealer's clock.")
    lines = LookupLineSerializer(
        many=True,
        help_text="The dealer's stock of the numbers the part replaced (used first, oldest "
        "first) that still hold stock, then of the part itself.",
    )
    on_hand = serializers.DecimalField(**QUANTITY)  # type: ignore[arg-type]
    available = serializers.DecimalField(
        help_text="What a reservation or an issue can take now.",
        **QUANTITY,  # type: ignore[arg-type]
    )


def lookup_payload(result: selectors.PartLookup) -> dict[str, Any]:
    return {
        "asked": result.asked,
        "superseded": result.superseded,
        "part": result.part,
        "lines": [
            {
                "part": line.part,
                "bin": line.stock.bin if line.stock else "",
                "on_hand": line.on_hand,
                "reserved": line.stock.reserved if line.stock else Decimal(0),
                "available": line.available,
            }
            for line in result.lines
        ],
        "on_hand": result.on_hand,
        "available": result.available,
    }


class MovementSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    part_number = serializers.CharField(source="part.number", read_only=True)
    by = serializers.SerializerMethodField()

    class Meta:
        model = StockMovement
        fields = [
            "id",
            "part",
            "part_number",
            "kind",
            "quantity",
            "reserved_change",
            "unit_cost",
            "reason",
            "reference",
            "at",
            "by",
        ]
        read_only_fields = fields

    def get_by(self, obj: StockMovement) -> str:
        """Who moved the stock (empty for the system)."""
        actor: Any = obj.actor
        return str(actor.get_full_name() or actor.get_username()) if actor else ""


class ReservationSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    part_number = serializers.CharField(source="part.number", read_only=True)

    class Meta:
        model = PartReservation
        fields = [
            "id",
            "part",
            "part_number",
            "quantity",
            "status",
            "reference",
            "asked_number",
            "created_at",
            "closed_at",
        ]
        read_only_fields = fields


class MovementsAndStockSerializer(serializers.Serializer):  # type: ignore[type-arg]
    movements = MovementSerializer(many=True, help_text="The ledger lines written.")
    stock = LookupSerializer(help_text="The part's stock after the change.")


class ReservationsAndStockSerializer(serializers.Serializer):  # type: ignore[type-arg]
    reservations = ReservationSerializer(
        many=True, help_text="One per part number reserved (older numbers first)."
    )
    stock = LookupSerializer(help_text="The part's stock after the change.")


class DealerBandSerializer(serializers.Serializer):  # type: ignore[type-arg]
    dealer = serializers.IntegerField(
        source="dealer_id", help_text="The dealer's id: ask it for a transfer with this id."
    )
    name = serializers.CharField(source="dealer_name")
    region = serializers.CharField()
    city = serializers.CharField()
    band = serializers.IntegerField(help_text="1: one unit, 2: two to five, 3: more than five.")
    band_label = serializers.CharField()


class NetworkSerializer(serializers.Serializer):  # type: ignore[type-arg]
    part = PartRefSerializer()
    dealers = DealerBandSerializer(
        many=True, help_text="Other dealers with the part available: bands only."
    )
    warehouse_band = serializers.CharField(
        help_text="The importer's warehouse, as a band (empty: none available)."
    )


class TransferSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    part_number = serializers.CharField(source="part.number", read_only=True)

    class Meta:
        model = PartTransfer
        fields = [
            "id",
            "number",
            "side",
            "status",
            "partner",
            "partner_name",
            "part",
            "part_number",
            "quantity",
            "unit_price",
            "note",
            "requested_at",
            "changed_at",
        ]
        read_only_fields = fields


# --- requests -------------------------------------------------------------------------------------


class QuantitySerializer(serializers.Serializer):  # type: ignore[type-arg]
    quantity = serializers.DecimalField(
        help_text="In the part's unit (whole for pieces, sets and pairs).",
        **QUANTITY,  # type: ignore[arg-type]
    )
    reference = serializers.CharField(
        max_length=60, help_text="What it is for: a repair order, a delivery note, a sale…"
    )


class ReceiveSerializer(QuantitySerializer):
    unit_cost = serializers.DecimalField(
        max_digits=14, decimal_places=4, required=False, allow_null=True, default=None
    )


class TransferRequestSerializer(serializers.Serializer):  # type: ignore[type-arg]
    supplier = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        help_text="The dealer asked for the parts: a dealer id of the network lookup.",
    )
    part = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="A part id of the HQ catalogue."
    )
    quantity = serializers.DecimalField(**QUANTITY)  # type: ignore[arg-type]
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ReasonSerializer(serializers.Serializer):  # type: ignore[type-arg]
    reason = serializers.CharField(max_length=200)


class EmptySerializer(serializers.Serializer):  # type: ignore[type-arg]
    pass


NOT_FOUND = OpenApiResponse(ErrorDetailSerializer, description="No part has this number")


# --- views ----------------------------------------------------------------------------------------


class StoreViewSet(viewsets.GenericViewSet):  # type: ignore[type-arg]
    permission_classes = [IsAuthenticated, HasDealerScope, DeclaredAccess, WritableScope]
    access_rule = READ
    lookup_value_regex = r"[0-9]+"  # an id; anything else is not found, never a 500
    model: Any

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False) or current_scope() is None:
            return QuerySet(model=self.model).none()
        return self.rows(_dealer(self.request))

    def rows(self, dealer: Dealer) -> QuerySet[Any]:
        raise NotImplementedError


class PartLookupAPIView(APIView):
    """GET /api/parts-stock/lookup/?number=…: the part in force for a number (old numbers
    resolve) with the dealer's stock of it and of the numbers it replaced."""

    permission_classes = [IsAuthenticated, HasDealerScope, DeclaredAccess]
    access_rule = Rule(read=PARTS_READERS)
    schema = QueryCheckedSchema()

    @extend_schema(
        summary="Find a part by number (an old number finds the part in force) with the "
        "dealer's stock of it",
        parameters=[
            OpenApiParameter("number", str, required=True, description="A part number, any case.")
        ],
        responses={200: LookupSerializer, 404: NOT_FOUND},
    )
    def get(self, request: Request) -> Response:
        number = str(request.query_params.get("number", "")).strip()
        if not number:
            raise ValidationError({"number": [_("Give a part number.")]})
        if NUL in number or len(number) > 40:
            raise ValidationError({"number": [_("A part number has at most 40 characters.")]})
        dealer = _dealer(request)
        result = selectors.part_lookup(dealer_id=dealer.pk, number=number, on=dealer_today(dealer))
        if result is None:
            return Response(
                {"detail": _("No part has this number.")}, status=status.HTTP_404_NOT_FOUND
            )
        return Response(LookupSerializer(lookup_payload(result)).data)


@extend_schema_view(
    list=extend_schema(
        summary="The dealer's parts stock, by part number (filters as on the stock page)"
    ),
)
class PartStockViewSet(mixins.ListModelMixin, StoreViewSet):
    """The parts store by part: list, look-up by number, a part's ledger, receive / issue /
    reserve, and who else in the network has it. `<part_pk>` is a catalogue part id."""

    model = PartStock
    serializer_class = PartStockSerializer
    filterset_class = filters.PartStockFilterSet
    lookup_url_kwarg = "part_pk"
    action_access_rules = {"network": CLERKS_ONLY}

    def rows(self, dealer: Dealer) -> QuerySet[Any]:
        return selectors.stock_list(dealer_id=dealer.pk)

    def _part(self) -> Part:
        return get_object_or_404(Part, pk=int(self.kwargs["part_pk"]))

    def _stock(self, dealer: Dealer, part: Part) -> dict[str, Any]:
        result = selectors.part_lookup(
            dealer_id=dealer.pk, number=part.number, on=dealer_today(dealer)
        )
        if result is None:  # the part exists: never reached
            raise NotFound
        return lookup_payload(result)

    @extend_schema(
        summary="The dealer's ledger lines of a part, newest first",
        responses=MovementSerializer(many=True),
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def movements(self, request: Request, **kwargs: Any) -> Response:
        part = self._part()
        rows = api_selectors.movements_of(dealer_id=_dealer(request).pk, part_id=part.pk)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(MovementSerializer(page, many=True).data)

    @extend_schema(
        summary="Receive parts into stock (the average cost follows the unit cost)",
        request=ReceiveSerializer,
        responses={201: MovementsAndStockSerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def receive(self, request: Request, **kwargs: Any) -> Response:
        part, dealer = self._part(), _dealer(request)
        body = ReceiveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        movement = _call(
            services.receive,
            dealer_id=dealer.pk,
            part=part,
            actor=request.user,
            **body.validated_data,
        )
        payload = {"movements": [movement], "stock": self._stock(dealer, part)}
        return Response(MovementsAndStockSerializer(payload).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Issue parts from available stock (older numbers' stock first); 400 when too "
        "few are available",
        request=QuantitySerializer,
        responses={201: MovementsAndStockSerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def issue(self, request: Request, **kwargs: Any) -> Response:
        part, dealer = self._part(), _dealer(request)
        body = QuantitySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        movements = _call(
            services.issue,
            dealer_id=dealer.pk,
            part=part,
            actor=request.user,
            **body.validated_data,
        )
        payload = {"movements": movements, "stock": self._stock(dealer, part)}
        return Response(MovementsAndStockSerializer(payload).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Reserve parts (for a repair order…): older numbers' stock first; 400 when too "
        "few are available",
        request=QuantitySerializer,
        responses={201: ReservationsAndStockSerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def reserve(self, request: Request, **kwargs: Any) -> Response:
        part, dealer = self._part(), _dealer(request)
        body = QuantitySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        made = _call(
            services.reserve,
            dealer_id=dealer.pk,
            part=part,
            actor=request.user,
            **body.validated_data,
        )
        payload = {"reservations": made, "stock": self._stock(dealer, part)}
        return Response(
            ReservationsAndStockSerializer(payload).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Who else in the network has this part available (bands only) and the "
        "importer's warehouse; every look is audited",
        responses=NetworkSerializer,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def network(self, request: Request, **kwargs: Any) -> Response:
        part = self._part()
        found = selectors.network_availability(
            part=part, asking_dealer=_dealer(request), actor=request.user, request=request
        )
        payload = {"part": part, "dealers": found.dealers, "warehouse_band": found.warehouse_band}
        return Response(NetworkSerializer(payload).data)


@extend_schema_view(list=extend_schema(summary="The dealer's open reservations, oldest first"))
class PartReservationViewSet(mixins.ListModelMixin, StoreViewSet):
    model = PartReservation
    serializer_class = ReservationSerializer

    def rows(self, dealer: Dealer) -> QuerySet[Any]:
        rows = api_selectors.reservations_of(dealer_id=dealer.pk)
        if self.action == "list":
            rows = rows.filter(status=PartReservation.Status.OPEN)
        return rows.order_by("created_at", "id")

    @extend_schema(
        summary="Release a reservation: the parts are available again",
        request=EmptySerializer,
        responses=ReservationSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def release(self, request: Request, **kwargs: Any) -> Response:
        reservation = self.get_object()
        _call(services.release, reservation=reservation, actor=request.user)
        reservation.refresh_from_db()
        return Response(ReservationSerializer(reservation).data)

    @extend_schema(
        summary="Issue the reserved parts (they leave the store)",
        request=EmptySerializer,
        responses=ReservationSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def issue(self, request: Request, **kwargs: Any) -> Response:
        reservation = self.get_object()
        _call(services.issue_reservation, reservation=reservation, actor=request.user)
        reservation.refresh_from_db()
        return Response(ReservationSerializer(reservation).data)


class TransferFilter(django_filters.FilterSet):
    side = django_filters.ChoiceFilter(choices=PartTransfer.Side.choices)
    status = django_filters.ChoiceFilter(choices=PartTransfer.Status.choices)


@extend_schema_view(
    list=extend_schema(
        summary="The dealer's transfers (incoming and outgoing), open ones first, newest first"
    ),
    retrieve=extend_schema(summary="One transfer (the dealer's side of it)"),
)
class PartTransferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StoreViewSet):
    """Inter-dealer transfers. Each dealer sees its own side (`side`: in for the requester, out
    for the supplier); the supplier accepts, refuses or dispatches, the requester cancels or
    receives — on its own side's id."""

    model = PartTransfer
    serializer_class = TransferSerializer
    filterset_class = TransferFilter

    def rows(self, dealer: Dealer) -> QuerySet[Any]:
        return api_selectors.transfer_rows(dealer_id=dealer.pk)

    @extend_schema(
        summary="Ask another dealer of the network for parts (a supplier id from the network "
        "look-up)",
        request=TransferRequestSerializer,
        responses={201: TransferSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = TransferRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        supplier = selectors.transfer_partner(str(data["supplier"]))
        if supplier is None:
            raise ValidationError({"supplier": [_("Choose a dealer of the network.")]})
        part = Part.objects.filter(pk=data["part"]).first()
        if part is None:
            raise ValidationError({"part": [_("No part has this id.")]})
        made = _call(
            transfers.request_transfer,
            requester=_dealer(request),
            supplier=supplier,
            part=part,
            quantity=data["quantity"],
            note=data["note"],
            actor=request.user,
            request=request,
        )
        return Response(self.get_serializer(made).data, status=status.HTTP_201_CREATED)

    def _step(self, request: Request, step: Any, **extra: Any) -> Response:
        row = self.get_object()
        done = _call(step, transfer=row, actor=request.user, request=request, **extra)
        return Response(self.get_serializer(done).data)

    @extend_schema(
        summary="The supplier accepts: the parts are reserved in its store (400 when it no "
        "longer has them)",
        request=EmptySerializer,
        responses=TransferSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def accept(self, request: Request, **kwargs: Any) -> Response:
        return self._step(request, transfers.accept)

    @extend_schema(
        summary="The supplier refuses, saying why",
        request=ReasonSerializer,
        responses=TransferSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def refuse(self, request: Request, **kwargs: Any) -> Response:
        row = self.get_object()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = _call(
            transfers.refuse,
            transfer=row,
            actor=request.user,
            request=request,
            reason=body.validated_data["reason"],
        )
        return Response(self.get_serializer(done).data)

    @extend_schema(
        summary="The supplier sends the reserved parts: they leave its store",
        request=EmptySerializer,
        responses=TransferSerializer,
    )
    @action(
        detail=True, methods=["post"], url_path="dispatch", url_name="dispatch", filter_backends=[]
    )
    def send(self, request: Request, **kwargs: Any) -> Response:
        return self._step(request, transfers.dispatch)

    @extend_schema(
        summary="The requester takes the parts into its store",
        request=EmptySerializer,
        responses=TransferSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def receive(self, request: Request, **kwargs: Any) -> Response:
        return self._step(request, transfers.receive)

    @extend_schema(
        summary="The requester withdraws a request not accepted yet",
        request=EmptySerializer,
        responses=TransferSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def cancel(self, request: Request, **kwargs: Any) -> Response:
        return self._step(request, transfers.cancel)
