"""Vehicle stock: every write with a business rule (keyword-only functions).

HQ logistics loads vehicles, moves them through the build (planned → built → in transit) and
allocates them to dealers, by hand or by the rule of `rank_dealers`. The dealer records the
arrival, uses a vehicle as demo or courtesy car, and reserves it for a customer order (called by
sales.services: the order holds the link). Delivery marks the vehicle delivered and opens its
warranty record (a network projection); a vehicle under an open stop-sale campaign is refused.

HQ writes to a dealer's tenant rows (the stock row of an allocation) inside a write scope over
exactly that dealer, opened here for one transaction and audited. Bad input raises
ValidationError with a clear message and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from bulletins.campaign_selectors import open_campaigns_for_vin
from dealers.clock import dealer_today
from dealers.models import Dealer, Membership
from dealers.roles import DEALER_ROLE_CAPS, HQ_ROLE_CAPS, Cap
from dms.audit.models import AuditAction
from dms.audit.services import record
from dms.tenancy.context import as_dealer
from dms.vin import validate_vin

from ..models import Colour, Option, Trim
from . import demand
from .models import Allocation, StockVehicle, Vehicle, VehicleRequest, VehicleWarranty

State = Vehicle.State
Stock = StockVehicle.State

# Vehicles HQ may still allocate: not yet shipped, not allocated (the constraint says the rest).
ALLOCATABLE = (State.PLANNED, State.BUILT)
# The dealer's vehicles a customer order may reserve (in the pipeline or in the showroom).
RESERVABLE = (Stock.ALLOCATED, Stock.IN_TRANSIT, Stock.AT_DEALER)
# Vehicles that count as the dealer's stock of a model for the allocation rule.
PIPELINE = (State.PLANNED, State.BUILT, State.IN_TRANSIT, State.AT_DEALER)
MAX_PRICE = Decimal("9999999999.99")
DAYS_PER_MONTH = Decimal(30)
# Who works a dealer's vehicle stock: its sales managers record arrivals and fleet use.
STOCK_MANAGE_CAPS = (Cap.SALES_ALL,)
# Who asks HQ for a configuration: the managers, and consultants for their customer's order.
REQUEST_CAPS = (Cap.SALES_ALL, Cap.SALES_OWN)


# --- who may ------------------------------------------------------------------------------------


def is_logistics(actor: Any) -> bool:
    return Cap.LOGISTICS in HQ_ROLE_CAPS.get(getattr(actor, "hq_role", "") or "", frozenset())


def require_logistics(actor: Any) -> None:
    if not is_logistics(actor):
        raise PermissionDenied(_("Only HQ logistics loads and allocates vehicles."))


def is_loader(actor: Any) -> bool:
    caps = HQ_ROLE_CAPS.get(getattr(actor, "hq_role", "") or "", frozenset())
    return Cap.LOGISTICS in caps or Cap.NETWORK_ADMIN in caps


def require_loader(actor: Any) -> None:
    """HQ logistics and HQ network admins load vehicles (import, API); logistics allocates."""
    if not is_loader(actor):
        raise PermissionDenied(_("Only HQ logistics and HQ administrators load vehicles."))


def _require_staff(actor: Any, dealer_id: int, caps: Iterable[str]) -> None:
    """Defence in depth (the routes check first): the actor's role at the dealer."""
    role = (
        Membership.objects.filter(
            user_id=getattr(actor, "pk", 0) or 0, dealer_id=dealer_id, is_active=True
        )
        .values_list("role", flat=True)
        .first()
    )
    held = DEALER_ROLE_CAPS.get(role or "", frozenset())
    if not any(cap in held for cap in caps):
        raise PermissionDenied(_("Your role at this dealer may not do this."))


def _audit(
    *,
    actor: Any,
    change: str,
    vehicle: Vehicle | StockVehicle,
    dealer_id: int | None,
    request: HttpRequest | None = None,
    **detail: Any,
) -> None:
    record(
        action=AuditAction.VEHICLE_STOCK,
        actor=actor,
        dealer=dealer_id,
        obj=vehicle,
        request=request,
        detail={"change": change, "vin": vehicle.vin, **detail},
    )


def _set_vehicle_state(vehicle_id: int, state: str) -> None:
    Vehicle.objects.filter(pk=vehicle_id).update(state=state, state_changed_at=timezone.now())


# --- HQ: loading vehicles -----------------------------------------------------------------------


