"""Reorder suggestions (issue 15, item 6): a nightly job proposes one draft stock order per
dealer from reorder points, reservations (available = on hand − reserved), what is on order and
the last 90 days' issues; rerunning rebuilds it, a clerk's edited suggestion is left alone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from dms.tenancy.context import as_dealer
from inventory.orders import services, tasks
from inventory.orders.models import PartsOrder
from inventory.stock import services as stock

from .orders_helpers import NOW, TODAY, D, Shop, lines_of, sent, shop
from .stock_helpers import supersede

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def s() -> Shop:
    return shop()


def levels(s: Shop, number: str, on_hand: int, rp: int, mx: int, minimum: int = 0) -> None:
    with as_dealer(s.dealer):
        item = s.parts[number]
        if on_hand:
            stock.receive(
                dealer_id=s.dealer.pk, part=item, quantity=on_hand, unit_cost=D("1"),
                reference="opening", actor=None,
            )  # fmt: skip
        stock.set_levels(
            dealer_id=s.dealer.pk, part=item, bin="A1", minimum=minimum, reorder_point=rp,
            maximum=mx, actor=None,
        )  # fmt: skip


def suggested(s: Shop) -> dict[str, D]:
    with as_dealer(s.dealer):
        order = PartsOrder.objects.filter(origin="suggestion", state="draft").first()
        if order is None:
            return {}
        return {x.part.number: x.quantity for x in order.lines.select_related("part")}


def test_parts_below_their_reorder_point_are_suggested_up_to_the_maximum(s) -> None:
    levels(s, "PAD-77", on_hand=2, rp=4, mx=10)  # 2 < 4: order 8
    levels(s, "0012-A", on_hand=5, rp=4, mx=10)  # above the point: nothing
    levels(s, "OIL-5W30", on_hand=1, rp=3, mx=0)  # no maximum, no demand: back to the point
    with as_dealer(s.dealer):
        stock.reserve(dealer_id=s.dealer.pk, part=s.parts["0012-A"], quantity=2,
                      reference="RO 7", actor=None)  # fmt: skip
        order = services.suggest_reorders(dealer_id=s.dealer.pk)
    # 0012-A: 5 on hand − 2 reserved = 3 available < 4 → up to 10: 7.
    assert suggested(s) == {"PAD-77": 8, "0012-A": 7, "OIL-5W30": 2}
    assert order is not None and order.origin == "suggestion" and order.kind == "stock"
    assert all(x.suggested == x.quantity for x in lines_of(s, order).values())


def test_on_order_counts_and_recent_demand_sets_the_target_without_a_maximum(s) -> None:
    levels(s, "PAD-77", on_hand=0, rp=4, mx=10)
    sent(s, {"PAD-77": 5})  # on order 5: position 5 ≥ 4, nothing more
    levels(s, "0012-A", on_hand=20, rp=4, mx=0)
    with as_dealer(s.dealer):
        # 18 issued over the last 90 days (and 50 long before: not counted).
        with time_machine.travel(NOW - dt.timedelta(days=200), tick=False):
            stock.receive(dealer_id=s.dealer.pk, part=s.parts["0012-A"], quantity=50,
                          unit_cost=D("1"), reference="old", actor=None)  # fmt: skip
            stock.issue(dealer_id=s.dealer.pk, part=s.parts["0012-A"], quantity=50,
                        reference="old", actor=None)  # fmt: skip
        with time_machine.travel(NOW - dt.timedelta(days=30), tick=False):
            stock.issue(dealer_id=s.dealer.pk, part=s.parts["0012-A"], quantity=18,
                        reference="CS 1", actor=None)  # fmt: skip
        services.suggest_reorders(dealer_id=s.dealer.pk)
    # 0012-A: 2 left < 4 → target 4 + 18 / 3 = 10 → 8.
    assert suggested(s) == {"0012-A": 8}


def test_rerun_rebuilds_until_the_clerk_edits_then_leaves_it_alone(s) -> None:
    levels(s, "PAD-77", on_hand=2, rp=4, mx=10)
    with as_dealer(s.dealer):
        first = services.suggest_reorders(dealer_id=s.dealer.pk)
        again = services.suggest_reorders(dealer_id=s.dealer.pk)
        assert first is not None and again is not None and again.pk == first.pk
        assert PartsOrder.objects.count() == 1
        line = first.lines.get()
        services.set_line_quantity(order=first, line_id=line.pk, quantity=6, actor=s.clerk)
        levels(s, "0012-A", on_hand=0, rp=2, mx=4)
        services.suggest_reorders(dealer_id=s.dealer.pk)
    assert suggested(s) == {"PAD-77": 6}  # the clerk's, untouched
    with as_dealer(s.dealer):
        order = PartsOrder.objects.get(pk=first.pk)
        services.send(order=order, actor=s.clerk)
        services.suggest_reorders(dealer_id=s.dealer.pk)  # a new night: a new suggestion
    assert suggested(s) == {"0012-A": 4}


def test_superseded_parts_and_parts_on_the_clerks_drafts_are_left_out(s) -> None:
    levels(s, "0012-A", on_hand=0, rp=2, mx=4)
    levels(s, "PAD-77", on_hand=0, rp=2, mx=4)
    supersede(s.parts["0012-A"], s.parts["0012-B"], valid_from=TODAY)
    with as_dealer(s.dealer):
        mine = services.create_order(dealer_id=s.dealer.pk, actor=s.clerk)
        services.add_line(order=mine, part_number="PAD-77", quantity=1, actor=s.clerk)
        assert services.suggest_reorders(dealer_id=s.dealer.pk) is None
    assert suggested(s) == {}


def test_the_nightly_task_runs_per_dealer_in_its_scope(
    s, django_capture_on_commit_callbacks
) -> None:
    levels(s, "PAD-77", on_hand=1, rp=2, mx=5)
    with django_capture_on_commit_callbacks() as callbacks:
        assert tasks.dispatch_reorder_suggestions() >= 1
    assert callbacks  # one enqueue per active dealer, after commit
    order_pk = tasks.suggest_reorders.apply(kwargs={"dealer_id": s.dealer.pk}).get()
    assert order_pk and suggested(s) == {"PAD-77": 4}
