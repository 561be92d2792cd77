"""In a real browser (headless Chromium): the dealer manager marks a consultant as leaving,
previews the handover, applies it, and the new owner finds the customers in "my day"."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import browser, private_cache, screenshot, signed_in_page  # noqa: F401 (fixtures)

from ._world import held_by, make_book

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_leave_preview_apply_my_day(browser: Any, live_server: Any) -> None:  # noqa: F811
    book = make_book(n_customers=3, extras=False)
    page = signed_in_page(browser, live_server, book.manager, path="/network/handover/")
    row = page.get_by_test_id(f"staff-{book.dora.username}")
    row.get_by_role("link", name="Mark as leaving").click()
    form = page.get_by_test_id("departure-form")
    form.locator("input[name=leaving_on]").fill(
        __import__("django.utils.timezone", fromlist=["now"]).now().date().isoformat()
    )
    form.locator("input[name=reason]").fill("New job")
    form.get_by_role("button", name="Mark as leaving").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("book-customers").inner_text() == "3"
    screenshot(page, "handover-01-wizard")
    page.get_by_label("Eve Early", exact=False).check()
    page.get_by_test_id("preview").click()
    page.wait_for_load_state()
    assert "Preview" in page.get_by_test_id("batch-summary").inner_text()
    assert page.get_by_test_id("batch-items").locator("tbody tr").count() == 3
    assert held_by(book.dealer, book.eve)["customers"] == 1  # nothing moved yet
    screenshot(page, "handover-02-preview")
    page.get_by_test_id("apply").click()
    page.wait_for_load_state()
    assert "Handover applied" in page.content()
    assert page.get_by_test_id("batch-status").inner_text() == "Applied"
    screenshot(page, "handover-03-applied")
    assert not page.js_errors, page.js_errors
    page.context.close()

    # the new owner's day lists Dora's customers' follow-ups
    page = signed_in_page(browser, live_server, book.eve, path="/sales/my-day/")
    text = page.locator("main").inner_text()
    for customer in book.customers:
        assert customer.last_name in text, (customer.last_name, text[:500])
    screenshot(page, "handover-04-new-owner-my-day")
    page.context.close()
