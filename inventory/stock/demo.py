"""The demo network's parts stores (issue 15, Demo): each dealer stocks ~2,000 parts of the demo
catalogue with a year of movements (receipts, issues to repair orders and counter sales, a few
count adjustments), open reservations, bin locations and reorder levels; the importer's
warehouse holds stock; one transfer between two dealers waits for the supplier's answer.

Balances are written as the sum of the ledger lines made here, so the ledger invariant holds by
construction (tests/inventory/test_stock_demo.py checks it). Called by `manage.py seed_demo`
after the HQ catalogue; skipped when any dealer already has parts stock."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from dealers.models import Dealer
from dms.tenancy.context import as_dealer, as_dealers, unscoped

from ..models import Part
from . import transfers
from .models import (
    PartAvailability,
    PartReservation,
    PartStock,
    StockMovement,
    WarehouseStock,
)
from .services import band_of

STOCKED_PARTS = 2000
DEFAULT_SEED = 15
Kind = StockMovement.Kind


@dataclass
class PartsDemoResult:
    dealers: int = 0
    balances: int = 0
    movements: int = 0
    reservations: int = 0
    transfers: int = 0
    skipped: bool = False

    def __str__(self) -> str:
        if self.skipped:
            return "Parts stock: already seeded (or no catalogue yet), left as it is."
        return (
            f"Parts stock: {self.dealers} dealers, {self.balances} stocked parts, "
            f"{self.movements} movements, {self.reservations} open reservations, "
            f"{self.transfers} pending transfer."
        )


def seed_parts_stock(
    *, seed: int = DEFAULT_SEED, now: dt.datetime | None = None, per_dealer: int = STOCKED_PARTS
) -> PartsDemoResult:
    result = PartsDemoResult()
    with unscoped():
        parts = list(Part.objects.filter(is_active=True).order_by("number"))
        dealers = list(Dealer.objects.filter(is_active=True).order_by("code"))
    with as_dealers(dealers) if dealers else unscoped():  # RLS: the check must see every dealer
        seeded = bool(dealers) and PartStock.objects.exists()
    with unscoped():
        if not parts or not dealers or seeded:
            result.skipped = True
            return result
        rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
        now = now or timezone.now()
        with transaction.atomic():
            WarehouseStock.objects.bulk_create(
                WarehouseStock(part=p, available=Decimal(rng.choice([0, 5, 20, 60, 200])))
                for p in parts
            )
    for dealer in dealers:
        with as_dealer(dealer), transaction.atomic():
            _store(rng, dealer, rng.sample(parts, min(per_dealer, len(parts))), now, result)
        result.dealers += 1
    _pending_transfer(dealers, result)
    return result


def _store(
    rng: random.Random, dealer: Dealer, parts: list[Part], now: dt.datetime, result: Any
) -> None:
    balances: list[PartStock] = []
    lines: list[StockMovement] = []
    reservations: list[PartReservation] = []
    year_ago = now - dt.timedelta(days=365)
    for n, part in enumerate(parts):
        first_line = len(lines)
        cost = Decimal(rng.randint(150, 40000)) / 100
        on_hand = Decimal(0)
        for _ in range(rng.randint(1, 3)):  # receipts over the year
            quantity = Decimal(rng.randint(2, 12))
            at = year_ago + dt.timedelta(days=rng.randint(0, 330), hours=rng.randint(7, 16))
            lines.append(_line(dealer, part, Kind.RECEIPT, quantity, at, cost, "Importer delivery"))
            on_hand += quantity
        for _ in range(rng.randint(0, 4)):  # issues to repair orders and counter sales
            if on_hand < 1:
                break
            quantity = Decimal(rng.randint(1, min(int(on_hand), 3)))
            at = year_ago + dt.timedelta(days=rng.randint(30, 364), hours=rng.randint(7, 16))
            reference = f"RO {rng.randint(1000, 9999)}" if rng.random() < 0.7 else "Counter sale"
            lines.append(_line(dealer, part, Kind.ISSUE, -quantity, at, cost, reference))
            on_hand -= quantity
        if n % 97 == 0 and on_hand > 0:  # a few count differences
            lines.append(
                _line(
                    dealer,
                    part,
                    Kind.ADJUSTMENT,
                    Decimal(-1),
                    now - dt.timedelta(days=20),
                    cost,
                    "Cycle count",
                    reason="damaged packaging",
                )  # fmt: skip
            )
            on_hand -= 1
        reserved = Decimal(0)
        if n % 40 == 0 and on_hand >= 1:  # parts waiting for a repair order
            reserved = Decimal(1)
            reference = f"RO {rng.randint(1000, 9999)}"
            lines.append(_line(dealer, part, Kind.RESERVATION, Decimal(0), now, None, reference,
                               reserved_change=reserved))  # fmt: skip
            reservations.append(
                PartReservation(dealer=dealer, part=part, quantity=reserved, reference=reference)
            )
        reorder = Decimal(rng.choice([0, 0, 2, 3, 5]))
        balances.append(
            PartStock(
                dealer=dealer,
                part=part,
                bin=f"{'ABCDEFGH'[n % 8]}-{n % 60 + 1:02d}-{n % 5 + 1}",
                on_hand=on_hand,
                reserved=reserved,
                minimum=min(reorder, Decimal(1)),
                reorder_point=reorder,
                maximum=reorder * 3,
                average_cost=cost,
                last_movement_at=max(line.at for line in lines[first_line:]),
            )  # fmt: skip
        )
    PartStock.objects.bulk_create(balances, batch_size=2000)
    StockMovement.objects.bulk_create(lines, batch_size=5000)
    PartReservation.objects.bulk_create(reservations)
    PartAvailability.objects.bulk_create(
        PartAvailability(dealer=dealer, part_id=b.part_id, band=band)
        for b in balances
        if (band := band_of(b.on_hand - b.reserved)) is not None
    )
    result.balances += len(balances)
    result.movements += len(lines)
    result.reservations += len(reservations)


def _line(
    dealer: Dealer,
    part: Part,
    kind: str,
    quantity: Decimal,
    at: dt.datetime,
    cost: Decimal | None,
    reference: str,
    *,
    reason: str = "",
    reserved_change: Decimal = Decimal(0),
) -> StockMovement:
    return StockMovement(
        dealer=dealer, part=part, kind=kind, quantity=quantity, reserved_change=reserved_change,
        unit_cost=cost, reference=reference, reason=reason, at=at,
    )  # fmt: skip


def _pending_transfer(dealers: list[Dealer], result: PartsDemoResult) -> None:
    """The first demo dealer asks another for a part it lacks: waiting for an answer."""
    if len(dealers) < 2:
        return
    requester, supplier = dealers[0], dealers[1]
    with as_dealers([requester, supplier]):
        has = set(
            PartStock.objects.filter(dealer=requester, on_hand__gt=0).values_list(
                "part_id", flat=True
            )
        )
        candidate = (
            PartStock.objects.filter(dealer=supplier, on_hand__gte=3, reserved=0)
            .exclude(part_id__in=has)
            .select_related("part")
            .order_by("part__number")
            .first()
        )
    if candidate is None:
        return
    with as_dealer(requester):
        transfers.request_transfer(
            requester=requester, supplier=supplier, part=candidate.part, quantity=2,
            actor=None, note="Customer waiting (demo)",
        )  # fmt: skip
    result.transfers = 1
