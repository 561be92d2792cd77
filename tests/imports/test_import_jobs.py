"""Import jobs through the pages: upload → check in Celery (eager) → dry run → apply in Celery;
all or nothing; audited; errors downloadable; HQ network admins only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from dms.audit.models import AuditEntry
from dms.imports.models import ImportJob
from inventory.models import Part
from tests.factories import DealerFactory, hq_user, signed_in_client, staff

from .conftest import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db
Status = ImportJob.Status


@pytest.fixture(autouse=True)
def eager(settings: Any, tmp_path: Any) -> Iterator[None]:
    from dms.celery import app

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def client(admin: Any) -> Client:
    return signed_in_client(admin)


def upload(
    client: Client, name: str, data: bytes, capture: Any, kind: str = "parts_catalogue"
) -> Any:
    with capture(execute=True):
        return client.post(
            reverse("imports:list"),
            {"kind": kind, "file": SimpleUploadedFile(name, data)},
        )


def thousand(bad_at: int | None = None) -> list[list[str]]:
    rows = [[f"{i:07d}", f"Part {i}", "pc", "FILTER", "1.5", "", ""] for i in range(1000)]
    if bad_at is not None:
        rows[bad_at][4] = "1.2345"  # 4 decimal places
    return rows


def test_one_bad_row_among_1000_changes_nothing(
    client, catalogue, django_capture_on_commit_callbacks
) -> None:
    before = list(Part.objects.order_by("number").values_list("number", "description", "is_active"))
    response = upload(
        client, "parts.csv", csv_bytes(thousand(bad_at=500)), django_capture_on_commit_callbacks
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "imports:job", args=[job.pk]
    )
    assert job.status == Status.INVALID and job.error_count == 1
    assert job.errors == [[502, "weight_kg", "1.2345", "At most 3 decimal places."]]
    page = client.get(reverse("imports:job", args=[job.pk]))
    body = page.content.decode()
    assert "1 error: nothing was imported" in body and "At most 3 decimal places." in body
    assert 'data-testid="import-apply"' not in body
    assert client.post(reverse("imports:apply", args=[job.pk])).status_code == 302
    job.refresh_from_db()
    assert job.status == Status.INVALID
    after = list(Part.objects.order_by("number").values_list("number", "description", "is_active"))
    assert after == before  # nothing written, nothing deactivated
    # The errors download: row, column, value, message.
    download = client.get(reverse("imports:errors", args=[job.pk]))
    assert download["Content-Disposition"].startswith("attachment")
    assert "502,weight_kg,1.2345,At most 3 decimal places." in download.content.decode("utf-8-sig")


def test_dry_run_then_apply_through_celery_is_audited(
    client, admin, catalogue, django_capture_on_commit_callbacks
) -> None:
    rows = [
        ["0012345", "Oil filter", "pc", "FILTER", "", "", ""],
        ["0012346", "Air filter <b>HD</b>", "pc", "FILTER", "", "", ""],
        ["0077777", "<script>alert(1)</script>", "set", "BRAKE", "1.2", "", ""],
    ]
    upload(client, "parts.xlsx", xlsx_bytes(rows), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status == Status.READY
    assert (job.new_count, job.changed_count, job.removed_count) == (1, 1, 1)
    assert Part.objects.filter(number="0077777").count() == 0  # a dry run writes nothing
    body = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "Air filter &lt;b&gt;HD&lt;/b&gt;" in body  # old → new, escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)" not in body
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("imports:apply", args=[job.pk])).status_code == 302
    job.refresh_from_db()
    assert job.status == Status.APPLIED and job.applied_by == admin
    assert Part.objects.get(number="0077777").description == "<script>alert(1)</script>"
    assert Part.objects.get(number="0099999").is_active is False
    entry = AuditEntry.objects.filter(object_type="imports.ImportJob", detail__step="apply").get()
    assert entry.actor == admin and entry.count == 3
    assert entry.detail["new"] == 1 and entry.detail["removed"] == 1
    # Applying twice does nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:apply", args=[job.pk]))
    assert AuditEntry.objects.filter(detail__step="apply").count() == 1
    listing = client.get(reverse("imports:list")).content.decode()
    assert "parts.xlsx" in listing


def test_apply_refuses_when_the_catalogue_changed_since_the_dry_run(
    client, catalogue, django_capture_on_commit_callbacks
) -> None:
    rows = [["0012345", "Oil filter v2", "pc", "FILTER", "", "", ""]]
    upload(client, "parts.csv", csv_bytes(rows), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    Part.objects.filter(number="0012346").update(is_active=False)  # someone else deactivated it
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:apply", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == Status.READY and "changed since the dry run" in job.failure
    assert Part.objects.get(number="0012345").description == "Oil filter"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("parts.txt", b"x", "Upload a .csv or .xlsx file."),
        ("parts.csv", b"", "The submitted file is empty."),
    ],
)
def test_bad_uploads_are_refused_with_a_message(
    client, groups, name, data, message, django_capture_on_commit_callbacks
) -> None:
    response = upload(client, name, data, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_too_large_file_is_refused(
    client, groups, settings, django_capture_on_commit_callbacks
) -> None:
    settings.DMS_IMPORT_MAX_BYTES = 100
    response = upload(
        client, "parts.csv", csv_bytes(thousand()), django_capture_on_commit_callbacks
    )
    assert response.status_code == 400 and "too large" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_file_in_another_encoding_fails_the_job_with_a_message(
    client, groups, django_capture_on_commit_callbacks
) -> None:
    data = csv_bytes([["P1", "Filtre à huile", "pc", "FILTER", "", "", ""]], encoding="latin-1")
    upload(client, "parts.csv", data, django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status == Status.FAILED and "not UTF-8" in job.failure
    assert "not UTF-8" in client.get(reverse("imports:job", args=[job.pk])).content.decode()


def test_the_stored_file_has_a_generated_name(
    client, groups, settings, django_capture_on_commit_callbacks
) -> None:
    upload(
        client, "../../etc/passwd.csv", csv_bytes(thousand()), django_capture_on_commit_callbacks
    )
    job = ImportJob.objects.get()
    assert job.file_name == "passwd.csv"
    stored = list((settings.MEDIA_ROOT / "imports").iterdir())
    assert [p.name for p in stored] == [job.stored_name] and len(job.stored_name) == 36


def test_progress_answers_for_a_finished_job(
    client, groups, django_capture_on_commit_callbacks
) -> None:
    upload(client, "parts.csv", csv_bytes(thousand()), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    info = client.get(reverse("imports:progress", args=[job.pk])).json()
    assert info["complete"] is True


def test_dealer_staff_and_regional_managers_are_refused(groups) -> None:
    dealer = DealerFactory()
    for user in (staff(dealer, "dealer_admin"), hq_user("hq_regional_manager")):
        client = signed_in_client(user)
        assert client.get(reverse("imports:list")).status_code == 403
        response = client.post(
            reverse("imports:list"),
            {"kind": "parts_catalogue", "file": SimpleUploadedFile("p.csv", csv_bytes(thousand()))},
        )
        assert response.status_code == 403
    assert not ImportJob.objects.exists()
