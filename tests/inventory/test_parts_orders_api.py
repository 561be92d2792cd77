"""The parts-orders API (issue 15, item 7): the dealer creates a draft with lines and sends it;
bad input is a 400 that changes nothing; HQ logistics lists open orders, confirms with a
backorder date and ships; another dealer's order is 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from dms.tenancy.context import as_dealer
from inventory.orders.models import PartsOrder
from tests.api.support import session_client
from tests.factories import DealerFactory, staff

from .orders_helpers import NOW, TODAY, Shop, on_order, sent, shop

pytestmark = pytest.mark.django_db
API = "/api/parts-orders/"


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def s() -> Shop:
    return shop()


def test_dealer_creates_and_sends_an_order(s) -> None:
    client = session_client(s.clerk)
    bad = {"kind": "stock", "lines": [{"part_number": "pad-77", "quantity": "2"},
                                      {"part_number": "NOPE", "quantity": "1"}]}  # fmt: skip
    response = client.post(API, bad, format="json")
    assert response.status_code == 400
    assert response.json() == {"part_number": ["No part has the number NOPE."]}
    with as_dealer(s.dealer):
        assert not PartsOrder.objects.exists()
    good = {"kind": "urgent", "vehicle_reference": "RO 7", "lines": [{"part_number": "pad-77", "quantity": "2"}]}  # fmt: skip
    response = client.post(API, good, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["state"], body["kind"], body["lines"][0]["part_number"]) == (
        "draft",
        "urgent",
        "PAD-77",
    )
    response = client.post(f"{API}{body['id']}/send/")
    assert response.status_code == 200 and response.json()["state"] == "sent"
    assert on_order(s, "PAD-77") == 2
    assert client.post(f"{API}{body['id']}/send/").status_code == 400  # not a draft any more
    listing = client.get(API).json()
    assert [o["label"] for o in listing["results"]] == ["P1"]
    # Another dealer's clerk: not found.
    other = session_client(staff(DealerFactory(code="PO2"), "parts_clerk"))
    assert other.get(f"{API}{body['id']}/").status_code == 404
    assert other.post(f"{API}{body['id']}/send/").status_code == 404


def test_hq_logistics_confirms_with_a_backorder_and_ships(s) -> None:
    order = sent(s, {"PAD-77": 5})
    hq = session_client(s.logistics)
    listing = hq.get(f"{API}network/").json()
    assert [o["id"] for o in listing["results"]] == [order.pk]
    assert listing["results"][0]["dealer_code"] == s.dealer.code
    assert "customer" not in str(listing)
    line_id = listing["results"][0]["lines"][0]["id"]
    url = f"{API}network/{order.pk}/"
    response = hq.post(
        url + "confirm/", {"lines": [{"line": line_id, "confirm": "3"}]}, format="json"
    )
    assert response.status_code == 400
    assert "give the date the backordered 2 is expected" in str(response.json())
    day = (TODAY + dt.timedelta(days=7)).isoformat()
    body = {"lines": [{"line": line_id, "confirm": "3", "expected": day}]}
    response = hq.post(url + "confirm/", body, format="json")
    assert response.status_code == 200 and response.json()["state"] == "backordered"
    assert response.json()["lines"][0]["backorder_expected"] == day
    response = hq.post(url + "ship/", {"carrier_reference": "UPS 9"}, format="json")
    assert response.status_code == 201
    assert response.json()["lines"][0]["quantity"] == "3.00"
    # The dealer sees the backorder and its date.
    mine = session_client(s.clerk).get(f"{API}{order.pk}/").json()
    assert (mine["state"], mine["lines"][0]["backordered"]) == ("backordered", "2.00")
    # HQ admins read but do not confirm; dealer staff have no network view.
    admin = session_client(s.admin)
    assert admin.get(f"{API}network/").status_code == 200
    assert admin.post(url + "ship/", {}, format="json").status_code == 403
    assert session_client(s.clerk).get(f"{API}network/").status_code == 403


def test_the_endpoints_are_in_the_schema(s) -> None:
    schema = session_client(s.clerk).get("/api/schema/").content.decode()
    for path in (
        "/api/parts-orders/",
        "/api/parts-orders/{id}/send/",
        "/api/parts-orders/network/",
        "/api/parts-orders/network/{id}/confirm/",
        "/api/parts-orders/network/{id}/ship/",
    ):
        assert path in schema
