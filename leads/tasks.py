"""Celery tasks of the sales funnel: thin wrappers over services.

Beat (dms/celery.py) runs the `dispatch_*` tasks; each enumerates the active dealers and enqueues
one per-dealer task with `dealer_id` after commit. Per-dealer tasks use TenantTask, which re-enters
the dealer's scope (ORM + RLS) and a transaction. Every per-dealer task is idempotent (reminders
are unique per follow-up, escalation and pooling mark their rows), so they ack late: a worker lost
mid-task gets its message redelivered and the rerun does only what is left.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from celery import shared_task
from django.db import transaction

from dealers.models import Dealer
from dms.tenancy.tasks import TenantTask

from .services import followups, leads, routing


def _active_dealer_ids() -> list[int]:
    return list(Dealer.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))


def _fan_out(task: Any) -> int:
    ids = _active_dealer_ids()
    for dealer_id in ids:
        enqueue: Callable[[], Any] = partial(task.delay, dealer_id=dealer_id)
        transaction.on_commit(enqueue)
    return len(ids)


# --- per dealer ----------------------------------------------------------------------------------


@shared_task(name="leads.send_follow_up_reminders", base=TenantTask, acks_late=True, max_retries=3)
def send_follow_up_reminders(*, dealer_id: int) -> int:
    return followups.send_due_reminders(dealer_id=dealer_id)


@shared_task(name="leads.escalate_first_responses", base=TenantTask, acks_late=True, max_retries=3)
def escalate_first_responses(*, dealer_id: int) -> int:
    return routing.escalate_overdue_first_responses(dealer_id=dealer_id)


@shared_task(name="leads.plan_day", base=TenantTask, acks_late=True, max_retries=3)
def plan_day(*, dealer_id: int) -> dict[str, int]:
    """Nightly: a grade follow-up for every open lead missing one; stale leads to the pool."""
    return {
        "pooled": leads.pool_stale_leads(dealer_id=dealer_id),
        "planned": followups.plan_missing_cadence_follow_ups(dealer_id=dealer_id),
    }


# --- beat entry points ---------------------------------------------------------------------------


@shared_task(name="leads.dispatch_follow_up_reminders", max_retries=0)
def dispatch_follow_up_reminders() -> int:
    return _fan_out(send_follow_up_reminders)


@shared_task(name="leads.dispatch_first_response_escalations", max_retries=0)
def dispatch_first_response_escalations() -> int:
    return _fan_out(escalate_first_responses)


@shared_task(name="leads.dispatch_day_planning", max_retries=0)
def dispatch_day_planning() -> int:
    return _fan_out(plan_day)
