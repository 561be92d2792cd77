"""Two dealers ask one supplier for its last units and the supplier's two clerks accept both
requests at the same moment (issue 15, tests: "two dealers accepting transfers"): one transfer
is accepted, the other refused with the clerk's message; the supplier's reserved stock never
exceeds what it has. Without the row locks both would be accepted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dms.tenancy.context import as_dealer
from inventory.stock import services, transfers
from inventory.stock.models import PartStock, PartTransfer
from tests.factories import DealerFactory
from tests.inventory.stock_helpers import part, stock

from ._race import Race, point_after, with_and_without_locks

pytestmark = pytest.mark.django_db(transaction=True)


def _accept(supplier: Any, key: Any) -> Callable[[], Any]:
    def call() -> Any:
        with as_dealer(supplier):
            row = PartTransfer.objects.get(transfer_key=key)
        return transfers.accept(transfer=row, actor=None).status

    return call


def _scenario(monkeypatch: pytest.MonkeyPatch) -> Callable[[Race], Any]:
    counter = iter(range(100))

    def scenario(race: Race) -> Any:
        n = next(counter)
        supplier, a, c = (DealerFactory(code=f"{x}{n}") for x in "SAC")
        item = part(f"TR-{n}")
        stock(supplier, item, 3)
        keys = []
        for requester in (a, c):
            with as_dealer(requester):
                keys.append(
                    transfers.request_transfer(
                        requester=requester, supplier=supplier, part=item, quantity=3, actor=None
                    ).transfer_key
                )
        point_after(monkeypatch, services, "_allocate", race)
        outcomes = race.run({f"clerk_{i}": _accept(supplier, k) for i, k in enumerate(keys)})
        with as_dealer(supplier):
            reserved = PartStock.objects.get(part=item).reserved
        return outcomes, reserved

    return scenario


def test_two_acceptances_of_the_last_units_one_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    (held, reserved), (removed, _) = with_and_without_locks(monkeypatch, _scenario(monkeypatch))
    assert sorted(o.kind for o in held.values()) == ["ok", "refused"], held
    refused = next(o for o in held.values() if o.kind == "refused")
    assert refused.messages == ["Only 0 of TR-0 available; 3 asked. Nothing was changed."]
    assert reserved == 3
    assert sorted(o.kind for o in removed.values()) == ["ok", "ok"], removed
