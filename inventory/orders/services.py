"""Parts orders to the importer and reorder suggestions (issue 15, items 6 and 7).

Every change of an order locks the order row first (SELECT … FOR UPDATE), so the dealer's
clerks and HQ logistics acting on the same order take turns and each decides on what the other
committed. A refusal (`OrderRefused`) changes nothing: each service is one transaction.

- The dealer (inside its own scope): drafts, lines, send (the balance's "on order" grows),
  cancel a draft, receive a shipment (a ledger receipt per line at the dealer net price, "on
  order" shrinks by what was shipped; what arrived may differ from what was shipped).
- HQ logistics (read-only scope over the network): confirm and ship open a write scope over the
  order's one dealer for one transaction (`_dealer_write`). Confirming takes the units from the
  importer's warehouse by a conditional UPDATE (`available >= quantity`), so two confirmations
  never take the same units.
- Reorder suggestions: one SQL statement per dealer computes the lines (`suggestion_rows`).

Every send, cancellation, confirmation, shipment and receipt is audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from dealers.clock import dealer_today, importer_zone
from dealers.roles import HQ_ROLE_CAPS, Cap
from dms.audit import services as audit
from dms.audit.models import AuditAction
from dms.tenancy.context import as_dealer
from sales.models import NumberSeries
from sales.numbering import next_number

from ..models import Part
from ..selectors import current_parts
from ..stock import services as stock
from ..stock.models import ZERO, WarehouseStock
from ..stock.services import check_quantity
from .models import PartsOrder, PartsOrderLine, PartsShipment, PartsShipmentLine

State = PartsOrder.State
MAX_LINES = 500


class OrderRefused(ValidationError):
    """The change would break an order rule: nothing was changed; the message says why."""


def _qty(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _clean(text: Any, limit: int) -> str:
    return " ".join(str(text or "").split())[:limit]


def hq_today() -> dt.date:
    """HQ's own date (the importer's zone): backorder dates and supersessions HQ applies."""
    return timezone.localtime(timezone.now(), importer_zone()).date()


# --- locking -------------------------------------------------------------------------------------


def _locked_order(order: PartsOrder | int) -> PartsOrder:
    """The order row, locked: every change of an order (and its lines and shipments) starts
    here, so two people acting on one order take turns."""
    pk = order.pk if isinstance(order, PartsOrder) else order
    locked = PartsOrder.objects.select_for_update().filter(pk=pk).first()
    if locked is None:
        raise OrderRefused(_("This order does not exist."))
    return locked


def _require_draft(order: PartsOrder) -> None:
    if order.state != State.DRAFT:
        raise OrderRefused(
            _("Order %(order)s is %(state)s: only a draft can be changed. Nothing was changed.")
            % {"order": order.label, "state": order.get_state_display().lower()}
        )


def _require_logistics(actor: Any) -> None:
    role = getattr(actor, "hq_role", "") or ""
    if Cap.LOGISTICS not in HQ_ROLE_CAPS.get(role, frozenset()):
        raise PermissionDenied(_("Only HQ logistics confirms and ships parts orders."))


@contextmanager
def _dealer_write(dealer_id: int) -> Iterator[None]:
    """HQ acts on one dealer's order: a write scope over exactly that dealer, one transaction."""
    with as_dealer(dealer_id), transaction.atomic():
        yield


# --- the dealer's drafts -------------------------------------------------------------------------


def _header(kind: Any, vehicle_reference: Any, note: Any) -> dict[str, str]:
    if kind not in PartsOrder.Kind.values:
        raise OrderRefused({"kind": [_("Choose a stock order or an urgent order.")]})
    reference = _clean(vehicle_reference, 40).upper()
    if kind == PartsOrder.Kind.URGENT and not reference:
        raise OrderRefused(
            {
                "vehicle_reference": [
                    _("An urgent order names the vehicle off road: its VIN or repair order.")
                ]
            }
        )
    return {"kind": kind, "vehicle_reference": reference, "note": _clean(note, 200)}


