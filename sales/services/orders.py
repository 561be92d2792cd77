"""Orders, payments, the pre-delivery checklist and the delivery that wins the lead."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bulletins.promotions import give_back_budget, take_budget
from dealers.clock import dealer_today
from dealers.models import Dealer
from dealers.roles import Cap
from inventory.vehicles import services as vehicle_stock
from inventory.vehicles.models import StockVehicle
from leads.models import Stage
from leads.services.followups import schedule_after_delivery_calls
from leads.services.leads import mark_won
from leads.services.timeline import Choice, Join, Said, When

from .. import numbering
from ..models import (
    NumberSeries,
    Order,
    Payment,
    Quote,
)
from .common import (
    ZERO,
    Outcome,
    _decimal,
    _integrity_constraint,
    _log,
    _require_staff,
    _require_status,
    advance_lead,
    complete_steps,
    money,
)
from .demo_fleet import validate_vin
from .stock import release_on_cancel

# The pre-delivery checklist: HQ's steps before a car is handed over (Order.checklist keys).
CHECKLIST_ITEMS: tuple[tuple[str, str], ...] = (
    ("pdi_done", gettext_noop("Pre-delivery inspection done")),
    ("documents", gettext_noop("Registration and documents ready")),
    (
        "handover_prep",
        gettext_noop("Handover prepared: features, service plan, accessories fitted"),
    ),
)


def checklist_items() -> list[tuple[str, str]]:
    """(code, translated label) of the pre-delivery checklist."""
    return [(code, _(label)) for code, label in CHECKLIST_ITEMS]


# --- orders, payments, delivery ------------------------------------------------------------------


def _payment_sums(order: Order) -> dict[str, Decimal]:
    """Paid per kind: from prefetched payments when the list page/API prefetched them (no query
    per order), else one grouped query."""
    cache = getattr(order, "_prefetched_objects_cache", {})
    if "payments" in cache:
        sums: dict[str, Decimal] = {}
        for payment in cache["payments"]:
            sums[payment.kind] = sums.get(payment.kind, ZERO) + payment.amount
        return sums
    return {
        row["kind"]: row["total"]
        for row in Payment.objects.filter(order=order).values("kind").annotate(total=Sum("amount"))
    }


def order_paid(order: Order) -> Decimal:
    sums = _payment_sums(order)
    return (sums.get(Payment.Kind.DEPOSIT, ZERO) + sums.get(Payment.Kind.BALANCE, ZERO)) - sums.get(
        Payment.Kind.REFUND, ZERO
    )


def order_trade_in(order: Order) -> Decimal:
    if Order.quote.is_cached(order):  # type: ignore[attr-defined]
        return order.quote.trade_in_value
    return (
        Quote.objects.filter(pk=order.quote_id).values_list("trade_in_value", flat=True).first()
        or ZERO
    )


def _forget_payments(order: Order) -> None:
    getattr(order, "_prefetched_objects_cache", {}).pop("payments", None)


def order_balance(order: Order) -> Decimal:
    """Still to pay: order total − trade-in value − payments (refunds count back)."""
    return order.total - order_trade_in(order) - order_paid(order)


def _deposit_paid(order: Order) -> Decimal:
    return (
        Payment.objects.filter(order=order, kind=Payment.Kind.DEPOSIT).aggregate(s=Sum("amount"))[
            "s"
        ]
        or ZERO
    )


def _order_steps(order: Order) -> list[str]:
    codes = []
    if order.expected_delivery:
        codes.append("delivery_date_agreed")
    deposit = _deposit_paid(order)
    if deposit > 0 and deposit >= order.deposit_required:
        codes.append("deposit_received")
    if order_balance(order) <= 0:
        codes.append("balance_paid")
    if (order.checklist or {}).get("pdi_done", {}).get("done"):
        codes.append("pdi_done")
    return codes


def _sync_order_funnel(order: Order, actor: Any) -> list[str]:
    lead = order.lead
    complete_steps(lead=lead, codes=_order_steps(order), actor=actor)
    return advance_lead(lead=lead, to_stage=Stage.ORDER, actor=actor)


def _delivery_problem(dealer: Dealer, day: dt.date) -> str:
    """Why `day` cannot be the expected delivery date ("" when it can): not in the past, and
    within the dealer's horizon (a delivery in 2290 is a typo)."""
    today = dealer_today(dealer)
    if day < today:
        return _("The expected delivery date cannot be in the past.")
    days = dealer.delivery_days_ahead
    last = today + dt.timedelta(days=days)
    if day > last:
        return _("The expected delivery can be at most %(days)d days ahead (until %(last)s).") % {
            "days": days,
            "last": formats.date_format(last, "SHORT_DATE_FORMAT"),
        }
    return ""


