"""One dealer clock in the browser (issue 13, item 1): a consultant of a Tokyo dealer (UTC+9)
gets a new lead; the bell's notification says "respond by HH:MM" and My day
shows the same lead due at the same HH:MM, Tokyo's, never UTC's. Every step by mouse; any console
error fails the test (tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

import pytest

from dms.tenancy.context import as_dealer
from leads.models import Lead
from leads.services import leads as svc
from tests.e2e.conftest import screenshot, signed_in_page
from tests.factories import CustomerFactory
from tests.leads._funnel import make_shop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def _click(page: Any, locator: Any) -> None:
    """A person's click: the mouse at the middle of what is shown."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_respond_by_in_the_bell_matches_my_day(browser: Any, live_server: Any) -> None:
    shop = make_shop(timezone="Asia/Tokyo")
    with as_dealer(shop.dealer):
        lead: Lead = svc.open_lead(
            customer=CustomerFactory(dealer=shop.dealer, first_name="Kenji", last_name="Sato"),
            source="web",
            actor=None,
        )
    due = lead.first_response_due.astimezone(TOKYO).strftime("%H:%M")
    utc_due = lead.first_response_due.astimezone(dt.UTC).strftime("%H:%M")

    page = signed_in_page(browser, live_server, lead.consultant, width=1366, height=768)
    page.goto("/")

    bell = page.get_by_test_id("notifications-bell")
    bell.wait_for()
    _click(page, bell)
    page.wait_for_url("**/notifications/**")
    item = page.get_by_test_id("notifications").locator("li", has_text="Sato")
    text = item.inner_text()
    found = re.search(r"respond by (?:[^:]*, )?(\d\d:\d\d)", text)
    assert found, text
    assert found.group(1) == due
    assert utc_due not in text.split("respond by")[1]
    assert "p.m" not in text and "a.m" not in text
    screenshot(page, "clock-notifications")

    _click(page, page.locator("#sidebar-menu, nav").get_by_role("link", name="My day").first)
    page.wait_for_url("**/my-day/**")
    row = page.locator("li", has_text="Kenji Sato").first
    assert due in row.inner_text()
    screenshot(page, "clock-my-day")
