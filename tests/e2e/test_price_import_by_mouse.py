"""A strict price-list import in a real browser (issue 14, item 3): HQ uploads a parts price list
with one bad row, reads the error (row and column), fixes the file, checks the dry run (old →
new price), applies it as a draft, and once the draft is published the new price is the one in
force while the day before keeps the old one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bulletins import pricing
from bulletins import pricing_services as ps
from bulletins.models import PriceListVersion
from inventory.models import Part, PartGroup
from tests.e2e.conftest import screenshot, signed_in_page
from tests.factories import hq_user
from tests.imports.conftest import csv_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
HEADER = ["part_number", "retail_price", "dealer_net_price"]


@pytest.fixture(autouse=True)
def eager(settings: Any, tmp_path: Path) -> Iterator[None]:
    from dms.celery import app

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def upload(page: Any, list_label: str, path: Path) -> None:
    page.goto("/imports/")
    page.locator("#id_kind").select_option("prices_parts")
    page.locator("#id_target").select_option(label=list_label)
    page.locator("#id_file").set_input_files(str(path))
    page.get_by_test_id("import-check").click()
    page.wait_for_url("**/imports/*/")


def test_hq_fixes_a_bad_row_applies_and_publishes(
    browser: Any, live_server: Any, tmp_path: Path
) -> None:
    admin = hq_user("hq_admin")
    group = PartGroup.objects.create(code="BRK", name="Brakes")
    for number in ("0001234", "0001235"):
        Part.objects.create(number=number, description=f"Part {number}", group=group)
    plist = ps.create_price_list(name="Parts", kind="parts", currency="EUR", actor=admin)
    first = ps.draft_from_rows(
        price_list=plist,
        rows=[ps.PartRow("0001234", Decimal("12.30")), ps.PartRow("0001235", Decimal("8.00"))],
        actor=admin,
    )
    ps.check_version(version=first, actor=admin)
    today = ps.importer_today()
    ps.publish(version=first, valid_from=today, actor=admin)

    page = signed_in_page(browser, live_server, admin)
    page.set_default_timeout(60_000)  # a loaded 2-core machine
    bad = tmp_path / "prices.csv"
    bad.write_bytes(csv_bytes([["0001234", "12.90", ""], ["0001235", "1,234.50", ""]], HEADER))
    upload(page, "Parts price list: Parts", bad)
    errors = page.get_by_test_id("import-errors")
    assert "1 error" in page.get_by_test_id("import-error-count").inner_text()
    assert "no thousands separators" in errors.inner_text()
    assert errors.locator("tbody tr td").nth(0).inner_text() == "3"  # the spreadsheet's row
    assert page.get_by_test_id("import-apply").count() == 0
    screenshot(page, "imports-01-bad-row")

    bad.write_bytes(csv_bytes([["0001234", "12.90", ""], ["0001235", "1234.50", ""]], HEADER))
    upload(page, "Parts price list: Parts", bad)
    changes = page.get_by_test_id("import-changes").inner_text()
    assert "12.30" in changes and "12.90" in changes
    screenshot(page, "imports-02-dry-run")
    page.get_by_test_id("import-apply").click()
    page.get_by_test_id("import-applied").wait_for()
    assert "Draft version 2" in page.get_by_test_id("import-applied").inner_text()
    screenshot(page, "imports-03-applied")
    assert not page.js_errors

    draft = PriceListVersion.objects.get(price_list=plist, number=2)
    assert pricing.part_prices(today, numbers=["0001234"]).get("0001234").retail == Decimal("12.30")
    assert ps.check_version(version=draft, actor=admin) == []
    tomorrow = today + dt.timedelta(days=1)
    ps.publish(version=draft, valid_from=tomorrow, actor=admin)
    assert pricing.part_prices(tomorrow, numbers=["0001234"]).get("0001234").retail == Decimal(
        "12.90"
    )
    assert pricing.part_prices(today, numbers=["0001234"]).get("0001234").retail == Decimal("12.30")
