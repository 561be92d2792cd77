"""A network pack job through a real Celery worker and Redis (tests/celery/test_worker.py starts
them): the worker connects as the runtime role, enters each dealer's scope in turn (RLS applies)
and writes the job's progress and file where the web process finds them."""

from __future__ import annotations

import io
import zipfile

import pytest
from celery import Celery

from reports.exports import services
from reports.models import ExportJob
from tests.celery.test_worker import redis_url, worker  # noqa: F401 - fixtures

from .conftest import MONTH, YEAR, pdf_text

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_worker_builds_a_region_pack(facts, worker: tuple[Celery, str]) -> None:  # noqa: F811
    client, queue = worker
    job = ExportJob.objects.create(
        requested_by=facts.regional,
        kind=ExportJob.Kind.PACK_ZIP,
        year=YEAR,
        month=MONTH,
        dealer_ids=[facts.a.pk, facts.b.pk],
        label="North",
        total=2,
        filename="kpi-packs-north-2026-03.zip",
    )
    result = client.send_task("reports.build_pack_job", kwargs={"job_id": job.pk}, queue=queue)
    assert result.get(timeout=120) == "done"
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == ("done", 2, 2)
    path = services.job_path(job)
    assert path is not None
    try:
        archive = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
        text = pdf_text(archive.read("kpi-pack-DA01-2026-03.pdf"))
        assert "Alpha Motors" in text and "74.0" in text
    finally:
        path.unlink()  # the worker wrote it under the default export root (var/exports)