def create_order(
    *,
    quote: Quote,
    actor: Any,
    deposit_required: Decimal,
    expected_delivery: dt.date | None = None,
    vin: str = "",
    deposit_paid: Decimal | None = None,
) -> Outcome[Order]:
    """An order, only from an accepted quote (one order per quote). The lead moves to the order
    stage (grade O) once HQ's steps are met (deposit received, delivery date agreed)."""
    _require_status(
        quote,
        Quote.Status.ACCEPTED,
        _("An order can only be placed from an accepted quote (this one is “%(status)s”)."),
    )
    existing = Order.objects.filter(quote=quote).first()
    if existing is not None:
        raise ValidationError(
            _("This quote already has an order (%(number)s).") % {"number": order_number(existing)}
        )
    if not quote.lead.is_open:
        raise ValidationError(_("This lead is closed: no new order."))
    errors: dict[str, str] = {}
    deposit = _decimal(deposit_required, "deposit_required", _("The deposit"))
    paid_now = _decimal(deposit_paid, "deposit_paid", _("The deposit paid"))
    amount_due = quote.total - quote.trade_in_value
    if deposit < 0:
        errors["deposit_required"] = _("The deposit cannot be negative.")
    elif deposit > amount_due:
        errors["deposit_required"] = _("The deposit cannot exceed the amount due (%(due)s).") % {
            "due": money(amount_due, quote.currency)
        }
    if paid_now < 0:
        errors["deposit_paid"] = _("A payment cannot be negative.")
    elif paid_now > amount_due:
        errors["deposit_paid"] = _("The payment exceeds the amount due (%(due)s).") % {
            "due": money(amount_due, quote.currency)
        }
    dealer = Dealer.objects.get(pk=quote.dealer_id)
    if expected_delivery is not None and (problem := _delivery_problem(dealer, expected_delivery)):
        errors["expected_delivery"] = problem
    if vin:
        try:
            vin = validate_vin(vin)
        except ValidationError as exc:
            errors["vin"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    lead = quote.lead
    try:
        with transaction.atomic():
            if quote.promotion_id is not None:
                # One unit of the promotion's network-wide budget, in the order's transaction: a
                # refused budget refuses the order (nothing saved, the number given back), and an
                # order refused later gives the unit back.
                take_budget(promotion_id=quote.promotion_id, day=dealer_today(dealer))
            order = Order.objects.create(
                dealer_id=quote.dealer_id,
                # In this transaction: a refused order gives its number back (no gaps), and a
                # second order of the dealer waits on the series row until this one commits.
                number=numbering.next_number(
                    dealer_id=quote.dealer_id, kind=NumberSeries.Kind.ORDER
                ),
                quote=quote,
                lead=lead,
                customer_id=quote.customer_id,
                consultant=lead.consultant or actor,
                currency=quote.currency,
                promotion_id=quote.promotion_id,
                promotion_amount=quote.promotion_amount,
                total=quote.total,
                deposit_required=deposit,
                expected_delivery=expected_delivery,
                vin=vin or "",
                checklist={},
                ordered_at=now,
            )
    except IntegrityError as exc:
        if _integrity_constraint(exc) != "order_one_per_quote":
            raise  # the dealer's number series is the only way to a number: never a clash
        raise ValidationError(_("This quote already has an order.")) from exc
    with transaction.atomic():
        if paid_now > 0:
            Payment.objects.create(
                dealer_id=order.dealer_id,
                order=order,
                kind=Payment.Kind.DEPOSIT,
                amount=paid_now,
                received_at=now,
                received_by=actor,
            )
        _log(
            lead=lead,
            kind="order_placed",
            summary=Said(
                gettext_noop("Order %(number)s placed: %(trim)s, %(total)s"),
                {
                    "number": order_number(order),
                    "trim": quote.trim,
                    "total": money(order.total, order.currency),
                },
            ),
            actor=actor,
            ref=order,
            at=now,
        )
    notes = _sync_order_funnel(order, actor)
    return Outcome(order, notes)


def order_number(order: Order) -> str:
    """The order's number as the dealer and the customer see it: the dealer's own series
    (sales.numbering), never the network-wide id."""
    return order.display_number


def _open_order(order: Order) -> None:
    _require_status(order, Order.Status.OPEN, _("This order is “%(status)s”: it cannot change."))


def record_payment(
    *, order: Order, actor: Any, kind: str, amount: Any, received_at: dt.datetime | None = None
) -> Outcome[Payment]:
    """A deposit, balance payment (or the finance bank's payout) or a refund."""
    _open_order(order)
    if kind not in Payment.Kind.values:
        raise ValidationError({"kind": _("Choose deposit, balance or refund.")})
    value = _decimal(amount, "amount", _("The amount"))
    if value <= 0:
        raise ValidationError({"amount": _("The amount must be more than zero.")})
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)  # one payment at a time
        # Checked again under the lock: a delivery (or cancellation) that held it has won.
        _open_order(locked)
        _forget_payments(order)  # the balance from the payments as they are now
        balance = order_balance(order)
        if kind == Payment.Kind.REFUND:
            paid = order_paid(order)
            if value > paid:
                raise ValidationError(
                    {
                        "amount": _("A refund cannot exceed what was paid (%(paid)s).")
                        % {"paid": money(paid, order.currency)}
                    }
                )
        elif value > balance:
            raise ValidationError(
                {
                    "amount": _("This is more than the open balance (%(balance)s).")
                    % {"balance": money(max(balance, ZERO), order.currency)}
                }
            )
        when = received_at or timezone.now()
        payment = Payment.objects.create(
            dealer_id=order.dealer_id,
            order=order,
            kind=kind,
            amount=value,
            received_at=when,
            received_by=actor,
        )
        _log(
            lead=order.lead,
            kind="payment",
            summary=Said(
                gettext_noop("%(kind)s of %(amount)s on order %(number)s"),
                {
                    "kind": Choice("payment_kind", payment.kind),
                    "amount": money(value, order.currency),
                    "number": order_number(order),
                },
            ),
            actor=actor,
            ref=payment,
            at=when,
        )
    notes = _sync_order_funnel(order, actor)
    return Outcome(payment, notes)


