"""In a real browser, by mouse: a parts clerk opens the catalogue from the menu, searches a part
number, opens the part and reads its replacement chain and its History tab (with the HQ author);
an HQ admin's "replace by" that would close a loop is refused with the loop spelled out."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from inventory import services
from inventory.models import Part, PartGroup
from tests.e2e.conftest import screenshot, signed_in_page
from tests.factories import DealerFactory, hq_user, staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
# Where a helper session keeps its screenshots to look at (optional).
COPY_TO = os.environ.get("DMS_SCREENS_DIR", "")


def _shot(page: Any, name: str) -> None:
    path = screenshot(page, name)
    if COPY_TO:
        Path(COPY_TO).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(COPY_TO) / path.name)


def _catalogue(admin: Any) -> dict[str, Part]:
    filters = PartGroup.objects.create(code="FLT", name="Filters")
    brakes = PartGroup.objects.create(code="BRK", name="Brakes")
    parts = {}
    for number, text, group, kg in [
        ("0012345", "Oil filter", filters, "0.310"),
        ("0012346", "Oil filter, long life", filters, "0.320"),
        ("0012347", "Oil filter, long life v2", filters, "0.300"),
        ("0045100", "Air filter element", filters, "0.450"),
        ("BP-2210", "Brake pad set, front axle", brakes, "1.900"),
        ("BP-2211", "Brake pad set, rear axle", brakes, "1.400"),
    ]:
        parts[number] = services.create_part(
            actor=admin, number=number, description=text, group=group, weight_kg=Decimal(kg)
        )
    services.supersede(
        part=parts["0012345"], replaced_by=parts["0012346"],
        valid_from=dt.date(2024, 2, 1), actor=admin,
    )  # fmt: skip
    services.supersede(
        part=parts["0012346"], replaced_by=parts["0012347"],
        valid_from=dt.date(2099, 3, 1), actor=admin, note="New supplier",
    )  # fmt: skip
    services.change_part(
        actor=admin, part=parts["0012345"], description="Oil filter (engine 1.6)",
        group=filters, unit="pc", weight_kg=Decimal("0.315"),
    )  # fmt: skip
    return parts


def test_a_parts_clerk_finds_a_part_and_reads_its_history(browser: Any, live_server: Any) -> None:
    admin = hq_user("hq_admin", first_name="Hana", last_name="Hoffmann")
    parts = _catalogue(admin)
    clerk = staff(DealerFactory(), "parts_clerk", first_name="Piet", last_name="Parts")
    page = signed_in_page(browser, live_server, clerk)
    page.goto("/")
    page.get_by_role("link", name="Catalogue").first.click()
    page.wait_for_url("**/inventory/catalogue/parts/")
    page.locator('input[name="q"]').click()
    page.locator('input[name="q"]').fill("00123")
    page.get_by_role("button", name="Filter").click()
    table = page.locator('[data-testid="part-table"]')
    table.wait_for()
    assert "0045100" not in table.inner_text() and "0012347" in table.inner_text()
    _shot(page, "catalogue-parts-search")
    table.get_by_role("link", name="0012345").click()
    page.wait_for_url(f"**/inventory/catalogue/parts/{parts['0012345'].pk}/")
    chain = page.locator('[data-testid="chain"]').inner_text()
    assert "0012346" in chain and "0012347" in chain
    current = page.locator('[data-testid="current-part"]').inner_text()
    assert "0012346" in current
    _shot(page, "catalogue-part-page")
    page.locator('[data-testid="history-tab"]').click()
    page.wait_for_url("**/history/")
    history = page.locator('[data-testid="history-table"]').inner_text()
    assert "Hana Hoffmann" in history and "Oil filter (engine 1.6)" in history
    _shot(page, "catalogue-part-history")
    assert not page.js_errors, page.js_errors


def test_hq_replace_by_refuses_a_loop(browser: Any, live_server: Any) -> None:
    admin = hq_user("hq_admin", first_name="Hana", last_name="Hoffmann")
    parts = _catalogue(admin)
    page = signed_in_page(browser, live_server, admin)
    page.goto(f"/inventory/catalogue/parts/{parts['0012347'].pk}/")
    page.locator('[data-testid="part-replace"]').click()
    form = page.locator('[data-testid="replace-form"]')
    form.locator('input[name="replaced_by"]').click()
    form.locator('input[name="replaced_by"]').fill("0012345")
    # within the days a form takes (up to five years ahead)
    form.locator('input[name="valid_from"]').fill(str(timezone.localdate().year + 1) + "-06-01")
    form.locator('[data-testid="save"]').click()
    message = page.locator(".invalid-feedback, [data-testid=form-errors]").first.inner_text()
    assert "0012347 → 0012345 → 0012346 → 0012347" in message
    _shot(page, "catalogue-replace-loop")
    assert not hasattr(Part.objects.get(pk=parts["0012347"].pk), "supersession")
    assert not page.js_errors, page.js_errors
