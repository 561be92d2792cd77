"""In a real browser: a consultant with a long overdue list sees the first rows, "show more"
brings the rest without a page load, and the shared "done" and "move" dialogs act on the row
whose button opened them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from dms.tenancy.context import as_dealer
from leads.models import FollowUp
from leads.selectors.myday import PAGE_SIZE
from tests.e2e.conftest import browser, private_cache, screenshot, signed_in_page  # noqa: F401 (fixtures)
from tests.factories import FollowUpFactory
from tests.leads._funnel import make_shop
from tests.leads.test_myday_browser import fits

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_my_day_show_more_and_shared_dialogs(browser: Any, live_server: Any) -> None:  # noqa: F811
    shop = make_shop()
    now = timezone.now()
    rows = []
    for i in range(PAGE_SIZE + 4):
        lead = shop.lead(shop.alice)
        with as_dealer(shop.dealer):
            rows.append(FollowUpFactory(lead=lead, due_at=now - dt.timedelta(hours=40 - i)))
    page = signed_in_page(browser, live_server, shop.alice, path="/sales/my-day/", width=1280)
    overdue = page.get_by_test_id("overdue")
    items = overdue.locator("li.my-day-item")
    assert items.count() == PAGE_SIZE
    assert page.get_by_test_id("count-overdue").inner_text() == str(len(rows))
    screenshot(page, "my-day-paging-01-first-page-1280")

    page.get_by_test_id("more-overdue").locator("a").click()
    items.nth(len(rows) - 1).wait_for()  # the rest swapped in by htmx (no page load)
    assert items.count() == len(rows)
    assert overdue.locator("[data-testid=more-overdue]").count() == 0
    last = rows[-1]
    assert overdue.locator("li.my-day-item").last.get_attribute("data-follow-up") == str(last.pk)

    # "done" on a row brought in by "show more": the shared dialog posts for that row
    page.get_by_test_id(f"done-{last.pk}").click()
    dialog = page.get_by_test_id("done-dialog")
    dialog.wait_for(state="visible")
    assert last.customer.last_name in dialog.inner_text()
    dialog.locator("select[name=result]").select_option("reached")
    dialog.locator("input[name=note]").fill("Called back")
    screenshot(page, "my-day-paging-02-done-dialog-1280")
    dialog.get_by_test_id("done-submit").click()
    page.wait_for_load_state()
    page.get_by_text("Follow-up done.").wait_for()
    with as_dealer(shop.dealer):
        done = FollowUp.objects.get(pk=last.pk)
    assert done.done_at is not None and done.result == "reached" and done.note == "Called back"

    # "move" on the first row: the other dialog, a new time, the row leaves "overdue"
    first = rows[0]
    page.get_by_test_id(f"move-{first.pk}").click()
    dialog = page.get_by_test_id("move-dialog")
    dialog.wait_for(state="visible")
    dialog.locator("input[name=reason]").fill("Customer on holiday")
    dialog.get_by_test_id("move-submit").click()
    page.wait_for_load_state()
    page.get_by_text("Follow-up moved.").wait_for()
    with as_dealer(shop.dealer):
        moved = FollowUp.objects.get(pk=first.pk)
    assert moved.due_at > timezone.now() and moved.reschedule_reason == "Customer on holiday"
    assert page.locator(f"[data-testid=overdue] [data-follow-up='{first.pk}']").count() == 0
    assert fits(page)
    assert not page.js_errors, page.js_errors
    page.context.close()

    page = signed_in_page(browser, live_server, shop.alice, path="/sales/my-day/", width=820)
    screenshot(page, "my-day-paging-03-tablet-820")
    assert fits(page), "my day scrolls sideways at 820px"
    page.context.close()