@transaction.atomic
def create_order(
    *,
    dealer_id: int,
    actor: Any,
    kind: str = PartsOrder.Kind.STOCK,
    vehicle_reference: str = "",
    note: str = "",
    origin: str = PartsOrder.Origin.CLERK,
) -> PartsOrder:
    """A new draft order with the dealer's next order number."""
    header = _header(kind, vehicle_reference, note)
    number = next_number(dealer_id=dealer_id, kind=NumberSeries.Kind.PARTS_ORDER)
    return PartsOrder.objects.create(
        dealer_id=dealer_id, number=number, origin=origin, created_by=_user(actor), **header
    )


def _touch(order: PartsOrder) -> None:
    order.edited_at = timezone.now()
    order.save(update_fields=["edited_at"])


@transaction.atomic
def update_order(
    *, order: PartsOrder, actor: Any, kind: str, vehicle_reference: str = "", note: str = ""
) -> PartsOrder:
    locked = _locked_order(order)
    _require_draft(locked)
    for name, value in _header(kind, vehicle_reference, note).items():
        setattr(locked, name, value)
    locked.edited_at = timezone.now()
    locked.save(update_fields=["kind", "vehicle_reference", "note", "edited_at"])
    return locked


def find_part(number: Any) -> Part:
    """The catalogue part with this number, in any case; a clear error for an unknown one."""
    text = _clean(number, 40)
    if not text:
        raise OrderRefused({"part_number": [_("Enter a part number.")]})
    part = Part.objects.filter(number__iexact=text).order_by("number").first()
    if part is None:
        raise OrderRefused(
            {"part_number": [_("No part has the number %(number)s.") % {"number": text}]}
        )
    return part


def _orderable(part: Part, *, on: dt.date) -> Part:
    """The part in force for `part` on `on`; refused when HQ no longer supplies it."""
    current = current_parts([part.number], on=on).get(part.number, part)
    if not current.is_active:
        raise OrderRefused(
            {
                "part_number": [
                    _("%(number)s is no longer supplied by the importer.")
                    % {"number": current.number}
                ]
            }
        )
    return current


def _quantity(part: Part, quantity: Any, field: str = "quantity") -> Decimal:
    try:
        return check_quantity(part, quantity)
    except ValidationError as exc:
        raise OrderRefused({field: exc.messages}) from exc


@transaction.atomic
def add_line(*, order: PartsOrder, part_number: str, quantity: Any, actor: Any) -> PartsOrderLine:
    """Add a part (by its number, any case) to a draft; the same part again adds to its line."""
    locked = _locked_order(order)
    _require_draft(locked)
    part = find_part(part_number)
    _orderable(part, on=dealer_today(locked.dealer_id))
    amount = _quantity(part, quantity)
    line = PartsOrderLine.objects.filter(order=locked, part=part).first()
    if line is not None:
        line.quantity = _quantity(part, line.quantity + amount)
        line.save(update_fields=["quantity"])
    else:
        count = PartsOrderLine.objects.filter(order=locked).count()
        if count >= MAX_LINES:
            raise OrderRefused(_("An order has at most %(n)s lines.") % {"n": MAX_LINES})
        top = PartsOrderLine.objects.filter(order=locked).aggregate(top=Max("position"))["top"]
        line = PartsOrderLine.objects.create(
            dealer_id=locked.dealer_id,
            order=locked,
            position=(top or 0) + 1,
            part=part,
            quantity=amount,
        )
    _touch(locked)
    return line


def _draft_line(order: PartsOrder, line_id: Any) -> PartsOrderLine:
    line = (
        PartsOrderLine.objects.select_related("part").filter(order=order, pk=line_id).first()
        if str(line_id).isdigit()
        else None
    )
    if line is None:
        raise OrderRefused(_("This line is not on the order. Nothing was changed."))
    return line


