"""In a real browser (headless Chromium): a consultant's day (my day), a lead with its stage bar,
HQ playbook (guidance expanded for new staff) and grade history, and the manager's funnel and
approvals inbox — at desk (1280 px) and tablet (820 px) width, with screenshots in
artifacts/screenshots/. No JavaScript errors, no horizontal scrolling at tablet width."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import browser, private_cache, screenshot, signed_in_page  # noqa: F401 (fixtures)
from tests.leads._funnel import funnel_day, make_shop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def fits(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_my_day_lead_detail_funnel_in_the_browser(browser: Any, live_server: Any) -> None:  # noqa: F811
    shop = make_shop()
    shop.alice.onboarding = True
    shop.alice.save()
    day = funnel_day(shop)
    hot = day["leads"][0]
    for width in (1280, 820):
        page = signed_in_page(browser, live_server, shop.alice, path="/sales/my-day/", width=width)
        assert page.get_by_test_id("overdue").is_visible()
        assert "Weber" in page.get_by_test_id("overdue").inner_text()
        assert "B-AM 401" in page.get_by_test_id("test-drives").inner_text()
        assert "Wagner" in page.get_by_test_id("deliveries").inner_text()
        assert page.get_by_test_id("pool").locator("li").count() == 2
        screenshot(page, f"funnel-01-my-day-{width}")
        assert fits(page), f"my day scrolls sideways at {width}px"

        page.goto(f"/sales/leads/{hot.pk}/")
        assert page.get_by_test_id("stage-bar").is_visible()
        assert page.get_by_test_id("onboarding-badge").is_visible()
        guidance = page.locator("details.playbook-stage[open] details.step-guidance[open]").first
        assert guidance.is_visible()
        screenshot(page, f"funnel-02-lead-detail-{width}")
        assert fits(page), f"lead detail scrolls sideways at {width}px"
        assert not page.js_errors, page.js_errors
        page.context.close()

    # the playbook gate, through the page: the order stage needs its steps first
    page = signed_in_page(
        browser, live_server, shop.alice, path=f"/sales/leads/{hot.pk}/", width=1280
    )
    page.get_by_test_id("stage-form").locator("select").select_option("order")
    page.get_by_test_id("advance-stage").click()
    page.wait_for_load_state()
    # The reason at the stage form (once; no banner repeating it), on the lead's own page.
    assert "Deposit received" in page.get_by_test_id("action-errors-stage").inner_text()
    assert page.locator(".messages .alert-danger").count() == 0
    assert page.url.split("#")[0].endswith(f"/sales/leads/{hot.pk}/")
    screenshot(page, "funnel-03-playbook-gate-1280")
    page.context.close()

    for width in (1280, 820):
        page = signed_in_page(
            browser, live_server, shop.manager, path="/sales/funnel/", width=width
        )
        assert page.get_by_test_id("funnel-table").is_visible()
        screenshot(page, f"funnel-04-manager-funnel-{width}")
        assert fits(page), f"funnel scrolls sideways at {width}px"
        page.goto("/sales/approvals/")
        assert "Chose a rival SUV" in page.get_by_test_id("inbox-lost").inner_text()
        screenshot(page, f"funnel-05-approvals-{width}")
        page.goto("/sales/activity/")
        screenshot(page, f"funnel-06-activity-{width}")
        assert not page.js_errors, page.js_errors
        page.context.close()
