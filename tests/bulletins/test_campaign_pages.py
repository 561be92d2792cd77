"""The technical-campaign pages: HQ admins create, load VINs (check, then confirm exactly what
was checked), publish and close; regional managers read their regions' figures; dealer staff
are turned away."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from bulletins import campaigns
from bulletins.models import Bulletin, CampaignVehicle, TechnicalCampaign
from inventory.models import LabourGrade, LabourOperation, Part, PartGroup
from tests.bulletins.conftest import NOW, Network
from tests.factories import signed_in_client

VINS = ["WAUZZZ8V0KA000001", "WAUZZZ8V0KA000002", "WAUZZZ8V0KA000003"]


@pytest.fixture
def operation(network: Network) -> LabourOperation:
    grade = LabourGrade.objects.create(code="M", name="Mechanical")
    PartGroup.objects.create(code="SAF", name="Safety")
    Part.objects.create(number="0041234", description="Airbag", group=PartGroup.objects.get())
    return LabourOperation.objects.create(
        code="RC41", description="Replace airbag", grade=grade, standard_hours=Decimal("1.2")
    )


@pytest.fixture
def draft(network: Network, operation: LabourOperation) -> TechnicalCampaign:
    return campaigns.create_campaign(actor=network.admin, code="RC-1", title="Airbag",
                                     kind="recall", labour_operation=operation)  # fmt: skip


def test_hq_admin_creates_a_campaign_with_parts(network, operation) -> None:
    client = signed_in_client(network.admin)
    response = client.post(reverse("campaigns:create"), {
        "code": "rc-2", "title": "Seat belt", "kind": "recall", "labour_operation": operation.pk,
        "stop_sale": "on", "parts": "0041234; 2\n", "description": "<b>Check</b> anchors",
    })  # fmt: skip
    campaign = TechnicalCampaign.objects.get(code="RC-2")
    assert response.status_code == 302 and response["Location"].endswith(
        f"/campaigns/{campaign.pk}/"
    )
    assert campaign.stop_sale and campaign.parts.get().quantity == 2


def test_bad_campaign_form_shows_errors_and_creates_nothing(network, operation) -> None:
    client = signed_in_client(network.admin)
    response = client.post(reverse("campaigns:create"), {
        "code": "RC-3", "title": "X", "kind": "recall", "labour_operation": operation.pk,
        "parts": "9999999; 1\n0041234; lots",
    })  # fmt: skip
    text = response.content.decode()
    assert response.status_code == 200
    assert "unknown part number 9999999" in text and "lots is not a quantity" in text
    assert not TechnicalCampaign.objects.filter(code="RC-3").exists()


def test_loading_vins_checks_first_then_loads_what_was_checked(network, draft) -> None:
    client = signed_in_client(network.admin)
    url = reverse("campaigns:detail", args=[draft.pk])
    bad = f"{VINS[0]}; A\n\nWAUZZZ8V0KA00000I; A\n{VINS[0]}; B\n{VINS[2]}; NOPE"
    response = client.post(url, {"action": "check", "vehicles": bad})
    text = response.content.decode()
    assert response.status_code == 200
    assert "3 lines have errors; nothing was loaded." in text
    assert "Line 3, vin" in text and "Line 4, vin" in text and "Line 5, dealer" in text
    assert not CampaignVehicle.objects.exists()

    good = f"{VINS[0]}; A\n{VINS[1]}; a\n{VINS[2]}, C"
    response = client.post(url, {"action": "check", "vehicles": good})
    assert "3 to add, 0 to remove, 0 unchanged" in response.content.decode()
    assert not CampaignVehicle.objects.exists()  # checked only
    checked = response.context["checked"]
    # A list changed after the check is checked again, not loaded.
    client.post(
        url, {"action": "load", "vehicles": good + f"\n{VINS[0][:-1]}9", "checked": checked}
    )
    assert not CampaignVehicle.objects.exists()
    response = client.post(url, {"action": "load", "vehicles": good, "checked": checked})
    assert response.status_code == 302
    assert dict(CampaignVehicle.objects.values_list("vin", "dealer__code")) == {
        VINS[0]: "A",
        VINS[1]: "A",
        VINS[2]: "C",
    }


def test_publish_then_close(network, draft) -> None:
    campaigns.set_affected_vehicles(actor=network.admin, campaign=draft,
                                    rows=[{"vin": VINS[0], "dealer": "A"}])  # fmt: skip
    client = signed_in_client(network.admin)
    url = reverse("campaigns:detail", args=[draft.pk])
    past = client.post(url, {"action": "publish", "ack_deadline": "2027-02-01T10:00"})
    assert past.status_code == 200 and not Bulletin.objects.exists()
    deadline = (NOW + dt.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(url, {"action": "publish", "ack_deadline": deadline}).status_code == 302
    draft.refresh_from_db()
    assert draft.status == "published" and draft.bulletin.category == "recall"
    page = client.get(url).content.decode()
    assert "Recall bulletin sent" in page and "0 / 1" in page
    assert client.post(url, {"action": "close"}).status_code == 302
    draft.refresh_from_db()
    assert draft.status == "closed"


def test_regional_manager_reads_published_figures_of_their_regions(
    network, draft, operation
) -> None:
    published = campaigns.create_campaign(actor=network.admin, code="RC-9", title="Belt",
                                          kind="recall", labour_operation=operation)  # fmt: skip
    campaigns.set_affected_vehicles(actor=network.admin, campaign=published, rows=[
        {"vin": VINS[0], "dealer": "A"}, {"vin": VINS[1], "dealer": "C"}])  # fmt: skip
    campaigns.publish_campaign(actor=network.admin, campaign=published,
                               ack_deadline=NOW + dt.timedelta(days=3))  # fmt: skip
    client = signed_in_client(network.north_manager)
    listing = client.get(reverse("campaigns:list")).content.decode()
    assert "RC-9" in listing and "RC-1" not in listing  # drafts are HQ admins' own
    detail = client.get(reverse("campaigns:detail", args=[published.pk]))
    assert list(detail.context["progress"].by_dealer) == ["A"]  # region North only
    assert 'data-testid="vehicle-list-form"' not in detail.content.decode()
    assert client.get(reverse("campaigns:detail", args=[draft.pk])).status_code == 404
    write = client.post(reverse("campaigns:detail", args=[published.pk]), {"action": "close"})
    assert write.status_code == 403


@pytest.mark.parametrize("role", ["dealer_manager", "service_advisor", "parts_clerk"])
def test_dealer_staff_are_turned_away(network, draft, role: str) -> None:
    client = signed_in_client(network.who("A", role))
    assert client.get(reverse("campaigns:list")).status_code == 403
    assert client.get(reverse("campaigns:detail", args=[draft.pk])).status_code == 403


def test_list_queries_do_not_grow_with_campaigns(network, operation,
                                                 django_assert_max_num_queries: Any) -> None:  # fmt: skip
    client = signed_in_client(network.admin)
    for n in range(6):
        campaigns.create_campaign(actor=network.admin, code=f"RC-{n}", title="X", kind="recall",
                                  labour_operation=operation)  # fmt: skip
    with django_assert_max_num_queries(12):
        response = client.get(reverse("campaigns:list"))
    assert len(re.findall(r'href="/campaigns/\d+/"', response.content.decode())) == 6
