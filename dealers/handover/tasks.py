"""Scheduled handover work: thin wrappers over dealers.handover.services.

Beat (dms/celery.py) runs the dispatchers hourly (and they may run any time: everything is
idempotent). A dispatcher enqueues one per-dealer task with `dealer_id` after commit; the
per-dealer task runs inside that dealer's scope and a transaction (TenantTask)."""

from __future__ import annotations

import datetime as dt
from functools import partial

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from dealers.models import Dealer, Membership
from dms.tenancy.tasks import TenantTask

from . import services


@shared_task(name="dealers.process_departures", base=TenantTask, acks_late=True, max_retries=3)
def process_departures(*, dealer_id: int) -> int:
    return services.process_due_departures(dealer_id=dealer_id)


@shared_task(name="dealers.process_cover_periods", base=TenantTask, acks_late=True, max_retries=3)
def process_cover_periods(*, dealer_id: int) -> dict[str, int]:
    return services.process_covers(dealer_id=dealer_id)


@shared_task(name="dealers.dispatch_departures", max_retries=0)
def dispatch_departures() -> int:
    """Dealers with someone leaving by today (a day of slack for time zones ahead of UTC; the
    per-dealer task uses the dealer's own date)."""
    horizon = timezone.now().date() + dt.timedelta(days=1)
    ids = sorted(
        set(
            Membership.objects.filter(
                is_active=True, leaving_on__lte=horizon, dealer__is_active=True
            ).values_list("dealer_id", flat=True)
        )
    )
    for dealer_id in ids:
        transaction.on_commit(partial(process_departures.delay, dealer_id=dealer_id))
    return len(ids)


@shared_task(name="dealers.dispatch_cover_periods", max_retries=0)
def dispatch_cover_periods() -> int:
    ids = list(Dealer.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    for dealer_id in ids:
        transaction.on_commit(partial(process_cover_periods.delay, dealer_id=dealer_id))
    return len(ids)
