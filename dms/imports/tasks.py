"""Celery tasks of import jobs: thin wrappers over dms.imports.services, taking the job id.
Progress goes to the result backend through celery-progress (read by the job page)."""

from __future__ import annotations

import time
from typing import Any

from celery import shared_task
from celery_progress.backend import ProgressRecorder

from . import services


def _throttled(task: Any) -> services.Progress:
    """celery-progress's recorder, written at most every half second (not once per row)."""
    recorder = ProgressRecorder(task)
    last = [0.0]

    def progress(current: int, total: int, description: str) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5 or current >= total:
            last[0] = now
            recorder.set_progress(current, total, description)

    return progress


@shared_task(bind=True, name="imports.check", max_retries=0)
def check_import(self: Any, job_id: int) -> dict[str, Any]:
    return services.run_check(job_id=job_id, progress=_throttled(self))


@shared_task(bind=True, name="imports.apply", max_retries=0)
def apply_import(self: Any, job_id: int) -> dict[str, Any]:
    return services.run_apply(job_id=job_id, progress=_throttled(self))
