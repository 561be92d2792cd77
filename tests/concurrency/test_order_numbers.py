"""Two orders of one dealer placed at the same moment, on two real connections (issue 13,
item 7): they never get the same number. Both racers meet right before they take a number
(sales.numbering.next_number, inside create_order's transaction): the series row's lock makes
the second wait until the first commits, then it reads the committed value.

The mutation check replaces the series with what it prevents, the dealer's highest number + 1
read in each transaction: both racers then read the same number, and only the unique key
(dealer, number) stops the second order (an error, nothing saved twice)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Max

from dms.tenancy.context import as_dealer
from leads.models import Stage
from sales import numbering, services
from sales.models import Order, Quote
from tests.sales.conftest import Showroom, make_showroom

from ._race import Outcome, Race, kinds, point_after, point_before, racing

pytestmark = pytest.mark.django_db(transaction=True)


def _accepted_quote(room: Showroom) -> Quote:
    lead = room.lead(stage=Stage.QUOTE)
    quote = room.quote(lead)
    with as_dealer(room.dealer):
        services.send_quote(quote=quote, actor=room.alice)
        services.accept_quote(quote=quote, actor=room.alice)
    return quote


def _place(room: Showroom, quote: Quote, actor: Any) -> Callable[[], Any]:
    def call() -> Any:
        with as_dealer(room.dealer):
            return services.create_order(
                quote=Quote.objects.get(pk=quote.pk), actor=actor, deposit_required=Decimal("0")
            ).obj.number

    return call


def _race_two_orders(room: Showroom, race: Race) -> dict[str, Outcome]:
    first, second = _accepted_quote(room), _accepted_quote(room)
    return race.run(
        {"alice": _place(room, first, room.alice), "maria": _place(room, second, room.manager)}
    )


def _numbers(room: Showroom) -> list[int]:
    with as_dealer(room.dealer):
        return sorted(Order.objects.values_list("number", flat=True))


@pytest.mark.parametrize("earlier_orders", [0, 2], ids=["first-orders", "series-running"])
def test_two_orders_at_once_get_two_numbers(
    monkeypatch: pytest.MonkeyPatch, earlier_orders: int
) -> None:
    room = make_showroom()
    for _ in range(earlier_orders):
        with as_dealer(room.dealer):
            services.create_order(
                quote=_accepted_quote(room), actor=room.alice, deposit_required=Decimal("0")
            )
    with racing() as race:
        point_before(monkeypatch, numbering, "next_number", race)
        outcomes = _race_two_orders(room, race)
    assert kinds(outcomes) == ["ok", "ok"], outcomes
    assert sorted(o.value for o in outcomes.values()) == [earlier_orders + 1, earlier_orders + 2]
    assert _numbers(room) == list(range(1, earlier_orders + 3))


def _highest_plus_one(*, dealer_id: int, kind: str, count: int = 1) -> int:
    """What the series row prevents: read the dealer's highest number, add one."""
    top = Order.objects.filter(dealer_id=dealer_id).aggregate(top=Max("number"))["top"]
    return (top or 0) + count


def test_without_the_series_row_two_orders_at_once_clash(monkeypatch: pytest.MonkeyPatch) -> None:
    room = make_showroom()
    monkeypatch.setattr(numbering, "next_number", _highest_plus_one)
    with racing() as race:
        point_after(monkeypatch, numbering, "next_number", race)
        outcomes = _race_two_orders(room, race)
    # both read "no order yet" and took number 1: the unique key refuses the second insert
    assert kinds(outcomes) == ["error", "ok"], outcomes
    [error] = [o for o in outcomes.values() if o.kind == "error"]
    assert "order_number_unique" in str(error.value)
    assert _numbers(room) == [1]
