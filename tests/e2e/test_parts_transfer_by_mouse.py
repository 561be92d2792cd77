"""In a real browser, by mouse (issue 15): a parts clerk of dealer A finds a part that A has none
of ("Find a part"), asks "Who else has it?", sees dealer B with a band (never a quantity) and
requests a transfer of 2; B's parts clerk opens Transfers, accepts and dispatches; A's clerk
receives. Both stock cards then show the new on-hand figures: A up by 2, B down by 2. Any
console error fails the test (tests/e2e/console.py)."""

from __future__ import annotations

import os
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dms.tenancy.context import as_dealer
from inventory.stock.models import PartStock
from tests.e2e.conftest import screenshot, signed_in_page
from tests.factories import DealerFactory, staff
from tests.inventory.stock_helpers import part, stock

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
# Where a helper session keeps its screenshots to look at (optional).
COPY_TO = os.environ.get("DMS_SCREENS_DIR", "")


def _shot(page: Any, name: str) -> None:
    path = screenshot(page, name)
    if COPY_TO:
        Path(COPY_TO).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(COPY_TO) / path.name)


def _on_hand(dealer: Any, item: Any) -> str:
    with as_dealer(dealer):
        row = PartStock.objects.filter(part=item).first()
    return f"{row.on_hand.normalize():f}" if row else "0"


def _open_parts_store(page: Any) -> None:
    page.goto("/")
    page.get_by_role("link", name="Parts stock").first.click()
    page.wait_for_url("**/inventory/parts/")


def _confirm(page: Any, button: str, row: Any) -> None:
    """Click a transfer row's step button, then the confirmation page's button."""
    row.locator(f'[data-testid="{button}"]').click()
    page.wait_for_url(f"**/{button}/")
    page.locator('[data-testid="confirm"]').click()
    page.wait_for_url("**/inventory/parts/transfers/")


def test_a_transfer_between_two_dealers_by_mouse(browser: Any, live_server: Any) -> None:
    alpha = DealerFactory(code="TA", name="Alpha Autos", city="Leeds")
    beta = DealerFactory(code="TB", name="Beta Cars", city="York", region=alpha.region)
    pads = part("BP-4410", description="Brake pad set, front axle")
    stock(beta, pads, 7)
    clerk_a = staff(alpha, "parts_clerk", first_name="Anna", last_name="Alpha")
    clerk_b = staff(beta, "parts_clerk", first_name="Bert", last_name="Beta")

    # A finds the part: none here.
    a = signed_in_page(browser, live_server, clerk_a)
    _open_parts_store(a)
    a.locator('[data-testid="parts-nav"]').get_by_role("link", name="Find a part").click()
    a.wait_for_url("**/inventory/parts/lookup/")
    a.locator('input[name="number"]').click()
    a.locator('input[name="number"]').fill("bp-4410")
    a.locator('[data-testid="lookup"]').click()
    result = a.locator('[data-testid="lookup-result"]')
    result.wait_for()
    assert result.locator('[data-testid="available"]').inner_text() == "0"

    # Who else has it: B, as a band.
    result.locator('[data-testid="network-link"]').click()
    a.wait_for_url(f"**/inventory/parts/{pads.pk}/network/")
    (row,) = a.locator('[data-testid="network-dealer"]').all()
    text = row.inner_text()
    assert "Beta Cars" in text and "York" in text and "more than 5" in text
    assert "7" not in [cell.strip() for cell in text.split("\t")]  # never B's quantity
    _shot(a, "parts-network")
    quantity = row.locator('[data-testid="transfer-quantity"]')
    quantity.click()
    quantity.fill("2")
    row.locator('[data-testid="request-transfer"]').click()
    a.wait_for_url("**/inventory/parts/transfers/")
    asked = a.locator('[data-testid="incoming"] [data-testid="transfer-row"]')
    assert "Beta Cars" in asked.inner_text()
    assert asked.locator('[data-testid="transfer-status"]').inner_text() == "Requested"

    # B accepts and dispatches.
    b = signed_in_page(browser, live_server, clerk_b)
    _open_parts_store(b)
    b.locator('[data-testid="parts-nav"]').get_by_role("link", name="Transfers").click()
    b.wait_for_url("**/inventory/parts/transfers/")
    request = b.locator('[data-testid="outgoing"] [data-testid="transfer-row"]')
    assert "Alpha Autos" in request.inner_text() and "BP-4410" in request.inner_text()
    _shot(b, "parts-transfers-request")
    _confirm(b, "accept", request)
    assert request.locator('[data-testid="transfer-status"]').inner_text() == "Accepted"
    _confirm(b, "dispatch", request)
    assert request.locator('[data-testid="transfer-status"]').inner_text() == "Dispatched"
    _shot(b, "parts-transfers-supplier")

    # A receives.
    a.locator('[data-testid="parts-nav"]').get_by_role("link", name="Transfers").click()
    a.wait_for_url("**/inventory/parts/transfers/")
    _confirm(a, "receive", asked)
    assert asked.locator('[data-testid="transfer-status"]').inner_text() == "Received"
    _shot(a, "parts-transfers-requester")

    # Both stock cards, reached from the transfer rows.
    for page, row_, figure in ((a, asked, 2), (b, request, 5)):
        page.wait_for_url("**/inventory/parts/transfers/")
        row_.get_by_role("link", name="BP-4410").click()
        page.wait_for_url(f"**/inventory/parts/{pads.pk}/")
        assert Decimal(page.locator('[data-testid="on-hand"]').inner_text().strip()) == figure
        movements = page.locator('[data-testid="movements"]').inner_text()
        assert "Transfer" in movements
    assert (_on_hand(alpha, pads), _on_hand(beta, pads)) == ("2", "5")
    _shot(a, "parts-card-after-transfer")
    assert not a.js_errors and not b.js_errors, (a.js_errors, b.js_errors)
