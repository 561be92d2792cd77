"""HQ sees a promotion's uptake per region and dealer (issue 14, item 4): counts of orders only,
never a customer; a regional manager sees only their regions' dealers; dealer roles are refused."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from dms.tenancy.context import as_dealer, as_dealers
from leads.models import Stage
from sales import selectors, services
from sales.models import Quote
from tests.factories import RegionFactory, hq_user
from tests.sales.conftest import Showroom, make_showroom
from tests.sales.test_promotions import promo

pytestmark = pytest.mark.django_db


def _order(room: Showroom) -> Any:
    quote = room.quote(room.lead(stage=Stage.QUOTE), promotion_code="SPRING")
    with as_dealer(room.dealer):
        services.send_quote(quote=quote, actor=room.alice)
        services.accept_quote(quote=Quote.objects.get(pk=quote.pk), actor=room.alice)
        return services.create_order(
            quote=Quote.objects.get(pk=quote.pk), actor=room.alice, deposit_required=Decimal(0)
        ).obj


@pytest.fixture
def network(db: Any) -> dict[str, Any]:
    north, south = RegionFactory(code="N", name="North"), RegionFactory(code="S", name="South")
    rooms = {
        "n1": make_showroom(name="Nord Eins", region=north),
        "n2": make_showroom(name="Nord Zwei", region=north),
        "s1": make_showroom(name="Süd Eins", region=south),
    }
    promotion = promo(rooms["n1"])
    _order(rooms["n1"]), _order(rooms["n1"]), _order(rooms["s1"])
    cancelled = _order(rooms["n2"])
    with as_dealer(rooms["n2"].dealer):
        services.cancel_order(order=cancelled, actor=rooms["n2"].manager, reason="Withdrew")
    return {"rooms": rooms, "promotion": promotion, "north": north}


def test_uptake_per_dealer_and_region(network: dict[str, Any]) -> None:
    rooms = network["rooms"]
    ids = [r.dealer.pk for r in rooms.values()]
    with as_dealers(ids):
        rows = selectors.promotion_uptake(promotion_id=network["promotion"].pk, dealer_ids=ids)
    got = {r.dealer_name: (r.region, r.taken, r.cancelled) for r in rows}
    assert got == {
        "Nord Eins": ("North", 2, 0),
        "Nord Zwei": ("North", 0, 1),
        "Süd Eins": ("South", 1, 0),
    }
    assert selectors.uptake_by_region(rows) == [("North", 2, 0, 1), ("South", 1, 0, 0)]


def test_hq_page_counts_only_and_regional_limits(network: dict[str, Any], signed_in: Any) -> None:
    promotion = network["promotion"]
    url = reverse("reports:promotion_uptake", args=[promotion.pk])
    admin = signed_in(hq_user("hq_admin"))
    html = admin.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="uptake-dealers"' in html
    assert "Nord Eins" in html and "Süd Eins" in html
    with as_dealer(network["rooms"]["n1"].dealer):
        customer = Quote.objects.filter(promotion=promotion).first().customer
    assert customer.last_name not in html  # counts, never a customer
    detail = admin.get(reverse("promotions:detail", args=[promotion.pk])).content.decode()
    assert url in detail  # the promotion's page loads it
    regional = signed_in(hq_user("hq_regional_manager", regions=[network["north"]]))
    html = regional.get(url).content.decode()
    assert "Nord Eins" in html and "Süd Eins" not in html
    consultant = signed_in(network["rooms"]["n1"].alice)
    assert consultant.get(url).status_code in (403, 404)


@pytest.fixture
def signed_in() -> Any:
    from tests.factories import signed_in_client

    return signed_in_client
