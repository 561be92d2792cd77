"""A campaign's affected vehicles as a CSV or XLSX file (bulletins/campaign_imports.py), uploaded
from the campaign's page into the strict import engine: row-numbered errors and nothing loaded,
a dry run, then the list replaced; a VIN that looks like a number stays text, or is refused when
the workbook stored it as a number."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bulletins.models import CampaignVehicle, TechnicalCampaign
from dms.audit.models import AuditEntry
from dms.imports.models import ImportJob
from tests.bulletins.conftest import Network
from tests.bulletins.test_campaign_pages import VINS, draft, operation  # noqa: F401 (fixtures)
from tests.factories import signed_in_client
from tests.imports.conftest import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db
Status = ImportJob.Status
HEADER = ["vin", "dealer"]
NUMERIC_VIN = "93456789012345678"  # 17 digits; a South American WMI: no check digit


@pytest.fixture(autouse=True)
def eager(settings: Any, tmp_path: Any) -> Iterator[None]:
    from dms.celery import app

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def upload(
    client: Client, campaign: TechnicalCampaign, name: str, data: bytes, capture: Any
) -> Any:
    """What the campaign page's file form sends."""
    with capture(execute=True):
        return client.post(
            reverse("imports:list"),
            {
                "kind": "campaign_vehicles",
                "target": str(campaign.pk),
                "file": SimpleUploadedFile(name, data),
            },
        )


def apply(client: Client, job: ImportJob, capture: Any) -> None:
    with capture(execute=True):
        assert client.post(reverse("imports:apply", args=[job.pk])).status_code == 302
    job.refresh_from_db()


def test_the_campaign_page_offers_the_file_upload(network: Network, draft: Any) -> None:  # noqa: F811
    page = signed_in_client(network.admin).get(reverse("campaigns:detail", args=[draft.pk]))
    body = page.content.decode()
    assert 'data-testid="vehicle-file-form"' in body
    assert f'action="{reverse("imports:list")}"' in body
    assert 'name="kind" value="campaign_vehicles"' in body
    assert f'name="target" value="{draft.pk}"' in body


