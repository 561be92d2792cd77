"""Every change of a dealer's parts stock (issue 15). One rule for all of them: the balance rows
concerned are locked (SELECT … FOR UPDATE, in part order so two clerks never deadlock), the
decision is taken on the locked values, and the balance, the ledger line and the network
availability band are written in the same transaction. A refusal (`StockRefused`) changes nothing.

Supersession: a request names the part the user asked for; it is resolved to the part in force on
the dealer's day, and stock of the parts it replaced is used first (oldest number first), then its
own (`serving_parts`).

Callers run inside the dealer's tenant scope (a request of the dealer, or `as_dealer`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dealers.clock import dealer_today
from dms.audit import services as audit
from dms.audit.models import AuditAction

from ..models import Part
from ..services import MAX_CHAIN
from .models import (
    ZERO,
    AvailabilityBand,
    PartAvailability,
    PartReservation,
    PartStock,
    StockMovement,
)

Kind = StockMovement.Kind
CENT = Decimal("0.01")
COST = Decimal("0.0001")
WHOLE_UNITS = frozenset({Part.Unit.PIECE, Part.Unit.SET, Part.Unit.PAIR})
MAX_QUANTITY = Decimal("99999")


class StockRefused(ValidationError):
    """The movement would break a stock rule (not enough available, bad quantity…): nothing
    was changed; the message says why, in the user's words."""


def band_of(available: Decimal) -> int | None:
    """What other dealers may learn of a dealer's stock: 1, 2–5 or more than 5 (None: none)."""
    if available <= 0:
        return None
    if available <= 1:
        return AvailabilityBand.ONE
    if available <= 5:
        return AvailabilityBand.FEW
    return AvailabilityBand.MORE


def check_quantity(part: Part, quantity: Any) -> Decimal:
    """A positive quantity in the part's unit: whole for pieces, sets and pairs, at most two
    decimals otherwise."""
    try:
        value = Decimal(str(quantity))
    except ArithmeticError as exc:
        raise StockRefused(_("Enter a quantity as a number.")) from exc
    if not value.is_finite() or value <= 0:
        raise StockRefused(_("The quantity must be more than zero."))
    if value > MAX_QUANTITY:
        raise StockRefused(_("The quantity is too large."))
    if part.unit in WHOLE_UNITS and value != value.to_integral_value():
        raise StockRefused(
            _("%(number)s is counted in whole units (%(unit)s).")
            % {"number": part.number, "unit": part.get_unit_display()}
        )
    if value != value.quantize(CENT):
        raise StockRefused(_("A quantity has at most two decimals."))
    return value.quantize(CENT)


# From the asked part forward to the part in force, then back to every number it replaced: the
# parts whose stock serves the request, oldest first, the part in force last. One statement.
_SERVING_SQL = """
WITH RECURSIVE newer (part_id, depth) AS (
    SELECT %(part)s::bigint, 0
    UNION ALL
    SELECT s.replaced_by_id, n.depth + 1
    FROM newer n
    JOIN inventory_partsupersession s ON s.part_id = n.part_id AND s.valid_from <= %(on)s
    WHERE n.depth < %(max_chain)s
), older (part_id, depth) AS (
    SELECT part_id, 0 FROM (SELECT part_id FROM newer ORDER BY depth DESC LIMIT 1) current
    UNION ALL
    SELECT s.part_id, o.depth + 1
    FROM older o
    JOIN inventory_partsupersession s ON s.replaced_by_id = o.part_id AND s.valid_from <= %(on)s
    WHERE o.depth < %(max_chain)s
)
SELECT part_id FROM older ORDER BY depth DESC, part_id
"""


def _ids(sql: str, part_id: int, on: dt.date) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, {"part": part_id, "on": on, "max_chain": MAX_CHAIN})
        return list(dict.fromkeys(row[0] for row in cursor.fetchall()))


def serving_parts(part_id: int, *, on: dt.date) -> list[int]:
    """For a request of `part_id` (maybe an old number): the part in force on `on` (last) and
    every number it replaced (first, oldest first)."""
    return _ids(_SERVING_SQL, part_id, on)


def current_part(part: Part, *, on: dt.date) -> Part:
    """The part in force on `on` for a request of `part` (its supersession chain followed)."""
    from ..selectors import current_parts

    return current_parts([part.number], on=on).get(part.number, part)


# --- the one write path --------------------------------------------------------------------------


