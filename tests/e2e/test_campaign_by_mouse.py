"""A recall from HQ's side in the browser (issue 14, item 7): an HQ admin pastes the affected
VINs with one bad line, reads the line's error, fixes it, checks, loads and publishes the
campaign; the page then shows its completion per region. Every step by mouse; any console
error fails the test."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from bulletins import campaigns
from bulletins.models import Bulletin, CampaignVehicle
from inventory.models import LabourGrade, LabourOperation
from tests.e2e.conftest import screenshot, signed_in_page
from tests.factories import DealerFactory, RegionFactory, hq_user, staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _click(page: Any, locator: Any) -> None:
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_hq_loads_vins_fixes_a_line_and_publishes(browser: Any, live_server: Any) -> None:
    north = RegionFactory(name="North")
    dealer = DealerFactory(code="DE101", region=north)
    staff(dealer, "service_advisor")
    admin = hq_user("hq_admin")
    grade = LabourGrade.objects.create(code="M", name="Mechanical")
    operation = LabourOperation.objects.create(
        code="RC41", description="Replace airbag", grade=grade, standard_hours=Decimal("1.2")
    )
    campaign = campaigns.create_campaign(actor=admin, code="RC-77", title="Airbag inflator",
                                         kind="recall", labour_operation=operation,
                                         stop_sale=True)  # fmt: skip

    page = signed_in_page(browser, live_server, admin, width=1366, height=900)
    page.goto("/")
    _click(page, page.get_by_role("link", name="Technical campaigns").first)
    page.wait_for_url("**/campaigns/")
    _click(page, page.get_by_role("link", name="RC-77"))
    page.wait_for_url(f"**/campaigns/{campaign.pk}/")
    box = page.get_by_label("VINs")
    _click(page, box)
    box.fill("WAUZZZ8V0KA000001; DE101\nWAUZZZ8V0KA00000O; DE101")
    _click(page, page.get_by_test_id("vehicle-check"))
    errors = page.get_by_test_id("vehicle-errors")
    errors.wait_for()
    assert "Line 2, vin" in errors.inner_text()
    screenshot(page, "campaign-vin-error")
    assert not CampaignVehicle.objects.exists()

    box = page.get_by_label("VINs")
    box.fill("WAUZZZ8V0KA000001; DE101\nWAUZZZ8V0KA000002; DE101")
    _click(page, page.get_by_test_id("vehicle-check"))
    assert "2 to add" in page.get_by_test_id("vehicle-preview").inner_text()
    _click(page, page.get_by_test_id("vehicle-load"))
    page.get_by_text("Affected vehicles loaded").wait_for()
    assert CampaignVehicle.objects.count() == 2

    deadline = (dt.datetime.now(dt.UTC) + dt.timedelta(days=14)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Dealers acknowledge by").fill(deadline)
    _click(page, page.get_by_role("button", name="Publish campaign"))
    page.get_by_text("Campaign published with its recall bulletin.").wait_for()
    progress = page.get_by_test_id("campaign-progress").inner_text()
    assert "North" in progress and "0 / 2" in progress
    assert Bulletin.objects.get().category == "recall"
    screenshot(page, "campaign-published")
