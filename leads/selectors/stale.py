"""Stale leads: open leads nobody has touched for a while (the funnel page's list; a bounded
list, LIMIT n+1, never an exact COUNT over the lead table)."""

from __future__ import annotations

import datetime as dt

from django.db.models import F
from django.utils import timezone

from dealers.models import Dealer
from leads.models import Lead

STALE_LIMIT = 25


def stale_leads(
    *,
    dealer: Dealer,
    days: int,
    now: dt.datetime | None = None,
    limit: int = STALE_LIMIT,
    consultant_id: int | None = None,
) -> tuple[list[Lead], bool]:
    """Open leads without activity for `days` days, oldest activity first, then those never
    touched since creation (oldest first); (rows, more?).

    One statement, two bounded branches (UNION ALL): leads with an old activity in the order of
    the open-list index (dealer, last_activity_at) so the scan stops after `limit` + 1 rows, and
    the never-touched ones (NULL activity: a short range of the same index). An OR of both with
    one ORDER BY read and sorted every open lead of the dealer."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=days)
    qs = Lead.objects.filter(dealer_id=dealer.pk, is_open=True, in_pool=False)
    if consultant_id is not None:
        qs = qs.filter(consultant_id=consultant_id)
    qs = qs.select_related("customer", "consultant", "source")
    touched = qs.filter(last_activity_at__lt=cutoff).order_by(
        # NULLS FIRST: the index's backward order (no NULL passes the filter anyway)
        F("last_activity_at").asc(nulls_first=True),
        "id",
    )[: limit + 1]
    untouched = qs.filter(last_activity_at__isnull=True, created_at__lt=cutoff).order_by(
        "created_at", "id"
    )[: limit + 1]
    found = sorted(
        touched.union(untouched, all=True),
        key=lambda lead: (
            lead.last_activity_at is None,
            lead.last_activity_at or lead.created_at,
            lead.created_at,
            lead.pk,
        ),
    )[: limit + 1]
    return found[:limit], len(found) > limit