def _lock(dealer_id: int, part_ids: Iterable[int]) -> dict[int, PartStock]:
    """The dealer's balance rows of these parts, locked, in part order (no deadlocks)."""
    rows = (
        PartStock.objects.select_for_update()
        .filter(dealer_id=dealer_id, part_id__in=list(part_ids))
        .order_by("part_id")
    )
    return {row.part_id: row for row in rows}


def _balance(dealer_id: int, part_id: int) -> PartStock:
    """The locked balance row, created empty when the dealer never stocked the part."""
    PartStock.objects.bulk_create(
        [PartStock(dealer_id=dealer_id, part_id=part_id)], ignore_conflicts=True
    )
    return _lock(dealer_id, [part_id])[part_id]


def _post(
    stock: PartStock,
    *,
    kind: str,
    quantity: Decimal = ZERO,
    reserved_change: Decimal = ZERO,
    unit_cost: Decimal | None = None,
    reason: str = "",
    reference: str = "",
    actor: Any = None,
    at: dt.datetime | None = None,
) -> StockMovement:
    """Apply one movement to a locked balance row: balance, ledger and availability band."""
    before = band_of(stock.available)
    now = at or timezone.now()
    new_on_hand = stock.on_hand + quantity
    new_reserved = stock.reserved + reserved_change
    if new_on_hand < 0 or not 0 <= new_reserved <= new_on_hand:
        # The callers check what they take; this is the last guard before the CHECK constraints
        # (a balance out of step with a reservation must be a refusal, never a server error).
        raise StockRefused(
            _(
                "The stock of this part does not allow it (on hand %(on_hand)s, reserved "
                "%(reserved)s). Nothing was changed."
            )
            % {"on_hand": _qty(stock.on_hand), "reserved": _qty(stock.reserved)}
        )
    if kind in (Kind.RECEIPT, Kind.TRANSFER_IN) and unit_cost is not None and new_on_hand > 0:
        # Weighted average cost of what is on hand after the receipt.
        value = stock.on_hand * stock.average_cost + quantity * unit_cost
        stock.average_cost = (value / new_on_hand).quantize(COST, rounding=ROUND_HALF_UP)
    stock.on_hand = new_on_hand
    stock.reserved = new_reserved
    stock.last_movement_at = now
    stock.save(update_fields=["on_hand", "reserved", "average_cost", "last_movement_at"])
    movement = StockMovement.objects.create(
        dealer_id=stock.dealer_id,
        part_id=stock.part_id,
        kind=kind,
        quantity=quantity,
        reserved_change=reserved_change,
        unit_cost=unit_cost,
        reason=reason[:200],
        reference=reference[:60],
        actor=actor if getattr(actor, "pk", None) else None,
        at=now,
    )
    after = band_of(stock.available)
    if after != before:
        _publish_band(stock.dealer_id, stock.part_id, after)
    return movement


def _publish_band(dealer_id: int, part_id: int, band: int | None) -> None:
    """Keep the network projection in step with the balance (same transaction)."""
    if band is None:
        PartAvailability.objects.filter(dealer_id=dealer_id, part_id=part_id).delete()
        return
    PartAvailability.objects.update_or_create(
        dealer_id=dealer_id, part_id=part_id, defaults={"band": band}
    )


def _not_enough(part: Part | int, available: Decimal, asked: Decimal) -> StockRefused:
    number = part.number if isinstance(part, Part) else Part.objects.get(pk=part).number
    return StockRefused(
        _("Only %(available)s of %(number)s available; %(asked)s asked. Nothing was changed.")
        % {"available": _qty(available), "number": number, "asked": _qty(asked)}
    )


