"""The order's vehicle: reserve one of the dealer's stock vehicles (inventory.vehicles), let it
go, or ask HQ for one. The reservation is the order's `stock_vehicle` (one order per vehicle: a
unique key) and the vehicle's own state (a conditional update in inventory): of two orders
reserving the same vehicle at once, one wins and the other is told which order holds it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dealers.models import Dealer
from dealers.roles import Cap
from inventory.vehicles import services as vehicle_stock
from inventory.vehicles.models import StockVehicle, VehicleRequest
from leads.services.timeline import Said

from ..models import Order, Quote
from .common import _integrity_constraint, _log, _require_staff, _require_status


def _open(order: Order) -> None:
    _require_status(order, Order.Status.OPEN, _("This order is “%(status)s”: it cannot change."))


def reserve_stock_vehicle(*, order: Order, stock: StockVehicle, actor: Any) -> Order:
    """Reserve `stock` (a vehicle of the order's dealer, of the quoted trim) for the order; the
    order takes its VIN."""
    _require_staff(actor, order.dealer_id, Cap.SALES_OWN)
    _open(order)
    if stock.dealer_id != order.dealer_id:
        raise ValidationError(_("This vehicle is not in your stock."))
    trim_id = Quote.objects.filter(pk=order.quote_id).values_list("trim_id", flat=True).first()
    if stock.vehicle.trim_id != trim_id:
        raise ValidationError(_("This vehicle is not of the ordered trim."))
    try:
        with transaction.atomic():
            locked = Order.objects.select_for_update().get(pk=order.pk)
            _open(locked)
            if locked.stock_vehicle_id is not None:
                raise ValidationError(
                    _("This order has reserved vehicle %(vin)s already: release it first.")
                    % {"vin": locked.vin}
                )
            vehicle_stock.reserve_for_order(
                actor=actor, stock=stock, order_ref=locked.display_number
            )
            locked.stock_vehicle = stock
            locked.vin = stock.vin
            locked.save(update_fields=["stock_vehicle", "vin"])
            _log(
                lead=locked.lead,
                kind="order_changed",
                summary=Said(
                    gettext_noop("Order %(number)s: vehicle %(vin)s reserved"),
                    {"number": locked.display_number, "vin": stock.vin},
                ),
                actor=actor,
                ref=locked,
                contact=False,
            )
    except IntegrityError as exc:
        if _integrity_constraint(exc) != "order_vehicle_reserved_once":
            raise
        raise ValidationError(_("This vehicle is already reserved for another order.")) from None
    order.stock_vehicle, order.vin = stock, stock.vin
    return order


def release_stock_vehicle(*, order: Order, actor: Any, reason: str = "") -> Order:
    """The order lets its vehicle go (another one fits the customer better)."""
    _require_staff(actor, order.dealer_id, Cap.SALES_OWN)
    _open(order)
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        _open(locked)
        if locked.stock_vehicle_id is None:
            raise ValidationError(_("This order has no vehicle reserved."))
        stock = StockVehicle.objects.get(pk=locked.stock_vehicle_id, dealer_id=locked.dealer_id)
        _release(locked, stock, actor, reason or _("released from the order"))
    order.stock_vehicle, order.vin = None, ""
    return order


def _release(order: Order, stock: StockVehicle, actor: Any, reason: str) -> None:
    vehicle_stock.release_reservation(actor=actor, stock=stock, reason=reason)
    vin = order.vin
    order.stock_vehicle = None
    order.vin = ""
    order.save(update_fields=["stock_vehicle", "vin"])
    _log(
        lead=order.lead,
        kind="order_changed",
        summary=Said(
            gettext_noop("Order %(number)s: vehicle %(vin)s released"),
            {"number": order.display_number, "vin": vin},
        ),
        actor=actor,
        ref=order,
        contact=False,
    )


def release_on_cancel(order: Order, actor: Any) -> None:
    """Called by cancel_order inside its transaction: the vehicle goes back to stock."""
    stock_id = Order.objects.filter(pk=order.pk).values_list("stock_vehicle_id", flat=True).first()
    if stock_id is None:
        return
    order.stock_vehicle_id = stock_id
    order.vin = Order.objects.filter(pk=order.pk).values_list("vin", flat=True).first() or ""
    stock = StockVehicle.objects.get(pk=stock_id, dealer_id=order.dealer_id)
    _release(order, stock, actor, _("order cancelled"))


def request_vehicle_for_order(*, order: Order, actor: Any, note: str = "") -> VehicleRequest:
    """No vehicle in stock fits: ask HQ for the quoted configuration, for this order."""
    _require_staff(actor, order.dealer_id, Cap.SALES_OWN)
    _open(order)
    if order.stock_vehicle_id is not None:
        raise ValidationError(_("This order has a vehicle reserved already."))
    quote = Quote.objects.select_related("trim", "colour").get(pk=order.quote_id)
    options = ", ".join(line.code for line in quote.lines.filter(kind="option").order_by("code"))
    return vehicle_stock.request_vehicle(
        actor=actor,
        dealer=Dealer.objects.get(pk=order.dealer_id),
        trim=quote.trim,
        colour=quote.colour,
        options=options,
        wanted_by=order.expected_delivery,
        order_ref=order.display_number,
        note=note,
    )
