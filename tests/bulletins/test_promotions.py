"""HQ promotions (issue 14, item 4): who is offered what on which day, the amount off, and
the network-wide budget (the race for the last unit is in tests/concurrency)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from bulletins import promotions
from bulletins.models import Promotion
from dms.audit.models import AuditEntry
from inventory.models import Trim, VehicleModel
from tests.bulletins.conftest import Network

D1, D15, D31 = dt.date(2027, 3, 1), dt.date(2027, 3, 15), dt.date(2027, 3, 31)


@pytest.fixture
def trims(db: Any) -> dict[str, Trim]:
    aero = VehicleModel.objects.create(code="AERO", name="Aero")
    terra = VehicleModel.objects.create(code="TERRA", name="Terra")
    return {
        "aero_base": Trim.objects.create(vehicle_model=aero, code="AERO-B", name="Base"),
        "aero_top": Trim.objects.create(vehicle_model=aero, code="AERO-T", name="Top"),
        "terra_base": Trim.objects.create(vehicle_model=terra, code="TERRA-B", name="Base"),
    }


def make(net: Network, *, publish: bool = True, **fields: Any) -> Promotion:
    fields = {"code": "SPRING", "name": "Spring offer", "valid_from": D1, "valid_to": D31,
              "kind": "amount", "value": Decimal("500.00"), "all_dealers": True, **fields}  # fmt: skip
    promotion = promotions.create_promotion(actor=net.admin, **fields)
    if publish:
        promotions.publish_promotion(actor=net.admin, promotion=promotion)
    return promotion


def offered(net: Network, code: str, day: dt.date, trim: Trim | None = None) -> list[str]:
    return [p.code for p in promotions.promotions_for(dealer=net.dealers[code], day=day, trim=trim)]


def test_offered_to_the_targeted_dealers_within_its_days(network, trims) -> None:
    make(network, code="NORTH", regions=[network.north], all_dealers=False)
    make(network, code="ONLY-C", dealers=[network.dealers["C"]], all_dealers=False)
    make(network, code="ALL")
    make(network, code="DRAFT", publish=False)
    assert offered(network, "A", D1) == ["ALL", "NORTH"]
    assert offered(network, "C", D31) == ["ALL", "ONLY-C"]  # the last day counts
    assert offered(network, "D", D15) == ["ALL"]
    assert offered(network, "A", D1 - dt.timedelta(days=1)) == []
    assert offered(network, "A", D31 + dt.timedelta(days=1)) == []


def test_offered_for_eligible_models_and_trims_only(network, trims) -> None:
    aero = trims["aero_base"].vehicle_model
    make(network, code="AERO", vehicle_models=[aero])
    make(network, code="TOP", trims=[trims["aero_top"]])
    make(network, code="ANY")
    assert offered(network, "A", D15, trims["aero_base"]) == ["AERO", "ANY"]
    assert offered(network, "A", D15, trims["aero_top"]) == ["AERO", "ANY", "TOP"]
    assert offered(network, "A", D15, trims["terra_base"]) == ["ANY"]


def test_amount_off() -> None:
    percent = Promotion(kind="percent", value=Decimal("3.50"))
    assert promotions.promotion_amount(percent, price=Decimal("25999.99")) == Decimal("910.00")
    fixed = Promotion(kind="amount", value=Decimal("500.00"))
    assert promotions.promotion_amount(fixed, price=Decimal("300.00")) == Decimal("300.00")


def test_the_budget_runs_out(network, trims) -> None:
    promo = make(network, budget=2)
    promotions.take_budget(promotion_id=promo.pk, day=D15)
    promotions.take_budget(promotion_id=promo.pk, day=D15)
    with pytest.raises(promotions.PromotionUnavailable, match="no longer available"):
        promotions.take_budget(promotion_id=promo.pk, day=D15)
    assert offered(network, "A", D15) == []  # used up: no longer offered
    promotions.give_back_budget(promotion_id=promo.pk)  # a cancelled order
    assert offered(network, "A", D15) == ["SPRING"]
    promo.refresh_from_db()
    assert promo.used == 1


def test_withdrawn_or_ended_promotions_cannot_be_taken(network, trims) -> None:
    promo = make(network)
    with pytest.raises(promotions.PromotionUnavailable):
        promotions.take_budget(promotion_id=promo.pk, day=D31 + dt.timedelta(days=1))
    promotions.withdraw_promotion(actor=network.admin, promotion=promo)
    with pytest.raises(promotions.PromotionUnavailable):
        promotions.take_budget(promotion_id=promo.pk, day=D15)
    assert offered(network, "A", D15) == []
    assert AuditEntry.objects.filter(object_type="bulletins.Promotion").count() == 3


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"code": " "}, "code"),
        ({"name": ""}, "name"),
        ({"valid_to": D1 - dt.timedelta(days=1)}, "valid_to"),
        ({"kind": "gift"}, "kind"),
        ({"value": Decimal("0")}, "value"),
        ({"value": Decimal("1.005")}, "value"),
        ({"kind": "percent", "value": Decimal("120")}, "value"),
        ({"budget": 0}, "budget"),
        ({"all_dealers": False}, "targets"),
    ],
)
def test_bad_input_creates_nothing(network, fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        make(network, publish=False, **fields)
    assert field in refused.value.message_dict
    assert not Promotion.objects.exists()


def test_only_hq_admins_define_promotions(network) -> None:
    for actor in (network.who("A", "dealer_manager"), network.north_manager):
        with pytest.raises(PermissionDenied):
            promotions.create_promotion(actor=actor, code="X", name="X", valid_from=D1,
                                        valid_to=D31, kind="amount", value=Decimal("1"),
                                        all_dealers=True)  # fmt: skip
    assert not Promotion.objects.exists()
