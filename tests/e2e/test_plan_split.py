"""The dealer manager's plan split in a real browser: a departed consultant's kept months are
read only with "left on", the live sums count them, and the re-assignment note is shown."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from dealers.models import Membership
from dms.tenancy.context import as_dealer
from reports.plans import selectors, services
from tests.e2e.conftest import screenshot
from tests.e2e.test_login_flow import log_in
from tests.factories import TEST_PASSWORD, DealerFactory, staff
from tests.reports.plans.support import write_plan

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
YEAR = 2026


def test_split_editor_keeps_a_departed_consultants_months(
    page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "dealer_today", lambda dealer: datetime.date(YEAR, 6, 15))
    dealer = DealerFactory.create(code="DE901", name="Autohaus Sonnenschein")
    manager = staff(dealer, "dealer_manager", username="maria", first_name="Maria")
    anna = staff(dealer, "consultant", first_name="Anna", last_name="Berg")
    carl = staff(dealer, "consultant", first_name="Carl", last_name="Dahl")
    dave = staff(dealer, "consultant", first_name="Dave", last_name="Eck")
    version = write_plan([dealer], YEAR)
    cells = {}
    for month in range(1, 13):
        plan = 2 * (10 + month)
        cells.update({(anna.pk, month): 4, (dave.pk, month): 6, (carl.pk, month): plan - 10})
    with as_dealer(dealer):
        services.save_split(
            dealer=dealer, version=version, metric="orders", cells=cells, actor=manager
        )
    Membership.objects.filter(user=dave).update(
        is_active=False, leaving_on=datetime.date(YEAR, 6, 10)
    )

    log_in(page, "maria", TEST_PASSWORD)
    page.goto(f"/reports/plans/split/?year={YEAR}&metric=orders")
    departed = page.get_by_test_id("split-departed-row")
    expect(departed).to_contain_text("Dave Eck")
    expect(departed).to_contain_text("left on 10 Jun 2026")
    expect(departed.locator("input")).to_have_count(0)
    expect(page.get_by_test_id("split-reassign")).to_contain_text("still holds 36")
    sums = page.get_by_test_id("split-sum-row")
    expect(sums.locator("[data-sum-month='6']")).to_have_text("32")  # 6 kept + 4 + 22
    # Typing updates the month's sum, counting Dave's read-only June target.
    page.locator(f"[name='t-{anna.pk}-6']").fill("5")
    expect(sums.locator("[data-sum-month='6']")).to_have_text("33")
    page.locator(f"[name='t-{anna.pk}-6']").fill("4")
    screenshot(page, "plans-01-split-departed-consultant")


def test_split_editor_offers_the_earlier_versions_split(
    page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "dealer_today", lambda dealer: datetime.date(YEAR - 1, 12, 1))
    dealer = DealerFactory.create(code="DE902", name="Autohaus Mond")
    manager = staff(dealer, "dealer_manager", username="mona", first_name="Mona")
    anna = staff(dealer, "consultant", first_name="Anna", last_name="Berg")
    carl = staff(dealer, "consultant", first_name="Carl", last_name="Dahl")
    v1 = write_plan([dealer], YEAR)
    cells = {}
    for month in range(1, 13):
        cells.update({(anna.pk, month): 5, (carl.pk, month): 2 * (10 + month) - 5})
    with as_dealer(dealer):
        services.save_split(dealer=dealer, version=v1, metric="orders", cells=cells, actor=manager)
    write_plan([dealer], YEAR, base=20)

    log_in(page, "mona", TEST_PASSWORD)
    page.goto(f"/reports/plans/split/?year={YEAR}&metric=orders")
    offer = page.get_by_test_id("split-carry-over")
    expect(offer).to_contain_text("Version 1 of this year has one")
    offer.get_by_test_id("split-carry-button").click()
    expect(page.locator("body")).to_contain_text("Filled in from version 1")
    # January: 42 x 5/22 = 9.55 -> 10, 42 x 17/22 = 32.45 -> 32.
    expect(page.locator(f"[name='t-{anna.pk}-1']")).to_have_value("10")
    expect(page.locator(f"[name='t-{carl.pk}-1']")).to_have_value("32")
    expect(page.get_by_test_id("split-sum-row").locator("[data-sum-month='1']")).to_have_text("42")
    screenshot(page, "plans-02-split-carry-over")
