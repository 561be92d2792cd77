"""`GET /api/promotions/`: what the caller's dealer may offer on a day, for a trim; bad
parameters answer 400; HQ without a dealer and other roles are refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.urls import reverse

from bulletins import promotions
from inventory.models import Trim, VehicleModel
from tests.api.support import session_client
from tests.bulletins.conftest import Network


def _make(net: Network, code: str, **fields: object) -> None:
    promo = promotions.create_promotion(
        actor=net.admin, code=code, name=code.title(), valid_from=dt.date(2027, 3, 1),
        valid_to=dt.date(2027, 3, 31), kind="amount", value=Decimal("250.00"), **fields,
    )  # fmt: skip
    promotions.publish_promotion(actor=net.admin, promotion=promo)


def test_the_dealers_promotions_on_its_day(network: Network) -> None:
    aero = VehicleModel.objects.create(code="AERO", name="Aero")
    Trim.objects.create(vehicle_model=aero, code="AERO-B", name="Base")
    _make(network, "ALL", all_dealers=True, budget=3)
    _make(network, "SOUTH", regions=[network.south])
    _make(network, "AERO", all_dealers=True, vehicle_models=[aero])
    client = session_client(network.who("A", "consultant"))
    url = reverse("api-promotions")
    body = client.get(url, {"day": "2027-03-15"}).json()
    assert [p["code"] for p in body] == ["ALL"]  # North dealer; AERO only for its trims
    assert body[0]["budget_left"] == 3 and body[0]["value"] == "250.00"
    trims = client.get(url, {"day": "2027-03-15", "trim": "AERO-B"}).json()
    assert [p["code"] for p in trims] == ["AERO", "ALL"]
    assert client.get(url, {"day": "2027-04-01"}).json() == []
    assert client.get(url).status_code == 200  # today by default (frozen: 2027-03-01)
    bad = client.get(url, {"day": "yesterday", "trim": "NOPE"})
    assert bad.status_code == 400 and set(bad.json()) >= {"day", "trim"}


def test_refused_without_a_dealer_or_for_other_roles(network: Network) -> None:
    url = reverse("api-promotions")
    assert session_client(network.admin).get(url).status_code in (400, 403)
    assert session_client(network.who("A", "parts_clerk")).get(url).status_code == 403
