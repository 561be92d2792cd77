"""Celery tasks of parts orders: thin wrappers over services.

Beat (dms/celery.py) runs `dispatch_reorder_suggestions` nightly; it enqueues one task per active
dealer after commit. The per-dealer task runs in the dealer's scope (TenantTask) and is
idempotent (last night's untouched suggestion is rebuilt, a clerk's edited one left alone), so
it acks late.
"""

from __future__ import annotations

from functools import partial

from celery import shared_task
from django.db import transaction

from dealers.models import Dealer
from dms.tenancy.tasks import TenantTask

from . import services


@shared_task(
    name="inventory.orders.suggest_reorders", base=TenantTask, acks_late=True, max_retries=3
)
def suggest_reorders(*, dealer_id: int) -> int:
    order = services.suggest_reorders(dealer_id=dealer_id)
    return order.pk if order is not None else 0


@shared_task(name="inventory.orders.dispatch_reorder_suggestions", max_retries=0)
def dispatch_reorder_suggestions() -> int:
    ids = list(Dealer.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    for dealer_id in ids:
        transaction.on_commit(partial(suggest_reorders.delay, dealer_id=dealer_id))
    return len(ids)
