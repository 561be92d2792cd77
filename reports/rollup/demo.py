"""The KPI facts of a seeded demo history (leads.demo.seed_funnel sends history_seeded; connected
in reports.apps): the seeding belongs to leads/, the facts to reports/."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from dealers.clock import today_in
from dealers.models import Dealer
from dms.tenancy.context import as_dealers
from reports.models import KpiDirtyDay

from .services import earliest_day, rollup


def roll_up_history(
    sender: Any = None,
    *,
    dealers: list[Dealer],
    network: bool,
    progress: Callable[[str], None] | None = None,
    now: dt.datetime | None = None,
    **kwargs: Any,
) -> None:
    """KPI facts for the seeded history, so dashboards and the funnel read facts at once (the
    nightly beat keeps them current). The seeding marked every day dirty: that is history, not
    late changes, so those marks are dropped."""
    ids = [d.pk for d in dealers]
    first = earliest_day(ids)
    if first is None:
        return
    started = timezone.now()  # compared with the dirty marks' own (wall-clock) times
    today = min(today_in(d.timezone or "UTC", now) for d in dealers)
    yesterday = today - dt.timedelta(days=1)
    if yesterday < first:
        return
    run = rollup(None if network else ids, first, yesterday)
    with as_dealers(ids, write=True):
        KpiDirtyDay.objects.filter(dealer_id__in=ids, marked_at__lte=started).delete()
    if progress is not None:
        progress(f"KPI facts {first}..{yesterday}: {run.rows} day rows, {run.month_rows} months")
