"""Forms a person can trust (issue 13, item 8), clicked and typed in a real browser:

- the quote builder prices the preselected trim at once; a discount beyond the price gives one
  message, under the field, while the summary keeps the car's price; after saving with the
  error the address bar shows the builder's own address, and a reload sends nothing;
- a stage move the playbook refuses comes back on the lead's page, the reason said once, at
  the form;
- the customer card shows every problem at once (the form's and the card's checks);
- a closed lead's quote form is refused when it is opened.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from dms.tenancy.context import as_dealer
from inventory.models import VehicleModel
from leads.models import Customer, Lead, Stage
from sales.models import Quote
from tests.e2e.conftest import browser, screenshot, signed_in_page  # noqa: F401 (fixtures)
from tests.sales.conftest import make_showroom

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def type_into(page: Any, selector: str, text: str) -> None:
    field = page.locator(selector)
    field.click()
    field.press("Control+A")
    page.keyboard.type(text)


def test_the_quote_builder_says_each_problem_once_and_keeps_its_address(
    browser: Any,  # noqa: F811
    live_server: Any,
) -> None:
    room = make_showroom()
    lead = room.lead(vehicle_model=VehicleModel.objects.get(code="A3"))
    page = signed_in_page(browser, live_server, room.alice)
    url = f"/showroom/leads/{lead.pk}/quote/"
    page.goto(url)
    expect(page.get_by_test_id("quote-total")).to_be_visible()  # the preselected trim, priced
    screenshot(page, "forms-01-quote-preselected-trim")

    type_into(page, "[name='discount']", "99999999")
    page.locator("[name='trade_in_description']").click()  # leave the field: the preview runs
    discount_errors = page.locator("#errors-discount")
    expect(discount_errors).to_contain_text("The discount cannot exceed the price")
    summary = page.get_by_test_id("quote-totals")
    expect(summary.get_by_test_id("quote-subtotal")).to_be_visible()  # the car stays priced
    expect(summary).not_to_contain_text("cannot exceed")
    expect(page.locator("main")).not_to_contain_text("trade-in value cannot exceed")

    page.get_by_role("button", name="Save quote").click()
    expect(page.locator("#errors-discount")).to_contain_text("The discount cannot exceed")
    assert page.url == f"{live_server.url}{url}#quote-form"  # the builder's own address
    assert page.locator("main").inner_text().count("The discount cannot exceed the price") == 1
    expect(page.get_by_test_id("quote-subtotal")).to_be_visible()
    screenshot(page, "forms-02-quote-discount-refused")

    page.reload()  # a reload shows the builder afresh; nothing is sent again
    expect(page.get_by_test_id("quote-total")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("cannot exceed")
    with as_dealer(room.dealer):
        assert not Quote.objects.filter(lead=lead).exists()
    assert page.js_errors == []


def test_a_refused_stage_move_comes_back_on_the_leads_page(
    browser: Any,  # noqa: F811
    live_server: Any,
) -> None:
    room = make_showroom()
    lead = room.lead(stage=Stage.CONTACTED)
    page = signed_in_page(browser, live_server, room.alice)
    page.goto(f"/sales/leads/{lead.pk}/")
    form = page.get_by_test_id("stage-form")
    form.get_by_role("combobox").select_option("visited")
    form.get_by_test_id("advance-stage").click()
    errors = page.get_by_test_id("action-errors-stage")
    expect(errors).to_contain_text("The playbook requires these steps before this stage")
    assert page.url.split("#")[0] == f"{live_server.url}/sales/leads/{lead.pk}/"
    assert page.locator(".messages .alert-danger").count() == 0  # no banner repeating it
    screenshot(page, "forms-03-stage-refused-on-the-lead")
    with as_dealer(room.dealer):
        assert Lead.objects.get(pk=lead.pk).stage == Stage.CONTACTED


def test_the_customer_card_shows_every_problem_at_once(
    browser: Any,  # noqa: F811
    live_server: Any,
) -> None:
    room = make_showroom()
    page = signed_in_page(browser, live_server, room.alice)
    page.goto("/sales/customers/new/")
    type_into(page, "[name='last_name']", "Schmidt")
    type_into(page, "[name='phone']", "12")
    type_into(page, "[name='postal_code']", "1011")
    type_into(page, "[name='budget']", "-5")
    page.get_by_test_id("customer-save").click()
    form = page.get_by_test_id("customer-form")
    expect(form).to_contain_text("is not a valid phone number")
    expect(form).to_contain_text("This is not a postal code of Germany")
    expect(form).to_contain_text("Ensure this value is greater than or equal to 0.")
    assert page.url.split("#")[0] == f"{live_server.url}/sales/customers/new/"
    assert page.locator("[name='last_name']").input_value() == "Schmidt"  # as typed
    screenshot(page, "forms-04-customer-all-problems")
    with as_dealer(room.dealer):
        assert not Customer.objects.filter(last_name="Schmidt").exists()


def test_a_closed_leads_quote_form_is_refused_when_opened(
    browser: Any,  # noqa: F811
    live_server: Any,
) -> None:
    room = make_showroom()
    lead = room.lead()
    with as_dealer(room.dealer):
        Lead.objects.filter(pk=lead.pk).update(is_open=False, stage=Stage.LOST)
    page = signed_in_page(browser, live_server, room.alice)
    page.goto(f"/showroom/leads/{lead.pk}/quote/")
    expect(page.locator(".messages")).to_contain_text("This lead is closed: no new quote.")
    assert page.url == f"{live_server.url}/sales/leads/{lead.pk}/"
    expect(page.get_by_test_id("quote-form")).to_have_count(0)