@transaction.atomic
def set_line_quantity(
    *, order: PartsOrder, line_id: int, quantity: Any, actor: Any
) -> PartsOrderLine | None:
    """Change a draft line's quantity; zero removes the line."""
    locked = _locked_order(order)
    _require_draft(locked)
    line = _draft_line(locked, line_id)
    if str(quantity).strip() in ("0", "0.0", "0.00"):
        line.delete()
        _touch(locked)
        return None
    line.quantity = _quantity(line.part, quantity)
    line.save(update_fields=["quantity"])
    _touch(locked)
    return line


@transaction.atomic
def remove_line(*, order: PartsOrder, line_id: int, actor: Any) -> None:
    locked = _locked_order(order)
    _require_draft(locked)
    _draft_line(locked, line_id).delete()
    _touch(locked)


@transaction.atomic
def send(*, order: PartsOrder, actor: Any, request: Any = None) -> PartsOrder:
    """The draft goes to the importer: every line resolved to the number in force on the
    dealer's today (two lines that meet on one number are merged), and the balance's "on order"
    grows by each line."""
    locked = _locked_order(order)
    _require_draft(locked)
    _header(locked.kind, locked.vehicle_reference, locked.note)
    lines = list(PartsOrderLine.objects.filter(order=locked).select_related("part"))
    if not lines:
        raise OrderRefused(_("Add at least one part before sending the order."))
    day = dealer_today(locked.dealer_id)
    current = current_parts({line.part.number for line in lines}, on=day)
    kept: dict[int, PartsOrderLine] = {}
    for line in sorted(lines, key=lambda item: item.position):
        target = current.get(line.part.number, line.part)
        if not target.is_active:
            raise OrderRefused(
                _("%(number)s is no longer supplied by the importer: remove it first.")
                % {"number": target.number}
            )
        if target.pk in kept:  # an old and a new number of the same part: one line
            first = kept[target.pk]
            first.quantity += line.quantity
            line.delete()
            continue
        if target.pk != line.part_id:
            line.asked_number = line.part.number
            line.part = target
        kept[target.pk] = line
    for line in kept.values():
        line.save(update_fields=["part", "asked_number", "quantity"])
        stock.change_on_order(dealer_id=locked.dealer_id, part=line.part_id, change=line.quantity)
    locked.state = State.SENT
    locked.sent_at = timezone.now()
    locked.sent_by = _user(actor)
    locked.save(update_fields=["state", "sent_at", "sent_by"])
    audit.record(
        action=AuditAction.PARTS_ORDER_SENT,
        actor=actor,
        dealer=locked.dealer_id,
        obj=locked,
        count=len(kept),
        request=request,
        detail={"order": locked.label, "kind": locked.kind, "lines": len(kept)},
    )
    return locked


@transaction.atomic
def cancel(*, order: PartsOrder, actor: Any, request: Any = None) -> PartsOrder:
    """A draft is dropped (sent orders are the importer's to confirm or backorder)."""
    locked = _locked_order(order)
    if locked.state != State.DRAFT:
        raise OrderRefused(
            _("Order %(order)s was sent: only a draft can be cancelled. Nothing was changed.")
            % {"order": locked.label}
        )
    locked.state = State.CANCELLED
    locked.closed_at = timezone.now()
    locked.save(update_fields=["state", "closed_at"])
    audit.record(
        action=AuditAction.PARTS_ORDER_CANCELLED,
        actor=actor,
        dealer=locked.dealer_id,
        obj=locked,
        request=request,
        detail={"order": locked.label, "origin": locked.origin},
    )
    return locked


# --- the order's state follows its lines ---------------------------------------------------------


def settle(order: PartsOrder) -> None:
    """Set the (locked) order's state from its lines and shipments."""
    lines = list(PartsOrderLine.objects.filter(order=order))
    in_transit = PartsShipment.objects.filter(
        order=order, state=PartsShipment.State.IN_TRANSIT
    ).exists()
    if any(line.unconfirmed > 0 for line in lines):
        state = State.SENT
    elif any(line.backordered > 0 for line in lines):
        state = State.BACKORDERED
    elif any(line.to_ship > 0 for line in lines):
        state = State.CONFIRMED
    elif in_transit:
        state = State.SHIPPED
    else:
        state = State.RECEIVED
    order.state = state
    fields = ["state"]
    if state == State.RECEIVED and order.closed_at is None:
        order.closed_at = timezone.now()
        fields.append("closed_at")
    order.save(update_fields=fields)


