"""Words a person reads (issue 13, item 9), in a real browser: a walk-in registered by mouse
reaches "Visited" (through the card's link to the lead), a second visit says the lead went on,
notifications and their kinds read in Japanese whatever language wrote them, and a wrong
authenticator code says how long to wait."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils.translation import gettext as _
from django.utils.translation import override
from playwright.sync_api import expect

from dms.tenancy.context import as_dealer
from leads.models import Notification
from leads.services.routing import notify
from tests.e2e.conftest import browser, screenshot, signed_in_page  # noqa: F401 (fixtures)
from tests.e2e.test_login_flow import current_code, log_in, submit, with_totp
from tests.factories import TEST_PASSWORD, staff
from tests.leads._funnel import make_shop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def register_walk_in(page: Any, name: str, phone: str) -> None:
    page.get_by_role("textbox", name="Name", exact=True).click()
    page.keyboard.type(name)
    page.get_by_role("textbox", name="Phone", exact=True).click()
    page.keyboard.type(phone)
    page.get_by_test_id("register-submit").click()


def test_a_walk_in_reaches_visited_and_comes_back_to_the_same_lead(
    browser: Any,  # noqa: F811
    live_server: Any,
) -> None:
    shop = make_shop()
    page = signed_in_page(browser, live_server, shop.alice)
    page.goto("/sales/visits/")
    register_walk_in(page, "Jonas Weber", "030 5550101")
    success = page.get_by_test_id("register-success")
    expect(success).to_contain_text("Jonas Weber registered as a new customer.")

    success.get_by_role("link", name="Open the card").click()
    leads = page.get_by_test_id("customer-leads")
    expect(leads).to_contain_text("Visited")
    leads.get_by_role("link").first.click()  # the lead row opens the lead
    expect(page.get_by_test_id("lead-stage")).to_have_text("Visited")
    screenshot(page, "words-01-walk-in-visited")

    page.get_by_role("link", name="Visitor log").first.click()
    register_walk_in(page, "Jonas Weber", "030 5550101")
    expect(page.get_by_test_id("register-success")).to_contain_text(
        "Jonas Weber registered (existing customer, lead continued)."
    )
    assert page.js_errors == []


def test_notifications_read_in_japanese_whoever_wrote_them(
    browser: Any,  # noqa: F811
    live_server: Any,
) -> None:
    shop = make_shop()
    lead = shop.lead(shop.alice)
    with as_dealer(shop.dealer), override("en"):  # written while English was spoken
        notify(
            user_ids=[shop.alice.pk],
            dealer_id=shop.dealer.pk,
            kind="assigned",
            text=lambda: _("Lead handed to you: %(lead)s") % {"lead": lead.customer},
            lead=lead,
        )
        Notification.objects.create(
            dealer_id=shop.dealer.pk, user=shop.alice, kind="claim_decided", text="—"
        )
    shop.alice.preferred_language = "ja"  # she reads Japanese now
    shop.alice.save(update_fields=["preferred_language"])
    page = signed_in_page(browser, live_server, shop.alice)
    page.goto("/sales/notifications/")
    items = page.get_by_test_id("notifications")
    expect(items).to_contain_text("リードが引き継がれました")
    expect(items).to_contain_text("担当申請の結果")  # the kind "claim_decided"
    expect(items).not_to_contain_text("Lead handed")
    expect(items).not_to_contain_text("claim decided")
    screenshot(page, "words-02-notifications-ja")


def test_a_wrong_code_says_how_long_to_wait(page: Any, live_server: Any) -> None:
    shop = make_shop()
    admin = staff(shop.dealer, "dealer_admin", username="ada")
    device = with_totp(admin)
    log_in(page, "ada", TEST_PASSWORD)
    code = page.locator("[name='token-otp_token']")
    code.click()
    page.keyboard.type(f"{(int(current_code(device)) + 1) % 1_000_000:06d}")
    submit(page, "token-otp_token")
    expect(page.locator("main")).to_contain_text("before you enter the next code")
    expect(page.locator("main")).to_contain_text("Wait 1 second")
    screenshot(page, "words-03-wrong-code-wait")
