"""My day: a consultant's plan for today and tomorrow, read live from the rows the nightly task
and the day's work keep up to date. Overdue first, then due follow-ups, test drives,
deliveries and pool leads to claim. A fixed, small number of queries whatever the dealer's size.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.db.models import CharField, DateField, DateTimeField, F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from dealers.models import Dealer
from leads.models import FollowUp, Lead

ROW_LIMIT = 100
POOL_LIMIT = 10


@dataclass
class MyDay:
    today: dt.date
    tomorrow: dt.date
    now: dt.datetime
    overdue: list[FollowUp] = field(default_factory=list)
    due_today: list[FollowUp] = field(default_factory=list)
    due_tomorrow: list[FollowUp] = field(default_factory=list)
    test_drives_today: list[AgendaItem] = field(default_factory=list)
    test_drives_tomorrow: list[Any] = field(default_factory=list)
    deliveries_today: list[Any] = field(default_factory=list)
    deliveries_tomorrow: list[Any] = field(default_factory=list)
    pool: list[Lead] = field(default_factory=list)
    more_follow_ups: bool = False
    more_pool: bool = False

    @property
    def is_empty(self) -> bool:
        return not (
            self.overdue
            or self.due_today
            or self.due_tomorrow
            or self.test_drives_today
            or self.test_drives_tomorrow
            or self.deliveries_today
            or self.deliveries_tomorrow
            or self.pool
        )


def day_bounds(
    dealer: Dealer, now: dt.datetime
) -> tuple[dt.date, dt.datetime, dt.datetime, dt.datetime]:
    """(today, start of today, start of tomorrow, start of the day after) in the dealer's zone."""
    tz = zoneinfo.ZoneInfo(dealer.timezone or "UTC")
    today = timezone.localtime(now, tz).date()
    start = dt.datetime.combine(today, dt.time.min, tzinfo=tz)
    return today, start, start + dt.timedelta(days=1), start + dt.timedelta(days=2)


@dataclass
class AgendaItem:
    """A test drive or a delivery on the consultant's agenda (one row of the UNION query)."""

    kind: str  # "drive" | "delivery"
    pk: int
    lead_id: int
    customer_name: str
    customer_phone: str
    at: dt.datetime | None  # test drive start
    until: dt.datetime | None  # test drive end
    day: dt.date | None  # expected delivery
    what: str  # vehicle / trim


def _customer_name(kind: str, first: str, last: str, company: str, phone: str) -> str:
    if kind == "company" and company:
        return company
    return f"{first} {last}".strip() or phone


def agenda(
    *, user: Any, start: dt.datetime, end: dt.datetime, day_after: dt.date
) -> list[AgendaItem]:
    """Test drives (booked or on the road) starting in [start, end) and open orders expected
    before `day_after` (late ones too), in one UNION ALL query."""
    from sales.models import Order, TestDrive

    columns = (
        "kind_",
        "id",
        "lead_id",
        "customer__kind",
        "customer__first_name",
        "customer__last_name",
        "customer__company_name",
        "customer__phone",
        "at_",
        "until_",
        "day_",
        "what_",
    )
    drives = (
        TestDrive.objects.filter(
            consultant=user,
            status__in=[TestDrive.Status.BOOKED, TestDrive.Status.OUT],
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .annotate(
            kind_=Value("drive", output_field=CharField()),
            at_=F("starts_at"),
            until_=F("ends_at"),
            day_=Value(None, output_field=DateField()),
            what_=Concat(
                F("vehicle__vehicle_model__name"),
                Value(" "),
                F("vehicle__plate"),
                output_field=CharField(),
            ),
        )
        .values_list(*columns)
    )
    deliveries = (
        Order.objects.filter(
            consultant=user, status=Order.Status.OPEN, expected_delivery__lt=day_after
        )
        .annotate(
            kind_=Value("delivery", output_field=CharField()),
            at_=Value(None, output_field=DateTimeField()),
            until_=Value(None, output_field=DateTimeField()),
            day_=F("expected_delivery"),
            what_=Concat(
                F("quote__trim__vehicle_model__name"),
                Value(" "),
                F("quote__trim__name"),
                output_field=CharField(),
            ),
        )
        .values_list(*columns)
    )
    items = [
        AgendaItem(
            kind=kind,
            pk=pk,
            lead_id=lead_id,
            customer_name=_customer_name(ckind, first, last, company, phone),
            customer_phone=phone,
            at=at,
            until=until,
            day=day,
            what=what or "",
        )
        for kind, pk, lead_id, ckind, first, last, company, phone, at, until, day, what in (
            drives.union(deliveries, all=True)[: 2 * ROW_LIMIT]
        )
    ]
    items.sort(
        key=lambda i: i.at or dt.datetime.combine(i.day or dt.date.max, dt.time.min, tzinfo=dt.UTC)
    )
    return items


def my_day(*, user: Any, dealer: Dealer, now: dt.datetime | None = None) -> MyDay:
    now = now or timezone.now()
    today, _start, tomorrow_start, end = day_bounds(dealer, now)
    plan = MyDay(today=today, tomorrow=today + dt.timedelta(days=1), now=now)

    # 1 query: every open follow-up of mine due before the end of tomorrow (overdue included).
    follow_ups = list(
        FollowUp.objects.filter(owner=user, done_at__isnull=True, due_at__lt=end)
        .select_related("customer", "lead", "lead__vehicle_model")
        .order_by("due_at", "id")[: ROW_LIMIT + 1]
    )
    plan.more_follow_ups = len(follow_ups) > ROW_LIMIT
    for f in follow_ups[:ROW_LIMIT]:
        if f.due_at < now:
            plan.overdue.append(f)
        elif f.due_at < tomorrow_start:
            plan.due_today.append(f)
        else:
            plan.due_tomorrow.append(f)

    # 1 query (UNION ALL): my test drives and my open orders due for delivery (late included).
    for item in agenda(user=user, start=_start, end=end, day_after=today + dt.timedelta(days=2)):
        if item.kind == "drive":
            local_day = timezone.localtime(item.at, _start.tzinfo).date()
            target = plan.test_drives_today if local_day == today else plan.test_drives_tomorrow
        else:
            target = (
                plan.deliveries_today if (item.day or today) <= today else plan.deliveries_tomorrow
            )
        target.append(item)

    # 1 query: the newest pool leads someone else held (the consultant's own come back by
    # simply working them).
    pool = list(
        Lead.objects.filter(dealer_id=dealer.pk, in_pool=True)
        .exclude(consultant_id=user.pk)
        .select_related("customer", "source", "vehicle_model")
        .order_by("-pooled_at", "-id")[: POOL_LIMIT + 1]
    )
    plan.more_pool = len(pool) > POOL_LIMIT
    plan.pool = pool[:POOL_LIMIT]
    return plan
