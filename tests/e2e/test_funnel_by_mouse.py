"""The funnel's figures in a real browser: a sales manager reads March on the dashboard, clicks
through to the funnel page, picks March there and sees the same cohort — every share of the
leads opened, none above 100 % — and the month's stage entries as plain counts. No console
error, no JavaScript error."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_login_flow import log_in
from tests.factories import TEST_PASSWORD
from tests.reports.dashboards.facts import build_network
from tests.reports.dashboards.test_selectors import orders_history

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# orders_history: 12 leads opened in March at dealer A (Alice 9, Bob 3)
REACHED = {"new": "12", "contacted": "11", "visited": "7", "quote": "3", "delivered": "1"}
SHARES = {"new": "100.0 %", "contacted": "91.7 %", "visited": "58.3 %", "delivered": "8.3 %"}


def _percentages(texts: list[str]) -> list[float]:
    return [float(m) for t in texts for m in re.findall(r"(\d+(?:\.\d+)?) %", t)]


def test_dashboard_and_funnel_page_show_the_same_cohort(page: Any, live_server: Any) -> None:
    net = build_network()
    orders_history(net)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)

    log_in(page, net.sales_manager.username, TEST_PASSWORD)
    page.get_by_role("link", name="Sales performance").first.click()
    page.goto(page.url.split("?")[0] + "?year=2026&month=3")
    card = page.get_by_test_id("funnel")
    for stage, value in REACHED.items():
        expect(card.locator(f"tr[data-stage='{stage}'] [data-col='reached']")).to_have_text(value)
    for stage, value in SHARES.items():
        expect(card.locator(f"tr[data-stage='{stage}'] [data-col='share']")).to_have_text(value)
    # the month's stage entries (20 entered New: leads of other months too) are counts
    expect(card.locator("tr[data-stage='new'] [data-col='entered']")).to_have_text("20")
    expect(page.get_by_test_id("lead-to-delivery")).to_have_text("Lead to delivery: 8.3 %")
    shares = card.locator("[data-col='share']").all_inner_texts()
    assert max(_percentages(shares)) == 100.0
    expect(page.locator("#chart-funnel")).to_be_visible()
    page.wait_for_timeout(400)  # the chart's animation
    screenshot(page, "funnel-01-dashboard-march")

    page.get_by_role("link", name="Live funnel").click()
    expect(page.get_by_test_id("funnel-cohort")).to_be_visible()
    page.locator("#start").fill("2026-03-01")
    page.locator("#end").fill("2026-03-31")
    page.get_by_role("button", name="Show").click()
    bars = page.get_by_test_id("funnel-total")
    for stage, value in REACHED.items():
        expect(bars.locator(f"[data-stage='{stage}']")).to_have_text(value)
    for stage, value in SHARES.items():
        expect(bars.locator(f"[data-share='{stage}']")).to_have_text(value)
    expect(page.get_by_test_id("funnel-opened")).to_have_text("12 leads opened")
    outcomes = page.get_by_test_id("funnel-outcomes")
    expect(outcomes.locator("[data-outcome='lost']")).to_contain_text("3 (25.0 %)")
    expect(outcomes.locator("[data-outcome='open']")).to_contain_text("7 (58.3 %)")
    activity = page.get_by_test_id("funnel-activity").locator("tr[data-total]")
    expect(activity.locator("[data-stage='new']")).to_have_text("20")
    expect(activity.locator("[data-stage='lost']")).to_have_text("4")
    assert "%" not in page.get_by_test_id("funnel-activity").locator("tbody").inner_text()
    texts = page.get_by_test_id("funnel-table").locator("td").all_inner_texts()
    assert max(_percentages(texts + bars.all_inner_texts())) <= 100.0
    screenshot(page, "funnel-02-funnel-page-march")
    assert not console, f"console errors: {console}"
