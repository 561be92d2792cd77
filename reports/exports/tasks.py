"""Celery tasks of the KPI exports: thin wrappers over reports.exports.services.

A pack job spans many dealers, so it is not a TenantTask (one dealer, one transaction): the
service enters each dealer's read-only scope in turn and writes the job's progress between them,
outside any long transaction, so the page polling the job sees it move. Not retried and not acked
late: a rerun of a job that is no longer pending does nothing. A lost job (worker died) is failed
by the periodic sweep once silent for DMS_EXPORT_STALE_MINUTES; the user can start it again.

The sweep (beat entry "reports-export-sweep" in dms/celery.py) also deletes the files of jobs
finished more than DMS_EXPORT_KEEP_DAYS ago, and pack files no job references (older than
DMS_EXPORT_STALE_MINUTES: a worker died before marking its job done, a job row was deleted).
Export jobs are not tenant rows, so it needs no dealer scope: one network-wide run, like
reports.rollup.nightly. Idempotent (acks_late is safe).
"""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="reports.build_pack_job", max_retries=0)
def build_pack_job(*, job_id: int) -> str:
    return str(services.run_pack_job(job_id=job_id).status)


@shared_task(name="reports.exports.sweep", acks_late=True, max_retries=0)
def sweep_export_jobs() -> dict[str, int]:
    result = services.sweep_jobs()
    return {"expired": result.expired, "stalled": result.stalled, "orphans": result.orphans}
