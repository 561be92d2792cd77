"""In a real browser, by mouse: a technician's menu offers no sales or staff page, a showroom URL
typed by hand shows the styled 403 page saying who the page is for, and its button leads back;
a consultant's double click on "Register" in the visitor log registers the walk-in once."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from dms.tenancy.context import as_dealer
from leads.models import Visit
from tests.e2e.conftest import screenshot, signed_in_page
from tests.factories import staff
from tests.leads._funnel import make_shop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _real_errors(page: Any) -> list[str]:
    # The browser logs the 403 answer of the page itself as a failed load: that is the test's
    # subject, not an error of the page.
    return [e for e in page.js_errors if "status of 403" not in e]


# The 403 page typed by hand is the subject: the browser logs its status.
@pytest.mark.console_errors_allowed(
    r"status of 403 \(Forbidden\) \(http://[^/]+/showroom/quotes/\)"
)
def test_technician_is_offered_no_sales_page_and_a_way_back(browser: Any, live_server: Any) -> None:
    shop = make_shop()
    technician = staff(shop.dealer, "technician", first_name="Tom", last_name="Tech")
    page = signed_in_page(browser, live_server, technician)
    page.goto("/")
    menu = page.locator("nav, aside").first.inner_text()
    for entry in ("Customers", "Leads", "Quotes", "Orders", "Staff"):
        assert entry not in menu, entry
    page.goto(reverse("sales:quotes"))
    assert page.locator('[data-testid="error-page"]').get_attribute("data-status") == "403"
    reason = page.locator('[data-testid="error-reason"]').inner_text()
    assert "it is for the dealer's sales staff" in reason
    screenshot(page, "access-403-technician")
    page.locator('[data-testid="error-back"]').click()
    page.wait_for_url(f"{live_server.url}/")
    assert "Welcome" in page.locator("h1").first.inner_text()
    assert not _real_errors(page), _real_errors(page)


def test_double_click_on_register_registers_the_walk_in_once(
    browser: Any, live_server: Any
) -> None:
    shop = make_shop()
    page = signed_in_page(browser, live_server, shop.alice)
    page.goto(reverse("leads:visitor-log"))
    form = page.locator('[data-testid="register-form"]')
    form.locator('input[name="name"]').click()
    form.locator('input[name="name"]').fill("Doppel Klick")
    form.locator('input[name="phone"]').click()
    form.locator('input[name="phone"]').fill("0171 5550123")
    form.locator('[data-testid="register-submit"]').dblclick()
    page.locator('[data-testid="register-panel"] .alert-success').wait_for()
    page.wait_for_timeout(500)  # a second request, if one went out, has landed by now
    with as_dealer(shop.dealer):
        assert Visit.objects.filter(customer__last_name="Klick").count() == 1
    assert page.get_by_role("link", name="Doppel Klick").count() == 1
    assert not page.js_errors, page.js_errors
