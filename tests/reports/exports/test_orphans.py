"""Orphan pack files: the periodic sweep deletes files under the export root that no job
references (a worker died between writing the file and marking its job done, a job row was
deleted) once older than DMS_EXPORT_STALE_MINUTES; it never deletes a file still in use, a fresh
one, or anything outside the export root. Real files in a temporary export root."""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from reports.exports import services, tasks

from .conftest import make_job as _job

pytestmark = pytest.mark.django_db

NOW = timezone.now()
OLD = NOW - dt.timedelta(hours=2)  # older than the 30 minutes below
FRESH = NOW - dt.timedelta(minutes=5)


@pytest.fixture(autouse=True)
def limits(settings: Any) -> None:
    settings.DMS_EXPORT_KEEP_DAYS = 7
    settings.DMS_EXPORT_STALE_MINUTES = 30


def _file(path: Path, when: dt.datetime, content: bytes = b"PK zip") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def test_sweep_deletes_old_orphans_only(net, login, export_root, tmp_path, caplog):
    # A pack still offered for download (finished yesterday, kept 7 days): referenced.
    kept = _file(export_root / "job-41-0a1b2c3d.zip", NOW - dt.timedelta(days=1))
    done = _job(
        net,
        status="done",
        file=kept.name,
        size=6,
        finished_at=NOW - dt.timedelta(days=1),
        progress_at=NOW - dt.timedelta(days=1),
    )
    # Files no job references, old enough: a finished file whose job was never marked done
    # (deleted since), and the part file of a dead worker whose job row is gone.
    orphan = _file(export_root / "job-999001-deadbeef.zip", OLD)
    part = _file(export_root / ".job-999002-cafe0123.pdf.part", OLD)
    # Being written right now (no job yet visible, e.g. its row not committed): too fresh.
    fresh = _file(export_root / "job-999003-0badf00d.pdf", FRESH)
    # The finished file of a job still running (written, not yet marked done): its job is
    # alive, so however old the file looks, it stays.
    running = _job(net, status="running", progress_at=NOW - dt.timedelta(minutes=1))
    in_use = _file(export_root / f"job-{running.pk}-12345678.zip", OLD)
    # Not ours: other names, subfolders, symlinks and anything outside the root.
    notes = _file(export_root / "README.txt", OLD)
    nested = _file(export_root / "archive" / "job-999004-abcdef01.zip", OLD)
    outside = _file(tmp_path / "elsewhere" / "job-999005-abcdef02.zip", OLD)
    link = export_root / "job-999006-abcdef03.zip"
    link.symlink_to(outside)
    os.utime(link, (OLD.timestamp(), OLD.timestamp()), follow_symlinks=False)
    beside = _file(tmp_path / "job-999007-abcdef04.zip", OLD)  # next to the root, not in it

    with caplog.at_level(logging.INFO, logger="reports.exports.services"):
        result = services.sweep_jobs(now=NOW)

    assert result == services.SweepResult(expired=0, stalled=0, orphans=2)
    assert not orphan.exists() and not part.exists()
    for path in (kept, fresh, in_use, notes, nested, outside, beside):
        assert path.is_file(), path
    assert link.is_symlink() and outside.read_bytes() == b"PK zip"
    assert "deleted 2 orphan file(s)" in caplog.text
    # The referenced pack still downloads.
    response = login(net.regional).get(reverse("reports:export_job_download", args=[done.pk]))
    assert response.status_code == 200
    # Nothing more the second time.
    assert services.sweep_jobs(now=NOW).orphans == 0
    assert sorted(p.name for p in export_root.iterdir()) == sorted(
        [kept.name, fresh.name, in_use.name, notes.name, "archive", link.name]
    )


def test_fresh_orphan_goes_once_it_is_older_than_the_margin(net, export_root):
    fresh = _file(export_root / "job-999010-aaaa0000.pdf", FRESH)
    assert services.sweep_jobs(now=NOW).orphans == 0
    assert fresh.is_file()
    assert services.sweep_jobs(now=NOW + dt.timedelta(minutes=30)).orphans == 1
    assert not fresh.exists()


def test_the_file_of_a_deleted_job_is_swept(net, export_root):
    path = _file(export_root / "job-999020-bbbb1111.zip", OLD)
    job = _job(net, status="done", file=path.name, finished_at=OLD, progress_at=OLD)
    assert services.sweep_jobs(now=NOW).orphans == 0  # still referenced: kept
    job.delete()
    assert tasks.sweep_export_jobs.apply().get() == {"expired": 0, "stalled": 0, "orphans": 1}
    assert not path.exists()


def test_a_worker_that_died_before_marking_its_job_done_leaves_nothing(
    facts, export_root, monkeypatch
):
    """The file is written and moved into place, then the worker dies before the job row says
    "done": the sweep fails the silent job and deletes its file."""

    class WorkerKilled(BaseException):
        pass

    real_replace = os.replace

    def replace_then_die(src: Any, dst: Any) -> None:
        real_replace(src, dst)
        raise WorkerKilled

    monkeypatch.setattr(services.os, "replace", replace_then_die)
    job = _job(facts, status="pending")
    with pytest.raises(WorkerKilled):
        services.run_pack_job(job_id=job.pk)
    monkeypatch.undo()
    job.refresh_from_db()
    files = list(export_root.iterdir())
    assert job.status == "running" and job.file == ""
    assert len(files) == 1 and files[0].name.startswith(f"job-{job.pk}-")

    # While the job is within the stale limit, its file stays (it may still be marked done).
    assert services.sweep_jobs().orphans == 0 and files[0].is_file()

    later = timezone.now() + dt.timedelta(hours=1)
    assert services.sweep_jobs(now=later) == services.SweepResult(0, stalled=1, orphans=1)
    job.refresh_from_db()
    assert (job.status, job.error_code, job.file) == ("failed", "stalled", "")
    assert not any(export_root.iterdir())


def test_zero_stale_minutes_turns_the_orphan_sweep_off(net, export_root, settings):
    settings.DMS_EXPORT_STALE_MINUTES = 0
    orphan = _file(export_root / "job-999030-cccc2222.zip", NOW - dt.timedelta(days=30))
    assert services.sweep_jobs(now=NOW).orphans == 0
    assert orphan.is_file()


def test_a_symlinked_export_root_is_swept_inside_only(net, settings, tmp_path):
    """The configured root may itself be a link (e.g. to a data disk): its files are swept, the
    folder holding the link is not."""
    real = tmp_path / "disk" / "exports"
    real.mkdir(parents=True)
    settings.DMS_EXPORT_ROOT = tmp_path / "exports"
    (tmp_path / "exports").symlink_to(real, target_is_directory=True)
    orphan = _file(real / "job-999040-dddd3333.zip", OLD)
    beside = _file(tmp_path / "job-999041-dddd4444.zip", OLD)
    assert services.sweep_jobs(now=NOW).orphans == 1
    assert not orphan.exists() and beside.is_file()
