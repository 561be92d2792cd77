from __future__ import annotations

from celery import shared_task

from .services import forget_old_answers


@shared_task(name="dms.idempotency.sweep", max_retries=0)
def sweep() -> int:
    return forget_old_answers()
