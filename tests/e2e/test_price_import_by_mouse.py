"""A strict price-list import in a real browser (issue 14, item 3): HQ uploads a parts price list
with one bad row, reads the error (row and column), fixes the file, checks the dry run (old →
new price), applies it as a draft, and once the draft is published the new price is the one in
force while the day before keeps the old one.

Then the whole way to a quote (issue 14, "Tests"): a consultant's quote priced from the vehicle
list in force; HQ imports the next vehicle list with one bad row, reads the error, fixes the
file, applies it, checks and publishes the draft from the next day, all by mouse; on that day a
consultant makes a new quote by mouse, priced from the new version, while the old quote keeps
its own price. The clock is frozen (time-machine, moved on a day in the middle)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from playwright.sync_api import expect

from bulletins import pricing
from bulletins import pricing_services as ps
from bulletins.models import PriceList, PriceListVersion
from dms.tenancy.context import as_dealer
from inventory.models import Part, PartGroup, VehicleModel
from sales.models import Quote
from tests.e2e.conftest import screenshot, signed_in_page
from tests.factories import hq_user
from tests.imports.conftest import csv_bytes
from tests.sales.conftest import make_showroom

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


def _click(page: Any, locator: Any) -> None:
    """A real mouse click in the middle of the element (it must be visible, with a size)."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def upload(page: Any, list_label: str, path: Path, kind: str = "prices_parts") -> None:
    page.goto("/imports/")
    page.locator("#id_kind").select_option(kind)
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


BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
VEHICLE_HEADER = ["kind", "code", "price"]


def test_a_new_quote_takes_the_imported_price_and_an_old_quote_keeps_its_own(
    browser: Any, live_server: Any, tmp_path: Path
) -> None:
    with time_machine.travel(dt.datetime(2027, 3, 10, 10, 0, tzinfo=BERLIN), tick=True) as clock:
        room = make_showroom(code="QP1")
        lead = room.lead(vehicle_model=VehicleModel.objects.get(code="A3"))
        old_quote = room.quote(lead)  # priced today from the seeded version 1
        assert old_quote.list_price == Decimal("21490.00")
        assert old_quote.price_version is not None and old_quote.price_version.number == 1
        vehicles = PriceList.objects.get(kind="vehicle")
        admin = hq_user("hq_admin", username="hq_vehicle_prices")

        page = signed_in_page(browser, live_server, admin)
        page.set_default_timeout(60_000)  # a loaded 2-core machine
        # The next list: every line of version 1, the core trim dearer, written 22,990.00.
        others = [
            [kind, code, str(price)]
            for (kind, code), (price,) in sorted(
                pricing.version_lines(vehicles.versions.get()).items()
            )
            if (kind, code) != ("trim", "A3-CORE")
        ]
        prices = tmp_path / "vehicles.csv"
        prices.write_bytes(csv_bytes([["trim", "A3-CORE", "22,990.00"], *others], VEHICLE_HEADER))
        label = f"Vehicle price list: {vehicles.name}"
        upload(page, label, prices, kind="prices_vehicles")
        errors = page.get_by_test_id("import-errors")
        assert "1 error" in page.get_by_test_id("import-error-count").inner_text()
        assert "no thousands separators" in errors.inner_text()
        assert errors.locator("tbody tr td").nth(0).inner_text() == "2"  # the spreadsheet's row
        assert page.get_by_test_id("import-apply").count() == 0
        assert vehicles.versions.count() == 1  # nothing imported
        screenshot(page, "imports-vehicles-01-bad-row")

        prices.write_bytes(csv_bytes([["trim", "A3-CORE", "22990.00"], *others], VEHICLE_HEADER))
        upload(page, label, prices, kind="prices_vehicles")
        changes = page.get_by_test_id("import-changes").inner_text()
        assert "21490.00" in changes and "22990.00" in changes
        screenshot(page, "imports-vehicles-02-dry-run")
        _click(page, page.get_by_test_id("import-apply"))
        page.get_by_test_id("import-applied").wait_for()
        assert "Draft version 2" in page.get_by_test_id("import-applied").inner_text()

        # The draft, checked and published from tomorrow in the price-list pages.
        page.goto("/prices/lists/")
        card = page.locator(".card").filter(
            has=page.get_by_role("heading", name=re.compile(f"^{vehicles.name}"))
        )
        _click(page, card.get_by_role("link", name="Version 2"))
        page.wait_for_url("**/prices/versions/*/")
        _click(page, page.get_by_role("button", name="Check"))
        page.get_by_text("Checked: the version may be published.").wait_for()
        _click(page, page.get_by_role("link", name="Publish…"))
        tomorrow = dt.date(2027, 3, 11)
        page.get_by_label("Valid from").fill(tomorrow.isoformat())
        _click(page, page.get_by_label("I have checked the differences"))
        _click(page, page.get_by_role("button", name="Publish", exact=True))
        page.get_by_text("Version 2 is published.").wait_for()
        screenshot(page, "imports-vehicles-03-published")
        assert not page.js_errors

        # Still today: version 1 prices; the consultant's new quote is made tomorrow.
        assert pricing.vehicle_prices(tomorrow - dt.timedelta(days=1)).get(
            "trim", "A3-CORE"
        ) == Decimal("21490.00")
        clock.move_to(dt.datetime(2027, 3, 11, 9, 0, tzinfo=BERLIN))

        desk = signed_in_page(browser, live_server, room.alice)
        desk.set_default_timeout(60_000)
        desk.goto(f"/sales/leads/{lead.pk}/")
        _click(desk, desk.get_by_role("link", name="Quote", exact=True))
        desk.wait_for_url(f"**/showroom/leads/{lead.pk}/quote/")
        expect(desk.get_by_test_id("quote-list-price")).to_contain_text("22,990.00")
        expect(desk.get_by_test_id("quote-totals")).to_contain_text("valid from 11 Mar 2027")
        screenshot(desk, "imports-vehicles-04-new-quote")
        _click(desk, desk.get_by_role("button", name="Save quote"))
        desk.get_by_text("saved.").first.wait_for()
        expect(desk.get_by_test_id("quote-lines")).to_contain_text("22,990.00")
        expect(desk.get_by_test_id("quote-total")).to_contain_text("22,990.00")
        screenshot(desk, "imports-vehicles-05-new-quote-saved")

        desk.goto(f"/showroom/quotes/{old_quote.pk}/")
        expect(desk.get_by_test_id("quote-lines")).to_contain_text("21,490.00")
        expect(desk.get_by_test_id("quote-total")).to_contain_text("21,490.00")
        expect(desk.get_by_test_id("quote-lines")).not_to_contain_text("22,990.00")
        screenshot(desk, "imports-vehicles-06-old-quote")
        assert not desk.js_errors

        with as_dealer(room.dealer):
            new_quote = Quote.objects.filter(lead=lead).exclude(pk=old_quote.pk).get()
            old_quote.refresh_from_db()
        assert new_quote.price_version is not None and new_quote.price_version.number == 2
        assert new_quote.list_price == Decimal("22990.00")
        assert old_quote.price_version is not None and old_quote.price_version.number == 1
        assert old_quote.list_price == Decimal("21490.00")
