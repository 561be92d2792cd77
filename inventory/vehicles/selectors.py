"""Reads of vehicle stock. HQ reads its own tables (vehicles, allocations) and the dealers' stock
rows of the dealers in its scope as counts (ageing); a dealer reads its own stock rows (the
tenant scope and RLS keep the others out: another dealer's vehicle is "not found")."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet

from bulletins.models import CampaignVehicle, TechnicalCampaign
from dealers.clock import dealer_today
from dealers.models import Dealer, Region

from ..models import Option
from .models import Allocation, StockVehicle, Vehicle, VehicleRequest

Stock = StockVehicle.State

# Vehicles that count in the dealer's stock for ageing: arrived, not yet delivered, and for
# sale (the demo fleet and courtesy cars are the dealer's own tools, counted apart).
AGEING_STATES = (Stock.AT_DEALER, Stock.RESERVED, Stock.SOLD)
# The dealer's list: what is on its way or at the dealer (delivered and withdrawn ones are history).
CURRENT_STATES = (
    Stock.ALLOCATED,
    Stock.IN_TRANSIT,
    Stock.AT_DEALER,
    Stock.RESERVED,
    Stock.SOLD,
    Stock.DEMO,
    Stock.COURTESY,
)
# Ageing bands: (key, first day, last day or None).
BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0-30", 0, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("91-180", 91, 180),
    (">180", 181, None),
)


def band_of(days: int) -> str:
    for key, first, last in BANDS:
        if days >= first and (last is None or days <= last):
            return key
    return BANDS[0][0]


def stop_sale_vins(vins: Iterable[str]) -> set[str]:
    """Which of these VINs an open stop-sale campaign holds back (one query for a page)."""
    wanted = [v for v in set(vins) if v]
    if not wanted:
        return set()
    return set(
        CampaignVehicle.objects.filter(
            vin__in=wanted,
            completed_at__isnull=True,
            campaign__status=TechnicalCampaign.Status.PUBLISHED,
            campaign__stop_sale=True,
        ).values_list("vin", flat=True)
    )


# --- HQ ------------------------------------------------------------------------------------------


def hq_vehicles() -> QuerySet[Vehicle]:
    """HQ's vehicle list with the model, trim, colour and the active allocation's dealer."""
    return (
        Vehicle.objects.select_related("vehicle_model", "trim", "colour")
        .prefetch_related(
            Prefetch(
                "allocations",
                queryset=Allocation.objects.filter(is_active=True).select_related("dealer"),
                to_attr="active_allocations",
            )
        )
        .order_by("-created_at", "vin")
    )


def hq_vehicles_for(*, dealer_ids: Sequence[int], network_wide: bool) -> QuerySet[Vehicle]:
    """HQ's vehicles a reader may see: all of them for HQ logistics and network admins; for a
    regional manager HQ's pool and the vehicles allocated to the dealers of their regions
    (another region's vehicle is "not found")."""
    rows = hq_vehicles()
    if network_wide:
        return rows
    elsewhere = Allocation.objects.filter(is_active=True).exclude(dealer_id__in=list(dealer_ids))
    return rows.exclude(pk__in=elsewhere.values("vehicle_id"))


def active_allocation(vehicle: Vehicle) -> Allocation | None:
    cached = getattr(vehicle, "active_allocations", None)
    if cached is not None:
        return cached[0] if cached else None
    return (
        Allocation.objects.filter(vehicle=vehicle, is_active=True).select_related("dealer").first()
    )


def allocation_history(
    vehicle: Vehicle, *, dealer_ids: Sequence[int] | None = None
) -> QuerySet[Allocation]:
    rows = Allocation.objects.filter(vehicle=vehicle).select_related("dealer", "allocated_by")
    return rows if dealer_ids is None else rows.filter(dealer_id__in=list(dealer_ids))


def vehicle_options(vehicle: Vehicle) -> list[Option]:
    return list(vehicle.options.order_by("code"))


def hq_requests(*, status: str = "open") -> QuerySet[VehicleRequest]:
    """The dealers' configuration requests (HQ logistics reads them in its read scope: they hold
    no customer, only the dealer's order number)."""
    rows = VehicleRequest.objects.select_related("dealer", "trim", "vehicle_model", "colour")
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("wanted_by", "requested_at")


def candidates_for_request(vehicle_request: VehicleRequest) -> QuerySet[Vehicle]:
    """Unallocated vehicles of the requested trim (matching colour first)."""
    rows = Vehicle.objects.filter(
        trim_id=vehicle_request.trim_id,
        state__in=(Vehicle.State.PLANNED, Vehicle.State.BUILT),
    ).exclude(allocations__is_active=True)
    return rows.select_related("colour").order_by("vin")


# --- the dealer ----------------------------------------------------------------------------------


def dealer_stock(
    *, dealer: Dealer, states: Sequence[str] = CURRENT_STATES
) -> QuerySet[StockVehicle]:
    return (
        StockVehicle.objects.filter(dealer=dealer, state__in=list(states))
        .select_related("vehicle", "vehicle__vehicle_model", "vehicle__trim", "vehicle__colour")
        .order_by("state", "eta", "vin")
    )


def stock_vehicle(*, dealer: Dealer, pk: int) -> StockVehicle | None:
    return (
        StockVehicle.objects.filter(dealer=dealer, pk=pk)
        .select_related("vehicle", "vehicle__vehicle_model", "vehicle__trim", "vehicle__colour")
        .first()
    )


def days_in_stock(stock: StockVehicle, today: dt.date) -> int | None:
    if stock.arrived_on is None:
        return None
    end = stock.delivered_on or today
    return max((end - stock.arrived_on).days, 0)


def matching_stock(*, dealer_id: int, trim_id: int, colour_id: int | None) -> list[StockVehicle]:
    """The dealer's vehicles an order of this trim may reserve: not reserved, not demo or
    courtesy; the ordered colour first, then the ones in the showroom, then by ETA."""
    rows = list(
        StockVehicle.objects.filter(
            dealer_id=dealer_id,
            state__in=(Stock.ALLOCATED, Stock.IN_TRANSIT, Stock.AT_DEALER),
            vehicle__trim_id=trim_id,
        ).select_related("vehicle", "vehicle__colour", "vehicle__trim")
    )
    rows.sort(
        key=lambda s: (
            s.vehicle.colour_id != colour_id if colour_id else False,
            s.arrived_on is None,
            s.eta or dt.date.max,
            s.vin,
        )
    )
    return rows


def dealer_requests(*, dealer: Dealer) -> QuerySet[VehicleRequest]:
    return (
        VehicleRequest.objects.filter(dealer=dealer)
        .select_related("trim", "vehicle_model", "colour", "vehicle")
        .order_by("-requested_at")
    )


# --- ageing --------------------------------------------------------------------------------------


@dataclass
class Ageing:
    """Vehicles in stock per ageing band, and the average days in stock."""

    label: str
    key: str = ""  # what to drill into (a region id, a dealer id), "" for leaves
    bands: dict[str, int] = field(default_factory=lambda: {b[0]: 0 for b in BANDS})
    total: int = 0
    days_sum: int = 0

    def add(self, days: int, count: int = 1) -> None:
        self.bands[band_of(days)] += count
        self.total += count
        self.days_sum += days * count

    def merge(self, other: Ageing) -> None:
        for key, count in other.bands.items():
            self.bands[key] += count
        self.total += other.total
        self.days_sum += other.days_sum

    @property
    def average_days(self) -> int:
        return round(self.days_sum / self.total) if self.total else 0

    @property
    def over_90(self) -> int:
        return self.bands["91-180"] + self.bands[">180"]

    def band_list(self) -> list[tuple[str, int]]:
        return [(b[0], self.bands[b[0]]) for b in BANDS]


def _arrivals_by_dealer(dealer_ids: Sequence[int]) -> dict[int, list[tuple[dt.date, int]]]:
    """(arrival day, vehicles) per dealer for the vehicles in stock: grouped in the database,
    so HQ reads counts, never the rows (and never a customer: stock rows hold none)."""
    rows = (
        StockVehicle.objects.filter(
            dealer_id__in=list(dealer_ids), state__in=AGEING_STATES, arrived_on__isnull=False
        )
        .values("dealer_id", "arrived_on")
        .order_by()
        .annotate(n=Count("pk"))
        .values_list("dealer_id", "arrived_on", "n")
    )
    out: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for dealer_id, day, n in rows:
        if day is not None:
            out[dealer_id].append((day, n))
    return out


def dealer_ageing(dealers: Sequence[Dealer]) -> dict[int, Ageing]:
    """Ageing per dealer, each counted on its own clock (days to the dealer's today)."""
    arrivals = _arrivals_by_dealer([d.pk for d in dealers])
    out: dict[int, Ageing] = {}
    for dealer in dealers:
        ageing = Ageing(label=f"{dealer.code} {dealer.name}", key=str(dealer.pk))
        today = dealer_today(dealer)
        for day, n in arrivals.get(dealer.pk, []):
            ageing.add(max((today - day).days, 0), n)
        out[dealer.pk] = ageing
    return out


@dataclass
class NetworkAgeing:
    total: Ageing
    rows: list[Ageing]  # the level below: regions, or dealers of a region
    level: str  # "network" | "region"
    region: Region | None = None


def network_ageing(*, dealer_ids: Sequence[int], region_id: int | None = None) -> NetworkAgeing:
    """HQ's ageing: the network by region, or one region by dealer (only the dealers in the
    reader's scope)."""
    dealers = list(
        Dealer.objects.filter(pk__in=list(dealer_ids), is_active=True)
        .select_related("region")
        .order_by("code")
    )
    region = None
    if region_id is not None:
        dealers = [d for d in dealers if d.region_id == region_id]
        region = dealers[0].region if dealers else None
    per_dealer = dealer_ageing(dealers)
    total = Ageing(label=str(region.name) if region else "")
    if region_id is not None:
        rows = [per_dealer[d.pk] for d in dealers]
        for row in rows:
            total.merge(row)
        return NetworkAgeing(total=total, rows=rows, level="region", region=region)
    by_region: dict[int, Ageing] = {}
    for dealer in dealers:
        row = by_region.setdefault(
            dealer.region_id, Ageing(label=dealer.region.name, key=str(dealer.region_id))
        )
        row.merge(per_dealer[dealer.pk])
    rows = sorted(by_region.values(), key=lambda a: a.label)
    for row in rows:
        total.merge(row)
    return NetworkAgeing(total=total, rows=rows, level="network")


def stock_summary(*, dealer: Dealer) -> dict[str, int]:
    """Vehicles per state at the dealer (the stock page's header)."""
    rows = (
        StockVehicle.objects.filter(dealer=dealer, state__in=CURRENT_STATES)
        .values("state")
        .order_by()
        .annotate(n=Count("pk"))
    )
    return {r["state"]: r["n"] for r in rows}


def hq_vehicle_filter(
    rows: QuerySet[Vehicle], *, q: str = "", state: str = "", dealer_id: int | None = None
) -> QuerySet[Vehicle]:
    if q:
        rows = rows.filter(Q(vin__icontains=q.strip().upper()) | Q(trim__name__icontains=q))
    if state:
        rows = rows.filter(state=state)
    if dealer_id:
        rows = rows.filter(allocations__is_active=True, allocations__dealer_id=dealer_id)
    return rows
