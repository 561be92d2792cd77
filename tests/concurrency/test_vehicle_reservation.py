"""Two orders of one dealer reserve the same stock vehicle at the same moment, on two
connections (issue 15, item 12): one wins, the other is told which order holds the vehicle,
and the vehicle is reserved once."""

from __future__ import annotations

from typing import Any

import pytest

from dms.tenancy.context import as_dealer
from inventory.vehicles import services as stock_services
from inventory.vehicles.models import StockVehicle
from sales import services as sales_services
from sales.models import Order
from tests.inventory.vehicle_helpers import arrived, logistics, order_for
from tests.sales.conftest import make_showroom

from ._race import kinds, point_after, racing

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_orders_reserving_one_vehicle_at_once_one_wins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    room = make_showroom()
    stock = arrived(logistics(), room)
    orders = {"first": order_for(room), "second": order_for(room)}
    with racing() as race:
        # Each racer meets the other right after its conditional UPDATE of the vehicle: the
        # second one's UPDATE then waits on the first one's row lock, and reads the committed
        # reservation when it gets it.
        point_after(monkeypatch, stock_services, "reserve_for_order", race)

        def reserve(order: Order) -> Any:
            def call() -> Any:
                with as_dealer(room.dealer):
                    return sales_services.reserve_stock_vehicle(
                        order=Order.objects.get(pk=order.pk),
                        stock=StockVehicle.objects.get(pk=stock.pk),
                        actor=room.alice,
                    ).display_number

            return call

        outcomes = race.run({name: reserve(order) for name, order in orders.items()})
    assert kinds(outcomes) == ["ok", "refused"], outcomes
    [winner] = [o.value for o in outcomes.values() if o.ok]
    [refused] = [o.messages for o in outcomes.values() if o.kind == "refused"]
    assert refused == [f"Vehicle {stock.vin} is already reserved for order {winner}."]
    with as_dealer(room.dealer):
        stock.refresh_from_db()
        holders = list(Order.objects.filter(stock_vehicle=stock).values_list("pk", flat=True))
    assert stock.state == StockVehicle.State.RESERVED and stock.reserved_for == winner
    assert len(holders) == 1