def update_order(
    *, order: Order, actor: Any, expected_delivery: dt.date | None, vin: str
) -> Outcome[Order]:
    _open_order(order)
    errors: dict[str, str] = {}
    if vin:
        try:
            vin = validate_vin(vin)
        except ValidationError as exc:
            errors["vin"] = exc.messages[0]
    if order.stock_vehicle_id is not None and (vin or "") != order.vin and "vin" not in errors:
        errors["vin"] = _(
            "This order has reserved stock vehicle %(vin)s: release it to change the VIN."
        ) % {"vin": order.vin}
    if (
        expected_delivery is not None
        and expected_delivery != order.expected_delivery
        and (problem := _delivery_problem(order.lead.dealer, expected_delivery))
    ):
        errors["expected_delivery"] = problem
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        changed = []
        if expected_delivery != order.expected_delivery:
            order.expected_delivery = expected_delivery
            changed.append("expected_delivery")
        if (vin or "") != order.vin:
            order.vin = vin or ""
            changed.append("vin")
        if changed:
            order.save(update_fields=changed)
            parts: list[Said] = []
            if "expected_delivery" in changed:
                parts.append(
                    Said(
                        gettext_noop("delivery expected %(day)s"), {"day": When(expected_delivery)}
                    )
                    if expected_delivery
                    else Said(gettext_noop("delivery date cleared"))
                )
            if "vin" in changed:
                parts.append(
                    Said(gettext_noop("VIN %(vin)s"), {"vin": order.vin})
                    if order.vin
                    else Said(gettext_noop("VIN cleared"))
                )
            _log(
                lead=order.lead,
                kind="order_changed",
                summary=Said(
                    gettext_noop("Order %(number)s: %(changes)s"),
                    {"number": order_number(order), "changes": Join(tuple(parts))},
                ),
                actor=actor,
                ref=order,
                contact=False,
            )
    notes = _sync_order_funnel(order, actor)
    return Outcome(order, notes)


def set_checklist(*, order: Order, actor: Any, done: Sequence[str]) -> Order:
    """Tick (or untick) the pre-delivery checklist items; each remembers who and when."""
    _open_order(order)
    known = {code for code, _label in CHECKLIST_ITEMS}
    unknown = set(done) - known
    if unknown:
        raise ValidationError(
            _("Unknown checklist item(s): %(items)s") % {"items": ", ".join(sorted(unknown))}
        )
    now = timezone.now().isoformat()
    current = dict(order.checklist or {})
    checklist: dict[str, Any] = {}
    for code in (c for c, _label in CHECKLIST_ITEMS):
        before = current.get(code) or {}
        if code in done:
            checklist[code] = (
                before
                if before.get("done")
                else {"done": True, "at": now, "by": actor.get_username()}
            )
        else:
            checklist[code] = {"done": False}
    with transaction.atomic():
        order.checklist = checklist
        order.save(update_fields=["checklist"])
        complete_steps(
            lead=order.lead,
            codes=["pdi_done"] if checklist["pdi_done"]["done"] else [],
            actor=actor,
        )
    return order


