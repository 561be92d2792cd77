"""Small layout faults a person sees (issue 13, item 10), in a real browser:

- on a page longer than the window the sidebar's background reaches the bottom of the page,
  and its menu stays in view while the page scrolls;
- registering walk-ins in the visitor log (htmx swaps) raises no CSP error in the console, also
  when something on the desk (a password manager, an autofill, a screenshot tool) left a style
  attribute on the form's fields — htmx settled the old `style` onto the new fields with
  setAttribute, which the CSP refuses: nine console errors per registration.
"""

from __future__ import annotations

from typing import Any

import pytest

from dms.tenancy.context import as_dealer
from tests.e2e.conftest import browser, screenshot, signed_in_page  # noqa: F401 (fixtures)
from tests.factories import CustomerFactory
from tests.leads._funnel import make_shop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_sidebar_background_runs_down_a_long_page(browser: Any, live_server: Any) -> None:  # noqa: F811
    shop = make_shop()
    with as_dealer(shop.dealer):
        for i in range(60):
            CustomerFactory(dealer=shop.dealer, owner=shop.alice, last_name=f"Kunde {i:02d}")
    page = signed_in_page(browser, live_server, shop.alice)
    page.goto("/sales/customers/")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height > 1.5 * 900, "the page must be longer than the window for this test"

    sidebar = page.locator(".sidebar").bounding_box()
    main = page.locator("main").bounding_box()
    assert sidebar is not None and main is not None
    assert sidebar["y"] + sidebar["height"] >= main["y"] + main["height"] - 1
    screenshot(page, "layout-sidebar-long-page")

    # Scrolled to the bottom (by the wheel, as a person does), the menu is still in view.
    page.mouse.move(600, 500)
    page.mouse.wheel(0, height)
    page.wait_for_timeout(300)
    assert page.evaluate("window.scrollY") > 0
    menu = page.get_by_role("link", name="Customers").first.bounding_box()
    assert menu is not None and 0 <= menu["y"] <= 900

    # A short page: the background still reaches the bottom of the window.
    page.get_by_role("link", name="Visitor log").first.click()
    page.get_by_test_id("register-form").wait_for()
    sidebar = page.locator(".sidebar").bounding_box()
    assert sidebar is not None and sidebar["y"] + sidebar["height"] >= 900 - 1
    screenshot(page, "layout-sidebar-short-page")
    assert page.js_errors == []


def test_registering_walk_ins_raises_no_csp_error(browser: Any, live_server: Any) -> None:  # noqa: F811
    shop = make_shop()
    page = signed_in_page(browser, live_server, shop.alice)
    page.goto("/sales/visits/")
    for n, (name, phone) in enumerate([("Jonas Weber", "030 5550101"), ("Lea Fischer", "")]):
        # What a password manager's icon or Chrome's autofill leaves on the fields (set through
        # the CSSOM, which the CSP allows): a style attribute on each of them.
        page.evaluate(
            """document.querySelectorAll('#register-panel input, #register-panel select')
                 .forEach(el => { el.style.backgroundImage = 'none'; });"""
        )
        page.get_by_role("textbox", name="Name", exact=True).click()
        page.keyboard.type(name)
        if phone:
            page.get_by_role("textbox", name="Phone", exact=True).click()
            page.keyboard.type(phone)
        page.get_by_test_id("register-submit").click()
        if not phone:  # refused (no way to reach the customer): the form comes back by htmx
            page.get_by_test_id("register-form").get_by_text("phone number or an e-mail").wait_for()
            page.evaluate(
                """document.querySelectorAll('#register-panel input, #register-panel select')
                     .forEach(el => { el.style.backgroundImage = 'none'; });"""
            )
            page.get_by_role("textbox", name="E-mail (optional)").click()
            page.keyboard.type("lea@example.com")
            page.get_by_test_id("register-submit").click()
        page.get_by_test_id("register-success").get_by_text(name).wait_for()
        page.get_by_test_id("visit-list").get_by_text(name).wait_for()
        assert page.js_errors == [], f"registration {n + 1}: {page.js_errors}"
    screenshot(page, "layout-visitor-log-after-registrations")
