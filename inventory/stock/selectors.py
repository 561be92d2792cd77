"""Reads of the dealer's parts store (issue 15). Inside the dealer's tenant scope, except
`network_availability`: the one narrow, audited read of other dealers' stock, which goes through
the `PartAvailability` projection (bands only), never through other dealers' balances."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from dealers.models import Dealer
from dms.audit import services as audit
from dms.audit.models import AuditAction

from ..models import Part
from .models import (
    AvailabilityBand,
    CounterSale,
    PartAvailability,
    PartReservation,
    PartStock,
    PartTransfer,
    StockCount,
    StockMovement,
    WarehouseStock,
)
from .services import serving_parts

ZERO = Decimal("0")


@dataclass(frozen=True)
class StockLine:
    part: Part
    stock: PartStock | None

    @property
    def on_hand(self) -> Decimal:
        return self.stock.on_hand if self.stock else ZERO

    @property
    def available(self) -> Decimal:
        return self.stock.available if self.stock else ZERO


@dataclass(frozen=True)
class PartLookup:
    """What a parts clerk sees for an asked number: the part in force, its stock, and the stock
    of the numbers it replaced (used first)."""

    asked: str
    part: Part
    lines: list[StockLine] = field(default_factory=list)  # older numbers first, current last

    @property
    def superseded(self) -> bool:
        return self.asked.upper() != self.part.number.upper()

    @property
    def available(self) -> Decimal:
        return sum((line.available for line in self.lines), ZERO)

    @property
    def on_hand(self) -> Decimal:
        return sum((line.on_hand for line in self.lines), ZERO)

    @property
    def current(self) -> StockLine:
        return self.lines[-1]


def part_lookup(*, dealer_id: int, number: str, on: dt.date) -> PartLookup | None:
    """The asked part number (any case) resolved to the current part with this dealer's stock
    of it and of the numbers it replaced. None for an unknown number."""
    number = number.strip()
    if not number:
        return None
    asked = Part.objects.filter(number__iexact=number).values_list("pk", "number").first()
    if asked is None:
        return None
    asked_id, exact = asked
    order = serving_parts(asked_id, on=on)  # the numbers it replaced first, the current one last
    parts = Part.objects.select_related("group").in_bulk(order)
    part = parts[order[-1]]
    stock = {s.part_id: s for s in PartStock.objects.filter(dealer_id=dealer_id, part_id__in=order)}
    lines = [
        StockLine(parts[pid], stock.get(pid))
        for pid in order
        if pid == part.pk or (stock.get(pid) and stock[pid].on_hand > 0)
    ]
    return PartLookup(asked=exact, part=part, lines=lines)


def stock_list(*, dealer_id: int) -> QuerySet[PartStock]:
    return (
        PartStock.objects.filter(dealer_id=dealer_id)
        .select_related("part", "part__group")
        .order_by("part__number")
    )


def open_reservations(*, dealer_id: int) -> QuerySet[PartReservation]:
    return (
        PartReservation.objects.filter(dealer_id=dealer_id, status=PartReservation.Status.OPEN)
        .select_related("part")
        .order_by("created_at")
    )


# --- network availability ------------------------------------------------------------------------


@dataclass(frozen=True)
class DealerAvailability:
    dealer_id: int
    dealer_name: str
    region: str
    city: str
    band: int
    region_id: int

    @property
    def band_label(self) -> str:
        return str(AvailabilityBand(self.band).label)


@dataclass(frozen=True)
class NetworkAvailability:
    part: Part
    dealers: list[DealerAvailability]
    warehouse: Decimal

    @property
    def warehouse_band(self) -> str:
        from .services import band_of

        band = band_of(self.warehouse)
        return str(AvailabilityBand(band).label) if band else ""


# The only columns of the projection any dealer may read (tests pin this list).
PROJECTION_COLUMNS = ("dealer_id", "part_id", "band")


def network_availability(
    *, part: Part, asking_dealer: Dealer, actor: Any, request: Any = None
) -> NetworkAvailability:
    """Which other dealers of the network have `part` available (name, region, town, band —
    never a quantity, a cost or a customer) and what the importer's warehouse holds. One exact
    part per call; every call audited."""
    rows = (
        PartAvailability.objects.filter(part=part)
        .exclude(dealer_id=asking_dealer.pk)
        .filter(dealer__is_active=True)
        .values_list(
            "dealer_id",
            "dealer__name",
            "dealer__region__name",
            "dealer__city",
            "band",
            "dealer__region_id",
        )
    )
    dealers = [DealerAvailability(*row) for row in rows]
    # The asking dealer's own region first, then the largest band, then by name.
    dealers.sort(key=lambda d: (d.region_id != asking_dealer.region_id, -d.band, d.dealer_name))
    warehouse = (
        WarehouseStock.objects.filter(part=part).values_list("available", flat=True).first() or ZERO
    )
    audit.record(
        action=AuditAction.NETWORK_STOCK_READ,
        actor=actor,
        dealer=asking_dealer,
        obj=part,
        request=request,
        detail={"part": part.number, "dealers": len(dealers)},
    )
    return NetworkAvailability(part=part, dealers=dealers, warehouse=warehouse)


# --- the ledger invariant --------------------------------------------------------------------------

_MISMATCH_SQL = """
SELECT COALESCE(s.dealer_id, m.dealer_id), COALESCE(s.part_id, m.part_id),
       COALESCE(s.on_hand, 0), COALESCE(m.on_hand, 0),
       COALESCE(s.reserved, 0), COALESCE(m.reserved, 0)