@dataclass(frozen=True)
class VehicleSpec:
    """One vehicle to load (from the API, a form or a checked import row)."""

    vin: str
    trim: Trim
    price: Decimal
    colour: Colour | None = None
    options: Sequence[Option] = ()
    build_date: dt.date | None = None
    currency: str = "EUR"


def check_price(value: Any) -> Decimal:
    try:
        price = Decimal(str(value))
    except ArithmeticError:
        raise ValidationError({"price": _("Enter the price as a number.")}) from None
    if not price.is_finite() or price < 0:
        raise ValidationError({"price": _("The price cannot be negative.")})
    if price > MAX_PRICE or price != price.quantize(Decimal("0.01")):
        raise ValidationError({"price": _("At most 10 digits and 2 decimal places.")})
    return price


def create_vehicle(*, actor: Any, spec: VehicleSpec, request: HttpRequest | None = None) -> Vehicle:
    """Load one new vehicle (state planned, or built when it has a build date)."""
    require_loader(actor)
    try:
        vin = validate_vin(spec.vin)
    except ValidationError as exc:
        raise ValidationError({"vin": exc.messages}) from None
    price = check_price(spec.price)
    currency = (spec.currency or "").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ValidationError({"currency": _("A currency is three letters (EUR).")})
    if not spec.trim.is_active:
        raise ValidationError({"trim": _("This trim is no longer in the catalogue.")})
    if spec.build_date is not None and spec.build_date > timezone.localdate():
        raise ValidationError({"build_date": _("The build date cannot be in the future.")})
    try:
        with transaction.atomic():
            vehicle = Vehicle.objects.create(
                vin=vin,
                vehicle_model_id=spec.trim.vehicle_model_id,
                trim=spec.trim,
                colour=spec.colour,
                build_date=spec.build_date,
                price=price,
                currency=currency,
                state=State.BUILT if spec.build_date else State.PLANNED,
            )
            if spec.options:
                vehicle.options.set(spec.options)
            _audit(actor=actor, change="loaded", vehicle=vehicle, dealer_id=None, request=request)
    except IntegrityError:
        raise ValidationError({"vin": _("A vehicle with this VIN is already loaded.")}) from None
    return vehicle


def mark_built(
    *, actor: Any, vehicle: Vehicle, build_date: dt.date, request: HttpRequest | None = None
) -> Vehicle:
    """The factory built a planned vehicle."""
    require_logistics(actor)
    if build_date > timezone.localdate():
        raise ValidationError({"build_date": _("The build date cannot be in the future.")})
    with transaction.atomic():
        if not Vehicle.objects.filter(pk=vehicle.pk, state=State.PLANNED).update(
            state=State.BUILT, build_date=build_date, state_changed_at=timezone.now()
        ):
            raise ValidationError(_("Only a planned vehicle can be marked as built."))
        vehicle.refresh_from_db()
        _audit(actor=actor, change="built", vehicle=vehicle, dealer_id=None, request=request)
    return vehicle


# --- HQ: allocation -----------------------------------------------------------------------------


def _check_eta(eta: dt.date | None, dealer: Dealer) -> None:
    if eta is not None and eta < dealer_today(dealer):
        raise ValidationError({"eta": _("The ETA cannot be in the past.")})


def allocate(
    *,
    actor: Any,
    vehicle: Vehicle,
    dealer: Dealer,
    eta: dt.date | None = None,
    method: str = Allocation.Method.MANUAL,
    reason: str = "",
    request: HttpRequest | None = None,
) -> Allocation:
    """Allocate a vehicle to a dealer: HQ's allocation row and the dealer's stock row, in one
    transaction. A vehicle has at most one active allocation (database constraint: the second
    of two simultaneous allocations fails and changes nothing)."""
    require_logistics(actor)
    if not dealer.is_active:
        raise ValidationError({"dealer": _("This dealer is not active.")})
    _check_eta(eta, dealer)
    try:
        with transaction.atomic():
            locked = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
            if locked.state not in ALLOCATABLE:
                raise ValidationError(
                    _("This vehicle is “%(state)s”: only planned or built vehicles are allocated.")
                    % {"state": locked.get_state_display()}
                )
            allocation = Allocation.objects.create(
                vehicle=locked,
                dealer=dealer,
                method=method,
                reason=reason[:300],
                eta=eta,
                allocated_by=actor,
            )
            with as_dealer(dealer.pk):
                StockVehicle.objects.create(
                    dealer=dealer,
                    vehicle=locked,
                    allocation=allocation,
                    vin=locked.vin,
                    state=Stock.ALLOCATED,
                    eta=eta,
                    allocated_at=allocation.allocated_at,
                )
            _audit(
                actor=actor,
                change="allocated",
                vehicle=locked,
                dealer_id=dealer.pk,
                request=request,
                method=method,
                reason=reason[:300],
                eta=eta.isoformat() if eta else "",
            )
    except IntegrityError as exc:
        if "allocation_one_active_per_vehicle" in str(exc):
            raise ValidationError(_("This vehicle is already allocated.")) from None
        raise
    return allocation


