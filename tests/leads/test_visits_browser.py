"""In a real browser (headless Chromium, Playwright): a consultant registers a call in the visitor
log (htmx, no page reload), sets the outcome in the day list, opens the customer card; a
colleague registering the same phone sees only who serves the customer and files a claim.
Screenshots at desk (1280 px) and tablet (820 px) width go to artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from dms.tenancy.context import as_dealer
from inventory.models import VehicleModel
from leads.models import Customer, OwnershipClaim, Visit
from leads.services.customers import register_contact, update_customer
from leads.services.timeline import add_timeline_event
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, signed_in_page
from tests.leads._funnel import Shop, make_shop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser(django_db_setup: Any) -> Iterator[Any]:
    """Chromium for this module (as tests/e2e/conftest.py does): Playwright's sync API keeps an
    event loop running in this thread, so the ORM is allowed here only while it lives."""
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def screenshot(page: Any, name: str) -> None:
    """Full-page screenshot. caret="initial": Playwright's default caret hiding leaves style=""
    on every input (htmx no longer settles style attributes, so it would be harmless now; see
    tests/e2e/test_layout_faults.py)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, caret="initial")


def demo_day(shop: Shop) -> Customer:
    """A morning in the showroom: a few visitors and calls, one rich customer card."""
    models = list(VehicleModel.objects.order_by("pk"))
    now = timezone.now()
    # "this morning" in the dealer's own day: shortly after its midnight, earlier visits would
    # belong to the previous day's list
    midnight = timezone.localtime(now, zoneinfo.ZoneInfo(shop.dealer.timezone)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    people = [
        ("Jonas Weber", "030 5550101", "walk_in", 3, 95, "test_drive"),
        ("Lea Fischer", "0151 55501023", "phone", 1, 70, "appointment"),
        ("Mehmet Yilmaz", "030 5550103", "walk_in", 2, 40, ""),
    ]
    with as_dealer(shop.dealer):
        for i, (name, phone, kind, party, minutes_ago, outcome) in enumerate(people):
            arrived = max(
                now - dt.timedelta(minutes=minutes_ago), midnight + dt.timedelta(minutes=i)
            )
            register_contact(
                dealer=shop.dealer,
                actor=shop.alice if i != 2 else shop.bob,
                kind=kind,
                source_code=kind,
                name=name,
                phone=phone,
                party_size=party,
                vehicle_model=models[i % len(models)],
                arrived_at=arrived,
                left_at=min(arrived + dt.timedelta(minutes=35), now) if outcome else None,
                outcome=outcome,
            )
        customer = Customer.objects.get(last_name="Weber")
        update_customer(
            customer=customer,
            actor=shop.alice,
            data={
                "email": "jonas.weber@example.com",
                "street": "Kastanienallee 12",
                "postal_code": "10435",
                "city": "Berlin",
                "budget": "42000",
                "payment": "finance",
                "trade_in": "VW Golf VII, 2016, 98,000 km",
                "driving_preferences": "Mostly city, weekend trips with two children.",
                "competitor_models": "Skoda Enyaq, VW ID.4",
                "interests": "Cycling, camping",
                "consents": {"phone": True, "email": True},
                "models_of_interest": models[:2],
            },
        )
        add_timeline_event(
            customer=customer,
            kind="call",
            summary="Called back about finance",
            actor=shop.alice,
            at=now - dt.timedelta(days=2),
        )
        return customer


# The colleague's customer card answers 404 on purpose: the browser logs its status.
@pytest.mark.console_errors_allowed(
    r"status of 404 \(Not Found\) \(http://[^/]+/sales/customers/\d+/\)"
)
def test_visitor_log_register_conflict_and_card(browser: Any, live_server: Any) -> None:
    from playwright.sync_api import expect

    shop = make_shop(name="Autohaus Mitte", code="DE100")
    weber = demo_day(shop)

    # --- Alice registers a call in the quick form -----------------------------------------------
    page = signed_in_page(browser, live_server, shop.alice)
    page.goto("/sales/visits/")
    expect(page.locator("[data-testid=visit-row]")).to_have_count(2)
    screenshot(page, "leads-01-visitor-log-1280")
    page.locator("label[for=id_kind_1]").click()  # Phone call
    expect(page.locator("select[name=source]")).to_have_value("phone")
    expect(page.locator("[data-walk-in-only]")).to_be_hidden()
    page.fill("input[name=name]", "Clara Neumann")
    page.fill("input[name=phone]", "0151 2345 6789")
    page.select_option("select[name=vehicle_model]", index=1)
    page.click("[data-testid=register-submit]")
    expect(page.locator("[data-testid=register-success]")).to_contain_text("Clara Neumann")
    expect(page.locator("[data-testid=visit-list]")).to_contain_text("Clara Neumann")
    expect(page.locator("input[name=name]")).to_have_value("")
    screenshot(page, "leads-02-registered-1280")

    # --- ...and sets the outcome of Jonas Weber's visit in the list ------------------------------
    row = page.locator("[data-testid=visit-row]", has_text="Jonas Weber")
    row.locator("[data-testid=visit-edit]").click()
    edit = page.locator("[data-testid=visit-edit-row]")
    edit.locator("select[name=outcome]").select_option("quote")
    edit.locator("[data-testid=visit-save]").click()
    expect(page.locator("[data-testid=visit-row]", has_text="Jonas Weber")).to_contain_text(
        "Quote given"
    )
    assert page.js_errors == []  # type: ignore[attr-defined]

    # --- the card, at desk and tablet width ----------------------------------------------------
    page.goto(f"/sales/customers/{weber.pk}/")
    expect(page.locator("h1")).to_contain_text("Jonas Weber")
    expect(page.locator("[data-testid=timeline]")).to_contain_text("Called back about finance")
    screenshot(page, "leads-03-customer-card-1280")
    page.goto(f"/sales/customers/{weber.pk}/edit/")
    expect(page.locator(".ts-wrapper")).to_have_count(1)  # Tom Select on models of interest
    screenshot(page, "leads-04-customer-edit-1280")
    page.goto("/sales/customers/")
    screenshot(page, "leads-05-customer-list-1280")
    page.context.close()

    tablet = signed_in_page(browser, live_server, shop.alice, width=820)
    tablet.goto("/sales/visits/")
    screenshot(tablet, "leads-06-visitor-log-820")
    tablet.goto(f"/sales/customers/{weber.pk}/")
    screenshot(tablet, "leads-07-customer-card-820")
    assert tablet.js_errors == []  # type: ignore[attr-defined]
    tablet.context.close()

    # --- Bob registers the same phone: only who serves them, then a claim ------------------------
    bob = signed_in_page(browser, live_server, shop.bob)
    bob.goto("/sales/visits/")
    bob.fill("input[name=name]", "J. Weber")
    bob.fill("input[name=phone]", "+49 30 555 0101")
    bob.click("[data-testid=register-submit]")
    conflict = bob.locator("[data-testid=conflict]")
    expect(conflict).to_contain_text("Already served by Alice Able since")
    expect(bob.locator("body")).not_to_contain_text("jonas.weber@example.com")
    expect(bob.locator("body")).not_to_contain_text("Kastanienallee")
    screenshot(bob, "leads-08-colleague-conflict-1280")
    bob.fill("textarea[name=reason]", "He asked for me, we met at the motor show.")
    bob.click("[data-testid=claim-submit]")
    expect(bob.locator("[data-testid=claim-sent]")).to_be_visible()
    assert bob.js_errors == []  # type: ignore[attr-defined]
    response = bob.goto(f"/sales/customers/{weber.pk}/")
    assert response is not None and response.status == 404
    bob.context.close()

    # --- the manager decides ------------------------------------------------------------------
    manager = signed_in_page(browser, live_server, shop.manager)
    manager.goto("/sales/claims/")
    screenshot(manager, "leads-09-claims-manager-1280")
    manager.click("[data-testid=claim-approve]")
    expect(manager.locator("body")).to_contain_text("Claim approved")
    manager.goto("/sales/visits/")
    screenshot(manager, "leads-10-visitor-log-manager-1280")
    manager.context.close()
    with as_dealer(shop.dealer):
        assert OwnershipClaim.objects.get().status == "approved"
        assert Customer.objects.get(pk=weber.pk).owner == shop.bob
        assert Visit.objects.filter(customer__last_name="Neumann", kind="phone").count() == 1
