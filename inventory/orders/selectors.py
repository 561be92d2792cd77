"""Reads of parts orders (issue 15, items 6 and 7).

The dealer's reads run inside its own scope; HQ logistics reads the open orders of every dealer
its (read-only) scope covers. Orders name parts, quantities and at most a vehicle (VIN or repair
order): never a customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from ..stock.models import PartStock, WarehouseStock
from .models import PartsOrder, PartsOrderLine, PartsShipment, PartsShipmentLine

State = PartsOrder.State
OPEN_STATES = (State.SENT, State.CONFIRMED, State.BACKORDERED, State.SHIPPED)


def _count(queryset: QuerySet[Any]) -> Subquery:
    """COUNT(*) of the order's rows in `queryset` (a correlated subquery on the order's dealer
    and id: no GROUP BY over the composite key)."""
    return Subquery(
        queryset.filter(dealer_id=OuterRef("dealer_id"), order_id=OuterRef("pk"))
        .order_by()
        .values("order_id")
        .annotate(n=Count("*"))
        .values("n")[:1],
        output_field=IntegerField(),
    )


def _with_counts(queryset: QuerySet[PartsOrder]) -> QuerySet[PartsOrder]:
    return queryset.annotate(
        line_count=Coalesce(_count(PartsOrderLine.objects.all()), 0),
        backorder_count=Coalesce(_count(PartsOrderLine.objects.filter(backordered__gt=0)), 0),
        in_transit=Coalesce(
            _count(PartsShipment.objects.filter(state=PartsShipment.State.IN_TRANSIT)), 0
        ),
    )


def dealer_orders(*, dealer_id: int) -> QuerySet[PartsOrder]:
    """The dealer's orders, newest first, with their line, backorder and in-transit counts."""
    return _with_counts(PartsOrder.objects.filter(dealer_id=dealer_id)).order_by("-number")


def with_lines(queryset: QuerySet[PartsOrder]) -> QuerySet[PartsOrder]:
    return queryset.select_related("created_by", "sent_by").prefetch_related(
        Prefetch(
            "lines",
            queryset=PartsOrderLine.objects.select_related("part", "supplied_part").order_by(
                "position", "pk"
            ),
        ),
        Prefetch(
            "shipments",
            queryset=PartsShipment.objects.order_by("number").prefetch_related(
                Prefetch(
                    "lines",
                    queryset=PartsShipmentLine.objects.select_related(
                        "part", "order_line", "order_line__part"
                    ).order_by("order_line__position", "pk"),
                )
            ),
        ),
    )


def dealer_order(*, dealer_id: int, pk: int) -> PartsOrder | None:
    """One of the dealer's orders with its lines and shipments (None: not the dealer's)."""
    return with_lines(PartsOrder.objects.filter(dealer_id=dealer_id, pk=pk)).first()


def dealer_shipment(*, dealer_id: int, order_pk: int, pk: int) -> PartsShipment | None:
    return (
        PartsShipment.objects.filter(dealer_id=dealer_id, order_id=order_pk, pk=pk)
        .select_related("order")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=PartsShipmentLine.objects.select_related(
                    "part", "order_line", "order_line__part"
                ).order_by("order_line__position", "pk"),
            )
        )
        .first()
    )


def backorder_lines(*, dealer_id: int) -> QuerySet[PartsOrderLine]:
    """The dealer's lines waiting on the importer's backorder, soonest expected first."""
    return (
        PartsOrderLine.objects.filter(
            dealer_id=dealer_id, backordered__gt=0, order__state__in=OPEN_STATES
        )
        .select_related("order", "part", "supplied_part")
        .order_by("backorder_expected", "order__number", "position")
    )


def backorders_for(*, dealer_id: int, reference: str) -> QuerySet[PartsOrderLine]:
    """Backordered lines of the dealer's urgent orders for one vehicle or repair order (VIN or
    "RO 1042"): what a repair order waiting for parts shows."""
    return backorder_lines(dealer_id=dealer_id).filter(
        order__vehicle_reference=" ".join(reference.split()).upper()
    )


@dataclass(frozen=True)
class LevelInfo:
    available: Decimal
    on_order: Decimal
    reorder_point: Decimal
    maximum: Decimal


def stock_levels(*, dealer_id: int, part_ids: list[int]) -> dict[int, LevelInfo]:
    """The dealer's balance figures of these parts (a draft's lines show them)."""
    rows = PartStock.objects.filter(dealer_id=dealer_id, part_id__in=part_ids)
    return {
        row.part_id: LevelInfo(row.available, row.on_order, row.reorder_point, row.maximum)
        for row in rows
    }


# --- HQ logistics ----------------------------------------------------------------------------------


def network_open_orders() -> QuerySet[PartsOrder]:
    """Every open order of the dealers in the caller's scope: urgent first, then the oldest."""
    urgent_first = Case(
        When(kind=PartsOrder.Kind.URGENT, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        _with_counts(PartsOrder.objects.filter(state__in=OPEN_STATES))
        .select_related("dealer", "dealer__region")
        .annotate(urgency=urgent_first)
        .order_by("urgency", "sent_at", "pk")
    )


def network_order(*, pk: int) -> PartsOrder | None:
    """A sent order of any dealer in the caller's scope (drafts are the dealer's own)."""
    return (
        with_lines(PartsOrder.objects.filter(pk=pk).exclude(state=State.DRAFT))
        .select_related("dealer", "dealer__region")
        .first()
    )


def warehouse_available(part_ids: list[int]) -> dict[int, Decimal]:
    return dict(
        WarehouseStock.objects.filter(part_id__in=part_ids).values_list("part_id", "available")
    )
