"""Price lists in the browser (issue 14, item 2): HQ drafts a new parts version from the
current prices, reads the differences, checks and publishes it with a confirmation; a parts
clerk looks the part up and sees the new price from its first day and the old one before. Every
step by mouse; any console error fails the test."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest

from bulletins import pricing_services as ps
from tests.bulletins.prices_helpers import parts_catalogue, parts_list, publish_rows
from tests.e2e.conftest import screenshot, signed_in_page
from tests.factories import DealerFactory, hq_user, staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _click(page: Any, locator: Any) -> None:
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_hq_publishes_a_new_parts_price_and_a_clerk_sees_it_from_its_day(
    browser: Any, live_server: Any
) -> None:
    parts_catalogue()
    admin = hq_user("hq_admin", username="hq_prices")
    today = ps.importer_today()
    plist = parts_list(admin)
    publish_rows(plist, [ps.PartRow("0001234", Decimal("50.00"))], admin, today)

    page = signed_in_page(browser, live_server, admin, path="/prices/lists/")
    card = page.locator(".card").filter(has=page.get_by_role("heading", name=re.compile("^Parts")))
    _click(page, card.get_by_role("button", name="New draft from current prices"))
    page.wait_for_url("**/prices/versions/*/")
    draft = plist.versions.get(number=2)
    ps.set_line(version=draft, row=ps.PartRow("0001234", Decimal("54.90")), actor=admin)
    page.reload()
    _click(page, page.get_by_role("button", name="Check"))
    page.get_by_text("Checked: the version may be published.").wait_for()
    _click(page, page.get_by_role("link", name="Publish…"))
    page.get_by_text("0 new, 1 changed, 0 removed, 0 unchanged.").wait_for()
    start = today + dt.timedelta(days=7)
    page.get_by_label("Valid from").fill(start.isoformat())
    _click(page, page.get_by_label("I have checked the differences"))
    screenshot(page, "prices-publish")
    _click(page, page.get_by_role("button", name="Publish", exact=True))
    page.get_by_text("Version 2 is published.").wait_for()
    screenshot(page, "prices-version")
    assert not page.js_errors

    clerk = staff(DealerFactory(code="P1"), "parts_clerk", username="clerk_prices")
    lookup = signed_in_page(browser, live_server, clerk, path="/prices/")
    lookup.get_by_label("Part numbers").fill("0001234")
    lookup.get_by_label("Prices on").fill(start.isoformat())
    _click(lookup, lookup.get_by_role("button", name="Look up"))
    lookup.get_by_text("54.90 EUR").first.wait_for()
    screenshot(lookup, "prices-lookup")
    lookup.get_by_label("Prices on").fill((start - dt.timedelta(days=1)).isoformat())
    _click(lookup, lookup.get_by_role("button", name="Look up"))
    lookup.get_by_text("50.00 EUR").first.wait_for()
    assert not lookup.js_errors
