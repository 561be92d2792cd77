"""My day: a consultant's plan for today and tomorrow, read live from the rows the nightly task
and the day's work keep up to date. Overdue first, then due follow-ups, test drives,
deliveries and pool leads to claim. A fixed, small number of queries whatever the dealer's size.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

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
    test_drives_today: list[Any] = field(default_factory=list)
    test_drives_tomorrow: list[Any] = field(default_factory=list)
    deliveries_today: list[Any] = field(default_factory=list)
    deliveries_tomorrow: list[Any] = field(default_factory=list)
    pool: list[Lead] = field(default_factory=list)
    more_follow_ups: bool = False
    more_pool: bool = False

    @property
    def is_empty(self) -> bool:
        return not (
            self.overdue or self.due_today or self.due_tomorrow or self.test_drives_today
            or self.test_drives_tomorrow or self.deliveries_today or self.deliveries_tomorrow
            or self.pool
        )


def day_bounds(dealer: Dealer, now: dt.datetime) -> tuple[dt.date, dt.datetime, dt.datetime, dt.datetime]:
    """(today, start of today, start of tomorrow, start of the day after) in the dealer's zone."""
    tz = zoneinfo.ZoneInfo(dealer.timezone or "UTC")
    today = timezone.localtime(now, tz).date()
    start = dt.datetime.combine(today, dt.time.min, tzinfo=tz)
    return today, start, start + dt.timedelta(days=1), start + dt.timedelta(days=2)


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

    # 1 query each: test drives and deliveries (sales app), today and tomorrow.
    try:
        from sales.selectors import deliveries_for, test_drives_for
    except ImportError:  # pragma: no cover - the sales app always ships them
        pass
    else:
        for drive in test_drives_for(user=user, start=_start, end=end)[:ROW_LIMIT]:
            local_day = timezone.localtime(drive.starts_at, _start.tzinfo).date()
            (plan.test_drives_today if local_day == today else plan.test_drives_tomorrow).append(
                drive
            )
        for order in deliveries_for(user=user, start=today, end=today + dt.timedelta(days=2))[
            :ROW_LIMIT
        ]:
            (
                plan.deliveries_today
                if order.expected_delivery <= today
                else plan.deliveries_tomorrow
            ).append(order)

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