def withdraw_allocation(
    *, actor: Any, allocation: Allocation, reason: str, request: HttpRequest | None = None
) -> Allocation:
    """HQ takes an allocation back before the vehicle reached the dealer (not once a customer
    order reserved it)."""
    require_logistics(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the allocation is withdrawn.")})
    with transaction.atomic():
        with as_dealer(allocation.dealer_id):
            stock = StockVehicle.objects.select_for_update().get(
                dealer_id=allocation.dealer_id, allocation=allocation
            )
            if stock.state not in (Stock.ALLOCATED, Stock.IN_TRANSIT):
                raise ValidationError(
                    _(
                        "The dealer's vehicle is “%(state)s”: only an allocation not yet arrived "
                        "and not reserved can be withdrawn."
                    )  # fmt: skip
                    % {"state": stock.get_state_display()}
                )
            stock.state = Stock.WITHDRAWN
            stock.save(update_fields=["state", "updated_at"])
        if not Allocation.objects.filter(pk=allocation.pk, is_active=True).update(
            is_active=False, ended_at=timezone.now(), end_reason=reason[:300]
        ):
            raise ValidationError(_("This allocation has ended already."))
        vehicle = Vehicle.objects.get(pk=allocation.vehicle_id)
        if vehicle.state == State.IN_TRANSIT:  # it goes back to HQ's compound
            _set_vehicle_state(vehicle.pk, State.BUILT)
        _audit(
            actor=actor,
            change="allocation_withdrawn",
            vehicle=vehicle,
            dealer_id=allocation.dealer_id,
            request=request,
            reason=reason[:300],
        )
    allocation.refresh_from_db()
    return allocation


def ship(
    *, actor: Any, vehicle: Vehicle, eta: dt.date, request: HttpRequest | None = None
) -> Vehicle:
    """A built, allocated vehicle leaves for its dealer: in transit, with the ETA the dealer
    sees."""
    require_logistics(actor)
    allocation = Allocation.objects.filter(vehicle=vehicle, is_active=True).first()
    if allocation is None:
        raise ValidationError(_("Allocate the vehicle to a dealer before shipping it."))
    dealer = Dealer.objects.get(pk=allocation.dealer_id)
    _check_eta(eta, dealer)
    with transaction.atomic():
        if not Vehicle.objects.filter(pk=vehicle.pk, state=State.BUILT).update(
            state=State.IN_TRANSIT, state_changed_at=timezone.now()
        ):
            raise ValidationError(_("Only a built vehicle can be shipped."))
        Allocation.objects.filter(pk=allocation.pk).update(eta=eta)
        with as_dealer(dealer.pk):
            # A reserved vehicle keeps its reservation; the others are now in transit.
            rows = StockVehicle.objects.filter(allocation=allocation)
            rows.filter(state=Stock.ALLOCATED).update(state=Stock.IN_TRANSIT, eta=eta)
            rows.exclude(state=Stock.ALLOCATED).update(eta=eta)
        vehicle.refresh_from_db()
        _audit(
            actor=actor,
            change="shipped",
            vehicle=vehicle,
            dealer_id=dealer.pk,
            request=request,
            eta=eta.isoformat(),
        )
    return vehicle


# --- the allocation rule ------------------------------------------------------------------------


@dataclass(frozen=True)
class DealerRank:
    """One dealer's place in the rule's ranking for a model."""

    dealer: Dealer
    open_orders: int  # customer orders of the model waiting for a vehicle
    stock: int  # vehicles of the model allocated to it, not yet sold (pipeline and showroom)
    monthly_plan: int  # deliveries of the model planned for the month (0: no plan)
    stock_days: Decimal | None  # stock ÷ planned deliveries per day; None without a plan

    @property
    def key(self) -> tuple[int, Decimal, int, str]:
        no_plan = Decimal(10**9)
        return (
            -self.open_orders,
            self.stock_days if self.stock_days is not None else no_plan,
            self.stock,
            self.dealer.code,
        )

    def explanation(self) -> str:
        if self.stock_days is None:
            days = _("no plan for this model this month")
        else:
            days = _(
                "%(days)s days of stock against plan (%(stock)d in stock or on the way, "
                "%(plan)d planned this month)"
            ) % {  # fmt: skip
                "days": self.stock_days,
                "stock": self.stock,
                "plan": self.monthly_plan,
            }
        return _("%(orders)d open order(s) waiting for a vehicle; %(days)s") % {
            "orders": self.open_orders,
            "days": days,
        }


RULE_TEXT = _(
    "Dealers with customers waiting come first: the most open customer orders of this model "
    "without a vehicle. Between equals, the dealer with the fewest days of stock against its "
    "plan: vehicles of the model allocated to it and not yet sold (in the pipeline or in the "
    "showroom), divided by the deliveries of the model its plan expects per day this month "
    "(monthly plan ÷ 30). A dealer without a plan for the model comes after those with one."
)


def rank_dealers(
    *, vehicle_model_id: int, day: dt.date, dealer_ids: Sequence[int] | None = None
) -> list[DealerRank]:
    """Active dealers ranked by the allocation rule (RULE_TEXT), best first."""
    dealers = Dealer.objects.filter(is_active=True).select_related("region").order_by("code")
    if dealer_ids is not None:
        dealers = dealers.filter(pk__in=list(dealer_ids))
    dealer_list = list(dealers)
    ids = [d.pk for d in dealer_list]
    orders = demand.ask(demand.OPEN_ORDERS, vehicle_model_id, ids, day)
    plans = demand.ask(demand.MONTHLY_PLAN, vehicle_model_id, ids, day)
    stock = dict(
        Allocation.objects.filter(
            is_active=True,
            dealer_id__in=ids,
            vehicle__vehicle_model_id=vehicle_model_id,
            vehicle__state__in=PIPELINE,
        )
        .values("dealer_id")
        .annotate(n=Count("pk"))
        .values_list("dealer_id", "n")
    )
    ranks = []
    for dealer in dealer_list:
        plan = plans.get(dealer.pk, 0)
        units = stock.get(dealer.pk, 0)
        days = (
            (Decimal(units) * DAYS_PER_MONTH / Decimal(plan)).quantize(
                Decimal("0.1"), rounding=ROUND_HALF_UP
            )
            if plan
            else None
        )
        ranks.append(DealerRank(dealer, orders.get(dealer.pk, 0), units, plan, days))
    return sorted(ranks, key=lambda r: r.key)


def allocate_by_rule(
    *, actor: Any, vehicle: Vehicle, eta: dt.date | None = None, request: HttpRequest | None = None
) -> Allocation:
    """Allocate to the first dealer of the rule's ranking; the reason says why."""
    require_logistics(actor)
    ranking = rank_dealers(vehicle_model_id=vehicle.vehicle_model_id, day=timezone.localdate())
    if not ranking:
        raise ValidationError(_("No active dealer to allocate to."))
    best = ranking[0]
    return allocate(
        actor=actor,
        vehicle=vehicle,
        dealer=best.dealer,
        eta=eta,
        method=Allocation.Method.RULE,
        reason=best.explanation(),
        request=request,
    )


# --- the dealer: arrival, fleet use, sale -------------------------------------------------------


def _locked_stock(stock: StockVehicle) -> StockVehicle:
    return StockVehicle.objects.select_for_update().get(pk=stock.pk, dealer_id=stock.dealer_id)


def record_arrival(
    *,
    actor: Any,
    stock: StockVehicle,
    day: dt.date | None = None,
    request: HttpRequest | None = None,
) -> StockVehicle:
    """The vehicle reached the dealer (on the dealer's today unless told): its days in stock
    count from here. A vehicle reserved on the way stays reserved."""
    _require_staff(actor, stock.dealer_id, STOCK_MANAGE_CAPS)
    today = dealer_today(stock.dealer_id)
    day = day or today
    if day > today:
        raise ValidationError({"day": _("The arrival cannot be in the future.")})
    with transaction.atomic():
        locked = _locked_stock(stock)
        waiting = locked.state in (Stock.ALLOCATED, Stock.IN_TRANSIT) or (
            locked.state == Stock.RESERVED and locked.arrived_on is None
        )
        if not waiting:
            raise ValidationError(
                _("This vehicle is “%(state)s”: only a vehicle on its way can arrive.")
                % {"state": locked.get_state_display()}
            )
        if locked.allocated_at.date() > day + dt.timedelta(days=1):
            raise ValidationError({"day": _("The arrival cannot be before the allocation.")})
        if locked.state != Stock.RESERVED:
            locked.state = Stock.AT_DEALER
        locked.arrived_on = day
        locked.save(update_fields=["state", "arrived_on", "updated_at"])
        _set_vehicle_state(
            locked.vehicle_id, State.RESERVED if locked.state == Stock.RESERVED else State.AT_DEALER
        )
        _audit(
            actor=actor,
            change="arrived",
            vehicle=locked,
            dealer_id=locked.dealer_id,
            request=request,
            day=day.isoformat(),
        )
    return locked


USES: dict[str, str] = {
    Stock.AT_DEALER: State.AT_DEALER,
    Stock.DEMO: State.DEMO,
    Stock.COURTESY: State.COURTESY,
}


def set_use(
    *, actor: Any, stock: StockVehicle, use: str, request: HttpRequest | None = None
) -> StockVehicle:
    """Put a vehicle in stock into the demo fleet or the courtesy cars, or back into stock."""
    _require_staff(actor, stock.dealer_id, STOCK_MANAGE_CAPS)
    if use not in USES:
        raise ValidationError({"use": _("Choose stock, demo fleet or courtesy car.")})
    with transaction.atomic():
        locked = _locked_stock(stock)
        if locked.state not in USES:
            raise ValidationError(
                _(
                    "This vehicle is “%(state)s”: only a vehicle in stock, in the demo fleet or a "
                    "courtesy car changes its use."
                )  # fmt: skip
                % {"state": locked.get_state_display()}
            )
        if locked.state == use:
            return locked
        before = locked.state
        locked.state = use
        locked.save(update_fields=["state", "updated_at"])
        _set_vehicle_state(locked.vehicle_id, USES[use])
        _audit(
            actor=actor,
            change="use_changed",
            vehicle=locked,
            dealer_id=locked.dealer_id,
            request=request,
            before=before,
            after=use,
        )
    return locked


def mark_sold(
    *, actor: Any, stock: StockVehicle, request: HttpRequest | None = None
) -> StockVehicle:
    """The reserved vehicle's sale is concluded (contract signed, invoiced): sold, waiting for
    its delivery."""
    _require_staff(actor, stock.dealer_id, STOCK_MANAGE_CAPS)
    with transaction.atomic():
        locked = _locked_stock(stock)
        if locked.state != Stock.RESERVED or locked.arrived_on is None:
            raise ValidationError(
                _("Only a reserved vehicle that has arrived can be marked as sold.")
            )
        locked.state = Stock.SOLD
        locked.save(update_fields=["state", "updated_at"])
        _set_vehicle_state(locked.vehicle_id, State.SOLD)
        _audit(
            actor=actor,
            change="sold",
            vehicle=locked,
            dealer_id=locked.dealer_id,
            request=request,
            order=locked.reserved_for,
        )
    return locked


# --- reservations for customer orders (called by sales.services) --------------------------------


def reserve_for_order(
    *, actor: Any, stock: StockVehicle, order_ref: str, request: HttpRequest | None = None
) -> StockVehicle:
    """Reserve a dealer's vehicle for a customer order. A conditional UPDATE: of two orders
    reserving the same vehicle at once, the second finds it reserved and is refused (the
    order's own unique key is the database's second word on it)."""
    if not order_ref:
        raise ValidationError(_("Name the order the vehicle is reserved for."))
    with transaction.atomic():
        taken = StockVehicle.objects.filter(
            pk=stock.pk, dealer_id=stock.dealer_id, state__in=RESERVABLE
        ).update(state=Stock.RESERVED, reserved_for=order_ref[:20], updated_at=timezone.now())
        if not taken:
            current = StockVehicle.objects.filter(pk=stock.pk, dealer_id=stock.dealer_id).first()
            if current is not None and current.state == Stock.RESERVED:
                raise ValidationError(
                    _("Vehicle %(vin)s is already reserved for order %(order)s.")
                    % {"vin": current.vin, "order": current.reserved_for}
                )
            raise ValidationError(
                _("Vehicle %(vin)s is “%(state)s”: it cannot be reserved.")
                % {
                    "vin": stock.vin,
                    "state": current.get_state_display() if current else _("gone"),
                }
            )
        stock.refresh_from_db()
        if stock.arrived_on is not None:  # HQ's state follows the showroom, not the pipeline
            _set_vehicle_state(stock.vehicle_id, State.RESERVED)
        _audit(
            actor=actor,
            change="reserved",
            vehicle=stock,
            dealer_id=stock.dealer_id,
            request=request,
            order=order_ref,
        )
    return stock


def release_reservation(
    *, actor: Any, stock: StockVehicle, reason: str, request: HttpRequest | None = None
) -> StockVehicle:
    """The order let the vehicle go (released or cancelled): back to where it is."""
    with transaction.atomic():
        locked = _locked_stock(stock)
        if locked.state not in (Stock.RESERVED, Stock.SOLD):
            raise ValidationError(_("This vehicle is not reserved."))
        order_ref = locked.reserved_for
        if locked.arrived_on is not None:
            locked.state = Stock.AT_DEALER
            _set_vehicle_state(locked.vehicle_id, State.AT_DEALER)
        else:  # reserved on its way: HQ's state never left the pipeline
            state = Vehicle.objects.filter(pk=locked.vehicle_id).values_list("state", flat=True)
            in_transit = state.first() == State.IN_TRANSIT
            locked.state = Stock.IN_TRANSIT if in_transit else Stock.ALLOCATED
        locked.reserved_for = ""
        locked.save(update_fields=["state", "reserved_for", "updated_at"])
        _audit(
            actor=actor,
            change="released",
            vehicle=locked,
            dealer_id=locked.dealer_id,
            request=request,
            order=order_ref,
            reason=reason[:200],
        )
    return locked


def stop_sale_message(vin: str) -> str:
    """Why this VIN may not be delivered ("" when it may): an open stop-sale campaign."""
    try:
        campaigns = [c for c in open_campaigns_for_vin(vin) if c.stop_sale]
    except ValidationError:
        return ""
    if not campaigns:
        return ""
    return _(
        "Delivery refused: vehicle %(vin)s is under stop-sale (%(campaigns)s). Do the campaign "
        "work in the workshop first."
    ) % {"vin": vin, "campaigns": ", ".join(f"{c.code} {c.title}" for c in campaigns)}


def deliver(
    *, actor: Any, stock: StockVehicle, at: dt.datetime | None = None, order_ref: str = ""
) -> VehicleWarranty:
    """Hand the reserved vehicle over (sales.services.deliver_order calls this in the order's
    transaction): delivered on both sides, the allocation ends, and the warranty record opens
    with the delivery day on the dealer's clock. Refused under an open stop-sale campaign."""
    when = at or timezone.now()
    with transaction.atomic():
        locked = _locked_stock(stock)
        if locked.state not in (Stock.RESERVED, Stock.SOLD):
            raise ValidationError(
                _("Vehicle %(vin)s is “%(state)s”: only a reserved vehicle is delivered.")
                % {"vin": locked.vin, "state": locked.get_state_display()}
            )
        if locked.arrived_on is None:
            raise ValidationError(
                _("Vehicle %(vin)s has not arrived yet: record its arrival first.")
                % {"vin": locked.vin}
            )
        if message := stop_sale_message(locked.vin):
            raise ValidationError(message)
        day = dealer_today(locked.dealer_id, when)
        locked.state = Stock.DELIVERED
        locked.delivered_on = day
        locked.save(update_fields=["state", "delivered_on", "updated_at"])
        _set_vehicle_state(locked.vehicle_id, State.DELIVERED)
        Allocation.objects.filter(pk=locked.allocation_id, is_active=True).update(
            is_active=False, ended_at=when, end_reason="delivered"
        )
        vehicle = Vehicle.objects.get(pk=locked.vehicle_id)
        warranty = VehicleWarranty.objects.create(
            vin=vehicle.vin,
            vehicle=vehicle,
            vehicle_model_id=vehicle.vehicle_model_id,
            delivering_dealer_id=locked.dealer_id,
            warranty_start=day,
            delivered_at=when,
        )
        _audit(
            actor=actor,
            change="delivered",
            vehicle=locked,
            dealer_id=locked.dealer_id,
            order=order_ref or locked.reserved_for,
            warranty_start=day.isoformat(),
        )
    return warranty


# --- configuration requests ---------------------------------------------------------------------


def request_vehicle(
    *,
    actor: Any,
    dealer: Dealer,
    trim: Trim,
    colour: Colour | None = None,
    options: str = "",
    wanted_by: dt.date | None = None,
    order_ref: str = "",
    note: str = "",
    request: HttpRequest | None = None,
) -> VehicleRequest:
    """The dealer asks HQ for a configuration (for a customer order, or for stock)."""
    _require_staff(actor, dealer.pk, REQUEST_CAPS)
    if not trim.is_active:
        raise ValidationError({"trim": _("This trim is no longer in the catalogue.")})
    if wanted_by is not None and wanted_by < dealer_today(dealer):
        raise ValidationError({"wanted_by": _("The date wanted cannot be in the past.")})
    with transaction.atomic():
        row = VehicleRequest.objects.create(
            dealer=dealer,
            vehicle_model_id=trim.vehicle_model_id,
            trim=trim,
            colour=colour,
            options=options.strip()[:300],
            wanted_by=wanted_by,
            order_ref=order_ref[:20],
            note=note.strip()[:300],
            requested_by=actor,
        )
        record(
            action=AuditAction.VEHICLE_STOCK,
            actor=actor,
            dealer=dealer,
            obj=row,
            request=request,
            detail={"change": "requested", "trim": trim.code, "order": order_ref},
        )
    return row


def answer_request(
    *,
    actor: Any,
    vehicle_request: VehicleRequest,
    vehicle: Vehicle | None = None,
    eta: dt.date | None = None,
    answer: str = "",
    request: HttpRequest | None = None,
) -> VehicleRequest:
    """HQ logistics answers a dealer's request: allocates a vehicle (of the requested trim) to
    it, or declines with a note."""
    require_logistics(actor)
    answer = (answer or "").strip()
    if vehicle is None and not answer:
        raise ValidationError({"answer": _("Choose a vehicle to allocate or say why not.")})
    if vehicle is not None and vehicle.trim_id != vehicle_request.trim_id:
        raise ValidationError({"vehicle": _("This vehicle is not of the requested trim.")})
    dealer = Dealer.objects.get(pk=vehicle_request.dealer_id)
    with transaction.atomic():
        if vehicle is not None:
            allocate(
                actor=actor,
                vehicle=vehicle,
                dealer=dealer,
                eta=eta,
                method=Allocation.Method.REQUEST,
                reason=_("Request of %(day)s") % {"day": vehicle_request.requested_at.date()},
                request=request,
            )
        with as_dealer(dealer.pk):
            done = VehicleRequest.objects.filter(
                pk=vehicle_request.pk, status=VehicleRequest.Status.OPEN
            ).update(
                status=(
                    VehicleRequest.Status.ALLOCATED
                    if vehicle is not None
                    else VehicleRequest.Status.DECLINED
                ),
                vehicle=vehicle,
                answer=answer[:300],
                answered_at=timezone.now(),
            )
            if not done:
                raise ValidationError(_("This request has been answered already."))
            vehicle_request.refresh_from_db()
        record(
            action=AuditAction.VEHICLE_STOCK,
            actor=actor,
            dealer=dealer,
            obj=vehicle_request,
            request=request,
            detail={"change": "request_answered", "status": vehicle_request.status},
        )
    return vehicle_request


def withdraw_request(
    *, actor: Any, vehicle_request: VehicleRequest, request: HttpRequest | None = None
) -> VehicleRequest:
    _require_staff(actor, vehicle_request.dealer_id, REQUEST_CAPS)
    with transaction.atomic():
        if not VehicleRequest.objects.filter(
            pk=vehicle_request.pk, status=VehicleRequest.Status.OPEN
        ).update(status=VehicleRequest.Status.WITHDRAWN, answered_at=timezone.now()):
            raise ValidationError(_("Only an open request can be withdrawn."))
        vehicle_request.refresh_from_db()
        record(
            action=AuditAction.VEHICLE_STOCK,
            actor=actor,
            dealer=vehicle_request.dealer_id,
            obj=vehicle_request,
            request=request,
            detail={"change": "request_withdrawn"},
        )
    return vehicle_request
