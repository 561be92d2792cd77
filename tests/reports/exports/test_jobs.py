"""Packs of many dealers for HQ: built by a Celery task that reports progress; the file is kept
outside static and handed only to the user who asked for it."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse
from guardian.shortcuts import remove_perm

from dms.audit.models import AuditAction, AuditEntry
from reports.exports import pdf, services, tasks
from reports.models import ExportJob
from tests.factories import hq_user

from .conftest import MONTH, YEAR, pdf_pages, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_tasks(monkeypatch):
    """Run the task in-process when its after-commit hook fires (as a worker would)."""
    ran = []

    def delay(**kwargs):
        ran.append(kwargs)
        return tasks.build_pack_job.apply(kwargs=kwargs)

    monkeypatch.setattr(tasks.build_pack_job, "delay", delay)
    return ran


def _start(client, captured, **data):
    payload = {"year": YEAR, "month": MONTH, "kind": "pack_zip", **data}
    with captured(execute=True):
        return client.post(reverse("reports:export_job_start"), payload)


def test_region_pack_job_reports_progress_and_the_requester_downloads_it(
    facts, login, export_root, run_tasks, django_capture_on_commit_callbacks, monkeypatch
):
    seen = []
    render = pdf.render_pack_pdf

    def watching(kpis):
        # What the page would show while this dealer's pack is being drawn.
        seen.append(ExportJob.objects.values_list("status", "done", "total").get())
        return render(kpis)

    monkeypatch.setattr(pdf, "render_pack_pdf", watching)
    client = login(facts.regional)
    response = _start(client, django_capture_on_commit_callbacks, region=facts.north.pk)
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert run_tasks == [{"job_id": job.pk}]
    assert seen == [("running", 0, 2), ("running", 1, 2)]
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.requested_by) == ("done", 2, 2, facts.regional)
    assert sorted(job.dealer_ids) == sorted([facts.a.pk, facts.b.pk])
    # The file is under the export root, not under static or media.
    assert (export_root / job.file).is_file()

    status = client.get(reverse("reports:export_job", args=[job.pk]))
    assert status.status_code == 200
    assert "hx-trigger" not in status.content.decode()
    assert reverse("reports:export_job_download", args=[job.pk]) in status.content.decode()

    download = client.get(reverse("reports:export_job_download", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert "kpi-packs-north-2026-03.zip" in download["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert sorted(archive.namelist()) == ["kpi-pack-DA01-2026-03.pdf", "kpi-pack-DB02-2026-03.pdf"]
    alpha = archive.read("kpi-pack-DA01-2026-03.pdf")
    assert pdf_pages(alpha) <= 10 and "Alpha Motors" in pdf_text(alpha)
    assert "Beta Cars" in pdf_text(archive.read("kpi-pack-DB02-2026-03.pdf"))

    entries = AuditEntry.objects.filter(action=AuditAction.EXPORT).order_by("id")
    assert [(e.detail["step"], e.count, e.actor_id) for e in entries] == [
        ("requested", 2, facts.regional.pk),
        ("downloaded", 2, facts.regional.pk),
    ]


def test_only_the_requester_sees_or_downloads_a_job(
    facts, login, export_root, run_tasks, django_capture_on_commit_callbacks
):
    _start(login(facts.hq_admin), django_capture_on_commit_callbacks, region=facts.south.pk)
    job = ExportJob.objects.get()
    assert job.status == "done"
    other_hq = hq_user("hq_admin", username="another_admin")
    for user in (other_hq, facts.regional):  # HQ may use jobs, but not another user's: 404
        client = login(user)
        assert client.get(reverse("reports:export_job", args=[job.pk])).status_code == 404
        assert client.get(reverse("reports:export_job_download", args=[job.pk])).status_code == 404
    manager = login(facts.manager)  # dealer staff have no network export jobs at all: 403
    assert manager.get(reverse("reports:export_job", args=[job.pk])).status_code == 403
    assert manager.get(reverse("reports:export_job_download", args=[job.pk])).status_code == 403
    downloads = AuditEntry.objects.filter(action=AuditAction.EXPORT, detail__step="downloaded")
    assert not downloads.exists()
    # The export page lists one's own jobs only.
    page = login(other_hq).get(reverse("reports:export_list"))
    assert 'data-testid="export-job"' not in page.content.decode()


def test_pending_job_polls_and_offers_no_download(facts, login, export_root, monkeypatch):
    monkeypatch.setattr(tasks.build_pack_job, "delay", lambda **kwargs: None)  # no worker
    client = login(facts.regional)
    client.post(
        reverse("reports:export_job_start"),
        {"year": YEAR, "month": MONTH, "kind": "pack_combined", "region": facts.north.pk},
    )
    job = ExportJob.objects.get()
    body = client.get(reverse("reports:export_job", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in body and "0 of 2 dealers" in body
    assert client.get(reverse("reports:export_job_download", args=[job.pk])).status_code == 404


def test_combined_pdf_of_a_region(
    facts, login, export_root, run_tasks, django_capture_on_commit_callbacks
):
    client = login(facts.regional)
    _start(client, django_capture_on_commit_callbacks, kind="pack_combined")
    job = ExportJob.objects.get()
    assert job.status == "done", job.failure_reason
    download = client.get(reverse("reports:export_job_download", args=[job.pk]))
    assert download["Content-Type"] == "application/pdf"
    content = b"".join(download.streaming_content)
    text = pdf_text(content)
    assert text.index("Alpha Motors") < text.index("Beta Cars")
    assert pdf_pages(content) == 2 * pdf_pages(pdf.render_pack_pdf(_kpis(facts, facts.a))[0])


def _kpis(net, dealer):
    from dms.tenancy.context import as_dealer
    from reports.dashboards.selectors import dealer_kpis

    with as_dealer(dealer):
        return dealer_kpis(dealer, year=YEAR, month=MONTH)


def test_rights_revoked_before_the_task_runs_fail_the_job(
    facts, login, export_root, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(tasks.build_pack_job, "delay", lambda **kwargs: None)
    login(facts.regional).post(
        reverse("reports:export_job_start"),
        {"year": YEAR, "month": MONTH, "kind": "pack_zip", "region": facts.north.pk},
    )
    job = ExportJob.objects.get()
    remove_perm("dealers.view_region_kpis", facts.regional, facts.north)
    job = services.run_pack_job(job_id=job.pk)
    assert (job.status, job.error_code) == ("failed", "access_changed")
    assert job.failure_reason == "Your access to these dealers has changed; nothing was exported."
    assert job.file == ""
    assert not export_root.exists() or not any(export_root.iterdir())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "pack_tar"}, "Choose a valid format."),
        ({"region": "abc"}, "Choose a region from the list."),
        ({"month": 0}, "The month must be between 1 and 12."),
    ],
)
def test_bad_requests_start_nothing(facts, login, export_root, run_tasks, data, message):
    client = login(facts.regional)
    payload = {"year": YEAR, "month": MONTH, "kind": "pack_zip", **data}
    response = client.post(reverse("reports:export_job_start"), payload, follow=True)
    assert message in response.content.decode()
    assert not ExportJob.objects.exists() and run_tasks == []
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_region_outside_scope_and_too_big_combined_pdf_are_refused(
    facts, login, export_root, run_tasks, monkeypatch
):
    client = login(facts.regional)
    payload = {"year": YEAR, "month": MONTH, "kind": "pack_zip", "region": facts.south.pk}
    body = client.post(reverse("reports:export_job_start"), payload, follow=True).content
    assert "Choose a region from the list." in body.decode()
    monkeypatch.setattr(services, "COMBINED_MAX_DEALERS", 1)
    payload = {"year": YEAR, "month": MONTH, "kind": "pack_combined"}
    body = client.post(reverse("reports:export_job_start"), payload, follow=True).content
    assert "A combined PDF holds at most 1 dealers (this selection has 2)" in body.decode()
    assert not ExportJob.objects.exists()


def test_dealer_staff_cannot_start_network_jobs(facts, login, export_root, run_tasks):
    payload = {"year": YEAR, "month": MONTH, "kind": "pack_zip"}
    response = login(facts.manager).post(reverse("reports:export_job_start"), payload)
    assert response.status_code == 403
    assert not ExportJob.objects.exists()


def test_export_page_for_dealer_staff_and_hq(facts, login):
    page = login(facts.manager).get(reverse("reports:export_list")).content.decode()
    assert reverse("reports:export_kpi_pdf", args=[facts.a.pk]) in page
    assert "export-job-form" not in page and "Beta Cars" not in page
    hq = login(facts.regional)
    page = hq.get(reverse("reports:export_list")).content.decode()
    assert "export-job-form" in page and "Beta Cars" in page and "Gamma Auto" not in page
    assert hq.get(reverse("reports:export_list") + f"?dealer={facts.c.pk}").status_code == 404
    chosen = hq.get(reverse("reports:export_list") + f"?dealer={facts.b.pk}").content.decode()
    assert reverse("reports:export_kpi_pdf", args=[facts.b.pk]) in chosen
    assert login(facts.alice).get(reverse("reports:export_list")).status_code == 403
