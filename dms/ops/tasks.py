"""Harmless tasks that prove a worker is alive and reaches the database as the runtime role."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import connection

from dms.tenancy.tasks import TenantTask


@shared_task(name="dms.ping", max_retries=0)
def ping() -> str:
    return "pong"


@shared_task(name="dms.tenant_ping", base=TenantTask, max_retries=0)
def tenant_ping(*, dealer_id: int) -> dict[str, Any]:
    """Runs inside the dealer's scope (TenantTask): reports the database role and the tenant ids
    the worker's transaction carries, as RLS policies see them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, current_setting('app.dealer_ids', true),"
            " (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user)"
        )
        db_user, dealer_ids, privileged = cursor.fetchone()
    return {
        "dealer_id": dealer_id,
        "db_user": db_user,
        "dealer_ids": dealer_ids,
        "privileged": bool(privileged),
    }