FROM inventory_partstock s
FULL JOIN (
    SELECT dealer_id, part_id, SUM(quantity) AS on_hand, SUM(reserved_change) AS reserved
    FROM inventory_stockmovement GROUP BY dealer_id, part_id
) m ON m.dealer_id = s.dealer_id AND m.part_id = s.part_id
WHERE COALESCE(s.on_hand, 0) <> COALESCE(m.on_hand, 0)
   OR COALESCE(s.reserved, 0) <> COALESCE(m.reserved, 0)
LIMIT %s
"""


@dataclass(frozen=True)
class LedgerMismatch:
    dealer_id: int
    part_id: int
    on_hand: Decimal
    ledger_on_hand: Decimal
    reserved: Decimal
    ledger_reserved: Decimal


def ledger_mismatches(limit: int = 100) -> list[LedgerMismatch]:
    """Balances that differ from the sum of their ledger (should be none), over every dealer
    the connection may read (all of them for the owner: the operations check)."""
    with connection.cursor() as cursor:
        cursor.execute(_MISMATCH_SQL, [limit])
        return [LedgerMismatch(*row) for row in cursor.fetchall()]


# --- pages ------------------------------------------------------------------------------------------


def stock_value(*, dealer_id: int) -> Decimal:
    """What the dealer's parts on hand are worth at average cost."""
    from django.db.models import F, Sum

    total = PartStock.objects.filter(dealer_id=dealer_id).aggregate(
        value=Sum(F("on_hand") * F("average_cost"))
    )["value"]
    return (total or ZERO).quantize(Decimal("0.01"))


def stock_row(*, dealer_id: int, part: Part) -> PartStock | None:
    return PartStock.objects.filter(dealer_id=dealer_id, part=part).first()


@dataclass(frozen=True)
class StockCard:
    part: Part
    lookup: PartLookup | None
    stock: PartStock | None
    movements: list[StockMovement]
    reservations: list[PartReservation]
    retail: Decimal | None
    dealer_net: Decimal | None


def stock_card(*, dealer_id: int, part: Part, on: dt.date, movements: int = 30) -> StockCard:
    """One part of the store: its balance, recent ledger lines, open reservations, prices and
    (when it is replaced) the part in force."""
    from bulletins.pricing import part_prices

    price = part_prices(on, numbers=[part.number]).get(part.number)
    recent = (
        list(
            StockMovement.objects.filter(dealer_id=dealer_id, part=part)
            .select_related("actor")
            .order_by("-at", "-id")[:movements]
        )
        if movements
        else []
    )
    return StockCard(
        part=part,
        lookup=part_lookup(dealer_id=dealer_id, number=part.number, on=on),
        stock=stock_row(dealer_id=dealer_id, part=part),
        movements=recent,
        reservations=list(open_reservations(dealer_id=dealer_id).filter(part=part)),
        retail=price.retail if price else None,
        dealer_net=price.dealer_net if price else None,
    )


