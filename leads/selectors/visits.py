"""Reads of the visitor register: one dealer's day in its own time zone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from dealers.clock import day_start
from dealers.models import Dealer
from dealers.roles import Cap
from dealers.selectors import Access
from leads.models import Visit


def day_bounds(dealer: Dealer, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a calendar day in the dealer's time zone (23 or 25 hours on DST days)."""
    return day_start(dealer, day), day_start(dealer, day + dt.timedelta(days=1))


def visits_visible_to(access: Access) -> QuerySet[Visit]:
    """Managers see every visit of the dealer; consultants the visits they served."""
    qs = Visit.objects.select_related("customer", "served_by", "source", "vehicle_model", "lead")
    if access.can(Cap.SALES_ALL):
        return qs
    if access.can(Cap.SALES_OWN) and access.user_id is not None:
        return qs.filter(served_by_id=access.user_id)
    return qs.none()


def visits_of_day(*, access: Access, dealer: Dealer, day: dt.date) -> QuerySet[Visit]:
    start, end = day_bounds(dealer, day)
    return (
        visits_visible_to(access)
        .filter(arrived_at__gte=start, arrived_at__lt=end)
        .order_by("-arrived_at", "-id")
    )


@dataclass(frozen=True)
class DaySummary:
    total: int
    walk_ins: int
    calls: int
    still_here: int


def summarise(visits: list[Visit]) -> DaySummary:
    return DaySummary(
        total=len(visits),
        walk_ins=sum(1 for v in visits if v.kind == Visit.Kind.WALK_IN),
        calls=sum(1 for v in visits if v.kind == Visit.Kind.PHONE),
        still_here=sum(1 for v in visits if v.kind == Visit.Kind.WALK_IN and v.left_at is None),
    )


def duration_minutes(visit: Visit) -> int | None:
    if visit.left_at is None:
        return None
    return max(0, int((visit.left_at - visit.arrived_at).total_seconds() // 60))