# --- HQ logistics: confirm and ship ----------------------------------------------------------------


@dataclass(frozen=True)
class LineDecision:
    """HQ's answer for one line: confirm `confirm` of what is still open; the rest is
    backordered, expected on `expected`."""

    line_id: int
    confirm: Any
    expected: dt.date | None = None


def _take_from_warehouse(part: Part, amount: Decimal) -> None:
    """One conditional UPDATE: the units are taken only if they are there, whoever else is
    confirming at the same moment (the row lock of the UPDATE serialises them, and the second
    re-checks `available` on the committed row)."""
    taken = WarehouseStock.objects.filter(part=part, available__gte=amount).update(
        available=F("available") - amount, updated_at=timezone.now()
    )
    if taken == 0:
        left = (
            WarehouseStock.objects.filter(part=part).values_list("available", flat=True).first()
            or ZERO
        )
        raise OrderRefused(
            _(
                "The warehouse has only %(available)s of %(number)s; %(asked)s to confirm. "
                "Backorder the rest. Nothing was changed."
            )
            % {"available": _qty(left), "number": part.number, "asked": _qty(amount)}
        )


def confirm(
    *,
    order: PartsOrder | int,
    decisions: list[LineDecision],
    actor: Any,
    request: Any = None,
) -> PartsOrder:
    """HQ confirms what it can supply of each open line (taken from the warehouse) and
    backorders the rest with the date it expects it. A backordered line may be confirmed again
    later. The supplied part is the number in force on HQ's today (a newer one when the ordered
    number was superseded since)."""
    _require_logistics(actor)
    dealer_id = _dealer_of(order)
    with _dealer_write(dealer_id):
        locked = _locked_order(order)
        if locked.state not in (State.SENT, State.BACKORDERED):
            raise OrderRefused(
                _("Order %(order)s has nothing left to confirm. Nothing was changed.")
                % {"order": locked.label}
            )
        lines = {
            line.pk: line
            for line in PartsOrderLine.objects.filter(order=locked).select_related(
                "part", "supplied_part"
            )
        }
        if not decisions:
            raise OrderRefused(_("Confirm at least one line."))
        today = hq_today()
        summary = []
        for decision in decisions:
            line = lines.get(decision.line_id)
            if line is None:
                raise OrderRefused(_("This line is not on the order. Nothing was changed."))
            open_qty = line.open_at_hq
            if open_qty <= 0:
                continue
            if str(decision.confirm).strip() in ("", "0", "0.0", "0.00"):
                amount = ZERO
            else:
                amount = _quantity(line.part, decision.confirm, field="confirm")
            if amount > open_qty:
                raise OrderRefused(
                    _("%(number)s: %(asked)s to confirm, only %(open)s open.")
                    % {"number": line.part.number, "asked": _qty(amount), "open": _qty(open_qty)}
                )
            rest = open_qty - amount
            if rest > 0 and decision.expected is None:
                raise OrderRefused(
                    _("%(number)s: give the date the backordered %(rest)s is expected.")
                    % {"number": line.part.number, "rest": _qty(rest)}
                )
            if rest > 0 and decision.expected is not None and decision.expected < today:
                raise OrderRefused(
                    _("%(number)s: the expected date of a backorder cannot be in the past.")
                    % {"number": line.part.number}
                )
            supplied = line.supplied_part or stock.current_part(line.part, on=today)
            line.supplied_part = supplied
            if amount > 0:
                _take_from_warehouse(supplied, amount)
            line.confirmed += amount
            line.backordered = rest
            line.backorder_expected = decision.expected if rest > 0 else None
            line.save(
                update_fields=["supplied_part", "confirmed", "backordered", "backorder_expected"]
            )
            summary.append(
                {
                    "part": line.part.number,
                    "supplied": supplied.number,
                    "confirmed": str(amount),
                    "backordered": str(rest),
                    "expected": line.backorder_expected.isoformat()
                    if line.backorder_expected
                    else None,
                }
            )
        if not summary:
            raise OrderRefused(_("Nothing is left to confirm on these lines."))
        if locked.confirmed_at is None:
            locked.confirmed_at = timezone.now()
            locked.save(update_fields=["confirmed_at"])
        settle(locked)
        audit.record(
            action=AuditAction.PARTS_ORDER_CONFIRMED,
            actor=actor,
            dealer=dealer_id,
            obj=locked,
            count=len(summary),
            request=request,
            detail={"order": locked.label, "lines": summary},
        )
        return locked


