"""The HQ promotion pages: HQ admins create a draft (bad input: errors, nothing saved), publish
and withdraw; regional managers read published ones; dealer staff are turned away; a name with
a script stays text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from bulletins import promotions
from bulletins.models import Promotion
from tests.bulletins.conftest import Network
from tests.factories import signed_in_client


def _form(**overrides: Any) -> dict[str, Any]:
    return {"code": "SPRING", "name": "Spring <script>alert(1)</script>", "valid_from": "2027-03-01",
            "valid_to": "2027-03-31", "kind": "amount", "value": "500.00", "budget": "10",
            "all_dealers": "on", **overrides}  # fmt: skip


def test_create_publish_withdraw(network: Network) -> None:
    client = signed_in_client(network.admin)
    response = client.post(reverse("promotions:create"), _form())
    promo = Promotion.objects.get(code="SPRING")
    assert response.status_code == 302 and promo.status == "draft" and promo.budget == 10
    url = reverse("promotions:detail", args=[promo.pk])
    page = client.get(url).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    client.post(url, {"action": "publish"})
    promo.refresh_from_db()
    assert promo.status == "published"
    client.post(url, {"action": "withdraw"})
    promo.refresh_from_db()
    assert promo.status == "withdrawn"


def test_bad_input_shows_errors_and_saves_nothing(network: Network) -> None:
    client = signed_in_client(network.admin)
    response = client.post(reverse("promotions:create"),
                           _form(valid_to="2027-02-01", all_dealers="", value="1.005"))  # fmt: skip
    assert response.status_code == 200
    text = response.content.decode()
    assert "Ensure that there are no more than 2 decimal places." in text
    assert not Promotion.objects.exists()
    response = client.post(
        reverse("promotions:create"), _form(valid_to="2027-02-01", all_dealers="")
    )
    text = response.content.decode()
    assert "The last day comes before the first." in text
    assert "Choose the whole network or at least one region or dealer." in text
    assert not Promotion.objects.exists()


def test_regional_managers_read_published_ones_only(network: Network) -> None:
    draft = promotions.create_promotion(actor=network.admin, code="D", name="Draft",
                                        valid_from=dt.date(2027, 3, 1), valid_to=dt.date(2027, 3, 9),
                                        kind="percent", value=Decimal("2"), all_dealers=True)  # fmt: skip
    live = promotions.create_promotion(actor=network.admin, code="L", name="Live",
                                       valid_from=dt.date(2027, 3, 1), valid_to=dt.date(2027, 3, 9),
                                       kind="percent", value=Decimal("2"), all_dealers=True)  # fmt: skip
    promotions.publish_promotion(actor=network.admin, promotion=live)
    client = signed_in_client(network.north_manager)
    listing = client.get(reverse("promotions:list")).content.decode()
    assert "Live" in listing and "Draft" not in listing
    assert client.get(reverse("promotions:detail", args=[draft.pk])).status_code == 404
    assert (
        client.post(
            reverse("promotions:detail", args=[live.pk]), {"action": "withdraw"}
        ).status_code
        == 403
    )
    assert client.get(reverse("promotions:create")).status_code == 403


@pytest.mark.parametrize("role", ["consultant", "dealer_manager"])
def test_dealer_staff_are_turned_away(network: Network, role: str) -> None:
    client = signed_in_client(network.who("A", role))
    assert client.get(reverse("promotions:list")).status_code == 403
