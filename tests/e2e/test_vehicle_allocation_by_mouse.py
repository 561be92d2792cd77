"""HQ allocates a vehicle and the dealer reserves it for a customer order (issue 15), by mouse:
HQ logistics opens the vehicle from its menu, reads the allocation rule, allocates it to the
dealer; the dealer's consultant opens the order and reserves the vehicle, which the dealer's
stock then shows as reserved for the order. Any console error fails the test."""

from __future__ import annotations

from typing import Any

import pytest

from dms.tenancy.context import as_dealer
from inventory.vehicles.models import Allocation, StockVehicle
from sales.models import Order
from tests.e2e.conftest import screenshot, signed_in_page
from tests.inventory.vehicle_helpers import load, logistics, order_for
from tests.sales.conftest import make_showroom

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _click(page: Any, locator: Any) -> None:
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_hq_allocates_and_the_dealer_reserves_for_an_order(browser: Any, live_server: Any) -> None:
    room = make_showroom(name="Autohaus Nord", code="NORD1")
    order = order_for(room)
    hq = logistics()
    vehicle = load(hq)

    page = signed_in_page(browser, live_server, hq, width=1366, height=900)
    page.goto("/")
    _click(page, page.get_by_role("link", name="Vehicles").first)
    page.wait_for_url("**/inventory/vehicles/")
    _click(page, page.get_by_role("link", name=vehicle.vin))
    page.wait_for_url(f"**/inventory/vehicles/{vehicle.pk}/")
    assert (
        "Dealers with customers waiting come first" in page.get_by_test_id("rule-text").inner_text()
    )
    assert "NORD1" in page.get_by_test_id("ranking").inner_text()
    page.get_by_test_id("allocate-form").get_by_label("Dealer").select_option(str(room.dealer.pk))
    _click(page, page.get_by_test_id("allocate-form-submit"))
    page.get_by_text(f"Vehicle {vehicle.vin} allocated.").wait_for()
    assert "NORD1" in page.get_by_test_id("allocated-to").inner_text()
    screenshot(page, "vehicle-allocated")
    assert Allocation.objects.get(vehicle=vehicle).dealer == room.dealer
    assert not page.js_errors, page.js_errors

    dealer_page = signed_in_page(browser, live_server, room.alice, width=1366, height=900)
    dealer_page.goto("/")
    _click(dealer_page, dealer_page.get_by_role("link", name="Orders").first)
    dealer_page.wait_for_url("**/orders/")
    _click(dealer_page, dealer_page.get_by_role("link", name=order.display_number).first)
    dealer_page.wait_for_url(f"**/orders/{order.pk}/")
    matching = dealer_page.get_by_test_id("matching-vehicles")
    assert vehicle.vin in matching.inner_text()
    _click(dealer_page, matching.get_by_test_id("reserve-vehicle").first)
    dealer_page.get_by_text(f"Vehicle {vehicle.vin} reserved for this order.").wait_for()
    assert vehicle.vin in dealer_page.get_by_test_id("reserved-vehicle").inner_text()
    screenshot(dealer_page, "vehicle-reserved")
    _click(dealer_page, dealer_page.get_by_role("link", name="Vehicle stock").first)
    dealer_page.wait_for_url("**/inventory/vehicles/stock/")
    stock_text = dealer_page.get_by_test_id("stock").inner_text()
    assert vehicle.vin in stock_text and order.display_number in stock_text
    assert not dealer_page.js_errors, dealer_page.js_errors
    with as_dealer(room.dealer):
        assert Order.objects.get(pk=order.pk).vin == vehicle.vin
        assert StockVehicle.objects.get(vehicle=vehicle).state == StockVehicle.State.RESERVED
