"""HQ drill-down in a real browser: a regional manager logs in (password + TOTP), opens the
network view, sees only their region's dealers, clicks a dealer and sees its funnel and
consultants read only; the charts draw without JavaScript errors (CSP: no inline scripts)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_login_flow import current_code, log_in, submit, with_totp
from tests.factories import TEST_PASSWORD
from tests.reports.dashboards.facts import build_network
from tests.reports.dashboards.test_selectors import orders_history

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


# The other region's dealer answers 404 on purpose: the browser logs its status.
@pytest.mark.console_errors_allowed(
    r"status of 404 \(Not Found\) \(http://[^/]+/reports/network/\d+/\)"
)
def test_regional_manager_drills_down_to_a_dealer(page: Any, live_server: Any) -> None:
    net = build_network()
    orders_history(net)
    device = with_totp(net.regional)

    log_in(page, net.regional.username, TEST_PASSWORD)
    page.locator("[name='token-otp_token']").fill(current_code(device))
    submit(page, "token-otp_token")
    expect(page.locator("body")).to_contain_text("HQ regional manager")

    page.get_by_role("link", name="Network performance").first.click()
    page.goto(page.url + "?year=2026&month=3")
    table = page.get_by_test_id("dealer-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).to_contain_text("Alpha Motors")
    expect(table).to_contain_text("Beta Cars")
    expect(page.locator("body")).not_to_contain_text("Gamma Auto")  # South: not their region
    expect(page.get_by_test_id("network-attainment")).to_have_text("35.0 %")
    expect(page.locator("#chart-regions")).to_be_visible()
    screenshot(page, "reports-01-network-regional-manager")

    page.get_by_test_id("drill-DA01").click()
    expect(page.get_by_test_id("dashboard-dealer")).to_contain_text("Alpha Motors")
    expect(page.get_by_test_id("read-only")).to_be_visible()
    funnel = page.get_by_test_id("funnel")  # 12 leads opened in March, 11 of them contacted
    expect(funnel.locator("tr[data-stage='new'] [data-col='reached']")).to_have_text("12")
    expect(funnel.locator("tr[data-stage='contacted'] [data-col='share']")).to_have_text("91.7 %")
    board = page.get_by_test_id("leaderboard")
    expect(board.locator("tbody tr")).to_have_count(2)
    expect(board.locator("tbody tr").first).to_contain_text("Alice Adams")
    expect(board).to_contain_text("Bob Brown")
    expect(page.get_by_test_id("mtd-actual-orders")).to_have_text("4")
    # Nothing to change here: the page holds no form that posts (the period picker is a GET).
    assert page.locator("main form").count() == 1
    assert page.locator("main form[method='post']").count() == 0
    page.get_by_role("button", name="Test drives").click()  # switch the trend chart
    expect(page.get_by_role("button", name="Test drives")).to_have_attribute("aria-pressed", "true")
    page.wait_for_timeout(500)  # the chart's animation
    screenshot(page, "reports-02-drilldown-dealer")

    page.get_by_test_id("back-to-network").click()
    expect(page.get_by_test_id("dealer-table")).to_be_visible()
    assert "month=3" in page.url  # back to the same view

    # Another region's dealer: the same answer as a dealer that does not exist.
    response = page.goto(f"/reports/network/{net.c.pk}/")
    assert response is not None and response.status == 404
