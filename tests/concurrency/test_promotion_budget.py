"""Two dealers order with a promotion's last unit at the same moment, on two real connections
(issue 14, item 4): exactly one gets it. Both racers meet right after their conditional UPDATE
(inside their transactions): the first holds the promotion's row, the second's UPDATE waits for
it, then re-checks `used < budget` on the committed row and takes nothing.

The mutation check replaces the conditional UPDATE with what it prevents — read `used`, decide,
write the new count — and both racers then get the last unit."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from bulletins import promotions
from bulletins.models import Promotion
from tests.factories import DealerFactory, hq_user

from ._race import kinds, point_after, racing

pytestmark = pytest.mark.django_db(transaction=True)
DAY = dt.date(2027, 3, 15)


def _promotion_with_one_unit_left() -> Promotion:
    admin = hq_user("hq_admin")
    DealerFactory(), DealerFactory()
    promo = promotions.create_promotion(
        actor=admin, code="LAST", name="Last unit", valid_from=DAY, valid_to=DAY,
        kind="amount", value=Decimal("100.00"), budget=5, all_dealers=True,
    )  # fmt: skip
    promotions.publish_promotion(actor=admin, promotion=promo)
    Promotion.objects.filter(pk=promo.pk).update(used=4)
    return promo


def _order_with(promo: Promotion) -> Callable[[], Any]:
    def call() -> Any:
        with transaction.atomic():
            promotions.take_budget(promotion_id=promo.pk, day=DAY)
        return "taken"

    return call


def _read_then_write(*, promotion_id: int, day: dt.date) -> None:
    """What the conditional UPDATE prevents: a decision on a value read earlier."""
    promo = Promotion.objects.get(pk=promotion_id)
    if promo.budget is not None and promo.used >= promo.budget:
        raise promotions.PromotionUnavailable("used up")
    _decided(promo)
    Promotion.objects.filter(pk=promotion_id).update(used=promo.used + 1)


def _decided(promo: Promotion) -> None:
    """The rendezvous of the mutation check (patched by the test)."""


def test_the_last_unit_goes_to_one_order(monkeypatch: pytest.MonkeyPatch) -> None:
    promo = _promotion_with_one_unit_left()
    with racing() as race:
        point_after(monkeypatch, promotions, "take_budget", race)
        outcomes = race.run({"dealer_1": _order_with(promo), "dealer_2": _order_with(promo)})
    assert kinds(outcomes) == ["ok", "refused"], outcomes
    refused = next(o for o in outcomes.values() if o.kind == "refused")
    assert "no longer available" in refused.messages[0]
    promo.refresh_from_db()
    assert promo.used == 5


def test_mutation_read_then_write_gives_the_last_unit_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    promo = _promotion_with_one_unit_left()
    monkeypatch.setattr(promotions, "take_budget", _read_then_write)
    with racing() as race:
        point_after(monkeypatch, sys.modules[__name__], "_decided", race)
        outcomes = race.run({"dealer_1": _order_with(promo), "dealer_2": _order_with(promo)})
    assert kinds(outcomes) == ["ok", "ok"], outcomes  # both orders believe they got it
