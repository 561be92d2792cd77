"""Helpers of the vehicle-stock tests: HQ logistics, vehicles of the reference catalogue
(Aurora 3 Core, EUR 21,490.00 in the price list), a stock vehicle that has arrived at a
showroom, an order ready for delivery and a stop-sale campaign on a VIN."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from dealers.clock import dealer_today
from dealers.models import Dealer
from dms.tenancy.context import as_dealer
from inventory.models import Colour, LabourGrade, LabourOperation, Trim
from inventory.vehicles import services as stock_services
from inventory.vehicles.models import Allocation, StockVehicle, Vehicle
from sales import services as sales_services
from sales.models import Order
from tests.factories import hq_user
from tests.sales.conftest import Showroom

_serial = itertools.count(1)


def logistics() -> Any:
    return hq_user("hq_logistics")


def new_vin() -> str:
    """A European VIN (no check digit rule), unique in the test run."""
    return f"WAUZZZ8V{next(_serial):09d}"


def load(
    actor: Any,
    *,
    trim: str = "A3-CORE",
    colour: str | None = None,
    built: bool = True,
    vin: str | None = None,
    price: str = "21490",
) -> Vehicle:
    return stock_services.create_vehicle(
        actor=actor,
        spec=stock_services.VehicleSpec(
            vin=vin or new_vin(),
            trim=Trim.objects.get(code=trim),
            colour=Colour.objects.get(code=colour) if colour else None,
            price=Decimal(price),
            build_date=dt.date(2026, 1, 5) if built else None,
        ),
    )


def allocated(actor: Any, dealer: Dealer, **load_kwargs: Any) -> StockVehicle:
    vehicle = load(actor, **load_kwargs)
    allocation = stock_services.allocate(actor=actor, vehicle=vehicle, dealer=dealer)
    with as_dealer(dealer):
        return StockVehicle.objects.get(allocation=allocation)


def arrived(
    actor: Any, room: Showroom, *, day: dt.date | None = None, **load_kwargs: Any
) -> StockVehicle:
    """A vehicle allocated to the showroom's dealer, shipped and arrived (`day`: when)."""
    stock = allocated(actor, room.dealer, **load_kwargs)
    today = dealer_today(room.dealer)
    stock_services.ship(actor=actor, vehicle=stock.vehicle, eta=today)
    with as_dealer(room.dealer):
        if day is not None:  # an arrival in the past: allocated before it
            StockVehicle.objects.filter(pk=stock.pk).update(
                allocated_at=dt.datetime.combine(day, dt.time(8), tzinfo=dt.UTC)
            )
            stock.refresh_from_db()
        return stock_services.record_arrival(actor=room.manager, stock=stock, day=day)


def order_for(room: Showroom, *, paid: bool = True, ready: bool = True, **spec: Any) -> Order:
    """An open order of the showroom (Aurora 3 Core unless told), fully paid and with the
    checklist done when asked, no VIN yet."""
    from leads.models import Stage

    lead = room.lead(stage=Stage.QUOTE)
    quote = room.quote(lead, **spec)
    with as_dealer(room.dealer):
        sales_services.send_quote(quote=quote, actor=room.alice)
        sales_services.accept_quote(quote=quote, actor=room.alice)
        order = sales_services.create_order(
            quote=quote,
            actor=room.alice,
            deposit_required=Decimal("0"),
            deposit_paid=(quote.total - quote.trade_in_value) if paid else Decimal("0"),
        ).obj
        if ready:
            sales_services.set_checklist(
                order=order, actor=room.alice, done=["pdi_done", "documents", "handover_prep"]
            )
        return order


def stop_sale(vin: str, *, code: str = "RC-STOP") -> Any:
    """A published stop-sale recall holding `vin` (rows made directly: publishing is
    tests/bulletins' subject)."""
    from bulletins.models import CampaignVehicle, TechnicalCampaign

    grade, _ = LabourGrade.objects.get_or_create(code="MEC", defaults={"name": "Mechanical"})
    operation, _ = LabourOperation.objects.get_or_create(
        code="RC-OP",
        defaults={"description": "Recall work", "grade": grade, "standard_hours": 1},
    )
    author = hq_user("hq_admin")
    campaign = TechnicalCampaign.objects.create(
        code=code,
        title="Airbag inflator",
        kind=TechnicalCampaign.Kind.RECALL,
        labour_operation=operation,
        stop_sale=True,
        status=TechnicalCampaign.Status.PUBLISHED,
        created_by=author,
    )
    CampaignVehicle.objects.create(campaign=campaign, vin=vin)
    return campaign


def active_allocations(vehicle: Vehicle) -> int:
    return Allocation.objects.filter(vehicle=vehicle, is_active=True).count()
