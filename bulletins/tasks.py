"""Celery tasks of bulletins: thin wrappers over services.

Beat (dms/celery.py) runs `dispatch_ack_reminders` every 15 minutes; it enqueues one task per
active dealer after commit. The per-dealer task runs in the dealer's scope (TenantTask) and is
idempotent (each recipient is reminded / escalated once per round, marked in the same
transaction), so it acks late.
"""

from __future__ import annotations

from functools import partial

from celery import shared_task
from django.db import transaction

from dealers.models import Dealer
from dms.tenancy.tasks import TenantTask

from . import services


@shared_task(name="bulletins.send_ack_reminders", base=TenantTask, acks_late=True, max_retries=3)
def send_ack_reminders(*, dealer_id: int) -> dict[str, int]:
    return services.send_ack_reminders(dealer_id=dealer_id)


@shared_task(name="bulletins.dispatch_ack_reminders", max_retries=0)
def dispatch_ack_reminders() -> int:
    if not services.live_bulletins().filter(requires_ack=True).exists():
        return 0  # nothing asks for acknowledgement: no 170 empty tasks
    ids = list(Dealer.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    for dealer_id in ids:
        transaction.on_commit(partial(send_ack_reminders.delay, dealer_id=dealer_id))
    return len(ids)
