"""Two dealers place orders with a promotion's last unit at the same moment, on two real
connections, through the order service (issue 14, item 4): one order, one clear refusal. Both
racers meet right after their order's conditional UPDATE of the budget (inside create_order's
transaction): the second's UPDATE waits on the first's row lock, re-checks `used < budget` on
the committed row and takes nothing — its order is refused and nothing of it is saved."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from bulletins import promotions
from bulletins.models import Promotion
from dealers.clock import dealer_today
from dms.tenancy.context import as_dealer
from leads.models import Stage
from sales import services
from sales.models import Order, Quote
from sales.services import orders as order_services
from tests.factories import hq_user
from tests.sales.conftest import Showroom, make_showroom

from ._race import kinds, point_after, racing

pytestmark = pytest.mark.django_db(transaction=True)


def _last_unit(day: dt.date) -> Promotion:
    admin = hq_user("hq_admin")
    promo = promotions.create_promotion(
        actor=admin, code="LAST", name="Last unit", valid_from=day - dt.timedelta(days=5),
        valid_to=day + dt.timedelta(days=5), kind="amount", value=Decimal("400.00"), budget=3,
        all_dealers=True,
    )  # fmt: skip
    promotions.publish_promotion(actor=admin, promotion=promo)
    Promotion.objects.filter(pk=promo.pk).update(used=2)
    return promo


def _accepted(room: Showroom) -> Quote:
    quote = room.quote(room.lead(stage=Stage.QUOTE), promotion_code="LAST")
    with as_dealer(room.dealer):
        services.send_quote(quote=quote, actor=room.alice)
        services.accept_quote(quote=quote, actor=room.alice)
    return quote


def _place(room: Showroom, quote: Quote) -> Callable[[], Any]:
    def call() -> Any:
        with as_dealer(room.dealer):
            return services.create_order(
                quote=Quote.objects.get(pk=quote.pk), actor=room.alice, deposit_required=Decimal(0)
            ).obj.pk

    return call


def test_two_dealers_the_last_unit_one_order(monkeypatch: pytest.MonkeyPatch) -> None:
    north, south = make_showroom(name="Nord"), make_showroom(name="Süd")
    promo = _last_unit(dealer_today(north.dealer))
    quotes = {"north": _accepted(north), "south": _accepted(south)}
    with racing() as race:
        point_after(monkeypatch, order_services, "take_budget", race)
        outcomes = race.run(
            {"north": _place(north, quotes["north"]), "south": _place(south, quotes["south"])}
        )
    assert kinds(outcomes) == ["ok", "refused"], outcomes
    loser = next(name for name, o in outcomes.items() if o.kind == "refused")
    assert "no longer available" in outcomes[loser].messages[0]
    promo.refresh_from_db()
    assert promo.used == 3
    orders = 0
    for room in (north, south):
        with as_dealer(room.dealer):
            orders += Order.objects.filter(promotion=promo).count()
    assert orders == 1
    loser_room = north if loser == "north" else south
    with as_dealer(loser_room.dealer):
        assert not Order.objects.exists()  # nothing of the refused order, not even its number
