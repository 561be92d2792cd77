"""A promotion in a real browser (headless Debian Chromium): the consultant picks HQ's offer on
the quote builder and the live total shows its line; HQ sees the order in the promotion's
uptake. Screenshots go to artifacts/screenshots/ (promotion-*.png)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from dms.tenancy.context import as_dealer
from leads.models import Stage
from sales import services
from sales.models import Quote
from tests.e2e.conftest import browser, page, screenshot, signed_in_page  # noqa: F401 (fixtures)
from tests.factories import ensure_reference_data, hq_user
from tests.sales.conftest import make_showroom
from tests.sales.test_browser import log_in
from tests.sales.test_promotions import promo

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_consultant_applies_a_promotion_and_hq_sees_the_uptake(
    page: Any,  # noqa: F811
    browser: Any,  # noqa: F811
    live_server: Any,
) -> None:
    ensure_reference_data()
    room = make_showroom(name="Autohaus Nord")
    promotion = promo(room, name="Spring offer", value=Decimal("500.00"))
    lead = room.lead(stage=Stage.QUOTE)
    log_in(page, room.alice.username)
    page.goto(f"/showroom/leads/{lead.pk}/quote/")
    page.select_option("[name='trim']", "A3-CORE")
    expect(page.locator("[data-testid='quote-total']")).to_be_visible()
    page.select_option("[name='promotion']", "SPRING")
    line = page.locator("[data-testid='quote-promotion']")
    expect(line).to_contain_text("Spring offer")
    expect(line).to_contain_text("EUR 500.00")
    screenshot(page, "promotion-01-quote-builder")
    page.locator("#quote-form button[type=submit]").click()
    expect(page.locator("[data-testid='quote-promotion']")).to_contain_text("SPRING")
    with as_dealer(room.dealer):
        quote = Quote.objects.get(lead=lead)
        services.send_quote(quote=quote, actor=room.alice)
        services.accept_quote(quote=Quote.objects.get(pk=quote.pk), actor=room.alice)
        services.create_order(
            quote=Quote.objects.get(pk=quote.pk), actor=room.alice, deposit_required=Decimal(0)
        )
    page = signed_in_page(browser, live_server, hq_user("hq_admin"), width=1366, height=900)
    page.goto(f"/promotions/{promotion.pk}/")
    uptake = page.locator("[data-testid='uptake-dealers']")
    expect(uptake).to_contain_text("Autohaus Nord")
    screenshot(page, "promotion-02-hq-uptake")
