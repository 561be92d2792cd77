"""Export retention and stalled jobs: the periodic sweep (reports.exports.sweep) deletes the files
of packs finished more than DMS_EXPORT_KEEP_DAYS ago and fails jobs whose worker went silent for
DMS_EXPORT_STALE_MINUTES; the user sees why and can start the export again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from dms.audit.models import AuditAction, AuditEntry
from dms.tenancy.context import current_scope
from reports.exports import pdf, services, tasks
from reports.models import ExportJob
from tests.factories import hq_user

from .conftest import make_job as _job

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture(autouse=True)
def limits(settings: Any) -> None:
    settings.DMS_EXPORT_KEEP_DAYS = 7
    settings.DMS_EXPORT_STALE_MINUTES = 30


def _done(net: Any, root: Path, *, age: dt.timedelta, name: str, **fields: Any) -> ExportJob:
    root.mkdir(parents=True, exist_ok=True)
    (root / name).write_bytes(b"PK zip")
    finished = NOW - age
    return _job(
        net,
        status="done",
        done=2,
        file=name,
        size=6,
        finished_at=finished,
        progress_at=finished,
        created_at=finished - dt.timedelta(minutes=2),
        **fields,
    )


def test_old_finished_export_is_deleted_and_shown_expired_a_fresh_one_stays(
    net, login, export_root
):
    old = _done(net, export_root, age=dt.timedelta(days=8), name="job-old-aaaa.zip")
    fresh = _done(net, export_root, age=dt.timedelta(days=6), name="job-new-bbbb.zip")

    result = tasks.sweep_export_jobs.apply().get()

    assert result == {"expired": 1, "stalled": 0, "orphans": 0}
    assert not (export_root / "job-old-aaaa.zip").exists()
    assert (export_root / "job-new-bbbb.zip").is_file()
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, old.file) == ("expired", "")
    assert (fresh.status, fresh.file) == ("done", "job-new-bbbb.zip")

    page = login(net.regional).get(reverse("reports:export_list")).content.decode()
    old_row = page[page.index(f'id="export-job-{old.pk}"') :].split("</tr>")[0]
    fresh_row = page[page.index(f'id="export-job-{fresh.pk}"') :].split("</tr>")[0]
    assert "Expired" in old_row and "The file was deleted" in old_row
    assert reverse("reports:export_job_download", args=[old.pk]) not in old_row
    assert reverse("reports:export_job_restart", args=[old.pk]) in old_row
    assert reverse("reports:export_job_download", args=[fresh.pk]) in fresh_row


def test_downloading_an_expired_export_explains_instead_of_failing(net, login, export_root):
    job = _done(net, export_root, age=dt.timedelta(days=30), name="job-old-cccc.zip")
    services.sweep_jobs()
    client = login(net.regional)

    response = client.get(reverse("reports:export_job_download", args=[job.pk]))
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "This export is no longer available: files are kept for 7 days." in page
    # Nothing was handed out, so nothing is audited as downloaded.
    assert not AuditEntry.objects.filter(
        action=AuditAction.EXPORT, detail__step="downloaded"
    ).exists()
    # Someone else still gets a plain 404 for it (no hint that it exists).
    other = login(hq_user("hq_admin", username="another_admin"))
    assert other.get(reverse("reports:export_job_download", args=[job.pk])).status_code == 404


def test_a_done_job_whose_file_vanished_is_answered_as_expired(net, login, export_root):
    job = _done(net, export_root, age=dt.timedelta(hours=1), name="job-gone-dddd.zip")
    (export_root / "job-gone-dddd.zip").unlink()  # e.g. a crash between delete and update
    response = login(net.regional).get(
        reverse("reports:export_job_download", args=[job.pk]), follow=True
    )
    assert response.status_code == 200
    assert "This export is no longer available" in response.content.decode()


def test_stale_running_job_fails_with_a_reason_a_recent_one_is_untouched(net, login, export_root):
    export_root.mkdir(parents=True)
    stale = _job(
        net,
        status="running",
        done=1,
        progress_at=NOW - dt.timedelta(minutes=31),
        created_at=NOW - dt.timedelta(minutes=40),
    )
    part = export_root / f".job-{stale.pk}-0123abcd.zip.part"
    part.write_bytes(b"half")
    busy = _job(
        net,
        status="running",
        done=1,
        progress_at=NOW - dt.timedelta(minutes=29),
        created_at=NOW - dt.timedelta(hours=3),  # long job, but it is still moving
    )
    never_started = _job(net, status="pending", created_at=NOW - dt.timedelta(hours=1))
    queued = _job(net, status="pending", created_at=NOW - dt.timedelta(minutes=5))

    assert services.sweep_jobs(now=NOW) == services.SweepResult(expired=0, stalled=2)

    for job in (stale, busy, never_started, queued):
        job.refresh_from_db()
    assert (stale.status, never_started.status) == ("failed", "failed")
    assert (stale.error_code, stale.error_params) == ("stalled", {"minutes": 30})
    assert stale.failure_reason == (
        "The export stopped before it finished (no progress for 30 minutes). Start it again."
    )
    assert not part.exists()
    assert (busy.status, busy.done, queued.status) == ("running", 1, "pending")

    row = login(net.regional).get(reverse("reports:export_job", args=[stale.pk])).content.decode()
    assert "hx-trigger" not in row  # the page stops polling it
    assert "The export stopped before it finished" in row
    assert reverse("reports:export_job_restart", args=[stale.pk]) in row


def test_running_the_sweep_twice_changes_nothing_more(net, export_root):
    old = _done(net, export_root, age=dt.timedelta(days=9), name="job-old-eeee.zip")
    stale = _job(net, status="running", progress_at=NOW - dt.timedelta(hours=2))
    assert services.sweep_jobs(now=NOW) == services.SweepResult(expired=1, stalled=1)
    before = list(ExportJob.objects.order_by("pk").values())

    assert services.sweep_jobs(now=NOW + dt.timedelta(minutes=15)) == services.SweepResult(0, 0)
    assert list(ExportJob.objects.order_by("pk").values()) == before
    assert {j.pk for j in ExportJob.objects.filter(status="expired")} == {old.pk}
    assert {j.pk for j in ExportJob.objects.filter(status="failed")} == {stale.pk}


def test_zero_turns_retention_and_stale_detection_off(net, export_root, settings):
    settings.DMS_EXPORT_KEEP_DAYS = 0
    settings.DMS_EXPORT_STALE_MINUTES = 0
    _done(net, export_root, age=dt.timedelta(days=400), name="job-keep-ffff.zip")
    _job(net, status="running", progress_at=NOW - dt.timedelta(days=2))
    assert services.sweep_jobs(now=NOW) == services.SweepResult(0, 0)
    assert (export_root / "job-keep-ffff.zip").is_file()
    assert sorted(ExportJob.objects.values_list("status", flat=True)) == ["done", "running"]


def test_the_sweep_covers_every_requester_without_a_dealer_scope(net, export_root):
    """Export jobs are not tenant rows: the one network-wide sweep (no dealer scope, the runtime
    role as in a worker) handles every requester's jobs, whatever dealers they span."""
    assert current_scope() is None
    north = _done(net, export_root, age=dt.timedelta(days=10), name="job-n-1111.zip")
    south = _done(
        net,
        export_root,
        age=dt.timedelta(days=10),
        name="job-s-2222.zip",
        user=net.hq_admin,
        dealer_ids=[net.c.pk],
    )
    assert tasks.sweep_export_jobs.apply().get() == {"expired": 2, "stalled": 0, "orphans": 0}
    assert set(ExportJob.objects.values_list("pk", "status")) == {
        (north.pk, "expired"),
        (south.pk, "expired"),
    }
    assert not any(export_root.iterdir())