def _qty(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _count(part: Part, raw: Any) -> Decimal:
    """A counted quantity: zero or a valid quantity of the part."""
    try:
        value = Decimal(str(raw))
    except ArithmeticError as exc:
        raise StockRefused(_("Enter a quantity as a number.")) from exc
    if value.is_finite() and value == 0:
        return ZERO
    if value.is_finite() and value < 0:
        raise StockRefused(_("A count cannot be negative."))
    return check_quantity(part, value)


def _part(part: Part | int) -> Part:
    return part if isinstance(part, Part) else Part.objects.get(pk=part)


# --- receipts, returns, adjustments --------------------------------------------------------------


@transaction.atomic
def receive(
    *,
    dealer_id: int,
    part: Part | int,
    quantity: Any,
    unit_cost: Decimal | None,
    reference: str,
    actor: Any,
    kind: str = Kind.RECEIPT,
) -> StockMovement:
    """Parts arrive (from the importer, a supplier or another dealer): on hand grows, the
    average cost follows the unit cost."""
    part = _part(part)
    amount = check_quantity(part, quantity)
    if unit_cost is not None and unit_cost < 0:
        raise StockRefused(_("A cost cannot be negative."))
    stock = _balance(dealer_id, part.pk)
    return _post(
        stock, kind=kind, quantity=amount, unit_cost=unit_cost, reference=reference, actor=actor
    )


@transaction.atomic
def return_to_stock(
    *, dealer_id: int, part: Part | int, quantity: Any, reference: str, reason: str, actor: Any
) -> StockMovement:
    """Parts come back unused (from a repair order or a counter customer)."""
    part = _part(part)
    amount = check_quantity(part, quantity)
    stock = _balance(dealer_id, part.pk)
    return _post(
        stock,
        kind=Kind.RETURN,
        quantity=amount,
        unit_cost=stock.average_cost,
        reason=reason,
        reference=reference,
        actor=actor,
    )


@transaction.atomic
def adjust(
    *, dealer_id: int, part: Part | int, counted: Any, reason: str, actor: Any, reference: str = ""
) -> StockMovement | None:
    """Set on hand to what was counted, as a correcting movement (never an edit). Refused when
    the count is below what is reserved (release reservations first). Audited."""
    part = _part(part)
    reason = " ".join(str(reason).split())
    if not reason:
        raise StockRefused(_("Say why the stock is adjusted."))
    counted_value = _count(part, counted)
    stock = _balance(dealer_id, part.pk)
    change = counted_value - stock.on_hand
    if change == 0:
        return None
    if counted_value < stock.reserved:
        raise StockRefused(
            _(
                "%(reserved)s of %(number)s are reserved: release them before counting "
                "fewer. Nothing was changed."
            )
            % {"reserved": _qty(stock.reserved), "number": part.number}
        )
    movement = _post(
        stock,
        kind=Kind.ADJUSTMENT,
        quantity=change,
        unit_cost=stock.average_cost,
        reason=reason,
        reference=reference,
        actor=actor,
    )
    audit.record(
        action=AuditAction.STOCK_ADJUSTED,
        actor=actor,
        dealer=dealer_id,
        obj=movement,
        detail={"part": part.number, "change": str(change), "reason": reason},
    )
    return movement


@transaction.atomic
def set_levels(
    *,
    dealer_id: int,
    part: Part | int,
    bin: str,
    minimum: Any,
    reorder_point: Any,
    maximum: Any,
    actor: Any,
) -> PartStock:
    """Where the part lies and the levels reorder suggestions work from."""
    part = _part(part)
    levels = {}
    for name, raw in (("minimum", minimum), ("reorder_point", reorder_point), ("maximum", maximum)):
        levels[name] = ZERO if raw in (None, "") else _count(part, raw)
    if levels["reorder_point"] < levels["minimum"]:
        raise StockRefused(_("The reorder point cannot be below the minimum."))
    if levels["maximum"] and levels["maximum"] < levels["reorder_point"]:
        raise StockRefused(_("The maximum cannot be below the reorder point."))
    stock = _balance(dealer_id, part.pk)
    stock.bin = " ".join(str(bin).split()).upper()[:20]
    for name, value in levels.items():
        setattr(stock, name, value)
    stock.save(update_fields=["bin", *levels])
    return stock


# --- reservations and issues (supersession-aware) ------------------------------------------------


@dataclass(frozen=True)
class Allocation:
    part_id: int
    quantity: Decimal


def _allocate(
    dealer_id: int, asked: Part, amount: Decimal, *, on: dt.date
) -> tuple[dict[int, PartStock], list[Allocation]]:
    """Lock the balances of the part in force for `asked` and of the parts it replaced, and
    take `amount` from their available stock, older numbers first. Refused (nothing changed)
    when they hold too little."""
    order = serving_parts(asked.pk, on=on)
    rows = _lock(dealer_id, order)
    allocations: list[Allocation] = []
    left = amount
    for part_id in order:
        row = rows.get(part_id)
        if row is None or row.available <= 0 or left <= 0:
            continue
        take = min(row.available, left)
        allocations.append(Allocation(part_id, take))
        left -= take
    if left > 0:
        raise _not_enough(order[-1], amount - left, amount)
    return rows, allocations


@transaction.atomic
def reserve(
    *,
    dealer_id: int,
    part: Part | int,
    quantity: Any,
    reference: str,
    actor: Any,
    on: dt.date | None = None,
) -> list[PartReservation]:
    """Set parts aside for a repair order (the workshop calls this). The asked part is resolved
    to the current number; stock of the numbers it replaced is reserved first. One reservation
    per physical part number reserved."""
    asked = _part(part)
    amount = check_quantity(asked, quantity)
    reference = " ".join(str(reference).split())
    if not reference:
        raise StockRefused(_("Say what the parts are reserved for."))
    day = on or dealer_today(dealer_id)
    rows, allocations = _allocate(dealer_id, asked, amount, on=day)
    reservations = []
    for allocation in allocations:
        _post(
            rows[allocation.part_id],
            kind=Kind.RESERVATION,
            reserved_change=allocation.quantity,
            reference=reference,
            actor=actor,
        )
        reservations.append(
            PartReservation.objects.create(
                dealer_id=dealer_id,
                part_id=allocation.part_id,
                quantity=allocation.quantity,
                reference=reference[:60],
                asked_number=asked.number if asked.pk != allocation.part_id else "",
                created_by=actor if getattr(actor, "pk", None) else None,
            )
        )
    return reservations


def _open_reservation(reservation: PartReservation) -> PartReservation:
    locked = PartReservation.objects.select_for_update().get(pk=reservation.pk)
    if locked.status != PartReservation.Status.OPEN:
        raise StockRefused(_("This reservation is already closed. Nothing was changed."))
    return locked


@transaction.atomic
def release(*, reservation: PartReservation, actor: Any, reason: str = "") -> StockMovement:
    """The reserved parts go back to available stock."""
    stock = _balance(reservation.dealer_id, reservation.part_id)
    locked = _open_reservation(reservation)
    movement = _post(
        stock,
        kind=Kind.RELEASE,
        reserved_change=-locked.quantity,
        reason=reason,
        reference=locked.reference,
        actor=actor,
    )
    locked.status = PartReservation.Status.RELEASED
    locked.closed_at = movement.at
    locked.save(update_fields=["status", "closed_at"])
    return movement


@transaction.atomic
def issue_reservation(
    *, reservation: PartReservation, actor: Any, kind: str = Kind.ISSUE
) -> StockMovement:
    """The reserved parts leave the store (fitted on the repair order, or sent to another
    dealer: `kind=TRANSFER_OUT`)."""
    stock = _balance(reservation.dealer_id, reservation.part_id)
    locked = _open_reservation(reservation)
    movement = _post(
        stock,
        kind=kind,
        quantity=-locked.quantity,
        reserved_change=-locked.quantity,
        unit_cost=stock.average_cost,
        reference=locked.reference,
        actor=actor,
    )
    locked.status = PartReservation.Status.ISSUED
    locked.closed_at = movement.at
    locked.save(update_fields=["status", "closed_at"])
    return movement


@transaction.atomic
def issue(
    *,
    dealer_id: int,
    part: Part | int,
    quantity: Any,
    reference: str,
    actor: Any,
    kind: str = Kind.ISSUE,
    on: dt.date | None = None,
) -> list[StockMovement]:
    """Parts leave the store from available stock (a counter sale, a transfer out): the asked
    part resolved to the current number, older numbers' stock first."""
    asked = _part(part)
    amount = check_quantity(asked, quantity)
    day = on or dealer_today(dealer_id)
    rows, allocations = _allocate(dealer_id, asked, amount, on=day)
    return [
        _post(
            rows[a.part_id],
            kind=kind,
            quantity=-a.quantity,
            unit_cost=rows[a.part_id].average_cost,
            reference=reference,
            actor=actor,
        )
        for a in allocations
    ]


@transaction.atomic
def change_on_order(*, dealer_id: int, part: Part | int, change: Decimal) -> None:
    """Parts ordered from the importer (positive) or no longer expected (negative): the
    balance's "on order" figure, never below zero. Not a ledger movement (nothing moved)."""
    part_id = part.pk if isinstance(part, Part) else part
    stock = _balance(dealer_id, part_id)
    stock.on_order = max(ZERO, stock.on_order + change)
    stock.save(update_fields=["on_order"])
