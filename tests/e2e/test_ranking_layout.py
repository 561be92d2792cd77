"""The network ranking on a 1366 px wide screen (issue 13, item 6): every column is inside the
page (no inner scroll box that clipped the right-hand columns and held the rows at 70 % of the
screen's height), and the ranking is paged: the HQ admin clicks to the next page and the month
chosen stays."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from reports.dashboards import views
from tests.e2e.conftest import screenshot
from tests.e2e.test_login_flow import current_code, log_in, submit, with_totp
from tests.factories import TEST_PASSWORD, DealerFactory
from tests.reports.dashboards.facts import build_network
from tests.reports.dashboards.test_selectors import orders_history

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FITS = """() => {
  const box = document.querySelector('[data-testid=dealer-table-box]');
  const right = box.getBoundingClientRect().right;
  const cells = [...box.querySelectorAll('th, td')];
  return {
    inner_x: box.scrollWidth - box.clientWidth,
    inner_y: box.scrollHeight - box.clientHeight,
    page_x: document.documentElement.scrollWidth - window.innerWidth,
    cut: cells.filter(c => c.getBoundingClientRect().right > right + 0.5).length,
  };
}"""


def test_the_ranking_fits_1366_px_and_pages_by_mouse(
    page: Any, live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    net = build_network()
    orders_history(net)
    # a long dealer name, as the network has them
    DealerFactory(
        code="DL99",
        name="Autohaus Mustermann-Großhandel und Söhne Fahrzeugvertrieb",
        region=net.north,
    )
    monkeypatch.setattr(views, "RANKING_PAGE_SIZE", 3)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.set_viewport_size({"width": 1366, "height": 768})
    device = with_totp(net.hq_admin)
    log_in(page, net.hq_admin.username, TEST_PASSWORD)
    page.locator("[name='token-otp_token']").fill(current_code(device))
    submit(page, "token-otp_token")

    page.get_by_role("link", name="Network performance").first.click()
    form = page.get_by_test_id("network-filter")
    form.locator("select[name='month']").select_option("3")
    form.locator("select[name='year']").select_option("2026")
    form.get_by_role("button", name="Apply").click()
    table = page.get_by_test_id("dealer-table")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(page.get_by_test_id("pager")).to_contain_text("Page 1 of 2")
    fits = page.evaluate(FITS)
    assert fits == {"inner_x": 0, "inner_y": 0, "page_x": 0, "cut": 0}, fits
    screenshot(page, "ranking-01-1366-page-1")

    page.get_by_test_id("pager-next").click()
    expect(page.get_by_test_id("pager")).to_contain_text("Page 2 of 2")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("Mustermann")
    assert "month=3" in page.url and "year=2026" in page.url and "page=2" in page.url
    assert page.evaluate(FITS) == {"inner_x": 0, "inner_y": 0, "page_x": 0, "cut": 0}
    screenshot(page, "ranking-02-1366-page-2")
    assert not console, console