def open_reservation(pk: int) -> PartReservation | None:
    """An open reservation of the dealer in scope (None: another dealer's, closed or unknown)."""
    return (
        PartReservation.objects.filter(pk=pk, status=PartReservation.Status.OPEN)
        .select_related("part")
        .first()
    )


def transfers_of(*, dealer_id: int, limit: int = 200) -> list[PartTransfer]:
    """The dealer's transfers, open ones first, newest first."""
    from django.db.models import Case, IntegerField, Value, When

    closed = (
        PartTransfer.Status.RECEIVED,
        PartTransfer.Status.REFUSED,
        PartTransfer.Status.CANCELLED,
    )
    return list(
        PartTransfer.objects.filter(dealer_id=dealer_id)
        .select_related("part", "partner")
        .annotate(
            done=Case(
                When(status__in=closed, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("done", "-changed_at")[:limit]
    )


def transfer(pk: int) -> PartTransfer | None:
    return PartTransfer.objects.filter(pk=pk).select_related("part", "partner").first()


def transfer_partner(raw: str) -> Dealer | None:
    """The dealer a transfer is asked from (an active dealer of the network)."""
    if not raw.isdigit():
        return None
    return Dealer.objects.filter(pk=int(raw), is_active=True).first()


def stock_counts(*, dealer_id: int, limit: int = 100) -> list[StockCount]:
    return list(
        StockCount.objects.filter(dealer_id=dealer_id)
        .select_related("started_by", "decided_by")
        .order_by("-started_at")[:limit]
    )


def stock_count(pk: int) -> StockCount | None:
    return StockCount.objects.filter(pk=pk).first()


@dataclass(frozen=True)
class PartsDay:
    """The parts clerk's day at a glance (dashboard): what waits for them."""

    reservations: int
    transfer_requests: int  # other dealers ask us: accept or refuse
    transfers_to_send: int  # accepted, not dispatched yet
    transfers_to_receive: int  # dispatched to us
    to_reorder: int  # at or below the reorder point (available + on order)
    counts_open: int


def parts_day(*, dealer_id: int) -> PartsDay:
    from django.db.models import Count, F, Q

    transfers = PartTransfer.objects.filter(dealer_id=dealer_id).aggregate(
        requests=Count("id", filter=Q(side="out", status="requested")),
        to_send=Count("id", filter=Q(side="out", status="accepted")),
        to_receive=Count("id", filter=Q(side="in", status="dispatched")),
    )
    return PartsDay(
        reservations=PartReservation.objects.filter(
            dealer_id=dealer_id, status=PartReservation.Status.OPEN
        ).count(),
        transfer_requests=transfers["requests"],
        transfers_to_send=transfers["to_send"],
        transfers_to_receive=transfers["to_receive"],
        to_reorder=PartStock.objects.filter(
            dealer_id=dealer_id,
            reorder_point__gt=0,
            reorder_point__gte=F("on_hand") - F("reserved") + F("on_order"),
        ).count(),
        counts_open=StockCount.objects.filter(
            dealer_id=dealer_id,
            status__in=[StockCount.Status.COUNTING, StockCount.Status.SUBMITTED],
        ).count(),
    )


def counter_sales(*, dealer_id: int, limit: int = 50) -> list[CounterSale]:
    return list(
        CounterSale.objects.filter(dealer_id=dealer_id)
        .select_related("customer", "sold_by")
        .order_by("-sold_at")[:limit]
    )


def counter_sale(pk: int) -> CounterSale | None:
    sale = CounterSale.objects.filter(pk=pk).select_related("customer", "sold_by", "dealer").first()
    if sale is not None:
        sale.line_rows = list(sale.lines.select_related("part").order_by("id"))  # type: ignore[attr-defined]
    return sale


def customer_by_phone(*, dealer: Dealer, phone: str) -> Any:
    """The dealer's customer with exactly this phone (normalised as the customer card does)."""
    from django.core.exceptions import ValidationError

    from leads.models import Customer
    from leads.services.normalize import normalize_phone

    try:
        e164 = normalize_phone(phone, dealer.country)
    except ValidationError:
        return None
    return Customer.objects.filter(dealer=dealer, phone=e164).first() if e164 else None
