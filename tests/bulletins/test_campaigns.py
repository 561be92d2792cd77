"""Technical campaigns (issue 14, item 7): the strict VIN list, publishing with its recall
bulletin to the dealers concerned, stop-sale, and completion per dealer and region."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from bulletins import campaigns
from bulletins.campaign_selectors import (
    Completion,
    campaign_progress,
    is_stop_sale,
    open_campaigns_for_vin,
)
from bulletins.models import Bulletin, CampaignVehicle, TechnicalCampaign
from dms.audit.models import AuditEntry
from dms.vin import check_digit, validate_vin
from inventory.models import LabourGrade, LabourOperation, Part, PartGroup
from tests.bulletins.conftest import NOW, Network, recipients

VIN_A1, VIN_A2, VIN_C1, VIN_X = (
    "WAUZZZ8V0KA000001",
    "WAUZZZ8V0KA000002",
    "WAUZZZ8V0KA000003",
    "WAUZZZ8V0KA000004",
)


@pytest.fixture
def campaign(network: Network) -> TechnicalCampaign:
    grade = LabourGrade.objects.create(code="M", name="Mechanical")
    op = LabourOperation.objects.create(
        code="RC41", description="Replace airbag <b>module</b>", grade=grade,
        standard_hours=Decimal("1.20"),
    )  # fmt: skip
    part = Part.objects.create(
        number="0041234", description="Airbag module", group=PartGroup.objects.create(code="SAF", name="Safety")
    )  # fmt: skip
    return campaigns.create_campaign(
        actor=network.admin, code="rc-2027-01", title="Airbag inflator", kind="recall",
        labour_operation=op, stop_sale=True, parts=[(part, Decimal("1"))],
        description="Inflator may <script>alert(1)</script> rupture.",
    )  # fmt: skip


def load(net: Network, campaign: TechnicalCampaign, rows: list[dict[str, str]], **kw: Any) -> Any:
    return campaigns.set_affected_vehicles(actor=net.admin, campaign=campaign, rows=rows, **kw)


def test_vin_rules() -> None:
    assert validate_vin(" wauzzz8v0-ka000001 ") == VIN_A1
    assert validate_vin("1M8GDM9AXKP042788") == "1M8GDM9AXKP042788"  # North America, check X
    with pytest.raises(ValidationError, match="should be X"):
        validate_vin("1M8GDM9A1KP042788")
    assert check_digit("11111111111111111") == "1"
    for bad, text in [("WAUZZZ8V0KA00001", "17 characters"), ("WAUZZZ8V0KA00000I", "except I")]:
        with pytest.raises(ValidationError, match=text):
            validate_vin(bad)


def test_a_list_with_bad_rows_loads_nothing_and_names_each_row(network, campaign) -> None:
    rows = [
        {"vin": VIN_A1, "dealer": "A"},
        {"vin": "WAUZZZ8V0KA00000O", "dealer": "A"},  # row 3: letter O
        {"vin": VIN_A1, "dealer": "B"},  # row 4: twice
        {"vin": VIN_C1, "dealer": "ZZ"},  # row 5: unknown dealer
        {"vin": "1M8GDM9A1KP042788"},  # row 6: wrong check digit
    ]
    with pytest.raises(campaigns.ImportRefused) as refused:
        load(network, campaign, rows)
    assert [(e.row, e.column) for e in refused.value.row_errors] == [
        (3, "vin"), (4, "vin"), (5, "dealer"), (6, "vin"),
    ]  # fmt: skip
    assert "first in row 2" in refused.value.row_errors[1].message
    assert not CampaignVehicle.objects.exists()


def test_dry_run_then_load_then_replace(network, campaign) -> None:
    rows = [
        {"vin": VIN_A1, "dealer": "a"},
        {"vin": VIN_A2, "dealer": "A"},
        {"vin": VIN_C1, "dealer": "C"},
    ]
    assert load(network, campaign, rows, dry_run=True) == campaigns.VehicleListChange(3, 0, 0)
    assert not CampaignVehicle.objects.exists()
    load(network, campaign, rows)
    change = load(network, campaign, [*rows[1:], {"vin": VIN_X}])
    assert change == campaigns.VehicleListChange(added=1, kept=2, removed=1)
    assert set(campaign.vehicles.values_list("vin", flat=True)) == {VIN_A2, VIN_C1, VIN_X}


def test_publishing_sends_the_recall_to_the_dealers_concerned(network, campaign) -> None:
    load(network, campaign, [{"vin": VIN_A1, "dealer": "A"}, {"vin": VIN_C1, "dealer": "C"}])
    bulletin = campaigns.publish_campaign(
        actor=network.admin, campaign=campaign, ack_deadline=NOW + dt.timedelta(days=14)
    )
    assert (bulletin.category, bulletin.priority, bulletin.requires_ack) == (
        "recall",
        "urgent",
        True,
    )
    assert recipients(network, bulletin) == {
        (d, r) for d in "AC" for r in ("service_advisor", "parts_clerk", "dealer_manager")
    }
    # The campaign's text reaches the bulletin as text: a script in a description never runs.
    assert "<script>" not in bulletin.body and "&lt;script&gt;" in bulletin.body
    assert "0041234" in bulletin.body and "Stop-sale" in bulletin.body
    campaign.refresh_from_db()
    assert campaign.status == "published" and campaign.bulletin == bulletin
    with pytest.raises(ValidationError):
        campaigns.publish_campaign(actor=network.admin, campaign=campaign, ack_deadline=NOW)
    assert AuditEntry.objects.filter(object_type="bulletins.TechnicalCampaign").count() == 3


def test_a_vehicle_without_a_dealer_sends_it_to_the_whole_network(network, campaign) -> None:
    load(network, campaign, [{"vin": VIN_A1, "dealer": "A"}, {"vin": VIN_X}])
    bulletin = campaigns.publish_campaign(
        actor=network.admin, campaign=campaign, ack_deadline=NOW + dt.timedelta(days=7)
    )
    assert {d for d, _ in recipients(network, bulletin)} == set("ABCD")  # E is inactive


def test_stop_sale_until_the_work_is_done_and_completion_counts(network, campaign) -> None:
    rows = [
        {"vin": VIN_A1, "dealer": "A"},
        {"vin": VIN_A2, "dealer": "A"},
        {"vin": VIN_C1, "dealer": "C"},
    ]
    load(network, campaign, rows)
    assert not is_stop_sale(VIN_A1)  # a draft flags nothing
    campaigns.publish_campaign(actor=network.admin, campaign=campaign,
                               ack_deadline=NOW + dt.timedelta(days=7))  # fmt: skip
    assert is_stop_sale(VIN_A1) and [c.code for c in open_campaigns_for_vin(VIN_A1)] == [
        "RC-2027-01"
    ]
    assert not is_stop_sale(VIN_X)
    # Done at dealer B (the customer moved): counted for the campaign, once.
    assert campaigns.record_completion(vin=VIN_A1, dealer=network.dealers["B"], when=NOW) == 1
    assert campaigns.record_completion(vin=VIN_A1, dealer=network.dealers["A"]) == 0
    assert not is_stop_sale(VIN_A1) and is_stop_sale(VIN_A2)
    progress = campaign_progress(campaign=campaign)
    assert (progress.total.affected, progress.total.completed) == (3, 1)
    assert progress.by_dealer["A"].share == 0.5 and progress.by_dealer["C"].completed == 0
    assert progress.by_region == {
        "North": Completion(2, 1),
        "South": Completion(1, 0),
    }
    north_only = campaign_progress(campaign=campaign, dealer_ids=[network.dealers["A"].pk])
    assert set(north_only.by_dealer) == {"A"}
    # A repaired vehicle stays on the list; closing the campaign lifts the stop-sale.
    with pytest.raises(campaigns.ImportRefused, match="Already repaired"):
        load(network, campaign, rows[1:])
    campaigns.close_campaign(actor=network.admin, campaign=campaign)
    assert not is_stop_sale(VIN_A2)


def test_only_hq_admins_run_campaigns(network, campaign) -> None:
    for actor in (network.who("A", "dealer_manager"), network.who("A", "service_advisor"),
                  network.north_manager):  # fmt: skip
        with pytest.raises(PermissionDenied):
            campaigns.set_affected_vehicles(actor=actor, campaign=campaign, rows=[{"vin": VIN_A1}])
        with pytest.raises(PermissionDenied):
            campaigns.publish_campaign(actor=actor, campaign=campaign, ack_deadline=NOW)
    assert not CampaignVehicle.objects.exists()
    assert not Bulletin.objects.exists()


def test_bad_campaign_input_creates_nothing(network, campaign) -> None:
    with pytest.raises(ValidationError) as refused:
        campaigns.create_campaign(actor=network.admin, code="RC-2027-01", title=" ", kind="x",
                                  labour_operation=campaign.labour_operation)  # fmt: skip
    assert set(refused.value.message_dict) == {"code", "title", "kind"}
    assert TechnicalCampaign.objects.count() == 1
