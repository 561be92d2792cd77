"""Celery tasks of the KPI rollup: thin wrappers over reports.rollup.services."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(name="reports.rollup.nightly", acks_late=True, max_retries=3)
def kpi_rollup_nightly() -> dict[str, Any]:
    """The nightly beat entry: yesterday plus every day touched by late or backdated changes.
    Idempotent (acks_late is safe): a second run recomputes the same rows."""
    from .services import nightly

    run = nightly()
    return {"run": run.pk, "through": str(run.through), "rows": run.rows, "days": run.dealer_days}


__all__ = ["kpi_rollup_nightly"]