def test_a_stalled_job_picked_up_late_does_nothing(facts, export_root):
    job = _job(facts, status="pending", created_at=NOW - dt.timedelta(hours=1))
    services.sweep_jobs()
    job = services.run_pack_job(job_id=job.pk)  # the lost message is finally delivered
    assert (job.status, job.error_code) == ("failed", "stalled")
    assert job.file == "" and (not export_root.exists() or not any(export_root.iterdir()))


def test_a_worker_given_up_on_while_still_running_keeps_no_file(facts, export_root, monkeypatch):
    job = _job(facts, status="pending")
    render = pdf.render_pack_pdf

    def slow(kpis):
        # The sweep runs while this dealer is being drawn, as if long after the last progress.
        services.sweep_jobs(now=timezone.now() + dt.timedelta(hours=1))
        return render(kpis)

    monkeypatch.setattr(pdf, "render_pack_pdf", slow)
    job = services.run_pack_job(job_id=job.pk)
    assert (job.status, job.error_code) == ("failed", "stalled")
    assert job.file == "" and not [p for p in export_root.iterdir() if p.is_file()]


def test_the_user_starts_a_failed_export_again(
    facts, login, export_root, django_capture_on_commit_callbacks, monkeypatch
):
    ran: list[dict[str, Any]] = []

    def delay(**kwargs: Any) -> Any:
        ran.append(kwargs)
        return tasks.build_pack_job.apply(kwargs=kwargs)

    monkeypatch.setattr(tasks.build_pack_job, "delay", delay)
    failed = _job(facts, status="running", progress_at=NOW - dt.timedelta(hours=1))
    services.sweep_jobs()
    client = login(facts.regional)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:export_job_restart", args=[failed.pk]))
    assert response.status_code == 302
    again = ExportJob.objects.exclude(pk=failed.pk).get()
    assert ran == [{"job_id": again.pk}]
    assert (again.status, again.kind, again.year, again.month) == ("done", "pack_zip", 2026, 3)
    assert sorted(again.dealer_ids) == sorted([facts.a.pk, facts.b.pk])
    assert client.get(reverse("reports:export_job_download", args=[again.pk])).status_code == 200
    failed.refresh_from_db()
    assert failed.status == "failed"  # the old row stays as it was
    requested = AuditEntry.objects.get(action=AuditAction.EXPORT, detail__step="requested")
    assert requested.detail["restart_of"] == f"job-{failed.pk}"

    # A job that is not failed or expired is not started again; nobody else's job at all.
    with django_capture_on_commit_callbacks(execute=True):
        body = client.post(
            reverse("reports:export_job_restart", args=[again.pk]), follow=True
        ).content.decode()
    assert "Only a failed or expired export can be started again." in body
    other = login(hq_user("hq_admin", username="another_admin"))
    assert other.post(reverse("reports:export_job_restart", args=[failed.pk])).status_code == 404
    assert ExportJob.objects.count() == 2


def test_the_sweep_is_scheduled_by_beat() -> None:
    from dms.celery import app

    entry = app.conf.beat_schedule["reports-export-sweep"]
    assert entry["task"] == tasks.sweep_export_jobs.name
    # Often enough that a dead job is reported soon after DMS_EXPORT_STALE_MINUTES (30).
    assert entry["schedule"].remaining_estimate(timezone.now()) <= dt.timedelta(minutes=15)