def _dealer_of(order: PartsOrder | int) -> int:
    if isinstance(order, PartsOrder):
        return order.dealer_id
    dealer_id = PartsOrder.objects.filter(pk=order).values_list("dealer_id", flat=True).first()
    if dealer_id is None:
        raise OrderRefused(_("This order does not exist."))
    return int(dealer_id)


def ship(
    *,
    order: PartsOrder | int,
    actor: Any,
    quantities: Mapping[int, Any] | None = None,
    carrier_reference: str = "",
    request: Any = None,
) -> PartsShipment:
    """HQ ships confirmed parts: one shipment, a line per order line shipped (all that is
    confirmed and not yet shipped unless `quantities` says less). The shipment carries the
    supplied part: a newer number when HQ substituted one."""
    _require_logistics(actor)
    dealer_id = _dealer_of(order)
    with _dealer_write(dealer_id):
        locked = _locked_order(order)
        if locked.state in (State.DRAFT, State.CANCELLED, State.RECEIVED):
            raise OrderRefused(
                _("Order %(order)s cannot be shipped. Nothing was changed.")
                % {"order": locked.label}
            )
        lines = list(
            PartsOrderLine.objects.filter(order=locked)
            .select_related("part", "supplied_part")
            .order_by("position", "pk")
        )
        plan: list[tuple[PartsOrderLine, Decimal]] = []
        for line in lines:
            if line.to_ship <= 0:
                continue
            raw = line.to_ship if quantities is None else quantities.get(line.pk, "0")
            if str(raw).strip() in ("", "0", "0.0", "0.00"):
                continue
            amount = _quantity(line.part, raw, field="quantity")
            if amount > line.to_ship:
                raise OrderRefused(
                    _("%(number)s: %(asked)s to ship, only %(open)s confirmed and not shipped.")
                    % {
                        "number": line.part.number,
                        "asked": _qty(amount),
                        "open": _qty(line.to_ship),
                    }
                )
            plan.append((line, amount))
        if not plan:
            raise OrderRefused(_("Nothing confirmed is waiting to be shipped."))
        top = PartsShipment.objects.filter(order=locked).aggregate(top=Max("number"))["top"]
        shipment = PartsShipment.objects.create(
            dealer_id=dealer_id,
            order=locked,
            number=(top or 0) + 1,
            carrier_reference=_clean(carrier_reference, 60),
            shipped_by=_user(actor),
        )
        for line, amount in plan:
            PartsShipmentLine.objects.create(
                dealer_id=dealer_id,
                shipment=shipment,
                order_line=line,
                part_id=line.supplied_part_id or line.part_id,
                quantity=amount,
            )
            line.shipped += amount
            line.save(update_fields=["shipped"])
        settle(locked)
        audit.record(
            action=AuditAction.PARTS_ORDER_SHIPPED,
            actor=actor,
            dealer=dealer_id,
            obj=shipment,
            count=len(plan),
            request=request,
            detail={
                "order": locked.label,
                "shipment": shipment.number,
                "lines": [
                    {
                        "part": line.part.number,
                        "shipped_part": (line.supplied_part or line.part).number,
                        "quantity": str(amount),
                    }
                    for line, amount in plan
                ],
            },
        )
        return shipment