def checklist_missing(order: Order) -> list[str]:
    checklist = order.checklist or {}
    return [
        label for code, label in checklist_items() if not (checklist.get(code) or {}).get("done")
    ]


def delivery_blockers(order: Order) -> list[str]:
    """Why the car cannot be handed over yet (empty: it can)."""
    blockers: list[str] = []
    if order.status != Order.Status.OPEN:
        return [_("This order is “%(status)s”.") % {"status": order.get_status_display()}]
    balance = order_balance(order)
    if balance > 0:
        blockers.append(
            _(
                "Delivery is blocked: a balance of %(balance)s is still open. Record the payment first."
            )
            % {"balance": money(balance, order.currency)}
        )
    if not order.vin:
        blockers.append(_("Enter the vehicle's VIN before delivery."))
    else:
        blockers.extend(vehicle_blockers(order))
    missing = checklist_missing(order)
    if missing:
        blockers.append(
            _("Complete the pre-delivery checklist first: %(items)s.")
            % {"items": "; ".join(missing)}
        )
    return blockers


def vehicle_blockers(order: Order) -> list[str]:
    """What the vehicle itself says against the handover: an open stop-sale campaign on its VIN,
    or a reserved stock vehicle that has not arrived yet."""
    blockers: list[str] = []
    if message := vehicle_stock.stop_sale_message(order.vin):
        blockers.append(message)
    if order.stock_vehicle_id is not None:
        arrived = (
            StockVehicle.objects.filter(pk=order.stock_vehicle_id, dealer_id=order.dealer_id)
            .values_list("arrived_on", flat=True)
            .first()
        )
        if arrived is None:
            blockers.append(
                _("Vehicle %(vin)s has not arrived yet: record its arrival first.")
                % {"vin": order.vin}
            )
    return blockers


def deliver_order(*, order: Order, actor: Any, at: dt.datetime | None = None) -> Order:
    """Hand the car over: only with nothing left to pay, a VIN and the checklist done. The lead
    closes as won (credited to the consultant who closed it) and the after-delivery calls are
    scheduled: the customer journey continues."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        blockers = delivery_blockers(locked)
        if blockers:
            raise ValidationError(blockers)
        when = at or timezone.now()
        if locked.stock_vehicle_id is not None:
            # Delivered on the stock side too, and the vehicle's warranty record opens.
            vehicle_stock.deliver(
                actor=actor,
                stock=StockVehicle.objects.get(
                    pk=locked.stock_vehicle_id, dealer_id=locked.dealer_id
                ),
                at=when,
                order_ref=locked.display_number,
            )
        locked.status = Order.Status.DELIVERED
        locked.delivered_at = when
        locked.delivered_by = actor
        locked.save(update_fields=["status", "delivered_at", "delivered_by"])
        lead = locked.lead
        complete_steps(
            lead=lead,
            codes=[
                "deposit_received",
                "delivery_date_agreed",
                "pdi_done",
                "balance_paid",
                "handover",
            ],
            actor=actor,
        )
        _log(
            lead=lead,
            kind="delivered",
            summary=Said(
                gettext_noop("Delivered: %(trim)s, VIN %(vin)s (order %(number)s)"),
                {"trim": locked.quote.trim, "vin": locked.vin, "number": order_number(locked)},
            ),
            actor=actor,
            ref=locked,
            at=when,
        )
        lead.refresh_from_db()
        mark_won(lead=lead, actor=actor, at=when)
        schedule_after_delivery_calls(lead=lead, delivered_at=when)
    order.status, order.delivered_at, order.delivered_by = locked.status, when, actor
    return order


def cancel_order(*, order: Order, actor: Any, reason: str = "") -> Order:
    """The customer withdraws: a sales manager cancels an open order (never a delivered one). A
    promotion the order took gives its unit of budget back."""
    _require_staff(actor, order.dealer_id, Cap.SALES_APPROVE)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the order is cancelled.")})
    with transaction.atomic():
        if not Order.objects.filter(pk=order.pk, status=Order.Status.OPEN).update(
            status=Order.Status.CANCELLED
        ):
            raise ValidationError(
                _("This order is “%(status)s”: it cannot be cancelled.")
                % {"status": order.get_status_display()}
            )
        order.status = Order.Status.CANCELLED
        release_on_cancel(order, actor)
        if order.promotion_id is not None:
            give_back_budget(promotion_id=order.promotion_id)
        _log(
            lead=order.lead,
            kind="order_cancelled",
            summary=Said(
                gettext_noop("Order %(number)s cancelled: %(reason)s"),
                {"number": order_number(order), "reason": reason[:300]},
            ),
            actor=actor,
            ref=order,
            contact=False,
        )
    return order
