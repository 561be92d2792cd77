"""Reads for test drives, quotes and orders. Every answer is limited to the caller's rights.

Visibility (the same for pages and the API):
- a consultant (sales.own without sales.all) sees the test drives, quotes and orders of the
  leads assigned to them; a colleague's are "not found" (404), like another dealer's;
- sales and dealer managers (sales.all) see all of their dealer's;
- HQ roles read the dealers in their scope (the tenant scope is read only);
- anyone else sees nothing.
The tenant scope (django-scopes + RLS) already limits every queryset to the dealers in scope.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from dealers.models import Dealer
from dealers.roles import Cap
from dealers.selectors import Access
from leads.models import Lead

from .models import DemoVehicle, Order, Payment, Quote, TestDrive

OPEN_BOOKING_STATUSES = (TestDrive.Status.BOOKED, TestDrive.Status.OUT, TestDrive.Status.DONE)


def can_read_sales(access: Access) -> bool:
    # The dealer's own sales staff: every sales object names a customer, and HQ never reads a
    # customer's personal data (HQ reads the funnel's figures under /reports/).
    return access.writable and bool(access.dealer_ids) and access.can(Cap.SALES_OWN)


def can_write_sales(access: Access) -> bool:
    return access.writable and access.dealer is not None and access.can(Cap.SALES_OWN)


def sees_all(access: Access) -> bool:
    return access.can(Cap.SALES_ALL) or access.is_hq


def _own(access: Access, lookup: str) -> Q:
    if sees_all(access):
        return Q()
    if access.can(Cap.SALES_OWN) and access.user_id:
        return Q(**{lookup: access.user_id})
    return Q(pk__in=[])


def leads_for(access: Access) -> QuerySet[Lead]:
    """Leads the caller may work on (book test drives and quote for)."""
    if not can_read_sales(access):
        return Lead.objects.none()
    return Lead.objects.filter(_own(access, "consultant_id")).select_related("customer")


def test_drives_visible(access: Access) -> QuerySet[TestDrive]:
    if not can_read_sales(access):
        return TestDrive.objects.none()
    return TestDrive.objects.filter(_own(access, "lead__consultant_id")).select_related(
        "vehicle__vehicle_model", "customer", "lead", "consultant", "dealer"
    )


def quotes_visible(access: Access) -> QuerySet[Quote]:
    if not can_read_sales(access):
        return Quote.objects.none()
    return Quote.objects.filter(_own(access, "lead__consultant_id")).select_related(
        "customer",
        "lead",
        "trim__vehicle_model",
        "colour",
        "created_by",
        "dealer",
        "price_version__price_list",
        "promotion",
    )


def orders_visible(access: Access) -> QuerySet[Order]:
    if not can_read_sales(access):
        return Order.objects.none()
    return Order.objects.filter(_own(access, "lead__consultant_id")).select_related(
        "customer", "lead", "quote__trim__vehicle_model", "consultant", "dealer", "promotion"
    )


def demo_vehicles(*, active_only: bool = True) -> QuerySet[DemoVehicle]:
    """The demo fleet of the dealer(s) in scope."""
    qs = DemoVehicle.objects.select_related("vehicle_model", "trim").order_by(
        "vehicle_model__code", "plate", "id"
    )
    return qs.filter(is_active=True) if active_only else qs


def bookings_between(
    *, start: dt.datetime, end: dt.datetime, vehicles: Any = None
) -> QuerySet[TestDrive]:
    """Bookings (booked, on the road or done) overlapping [start, end), for the day planner."""
    qs = TestDrive.objects.filter(
        status__in=OPEN_BOOKING_STATUSES, starts_at__lt=end, ends_at__gt=start
    ).select_related("customer", "lead", "consultant")
    if vehicles is not None:
        qs = qs.filter(vehicle__in=vehicles)
    return qs.order_by("starts_at")


def vehicle_day_plan(
    *, day: dt.date, tz: dt.tzinfo, access: Access, vehicles: Any = None
) -> list[dict[str, Any]]:
    """Per demo vehicle, its bookings on `day` (dealer time). A booking of a lead the caller
    may not see shows only as "booked" with its times (no customer, no consultant)."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    end = start + dt.timedelta(days=1)
    fleet = list(vehicles if vehicles is not None else demo_vehicles())
    bookings = bookings_between(start=start, end=end, vehicles=fleet)
    mine = sees_all(access)
    by_vehicle: dict[int, list[dict[str, Any]]] = {v.pk: [] for v in fleet}
    for drive in bookings:
        visible = mine or drive.lead.consultant_id == access.user_id
        by_vehicle.setdefault(drive.vehicle_id, []).append(
            {
                "drive": drive if visible else None,
                "starts_at": drive.starts_at,
                "ends_at": drive.ends_at,
                "status": drive.status,
                "status_label": drive.get_status_display(),
            }
        )
    return [{"vehicle": v, "bookings": by_vehicle.get(v.pk, [])} for v in fleet]


def pending_discounts(*, dealer: Any) -> QuerySet[Quote]:
    """Draft quotes whose discount waits for a sales manager (the approvals inbox), oldest first."""
    return (
        Quote.objects.filter(
            dealer=dealer, discount_status=Quote.DiscountStatus.PENDING, status=Quote.Status.DRAFT
        )
        .select_related("customer", "lead", "trim__vehicle_model", "created_by")
        .order_by("created_at", "id")
    )


