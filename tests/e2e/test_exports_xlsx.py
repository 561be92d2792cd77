"""Excel where managers expect it (issue 13, item 11), in a real browser: the dealer manager opens
the exports page, clicks "XLSX" beside the funnel table and gets a workbook with the table; on
the network dashboard HQ finds an XLSX button next to the CSV one."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.e2e.conftest import screenshot
from tests.e2e.test_login_flow import current_code, log_in, submit, with_totp
from tests.factories import TEST_PASSWORD
from tests.reports.dashboards.facts import build_network
from tests.reports.dashboards.test_selectors import orders_history

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_manager_downloads_the_funnel_and_hq_the_network_as_xlsx(
    page: Any, live_server: Any
) -> None:
    net = build_network()
    orders_history(net)

    log_in(page, net.manager.username, TEST_PASSWORD)
    page.goto("/reports/exports/?year=2026&month=3")
    row = page.locator("li", has=page.get_by_test_id("export-xlsx-funnel"))
    assert row.get_by_test_id("export-csv-funnel").is_visible()  # CSV and XLSX side by side
    screenshot(page, "exports-01-csv-and-xlsx")
    with page.expect_download() as download:
        page.get_by_test_id("export-xlsx-funnel").click()
    assert download.value.suggested_filename == "kpi-funnel-DA01-2026-03.xlsx"
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("dealer", "month", "part", "stage")
    assert [r[2:4] for r in rows[1:3]] == [("cohort", "new"), ("cohort", "contacted")]

    page.context.clear_cookies()
    device = with_totp(net.regional)
    log_in(page, net.regional.username, TEST_PASSWORD)
    page.locator("[name='token-otp_token']").fill(current_code(device))
    submit(page, "token-otp_token")
    page.goto("/reports/network/?year=2026&month=3")
    assert page.get_by_test_id("network-csv").is_visible()
    with page.expect_download() as download:
        page.get_by_test_id("network-xlsx").click()
    assert download.value.suggested_filename == "kpi-network-2026-03.xlsx"
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).worksheets[0]
    dealers = [r[3] for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "dealer"]
    assert dealers == ["DA01", "DB02"]  # the regional manager's region only
    screenshot(page, "exports-02-network-xlsx-button")