# --- the dealer receives --------------------------------------------------------------------------


def _received_quantity(part: Part, raw: Any) -> Decimal:
    text = str(raw).strip()
    if text in ("0", "0.0", "0.00"):
        return ZERO
    if text.startswith("-"):
        raise OrderRefused(_("A received quantity cannot be negative."))
    return _quantity(part, text, field="received")


def _net_prices(day: dt.date, numbers: set[str]) -> dict[str, Decimal]:
    from bulletins.pricing import part_prices

    prices = part_prices(day, numbers=sorted(numbers))
    return {number: info.dealer_net for number, info in prices.by_number.items()}


@transaction.atomic
def receive_shipment(
    *,
    shipment: PartsShipment,
    actor: Any,
    received: Mapping[int, Any] | None = None,
    request: Any = None,
) -> PartsShipment:
    """The dealer counts what arrived against the shipment: `received` gives the quantity per
    shipment line (default: what was shipped). Short and over deliveries are recorded on the
    line (received − shipped). Each part received goes into the ledger (a receipt at the dealer
    net price of the part in the box); "on order" of the ordered part shrinks by what was
    shipped. A shipment is received once: a second clerk is told so, and nothing changes."""
    order = _locked_order(shipment.order_id)
    locked = PartsShipment.objects.select_for_update().get(pk=shipment.pk)
    if locked.state != PartsShipment.State.IN_TRANSIT:
        raise OrderRefused(
            _("Shipment %(order)s-%(n)s was already received. Nothing was changed.")
            % {"order": order.label, "n": locked.number}
        )
    lines = list(
        PartsShipmentLine.objects.filter(shipment=locked)
        .select_related("part", "order_line")
        .order_by("order_line__position", "pk")
    )
    counted = {
        line.pk: _received_quantity(line.part, (received or {}).get(line.pk, line.quantity))
        for line in lines
    }
    unknown = set(received or {}) - set(counted)
    if unknown:
        raise OrderRefused(_("These lines are not on the shipment. Nothing was changed."))
    day = dealer_today(order.dealer_id)
    prices = _net_prices(day, {line.part.number for line in lines})
    reference = f"{order.label}-{locked.number}"
    differences = []
    for line in lines:
        amount = counted[line.pk]
        cost = prices.get(line.part.number)
        if amount > 0:
            stock.receive(
                dealer_id=order.dealer_id,
                part=line.part,
                quantity=amount,
                unit_cost=cost,
                reference=reference,
                actor=actor,
            )
        line.received = amount
        line.unit_cost = cost
        line.save(update_fields=["received", "unit_cost"])
        order_line = line.order_line
        order_line.received += amount
        order_line.save(update_fields=["received"])
        stock.change_on_order(
            dealer_id=order.dealer_id, part=order_line.part_id, change=-line.quantity
        )
        if amount != line.quantity:
            differences.append(
                {"part": line.part.number, "shipped": str(line.quantity), "received": str(amount)}
            )
    locked.state = PartsShipment.State.RECEIVED
    locked.received_at = timezone.now()
    locked.received_by = _user(actor)
    locked.save(update_fields=["state", "received_at", "received_by"])
    settle(order)
    audit.record(
        action=AuditAction.PARTS_ORDER_RECEIVED,
        actor=actor,
        dealer=order.dealer_id,
        obj=locked,
        count=len(lines),
        request=request,
        detail={"order": order.label, "shipment": locked.number, "differences": differences},
    )
    return locked


# --- reorder suggestions (item 6) ----------------------------------------------------------------

DEMAND_DAYS = 90

