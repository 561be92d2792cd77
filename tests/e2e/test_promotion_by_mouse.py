"""An HQ admin defines a regional promotion in the browser (issue 14, item 4): the region is
picked in the multi-select with the mouse, the draft is saved, then published after the
confirmation. Any console error fails the test."""

from __future__ import annotations

from typing import Any

import pytest

from bulletins.models import Promotion
from tests.e2e.conftest import screenshot, signed_in_page
from tests.factories import RegionFactory, hq_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _click(page: Any, locator: Any) -> None:
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_hq_defines_and_publishes_a_regional_promotion(browser: Any, live_server: Any) -> None:
    RegionFactory(name="North"), RegionFactory(name="South")
    admin = hq_user("hq_admin")
    page = signed_in_page(browser, live_server, admin, width=1366, height=900)
    page.goto("/")
    _click(page, page.get_by_role("link", name="Promotions").first)
    _click(page, page.get_by_test_id("promotion-create"))
    page.get_by_label("Code").fill("NORTH5")
    page.get_by_label("Name").fill("Northern spring")
    page.get_by_label("First day").fill("2027-03-01")
    page.get_by_label("Last day").fill("2027-04-30")
    page.get_by_label("Kind").select_option("percent")
    page.get_by_label("Amount or percentage").fill("5")
    regions = page.locator(".ts-wrapper").first  # Tom Select of the regions
    _click(page, regions.locator(".ts-control"))
    _click(page, page.locator(".ts-dropdown .option", has_text="North").first)
    screenshot(page, "promotion-form")
    _click(page, page.get_by_role("button", name="Save draft"))
    page.get_by_text("saved as a draft").wait_for()
    _click(page, page.get_by_test_id("promotion-publish").locator("summary"))
    _click(page, page.get_by_role("button", name="Yes, publish"))
    page.get_by_text("Published: quotes of the targeted dealers now offer it.").wait_for()
    promo = Promotion.objects.get()
    assert promo.status == "published"
    assert [r.name for r in promo.target_regions.all()] == ["North"]
    screenshot(page, "promotion-published")
