"""The showroom in a real browser (headless Debian Chromium): book a test drive, build a quote
with the live total, open its PDF, accept it, order, pay and deliver. Screenshots go to
artifacts/screenshots/ (sales-*.png)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from dms.tenancy.context import as_dealer
from leads.models import Lead, Stage
from sales.models import Order, Quote
from tests.e2e.conftest import SCREENSHOTS, browser, page, screenshot  # noqa: F401 (fixtures)
from tests.factories import TEST_PASSWORD
from tests.sales.conftest import make_showroom

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page: Any, username: str) -> None:  # noqa: F811
    page.goto("/account/login/")
    page.fill("[name='auth-username']", username)
    page.fill("[name='auth-password']", TEST_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    expect(page.locator("body")).not_to_contain_text("Password", timeout=15_000)


def test_consultant_books_quotes_orders_and_delivers(page: Any, live_server: Any) -> None:  # noqa: F811
    room = make_showroom(
        name="Autohaus Nord",
        legal_name="Autohaus Nord GmbH",
        street="Seestraße 5",
        postal_code="13353",
    )
    lead = room.lead(stage=Stage.VISITED)
    room.steps(lead, "walk_around")
    log_in(page, room.alice.username)

    # Test drive: book a slot, see it in the day plan.
    page.goto(f"/showroom/leads/{lead.pk}/test-drive/")
    page.select_option("[name='vehicle']", str(room.car.pk))
    page.fill("[name='day']", room.tomorrow.isoformat())
    page.fill("[name='start_time']", "10:00")
    screenshot(page, "sales-01-test-drive-booking")
    page.locator("[data-testid='booking-form'] button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("Test drive")
    page.fill("[name='licence_number']", "B072RRE2I55")
    page.check("[name='licence_checked']")
    page.check("[name='consent']")
    page.locator("[data-testid='checkout-form'] button[type=submit]").click()
    expect(page.locator("[data-testid='checkin-form']")).to_be_visible()
    page.fill("[name='km_in']", "1242")
    page.fill("[name='outcome']", "Convinced: wants a quote")
    page.locator("[data-testid='checkin-form'] button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("Done")
    screenshot(page, "sales-02-test-drive-done")

    # Quote builder with the live total (htmx).
    page.goto(f"/showroom/leads/{lead.pk}/quote/")
    page.select_option("[name='trim']", "A3-STYLE")
    page.select_option("[name='colour']", "BLU")
    page.check("input[name='options'][value='PKG-WINTER']")
    page.check("input[name='accessories'][value='MATS']")
    totals = page.locator("[data-testid='quote-total']")
    expect(totals).to_have_text("EUR 26,799.00")  # 24990 + 890 + 790 + 129
    page.fill("[name='discount']", "800")
    page.check("input[name='payment'][value='finance']")
    page.fill("[name='down_payment']", "5000")
    page.fill("[name='term_months']", "48")
    page.fill("[name='annual_rate_percent']", "3.9")
    page.locator("[name='annual_rate_percent']").dispatch_event("change")
    expect(page.locator("[data-testid='quote-monthly']")).to_contain_text("a month for 48 months")
    expect(totals).to_have_text("EUR 25,999.00")
    screenshot(page, "sales-03-quote-builder")
    page.locator("#quote-form button[type=submit]").click()
    expect(page.locator("[data-testid='quote-status']")).to_have_text("Draft")
    screenshot(page, "sales-04-quote-detail")

    with as_dealer(room.dealer):
        quote = Quote.objects.get(lead=lead)
    pdf = page.request.get(f"/showroom/quotes/{quote.pk}/pdf/")
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pdf_path = SCREENSHOTS / "sales-05-quote.pdf"
    pdf_path.write_bytes(pdf.body())
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            str(pdf_path),
            str(SCREENSHOTS / "sales-05-quote-pdf"),
        ],
        check=True,
    )

    page.locator("[data-testid='quote-send']").click()
    expect(page.locator("[data-testid='quote-status']")).to_have_text("Sent")
    page.locator("[data-testid='quote-accept']").click()
    expect(page.locator("[data-testid='quote-status']")).to_have_text("Accepted")
    page.locator("[data-testid='quote-order']").click()

    # Order: deposit now, delivery date, VIN; then balance, checklist, delivery.
    page.fill("[name='deposit_paid']", "2500")
    page.fill("[name='expected_delivery']", room.tomorrow.isoformat())
    page.fill("[name='vin']", "WAUZZZ8V0KA123456")
    page.locator("[data-testid='order-form'] button[type=submit]").click()
    expect(page.locator("[data-testid='order-status']")).to_have_text("Open")
    expect(page.locator("[data-testid='delivery-blockers']")).to_contain_text("Delivery is blocked")
    expect(page.locator("[data-testid='deliver']")).to_be_disabled()
    screenshot(page, "sales-06-order-open")
    balance = page.locator("[data-testid='order-balance']").inner_text()
    amount = re.sub(r"[^0-9.]", "", balance)
    page.select_option("[data-testid='payment-form'] [name='kind']", "balance")
    page.fill("[data-testid='payment-form'] [name='amount']", amount)
    page.locator("[data-testid='payment-form'] button[type=submit]").click()
    expect(page.locator("[data-testid='order-balance']")).to_have_text("EUR 0.00")
    for code in ("pdi_done", "documents", "handover_prep"):
        page.check(f"#check-{code}")
    page.locator("[data-testid='checklist-form'] button[type=submit]").click()
    page.locator("[data-testid='deliver']").click()
    expect(page.locator("[data-testid='order-status']")).to_have_text("Delivered")
    screenshot(page, "sales-07-order-delivered")

    with as_dealer(room.dealer):
        lead = Lead.objects.get(pk=lead.pk)
        assert Order.objects.get(quote__lead=lead).status == Order.Status.DELIVERED
    assert lead.stage == Stage.DELIVERED and not lead.is_open and lead.credited_to == room.alice
    assert Path(SCREENSHOTS / "sales-05-quote-pdf-1.png").exists()


def test_manager_approves_a_discount_and_runs_the_fleet(page: Any, live_server: Any) -> None:  # noqa: F811
    room = make_showroom(name="Autohaus Ost")
    lead = room.lead(stage=Stage.TEST_DRIVE)
    quote = room.quote(lead, colour="RED", option_codes=("PKG-TECH",), discount="2500")
    log_in(page, room.manager.username)

    page.goto("/showroom/quotes/?status=pending_discount")
    expect(page.locator("[data-testid='quote-list']")).to_contain_text(str(quote.customer))
    screenshot(page, "sales-08-quotes-pending-discount")
    page.goto(f"/showroom/quotes/{quote.pk}/")
    expect(page.locator("[data-testid='discount-pending']")).to_be_visible()
    expect(page.locator("[data-testid='quote-send']")).to_be_disabled()
    screenshot(page, "sales-09-quote-discount-pending")
    page.fill("[data-testid='discount-decision'] [name='note']", "Loyal customer, second car")
    page.locator("[data-testid='discount-decision'] button[value='approve']").click()
    expect(page.locator("body")).to_contain_text("Discount approved by Maria Manager")

    page.goto("/showroom/demo-vehicles/")
    page.select_option(
        "[data-testid='demo-vehicle-form'] [name='vehicle_model']", label="Aurora e1"
    )
    page.fill("[data-testid='demo-vehicle-form'] [name='vin']", "LAUE1DEM0NS000042")
    page.fill("[data-testid='demo-vehicle-form'] [name='plate']", "b-au 42e")
    page.locator("[data-testid='demo-vehicle-form'] button[type=submit]").click()
    expect(page.locator("[data-testid='demo-vehicles']")).to_contain_text("B-AU 42E")
    screenshot(page, "sales-10-demo-fleet")

    room.drive(lead, room.at(room.tomorrow, 9, 30), actor=room.alice)
    page.goto(f"/showroom/test-drives/?day={room.tomorrow.isoformat()}")
    expect(page.locator("[data-testid='day-plan']")).to_contain_text("09:30–10:30")
    screenshot(page, "sales-11-test-drive-planner")
