"""Bulletins in a real browser, by mouse: HQ writes a bulletin in the editor (live sanitised
preview), publishes it after the confirmation; a consultant sees the menu badge, opens it from
the inbox and acknowledges it with one click; HQ's compliance dashboard shows it acknowledged.
No console errors anywhere (tests/e2e/console.py). Screenshots of each page."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bulletins import services
from bulletins.models import Bulletin
from dms.tenancy.context import as_dealer
from tests.e2e.conftest import screenshot, signed_in_page
from tests.factories import DealerFactory, RegionFactory, hq_user, staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Where the screenshots are also copied for review (optional).
REVIEW = os.environ.get("DMS_SCREENS_DIR", "")


def shot(page: Any, name: str) -> None:
    path = screenshot(page, name)
    if REVIEW:
        Path(REVIEW).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(REVIEW) / path.name)


def test_hq_publishes_a_consultant_acknowledges_compliance_shows_it(
    browser: Any, live_server: Any
) -> None:
    north = RegionFactory(code="north", name="North")
    south = RegionFactory(code="south", name="South")
    dealers = [
        DealerFactory(code="N01", name="Autohaus Nord", region=north),
        DealerFactory(code="N02", name="Garage Hafen", region=north),
        DealerFactory(code="S01", name="Auto Süd", region=south),
    ]
    consultant = staff(dealers[0], "consultant", first_name="Clara", last_name="Kurz")
    others = [
        staff(dealers[0], "service_advisor", first_name="Sven", last_name="Berg"),
        staff(dealers[1], "consultant", first_name="Nina", last_name="Hafner"),
        staff(dealers[1], "parts_clerk", first_name="Paul", last_name="Teile"),
        staff(dealers[2], "consultant", first_name="Sara", last_name="Sonne"),
    ]
    admin = hq_user("hq_admin", username="hq_boss", first_name="Hanna", last_name="Quartier")
    # An older bulletin in the inbox, already read.
    older = services.create_draft(
        actor=admin, title="New opening hours", category="process", all_dealers=True,
        body="<p>From 1 March the showroom opens at 8:00.</p>",
    )  # fmt: skip
    services.publish(bulletin=older, actor=admin)

    # --- HQ writes and publishes --------------------------------------------------------------
    hq = signed_in_page(browser, live_server, admin, path="/bulletins/hq/")
    hq.get_by_test_id("bulletin-new").click()
    hq.get_by_label("Title").fill("Recall R-27: brake hose check")
    hq.get_by_label("Category").select_option("recall")
    hq.get_by_label("Priority").select_option("urgent")
    hq.locator("textarea[name=body]").fill(
        "<h2>What to do</h2><p>Check the <b>front brake hoses</b> of every affected car."
        "<script>alert('x')</script></p><ul><li>VIN list attached</li></ul>"
    )
    preview = hq.get_by_test_id("bulletin-preview")
    expect(preview.locator("b")).to_have_text("front brake hoses")
    expect(preview.locator("script")).to_have_count(0)
    hq.get_by_label("The whole network").check()
    hq.get_by_label("Staff must acknowledge it").check()
    deadline = timezone.localtime(timezone.now() + dt.timedelta(days=3))
    hq.get_by_label("Acknowledge by").fill(deadline.strftime("%Y-%m-%dT%H:%M"))
    shot(hq, "bulletins-hq-editor")
    hq.get_by_test_id("bulletin-save").click()
    expect(hq.get_by_test_id("bulletin-status")).to_have_text("Draft")
    hq.get_by_test_id("bulletin-publish").click()
    hq.get_by_test_id("publish-confirm").click()
    expect(hq.get_by_test_id("bulletin-status")).to_have_text("Published")
    bulletin = Bulletin.objects.get(title="Recall R-27: brake hose check")
    assert bulletin.status == "published" and bulletin.body.count("<script") == 0

    # Some colleagues are already done, one opened it only.
    with as_dealer(dealers[1]):
        services.acknowledge(user=others[2], bulletin=bulletin)
        services.open_bulletin(user=others[1], bulletin=bulletin)

    # --- the consultant acknowledges with one click -------------------------------------------
    staff_page = signed_in_page(browser, live_server, consultant, path="/")
    badge = staff_page.get_by_test_id("nav-bulletins-badge")
    expect(badge).to_contain_text("2")
    staff_page.locator("[data-nav-item=bulletins_inbox]").click()
    rows = staff_page.get_by_test_id("inbox-row")
    expect(rows).to_have_count(2)
    first = rows.first
    expect(first).to_contain_text("Recall R-27")
    expect(first.get_by_test_id("marker-ack")).to_be_visible()
    expect(first.get_by_test_id("marker-unread")).to_be_visible()
    shot(staff_page, "bulletins-inbox")
    first.click()
    expect(staff_page.get_by_test_id("bulletin-body").locator("h2")).to_have_text("What to do")
    staff_page.get_by_test_id("ack-button").click()
    expect(staff_page.get_by_test_id("ack-done")).to_contain_text("You confirmed it on")
    # The menu badge follows (out of band): only the unread opening-hours bulletin is left.
    expect(staff_page.get_by_test_id("nav-bulletins-badge")).to_contain_text("1")
    shot(staff_page, "bulletins-detail-acknowledged")
    assert staff_page.js_errors == []

    # --- HQ sees it in the compliance dashboard -----------------------------------------------
    hq.get_by_test_id("bulletin-compliance").click()
    dealer_rows = hq.get_by_test_id("compliance-dealers")
    expect(dealer_rows.locator("tr[data-dealer=N01]")).to_contain_text("50 %")
    expect(dealer_rows.locator("tr[data-dealer=S01]")).to_contain_text("0 %")
    expect(hq.get_by_test_id("total-share")).to_have_text("40 %")  # 2 of 5
    expect(hq.get_by_test_id("compliance-pending")).to_contain_text("Hafner")
    shot(hq, "bulletins-compliance")
    hq.locator("[data-nav-item=bulletins]").click()
    expect(hq.get_by_test_id("bulletin-table")).to_contain_text("2 of 5 acknowledged (40 %)")
    shot(hq, "bulletins-hq-list")
    assert hq.js_errors == []