# One statement per dealer (or, with ANY(dealers), for the whole network): for each stocked part
# with a reorder point whose available + on-order position fell below it, order up to the
# maximum (without one: the reorder point plus a month of the last 90 days' issues). Parts
# replaced on the day, parts HQ no longer supplies and parts already on the clerk's own drafts
# are left out. Whole units are rounded up.
SUGGESTION_SQL = """
WITH demand AS (
    SELECT m.dealer_id, m.part_id, SUM(-m.quantity) AS issued
    FROM inventory_stockmovement m
    WHERE m.dealer_id = ANY(%(dealers)s) AND m.kind = 'issue' AND m.at >= %(since)s
    GROUP BY m.dealer_id, m.part_id
), wanted AS (
    SELECT s.dealer_id, s.part_id, p.unit,
           CASE WHEN s.maximum > 0 THEN s.maximum
                ELSE s.reorder_point + COALESCE(d.issued, 0) / 3 END
             - (s.on_hand - s.reserved + s.on_order) AS short,
           COALESCE(d.issued, 0) AS issued
    FROM inventory_partstock s
    JOIN inventory_part p ON p.id = s.part_id
    LEFT JOIN demand d ON d.dealer_id = s.dealer_id AND d.part_id = s.part_id
    WHERE s.dealer_id = ANY(%(dealers)s)
      AND s.reorder_point > 0
      AND s.on_hand - s.reserved + s.on_order < s.reorder_point
      AND p.is_active
      AND NOT EXISTS (
          SELECT 1 FROM inventory_partsupersession x
          WHERE x.part_id = s.part_id AND x.valid_from <= %(on)s)
      AND NOT EXISTS (
          SELECT 1 FROM inventory_partsorderline l
          JOIN inventory_partsorder o ON o.dealer_id = l.dealer_id AND o.id = l.order_id
          WHERE l.dealer_id = s.dealer_id AND l.part_id = s.part_id
            AND o.state = 'draft' AND o.origin = 'clerk')
)
SELECT dealer_id, part_id,
       CASE WHEN unit IN ('pc', 'set', 'pair') THEN CEIL(short) ELSE ROUND(short, 2) END,
       issued
FROM wanted
WHERE short > 0
ORDER BY dealer_id, part_id
"""


@dataclass(frozen=True)
class Suggestion:
    dealer_id: int
    part_id: int
    quantity: Decimal
    issued_90_days: Decimal


def suggestion_rows(*, dealer_ids: list[int], on: dt.date) -> list[Suggestion]:
    """The reorder suggestions of these dealers on day `on`: one SQL statement."""
    since = dt.datetime.combine(on - dt.timedelta(days=DEMAND_DAYS), dt.time.min, tzinfo=dt.UTC)
    with connection.cursor() as cursor:
        cursor.execute(SUGGESTION_SQL, {"dealers": dealer_ids, "since": since, "on": on})
        return [Suggestion(*row) for row in cursor.fetchall()]


@transaction.atomic
def suggest_reorders(*, dealer_id: int, on: dt.date | None = None) -> PartsOrder | None:
    """Propose the dealer's draft stock order from its reorder points, reservations and recent
    demand (the nightly job, inside the dealer's scope). Idempotent: last night's suggestion is
    rebuilt, unless the parts clerk has changed it (then it is theirs and left alone). None
    when nothing needs ordering."""
    day = on or dealer_today(dealer_id)
    existing = (
        PartsOrder.objects.select_for_update()
        .filter(dealer_id=dealer_id, origin=PartsOrder.Origin.SUGGESTION, state=State.DRAFT)
        .first()
    )
    if existing is not None and existing.edited_at is not None:
        return existing
    rows = suggestion_rows(dealer_ids=[dealer_id], on=day)
    if existing is not None:
        PartsOrderLine.objects.filter(order=existing).delete()
        if not rows:
            existing.delete()
            return None
    if not rows:
        return None
    order = existing or create_order(
        dealer_id=dealer_id,
        actor=None,
        note=_("Reorder suggestion of %(day)s") % {"day": day.isoformat()},
        origin=PartsOrder.Origin.SUGGESTION,
    )
    PartsOrderLine.objects.bulk_create(
        [
            PartsOrderLine(
                dealer_id=dealer_id,
                order=order,
                position=position,
                part_id=row.part_id,
                quantity=row.quantity,
                suggested=row.quantity,
            )
            for position, row in enumerate(rows, start=1)
        ]
    )
    return order
