"""The demo vehicle stock: every demo dealer gets vehicles in transit, in stock, in the demo
fleet and (with an open order) reserved; a second run changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from dms.tenancy.context import as_dealers
from inventory.vehicles.demo import seed_vehicle_stock
from inventory.vehicles.models import StockVehicle, Vehicle
from tests.factories import ensure_reference_data, hq_user, staff
from tests.inventory.vehicle_helpers import order_for
from tests.sales.conftest import make_showroom

pytestmark = pytest.mark.django_db


def test_each_dealer_gets_vehicles_in_every_state(db: Any) -> None:
    ensure_reference_data()
    hq_user("hq_logistics")
    with_order = make_showroom(name="Demo Nord")
    order = order_for(with_order)
    without = make_showroom(name="Demo Süd")
    staff(without.dealer, "dealer_manager")
    result = seed_vehicle_stock(seed=7)
    assert not result.skipped and result.reserved == 1
    with as_dealers([with_order.dealer.pk, without.dealer.pk]):
        for room in (with_order, without):
            states = sorted(
                StockVehicle.objects.filter(dealer=room.dealer).values_list("state", flat=True)
            )
            assert states.count("in_transit") == 2 and "demo" in states
            assert states.count("at_dealer") + states.count("reserved") == 5
        reserved = StockVehicle.objects.get(state="reserved")
    assert (
        reserved.dealer_id == with_order.dealer.pk and reserved.reserved_for == order.display_number
    )
    assert Vehicle.objects.filter(state__in=["planned", "built"]).exists()  # HQ's pool
    count = Vehicle.objects.count()
    assert seed_vehicle_stock(seed=7).skipped and Vehicle.objects.count() == count
