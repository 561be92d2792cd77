"""Parts orders under concurrency (issue 15, item 7), on separate connections:

- two parts clerks receive the same shipment at the same moment: it is received once (one
  ledger receipt per line, "on order" lowered once); the other clerk is told it was already
  received. The mutation check removes the row locks: both then receive it and the stock doubles.
- two HQ logistics confirmations compete for the last warehouse units: the conditional UPDATE
  gives them to one; the other is refused and changes nothing. The mutation check replaces the
  conditional UPDATE by a read-then-write: both then "get" the same units.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from dms.tenancy.context import as_dealer
from inventory.orders import services
from inventory.orders.models import PartsOrder, PartsShipment
from inventory.orders.services import LineDecision
from inventory.stock.models import PartStock, StockMovement, WarehouseStock
from inventory.stock.selectors import ledger_mismatches
from tests.factories import DealerFactory, staff
from tests.inventory.orders_helpers import Shop, lines_of, sent, shop, warehouse

from ._race import Race, point_before, racing, with_and_without_locks

pytestmark = pytest.mark.django_db(transaction=True)


def _receive(s: Shop, shipment: PartsShipment, clerk: Any) -> Callable[[], Any]:
    def call() -> Any:
        with as_dealer(s.dealer):
            services.receive_shipment(shipment=shipment, actor=clerk)
        return clerk.username

    return call


def test_two_clerks_receive_the_same_shipment_once(monkeypatch: pytest.MonkeyPatch) -> None:
    s = shop()
    codes = iter(range(10))

    def scenario(race: Race) -> dict[str, Any]:
        order = sent(s, {"PAD-77": 2})
        line = lines_of(s, order)["PAD-77"]
        services.confirm(order=order, decisions=[LineDecision(line.pk, 2)], actor=s.logistics)
        shipment = services.ship(order=order, actor=s.logistics)
        other = staff(s.dealer, "parts_clerk", username=f"second-clerk-{next(codes)}")
        with as_dealer(s.dealer):
            before = PartStock.objects.get(part=s.parts["PAD-77"]).on_hand
        # The racers meet once they have read the shipment's state (the decision), before the
        # first quantity is counted.
        point_before(monkeypatch, services, "_received_quantity", race)
        outcomes = race.run(
            {"clerk_a": _receive(s, shipment, s.clerk), "clerk_b": _receive(s, shipment, other)}
        )
        monkeypatch.undo()
        with as_dealer(s.dealer):
            row = PartStock.objects.get(part=s.parts["PAD-77"])
            return {
                "outcomes": outcomes,
                "added": row.on_hand - before,
                "receipts": StockMovement.objects.filter(
                    kind="receipt", reference=f"P{order.number}-1"
                ).count(),
                "mismatches": ledger_mismatches(),
            }

    held, removed = with_and_without_locks(monkeypatch, scenario)
    kinds = sorted(o.kind for o in held["outcomes"].values())
    assert kinds == ["ok", "refused"], held["outcomes"]
    (refusal,) = [o for o in held["outcomes"].values() if o.kind == "refused"]
    assert refusal.messages[0].endswith("was already received. Nothing was changed.")
    assert (held["added"], held["receipts"], held["mismatches"]) == (2, 1, [])
    # Without the row locks both clerks receive it: two receipts of one shipment in the ledger.
    assert removed["receipts"] == 2, removed


def _confirm(order: PartsOrder, line_id: int, actor: Any) -> Callable[[], Any]:
    def call() -> Any:
        services.confirm(order=order, decisions=[LineDecision(line_id, 3)], actor=actor)
        return order.pk

    return call


def _two_orders_for_the_last_units() -> tuple[Shop, list[tuple[PartsOrder, int]]]:
    s = shop()
    warehouse(s.parts["PAD-77"], 4)
    dealer = DealerFactory(code="PO2")
    other = Shop(dealer, staff(dealer, "parts_clerk"), s.logistics, s.admin, s.parts)
    orders = []
    for who in (s, other):
        order = sent(who, {"PAD-77": 3})
        orders.append((order, lines_of(who, order)["PAD-77"].pk))
    return s, orders


def test_two_confirmations_never_take_the_same_warehouse_units(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    s, orders = _two_orders_for_the_last_units()
    with racing() as race:
        point_before(monkeypatch, services, "_take_from_warehouse", race)
        outcomes = race.run(
            {
                f"hq_{i}": _confirm(order, line, s.logistics)
                for i, (order, line) in enumerate(orders)
            }
        )
    assert sorted(o.kind for o in outcomes.values()) == ["ok", "refused"], outcomes
    (refusal,) = [o for o in outcomes.values() if o.kind == "refused"]
    assert refusal.messages == [
        "The warehouse has only 1 of PAD-77; 3 to confirm. Backorder the rest. Nothing was changed."
    ]
    assert WarehouseStock.objects.get(part=s.parts["PAD-77"]).available == 1
    states = []
    for order, _line in orders:
        with as_dealer(order.dealer_id):
            states.append(PartsOrder.objects.get(pk=order.pk).state)
    assert sorted(states) == ["confirmed", "sent"]


def test_mutation_read_then_write_gives_the_same_units_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    s, orders = _two_orders_for_the_last_units()

    def naive(part: Any, amount: Decimal) -> None:
        row = WarehouseStock.objects.get(part=part)
        race.point()
        if row.available < amount:
            raise services.OrderRefused("not enough")
        WarehouseStock.objects.filter(pk=row.pk).update(available=row.available - amount)

    with racing() as race:
        monkeypatch.setattr(services, "_take_from_warehouse", naive)
        outcomes = race.run(
            {
                f"hq_{i}": _confirm(order, line, s.logistics)
                for i, (order, line) in enumerate(orders)
            }
        )
    assert [o.kind for o in outcomes.values()] == ["ok", "ok"]  # 6 units "confirmed" out of 4
    assert WarehouseStock.objects.get(part=s.parts["PAD-77"]).available == 1
