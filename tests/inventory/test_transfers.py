"""Inter-dealer transfers (issue 15, item 8): two rows, one per dealer, moved together; the
supplier's stock is checked on acceptance; both ledgers move in one consistent way; a failure
midway leaves both dealers as they were; a third dealer sees nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from dms.audit.models import AuditAction, AuditEntry
from dms.tenancy.context import as_dealer
from inventory.stock import transfers
from inventory.stock.models import PartAvailability, PartStock, PartTransfer, StockMovement
from tests.factories import DealerFactory, staff

from .stock_helpers import part, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def net() -> dict[str, Any]:
    a, b, c = DealerFactory(code="A7"), DealerFactory(code="B7"), DealerFactory(code="C7")
    item = part("7000-X")
    stock(b, item, 6, cost="20.00")
    return {
        "a": a, "b": b, "c": c, "part": item,
        "clerk_a": staff(a, "parts_clerk"), "clerk_b": staff(b, "parts_clerk"),
    }  # fmt: skip


def on_hand(dealer: Any, item: Any) -> tuple[Decimal, Decimal]:
    with as_dealer(dealer):
        row = PartStock.objects.filter(part=item).first()
    return (row.on_hand, row.reserved) if row else (Decimal(0), Decimal(0))


def sides(net: dict[str, Any], key: Any) -> dict[str, str]:
    out = {}
    for code in ("a", "b"):
        with as_dealer(net[code]):
            row = PartTransfer.objects.get(transfer_key=key)
        out[code] = row.status
    return out


def side(dealer: Any, key: Any) -> PartTransfer:
    with as_dealer(dealer):
        return PartTransfer.objects.get(transfer_key=key)


def requested(net: dict[str, Any], quantity: int = 4) -> PartTransfer:
    with as_dealer(net["a"]):
        return transfers.request_transfer(
            requester=net["a"], supplier=net["b"], part=net["part"], quantity=quantity,
            actor=net["clerk_a"], note="customer waiting",
        )  # fmt: skip


def kinds(dealer: Any) -> list[tuple[str, Decimal]]:
    with as_dealer(dealer):
        rows: QuerySet[StockMovement] = StockMovement.objects.order_by("at", "id")
        return list(rows.values_list("kind", "quantity"))


def test_a_transfer_moves_both_ledgers_in_step(net) -> None:
    incoming = requested(net)
    key = incoming.transfer_key
    assert (incoming.side, incoming.partner, incoming.number) == ("in", net["b"], 1)
    assert sides(net, key) == {"a": "requested", "b": "requested"}
    transfers.accept(transfer=side(net["b"], key), actor=net["clerk_b"])
    assert on_hand(net["b"], net["part"]) == (6, 4)  # set aside at the supplier
    transfers.dispatch(transfer=side(net["b"], key), actor=net["clerk_b"])
    assert sides(net, key) == {"a": "dispatched", "b": "dispatched"}
    assert on_hand(net["b"], net["part"]) == (2, 0)
    assert on_hand(net["a"], net["part"]) == (0, 0)  # in transit
    transfers.receive(transfer=side(net["a"], key), actor=net["clerk_a"])
    assert sides(net, key) == {"a": "received", "b": "received"}
    assert on_hand(net["a"], net["part"]) == (4, 0)
    assert kinds(net["b"])[-1] == ("transfer_out", Decimal("-4.00"))
    assert kinds(net["a"]) == [("transfer_in", Decimal("4.00"))]
    # Both dealers' audit trails hold every step.
    steps = sorted(
        (e.dealer_id, e.detail["step"])
        for e in AuditEntry.objects.filter(action=AuditAction.STOCK_TRANSFER)
    )
    expected = ["accepted", "dispatched", "received", "requested"]
    assert steps == sorted(
        [(net["a"].pk, s) for s in expected] + [(net["b"].pk, s) for s in expected]
    )
    # The network projection follows both stores.
    bands = dict(PartAvailability.objects.values_list("dealer__code", "band"))
    assert bands == {"A7": 2, "B7": 2}


def test_each_step_belongs_to_one_side(net) -> None:
    key = requested(net).transfer_key
    with pytest.raises(ValidationError, match="other dealer takes this step"):
        transfers.accept(transfer=side(net["a"], key), actor=net["clerk_a"])
    with pytest.raises(ValidationError, match="other dealer takes this step"):
        transfers.cancel(transfer=side(net["b"], key), actor=net["clerk_b"])
    with pytest.raises(ValidationError, match="is requested"):
        transfers.dispatch(transfer=side(net["b"], key), actor=net["clerk_b"])
    assert sides(net, key) == {"a": "requested", "b": "requested"}


def test_refusing_needs_a_reason_and_ends_both_sides(net) -> None:
    key = requested(net).transfer_key
    with pytest.raises(ValidationError, match="Say why"):
        transfers.refuse(transfer=side(net["b"], key), actor=net["clerk_b"], reason=" ")
    transfers.refuse(transfer=side(net["b"], key), actor=net["clerk_b"], reason="kept for RO 12")
    assert sides(net, key) == {"a": "refused", "b": "refused"}
    assert side(net["a"], key).note == "kept for RO 12"
    assert on_hand(net["b"], net["part"]) == (6, 0)


def test_accepting_without_the_stock_is_refused_and_changes_nothing(net) -> None:
    key = requested(net, quantity=8).transfer_key
    with pytest.raises(ValidationError, match="Only 6 of 7000-X available; 8 asked"):
        transfers.accept(transfer=side(net["b"], key), actor=net["clerk_b"])
    assert sides(net, key) == {"a": "requested", "b": "requested"}
    assert on_hand(net["b"], net["part"]) == (6, 0)


@pytest.mark.parametrize("step", ["dispatch", "receive"])
def test_a_failure_midway_leaves_both_dealers_as_they_were(net, monkeypatch, step) -> None:
    key = requested(net).transfer_key
    transfers.accept(transfer=side(net["b"], key), actor=net["clerk_b"])
    if step == "receive":
        transfers.dispatch(transfer=side(net["b"], key), actor=net["clerk_b"])
    before = (sides(net, key), kinds(net["a"]), kinds(net["b"]))
    before_stock = (on_hand(net["a"], net["part"]), on_hand(net["b"], net["part"]))

    def broken(*args: Any, **kwargs: Any) -> None:  # the status write fails after the stock moved
        raise RuntimeError("connection lost")

    monkeypatch.setattr(PartTransfer.objects, "bulk_update", broken)
    acting = net["a"] if step == "receive" else net["b"]
    with pytest.raises(RuntimeError):
        getattr(transfers, step)(transfer=side(acting, key), actor=None)
    monkeypatch.undo()
    assert (sides(net, key), kinds(net["a"]), kinds(net["b"])) == before
    assert (on_hand(net["a"], net["part"]), on_hand(net["b"], net["part"])) == before_stock
    # Once the fault is gone the step goes through, once.
    getattr(transfers, step)(transfer=side(acting, key), actor=None)
    assert sides(net, key)["a"] == ("received" if step == "receive" else "dispatched")


def test_a_third_dealer_sees_neither_side(net) -> None:
    key = requested(net).transfer_key
    with as_dealer(net["c"]):
        assert not PartTransfer.objects.filter(transfer_key=key).exists()


def test_bad_requests_are_refused(net) -> None:
    with as_dealer(net["a"]):
        with pytest.raises(ValidationError, match="between two dealers"):
            transfers.request_transfer(
                requester=net["a"], supplier=net["a"], part=net["part"], quantity=1, actor=None
            )
        with pytest.raises(ValidationError, match="more than zero"):
            transfers.request_transfer(
                requester=net["a"], supplier=net["b"], part=net["part"], quantity=0, actor=None
            )
    with as_dealer(net["a"]):
        assert not PartTransfer.objects.exists()
