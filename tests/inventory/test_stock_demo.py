"""The demo parts stores (issue 15, Demo): every dealer gets stocked parts with a ledger that adds
up to its balances, open reservations, the network projection and a pending transfer; a second
run changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from dms.tenancy.context import as_dealers
from inventory.stock import selectors
from inventory.stock.demo import seed_parts_stock
from inventory.stock.models import PartAvailability, PartStock, PartTransfer, StockMovement
from tests.factories import DealerFactory

from .stock_helpers import part

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2027, 3, 15, 9, 0, tzinfo=dt.UTC)


def test_the_demo_parts_stores_add_up() -> None:
    dealers = [DealerFactory(code=f"DM{i}") for i in range(3)]
    for i in range(60):
        part(f"DEMO-{i:03d}")
    result = seed_parts_stock(seed=3, now=NOW, per_dealer=40)
    assert not result.skipped
    assert (result.dealers, result.balances, result.transfers) == (3, 120, 1)
    with as_dealers(dealers):
        assert PartStock.objects.count() == 120
        assert StockMovement.objects.count() == result.movements
        assert selectors.ledger_mismatches() == []
        assert PartStock.objects.filter(reserved__gt=0).count() == result.reservations
        (pending,) = PartTransfer.objects.filter(side="in")
    assert pending.status == "requested" and pending.dealer == dealers[0]
    assert PartAvailability.objects.filter(dealer__in=dealers).exists()
    assert seed_parts_stock(seed=3, now=NOW).skipped