def test_a_good_file_is_checked_then_loaded_and_audited(
    network: Network,
    draft: Any,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = signed_in_client(network.admin)
    rows = [[VINS[0], "A"], [VINS[1], "b"], [VINS[2].lower(), ""]]
    response = upload(
        client, draft, "vins.csv", csv_bytes(rows, HEADER), django_capture_on_commit_callbacks
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "imports:job", args=[job.pk]
    )
    assert job.status == Status.READY, job.errors
    assert (job.new_count, job.changed_count, job.removed_count) == (3, 0, 0)
    assert job.target_label.endswith("RC-1 Airbag")
    assert not CampaignVehicle.objects.exists()  # the dry run loads nothing
    body = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert VINS[2] in body and 'data-testid="import-apply"' in body

    apply(client, job, django_capture_on_commit_callbacks)
    assert job.status == Status.APPLIED, job.failure
    loaded = dict(draft.vehicles.values_list("vin", "dealer__code"))
    assert loaded == {VINS[0]: "A", VINS[1]: "B", VINS[2]: None}
    assert "3 added, 0 removed, 0 kept" in job.result["note"]
    entry = AuditEntry.objects.get(detail__change="vehicles", detail__campaign="RC-1")
    assert entry.actor == network.admin and entry.detail["added"] == 3
    assert AuditEntry.objects.filter(
        detail__step="apply", detail__kind="campaign_vehicles"
    ).exists()

    # The next file replaces the list: one kept with another dealer, one removed, one new.
    again = [[VINS[0], "C"], [VINS[1], "B"], ["WAUZZZ8V0KA000009", ""]]
    upload(client, draft, "vins2.csv", csv_bytes(again, HEADER), django_capture_on_commit_callbacks)
    job = ImportJob.objects.latest("pk")
    assert (job.new_count, job.changed_count, job.removed_count) == (1, 1, 1)
    assert ["changed", VINS[0], "dealer", "A", "C"] in job.changes
    apply(client, job, django_capture_on_commit_callbacks)
    assert set(draft.vehicles.values_list("vin", flat=True)) == {
        VINS[0],
        VINS[1],
        "WAUZZZ8V0KA000009",
    }


def test_bad_rows_are_listed_by_row_and_nothing_is_loaded(
    network: Network,
    draft: Any,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = signed_in_client(network.admin)
    CampaignVehicle.objects.create(campaign=draft, vin=VINS[2])
    rows = [
        [VINS[0], "A"],  # row 2: fine
        ["", ""],  # row 3: blank, skipped
        ["WAUZZZ8V0KA00000I", "A"],  # row 4: I is not a VIN letter
        [VINS[0], "B"],  # row 5: twice
        [VINS[1], "NOPE"],  # row 6: unknown dealer
        ["WAUZZZ8V0KA0001", ""],  # row 7: 15 characters
    ]
    upload(client, draft, "vins.csv", csv_bytes(rows, HEADER), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status == Status.INVALID and job.error_count == 4
    assert [(e[0], e[1]) for e in job.errors] == [(4, "vin"), (5, "vin"), (6, "dealer"), (7, "vin")]
    assert "first in row 2" in job.errors[1][3] and "exactly 17 characters" in job.errors[3][3]
    body = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "4 errors: nothing was imported" in body
    assert 'data-testid="import-apply"' not in body
    download = client.get(reverse("imports:errors", args=[job.pk])).content.decode("utf-8-sig")
    assert "6,dealer,NOPE,Unknown dealer code NOPE." in download
    apply_refused = client.post(reverse("imports:apply", args=[job.pk]))
    assert apply_refused.status_code == 302
    assert list(draft.vehicles.values_list("vin", flat=True)) == [VINS[2]]  # unchanged


def test_a_repaired_vehicle_cannot_be_left_out(
    network: Network,
    draft: Any,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = signed_in_client(network.admin)
    CampaignVehicle.objects.create(
        campaign=draft, vin=VINS[2], completed_at=timezone.now(), completed_by=network.dealers["A"]
    )
    upload(
        client,
        draft,
        "vins.csv",
        csv_bytes([[VINS[0], ""]], HEADER),
        django_capture_on_commit_callbacks,
    )
    job = ImportJob.objects.get()
    assert job.status == Status.INVALID
    assert job.errors == [[0, "vin", VINS[2], "Already repaired, cannot be removed from the list."]]
    assert list(draft.vehicles.values_list("vin", flat=True)) == [VINS[2]]


def test_a_vin_that_looks_numeric_stays_text_in_xlsx_or_is_refused_as_a_number(
    network: Network,
    draft: Any,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = signed_in_client(network.admin)
    as_number = xlsx_bytes([[VINS[0], "A"], [int(NUMERIC_VIN), "A"]], HEADER)
    upload(client, draft, "vins.xlsx", as_number, django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status == Status.INVALID and job.error_count == 1
    row, column, _value, message = job.errors[0]
    assert (row, column) == (3, "vin") and "stored as a number" in message
    assert not CampaignVehicle.objects.exists()

    as_text = xlsx_bytes([[VINS[0], "A"], [NUMERIC_VIN, "A"]], HEADER)
    upload(client, draft, "vins.xlsx", as_text, django_capture_on_commit_callbacks)
    job = ImportJob.objects.latest("pk")
    assert job.status == Status.READY, job.errors
    apply(client, job, django_capture_on_commit_callbacks)
    assert set(draft.vehicles.values_list("vin", flat=True)) == {VINS[0], NUMERIC_VIN}


def test_only_hq_network_admins_upload_a_campaign_list(
    network: Network,
    draft: Any,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    manager = signed_in_client(network.who("A", "dealer_manager"))
    response = upload(
        manager,
        draft,
        "vins.csv",
        csv_bytes([[VINS[0], ""]], HEADER),
        django_capture_on_commit_callbacks,
    )
    assert response.status_code in (403, 404)
    assert not ImportJob.objects.exists() and not CampaignVehicle.objects.exists()


def test_a_closed_campaign_is_no_target(network: Network, draft: Any) -> None:  # noqa: F811
    from bulletins.campaign_imports import CampaignVehiclesImporter

    assert str(draft.pk) in dict(CampaignVehiclesImporter.targets())
    TechnicalCampaign.objects.filter(pk=draft.pk).update(status=TechnicalCampaign.Status.CLOSED)
    assert str(draft.pk) not in dict(CampaignVehiclesImporter.targets())
