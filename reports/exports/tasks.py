"""Celery tasks of the KPI exports: thin wrappers over reports.exports.services.

A pack job spans many dealers, so it is not a TenantTask (one dealer, one transaction): the
service enters each dealer's read-only scope in turn and writes the job's progress between them,
outside any long transaction, so the page polling the job sees it move. Not retried and not acked
late: a rerun of a job that is no longer pending does nothing, and a lost job stays visible as
"running" (the user can request a new one).
"""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="reports.build_pack_job", max_retries=0)
def build_pack_job(*, job_id: int) -> str:
    return str(services.run_pack_job(job_id=job_id).status)
