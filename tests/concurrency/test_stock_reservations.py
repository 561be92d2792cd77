"""The last units of a part, wanted by many at once (issue 15, item 3): 20 reservations of one
unit each, on 20 separate connections, for 5 units on hand — exactly 5 succeed, 15 are refused
with the clerk's message, and the balance and the ledger agree. Every racer meets the others
right after it has locked and read the balance (inventory.stock.services._allocate).

The mutation check removes the row locks: the racers then all decide on the same "5 available"
and more than 5 reservations go through — so the test rests on the lock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from dms.tenancy.context import as_dealer
from inventory.stock import selectors, services
from inventory.stock.models import PartReservation, PartStock
from tests.factories import DealerFactory
from tests.inventory.stock_helpers import part, stock

from ._race import Race, point_after, with_and_without_locks

pytestmark = pytest.mark.django_db(transaction=True)
DAY = dt.date(2027, 3, 15)
RACERS = 20
ON_HAND = 5


def _reserve(dealer: Any, item: Any, n: int) -> Callable[[], Any]:
    def call() -> Any:
        with as_dealer(dealer):
            services.reserve(
                dealer_id=dealer.pk, part=item, quantity=1, reference=f"RO {n}", actor=None, on=DAY
            )
        return n

    return call


def _scenario(monkeypatch: pytest.MonkeyPatch) -> Callable[[Race], dict[str, Any]]:
    counter = iter(range(100))

    def scenario(race: Race) -> dict[str, Any]:
        n = next(counter)
        dealer = DealerFactory(code=f"R{n}")
        item = part(f"LAST-{n}")
        stock(dealer, item, ON_HAND)
        point_after(monkeypatch, services, "_allocate", race)
        outcomes = race.run({f"clerk_{i}": _reserve(dealer, item, i) for i in range(RACERS)})
        with as_dealer(dealer):
            row = PartStock.objects.get(part=item)
            reservations = PartReservation.objects.count()
            mismatches = selectors.ledger_mismatches()
        return {
            "outcomes": outcomes,
            "reserved": row.reserved,
            "reservations": reservations,
            "mismatches": mismatches,
        }

    return scenario


def test_twenty_clerks_five_units_five_reservations(monkeypatch: pytest.MonkeyPatch) -> None:
    held, removed = with_and_without_locks(monkeypatch, _scenario(monkeypatch))
    outcomes = held["outcomes"].values()
    assert sorted(o.kind for o in outcomes).count("ok") == ON_HAND, held["outcomes"]
    refused = [o for o in outcomes if o.kind == "refused"]
    assert len(refused) == RACERS - ON_HAND
    assert all(o.messages == ["Only 0 of LAST-0 available; 1 asked. Nothing was changed."]
               for o in refused), refused  # fmt: skip
    assert (held["reserved"], held["reservations"], held["mismatches"]) == (ON_HAND, ON_HAND, [])
    # Without the row lock every racer sees 5 available and more than 5 get a reservation.
    assert sum(o.kind == "ok" for o in removed["outcomes"].values()) > ON_HAND