def _as_datetime(value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    return dt.datetime.combine(value, dt.time.min, tzinfo=timezone.get_current_timezone())


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(_as_datetime(value)).date()
    return value


def test_drives_for(
    *, user: Any, start: dt.date | dt.datetime, end: dt.date | dt.datetime
) -> QuerySet[TestDrive]:
    """A consultant's test drives (booked or on the road) starting in [start, end) — for "my
    day". Dates are read in the current time zone. Call inside the dealer's scope."""
    return (
        TestDrive.objects.filter(
            consultant=user,
            status__in=[TestDrive.Status.BOOKED, TestDrive.Status.OUT],
            starts_at__gte=_as_datetime(start),
            starts_at__lt=_as_datetime(end),
        )
        .select_related("customer", "lead", "vehicle__vehicle_model")
        .order_by("starts_at")
    )


test_drives_for.__test__ = False  # type: ignore[attr-defined]  # a selector, not a pytest test


def deliveries_for(
    *, user: Any, start: dt.date | dt.datetime, end: dt.date | dt.datetime
) -> QuerySet[Order]:
    """A consultant's open orders expected for delivery in [start, end) (dates) — for "my day"."""
    return (
        Order.objects.filter(
            consultant=user,
            status=Order.Status.OPEN,
            expected_delivery__gte=_as_date(start),
            expected_delivery__lt=_as_date(end),
        )
        .select_related("customer", "lead", "quote__trim__vehicle_model")
        .order_by("expected_delivery", "id")
    )


def quote_versions(quote: Quote) -> QuerySet[Quote]:
    return (
        Quote.objects.filter(lead_id=quote.lead_id)
        .order_by("-version")
        .only("id", "version", "status", "total", "currency", "created_at", "lead_id", "dealer_id")
    )


def order_payments(order: Order) -> QuerySet[Payment]:
    return (
        Payment.objects.filter(order=order)
        .select_related("received_by")
        .order_by("received_at", "id")
    )


@dataclass(frozen=True)
class UptakeRow:
    """Orders that took one promotion at one dealer: counts only, never a customer."""

    dealer_id: int
    dealer_code: str
    dealer_name: str
    region: str
    taken: int  # open or delivered
    delivered: int
    cancelled: int


def promotion_uptake(*, promotion_id: int, dealer_ids: Sequence[int]) -> list[UptakeRow]:
    """Per dealer (of `dealer_ids`, the reader's dealers) the orders that took the promotion,
    by region then dealer code. Read inside the caller's tenant scope (HQ: a read scope over
    those dealers); one query for the counts, one for the dealers. No dealers: nothing (and no
    tenant scope to read in)."""
    if not dealer_ids:
        return []
    counts = (
        Order.objects.filter(promotion_id=promotion_id, dealer_id__in=list(dealer_ids))
        .values("dealer_id")
        .annotate(
            taken=Count("id", filter=~Q(status=Order.Status.CANCELLED)),
            delivered=Count("id", filter=Q(status=Order.Status.DELIVERED)),
            cancelled=Count("id", filter=Q(status=Order.Status.CANCELLED)),
        )
    )
    by_dealer = {row["dealer_id"]: row for row in counts}
    dealers = Dealer.objects.filter(pk__in=by_dealer).select_related("region")
    rows = [
        UptakeRow(
            dealer_id=d.pk,
            dealer_code=d.code,
            dealer_name=d.name,
            region=d.region.name if d.region_id else "",
            taken=by_dealer[d.pk]["taken"],
            delivered=by_dealer[d.pk]["delivered"],
            cancelled=by_dealer[d.pk]["cancelled"],
        )
        for d in dealers
    ]
    return sorted(rows, key=lambda r: (r.region, r.dealer_code))


def uptake_by_region(rows: Sequence[UptakeRow]) -> list[tuple[str, int, int, int]]:
    """(region, taken, delivered, cancelled) summed over `rows`, by region name."""
    sums: dict[str, list[int]] = {}
    for row in rows:
        s = sums.setdefault(row.region, [0, 0, 0])
        s[0] += row.taken
        s[1] += row.delivered
        s[2] += row.cancelled
    return [(region, s[0], s[1], s[2]) for region, s in sorted(sums.items())]


def open_orders_without_vehicle(
    vehicle_model_id: int, dealer_ids: Sequence[int], day: dt.date
) -> dict[int, int]:
    """Per dealer: open customer orders of a model that have no vehicle yet (no stock vehicle
    reserved, no VIN entered). A count for HQ's allocation rule (inventory.vehicles.demand):
    read in a read-only scope over exactly these dealers, no customer leaves it."""
    from dms.tenancy.context import as_dealers

    if not dealer_ids:
        return {}
    with as_dealers(dealer_ids):
        rows = (
            Order.objects.filter(
                dealer_id__in=list(dealer_ids),
                status=Order.Status.OPEN,
                stock_vehicle__isnull=True,
                vin="",
                quote__trim__vehicle_model_id=vehicle_model_id,
            )
            .values("dealer_id")
            .order_by()
            .annotate(n=Count("pk"))
            .values_list("dealer_id", "n")
        )
        return dict(rows)
