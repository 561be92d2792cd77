"""Demo vehicle stock (seed_demo): HQ vehicles waiting to be allocated, and for each demo dealer
vehicles allocated and in transit (with ETA), in stock (arrived over the last months, so the
ageing bands fill), one in the demo fleet, and one reserved for an open customer order of the
dealer when it has one. One vehicle in stock carries a VIN of the demo recall campaign (stop-sale)
where the campaign lists one for the dealer.

Everything goes through the services (so the audit log and both sides of each allocation are
right); the arrival days are then moved back in time. Deterministic for a seed; skipped when
vehicles exist already. The reservation goes through sales.services (the demo seeding sits at
the top of the layers: it may use any app)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from dealers.clock import dealer_today
from dealers.models import Dealer, Membership
from dealers.roles import DealerRole
from dms.ops.demo import DEFAULT_SEED
from dms.tenancy.context import as_dealer, unscoped

from ..models import Colour, Option, Trim
from . import services
from .models import StockVehicle, Vehicle

IN_TRANSIT = 2
IN_STOCK = 5
HQ_POOL = 24


@dataclass
class VehicleDemoResult:
    vehicles: int = 0
    allocated: int = 0
    reserved: int = 0
    stop_sale: int = 0
    skipped: bool = False

    def __str__(self) -> str:
        if self.skipped:
            return "Vehicle stock: vehicles exist already (or no HQ logistics user), not seeded."
        return (
            f"Vehicle stock: {self.vehicles} vehicles, {self.allocated} allocated to dealers, "
            f"{self.reserved} reserved for customer orders, {self.stop_sale} under stop-sale."
        )


def _vin(n: int) -> str:
    return f"WAUDMV{n:011d}"


def _logistics() -> Any:
    user = get_user_model().objects.filter(hq_role="hq_logistics").order_by("pk").first()
    if user is None:  # older demo networks: one HQ logistics user for the seeding
        user = get_user_model().objects.create_user(
            username="demo.logistics.seed", hq_role="hq_logistics", is_active=False
        )
    return user


def seed_vehicle_stock(
    *, seed: int = DEFAULT_SEED, now: dt.datetime | None = None
) -> VehicleDemoResult:
    result = VehicleDemoResult()
    with unscoped():
        dealers = list(Dealer.objects.filter(is_active=True).order_by("code"))
        trims = list(Trim.objects.filter(is_active=True).order_by("code"))
        if Vehicle.objects.exists() or not dealers or not trims:
            result.skipped = True
            return result
        hq = _logistics()
        rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
        colours = list(Colour.objects.filter(is_active=True).order_by("code"))
        options = list(Option.objects.filter(is_active=True, kind="option").order_by("code"))
        now = now or timezone.now()
        serial = iter(range(1, 10**9))
        build = now.date() - dt.timedelta(days=20)

        def load(trim: Trim, *, vin: str | None = None, built: bool = True) -> Vehicle:
            spec = services.VehicleSpec(
                vin=vin or _vin(next(serial)),
                trim=trim,
                colour=rng.choice(colours) if colours else None,
                options=rng.sample(options, k=min(len(options), rng.randint(0, 2))),
                build_date=build if built else None,
                price=Decimal(rng.randrange(19000, 52000, 10)),
            )
            result.vehicles += 1
            return services.create_vehicle(actor=hq, spec=spec)

        with transaction.atomic():
            for _ in range(HQ_POOL):
                load(rng.choice(trims), built=rng.random() < 0.6)
        for dealer in dealers:
            with transaction.atomic():
                _seed_dealer(dealer, hq=hq, load=load, trims=trims, rng=rng, result=result)
    return result


def _stop_sale_vin(dealer: Dealer) -> str | None:
    from bulletins.models import CampaignVehicle

    return (
        CampaignVehicle.objects.filter(
            dealer=dealer, completed_at__isnull=True, campaign__stop_sale=True
        )
        .order_by("vin")
        .values_list("vin", flat=True)
        .first()
    )


def _seed_dealer(
    dealer: Dealer, *, hq: Any, load: Any, trims: list[Trim], rng: random.Random, result: Any
) -> None:
    today = dealer_today(dealer)
    manager = (
        Membership.objects.filter(
            dealer=dealer,
            is_active=True,
            role__in=[DealerRole.SALES_MANAGER, DealerRole.DEALER_MANAGER],
        )
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if manager is None:
        return
    order, trim_for_order = _open_order_without_vehicle(dealer)
    # in transit, with an ETA
    for _ in range(IN_TRANSIT):
        vehicle = load(rng.choice(trims))
        services.allocate(
            actor=hq,
            vehicle=vehicle,
            dealer=dealer,
            eta=today + dt.timedelta(days=rng.randint(3, 20)),
        )
        services.ship(actor=hq, vehicle=vehicle, eta=today + dt.timedelta(days=rng.randint(3, 20)))
        result.allocated += 1
    # in stock, arrived over the last months; the first of the order's trim when there is one
    stop_vin = _stop_sale_vin(dealer) if result.stop_sale == 0 else None
    arrived: list[StockVehicle] = []
    for index in range(IN_STOCK + 1):
        trim = trim_for_order if index == 0 and trim_for_order else rng.choice(trims)
        vin = stop_vin if index == 1 and stop_vin else None
        vehicle = load(trim, vin=vin)
        result.stop_sale += int(bool(vin))
        services.allocate(actor=hq, vehicle=vehicle, dealer=dealer)
        services.ship(actor=hq, vehicle=vehicle, eta=today)
        days = rng.choice([5, 12, 25, 40, 55, 70, 100, 150, 200])
        with as_dealer(dealer):
            stock = StockVehicle.objects.get(vehicle=vehicle, dealer=dealer)
            services.record_arrival(actor=manager.user, stock=stock)
            arrival = today - dt.timedelta(days=days)
            StockVehicle.objects.filter(pk=stock.pk).update(
                arrived_on=arrival,
                allocated_at=timezone.now() - dt.timedelta(days=days + 10),
            )
            stock.refresh_from_db()
        arrived.append(stock)
        result.allocated += 1
    with as_dealer(dealer):
        services.set_use(actor=manager.user, stock=arrived[-1], use=StockVehicle.State.DEMO)
        if order is not None:
            from sales import services as sales_services

            sales_services.reserve_stock_vehicle(order=order, stock=arrived[0], actor=manager.user)
            result.reserved += 1


def _open_order_without_vehicle(dealer: Dealer) -> tuple[Any, Trim | None]:
    from sales.models import Order

    with as_dealer(dealer):
        order = (
            Order.objects.filter(
                dealer=dealer, status=Order.Status.OPEN, stock_vehicle__isnull=True, vin=""
            )
            .select_related("quote__trim")
            .order_by("ordered_at")
            .first()
        )
        return (order, order.quote.trim) if order is not None else (None, None)
