"""Reads of the rollup's bookkeeping."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max, Q

from reports.models import KpiRun


def rolled_through(*, dealer_id: int | None = None) -> dt.date | None:
    """The last day the KPI facts are complete up to (the nightly rollup, or a ranged rerun that
    continued it without a gap). Network-wide runs only, or with `dealer_id` also the runs that
    covered that dealer. None: no complete rollup yet (pages then count live)."""
    runs = KpiRun.objects.filter(finished_at__isnull=False, through__isnull=False)
    if dealer_id is None:
        runs = runs.filter(dealer_ids__isnull=True)
    else:
        runs = runs.filter(Q(dealer_ids__isnull=True) | Q(dealer_ids__contains=[dealer_id]))
    value: dt.date | None = runs.aggregate(last=Max("through"))["last"]
    return value


def last_run() -> KpiRun | None:
    return KpiRun.objects.filter(finished_at__isnull=False).order_by("-finished_at").first()


CACHE_GENERATION = "reports:rolled-through:gen"


def rolled_through_cached(*, dealer_id: int | None = None) -> dt.date | None:
    """rolled_through() through the cache (pages: no SQL on a hit). A finished run bumps the
    generation (reports.rollup.services), so pages see the new day at once; 10 min TTL."""
    from django.core.cache import cache

    generation = cache.get(CACHE_GENERATION) or 0
    key = f"reports:rolled-through:{generation}:{dealer_id or 'all'}"
    found = cache.get(key, "missing")
    if found != "missing":
        return found  # type: ignore[no-any-return]
    value = rolled_through(dealer_id=dealer_id)
    cache.set(key, value, 600)
    return value


def forget_rolled_through() -> None:
    from django.core.cache import cache

    try:
        cache.incr(CACHE_GENERATION)
    except ValueError:
        cache.set(CACHE_GENERATION, 1, None)
