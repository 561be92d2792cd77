"""The parts-order pages (issue 15, item 7): the clerk drafts, adds parts by number (any case;
an unknown number is a clear form error that changes nothing), sends; HQ logistics lists the
network's open orders (filters, urgent first), confirms with a backorder date and ships; the
dealer sees the backorder and its date, receives a short delivery; another dealer's order is 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from dms.tenancy.context import as_dealer
from inventory.orders.models import PartsOrder, PartsShipment
from tests.api.support import session_client
from tests.factories import DealerFactory, RegionFactory, staff

from .orders_helpers import NOW, TODAY, Shop, balance, lines_of, on_order, reload, sent, shop

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def s() -> Shop:
    return shop()


def text(response: Any) -> str:
    return response.content.decode()


def test_clerk_drafts_adds_parts_and_sends_by_the_pages(s) -> None:
    client = session_client(s.clerk)
    assert client.get("/inventory/orders/").status_code == 200
    response = client.post(
        "/inventory/orders/new/", {"kind": "urgent", "vehicle_reference": "", "note": ""}
    )
    assert response.status_code == 200 and "VIN or repair order" in text(response)
    response = client.post(
        "/inventory/orders/new/", {"kind": "urgent", "vehicle_reference": "ro 1042", "note": ""}
    )
    assert response.status_code == 302
    with as_dealer(s.dealer):
        order = PartsOrder.objects.get()
    url = f"/inventory/orders/{order.pk}/"
    assert response["Location"] == url
    assert (
        client.post(url + "lines/", {"part_number": "pad-77", "quantity": "2"}).status_code == 302
    )
    response = client.post(url + "lines/", {"part_number": "NOPE", "quantity": "2"})
    assert response.status_code == 422 and "No part has the number NOPE." in text(response)
    response = client.post(url + "lines/", {"part_number": "PAD-77", "quantity": "0.5"})
    assert response.status_code == 422 and "whole units" in text(response)
    assert {n: x.quantity for n, x in lines_of(s, order).items()} == {"PAD-77": 2}
    line = lines_of(s, order)["PAD-77"]
    client.post(url + f"lines/{line.pk}/", {"quantity": "3"})
    assert lines_of(s, order)["PAD-77"].quantity == 3
    assert client.post(url + "send/").status_code == 302
    assert reload(s, order).state == "sent" and on_order(s, "PAD-77") == 3
    page = text(client.get(url))
    assert "RO 1042" in page and 'data-testid="send"' not in page


def test_hq_logistics_lists_confirms_with_a_backorder_and_ships(s) -> None:
    order = sent(s, {"PAD-77": 5, "0012-A": 1})
    north = RegionFactory(code="north", name="North")
    other_dealer = DealerFactory(code="PO9", region=north)
    other = Shop(other_dealer, staff(other_dealer, "parts_clerk"), s.logistics, s.admin, s.parts)
    urgent = sent(other, {"0012-A": 1}, kind="urgent", vehicle_reference="WVWZZZ1JZ3W000001")
    hq = session_client(s.logistics)
    listing = text(hq.get("/inventory/orders/network/"))
    assert listing.index(f"/network/{urgent.pk}/") < listing.index(f"/network/{order.pk}/")
    only_north = text(hq.get(f"/inventory/orders/network/?region={north.pk}"))
    assert f"/network/{urgent.pk}/" in only_north and f"/network/{order.pk}/" not in only_north
    stock_only = text(hq.get("/inventory/orders/network/?kind=stock"))
    assert f"/network/{order.pk}/" in stock_only and f"/network/{urgent.pk}/" not in stock_only

    lines = lines_of(s, order)
    pad, flt = lines["PAD-77"], lines["0012-A"]
    url = f"/inventory/orders/network/{order.pk}/"
    assert hq.get(url).status_code == 200
    # A backorder without its date: a clear error, nothing changed.
    response = hq.post(url + "confirm/", {f"confirm_{pad.pk}": "3", f"confirm_{flt.pk}": "1"})
    assert response.status_code == 422
    assert "PAD-77: give the date the backordered 2 is expected." in text(response)
    assert reload(s, order).state == "sent"
    expected = TODAY + dt.timedelta(days=10)
    response = hq.post(
        url + "confirm/",
        {
            f"confirm_{pad.pk}": "3",
            f"expected_{pad.pk}": expected.isoformat(),
            f"confirm_{flt.pk}": "1",
        },
    )
    assert response.status_code == 302
    assert reload(s, order).state == "backordered"
    ship = {"carrier_reference": "DHL 1", f"ship_{pad.pk}": "3", f"ship_{flt.pk}": "1"}
    assert hq.post(url + "ship/", ship).status_code == 302

    # The dealer sees the backorder and its date, and the shipment to receive.
    clerk = session_client(s.clerk)
    listing = text(clerk.get("/inventory/orders/"))
    assert 'data-testid="backorders"' in listing and "25 Mar" in listing
    page = text(clerk.get(f"/inventory/orders/{order.pk}/"))
    assert "Partly backordered" in page and "expected 25 Mar" in page
    with as_dealer(s.dealer):
        shipment = PartsShipment.objects.get(order=order)
        by_part = {x.part.number: x for x in shipment.lines.select_related("part")}
    receive = f"/inventory/orders/{order.pk}/shipments/{shipment.pk}/receive/"
    assert clerk.get(receive).status_code == 200
    response = clerk.post(
        receive, {f"received_{by_part['PAD-77'].pk}": "-1", f"received_{by_part['0012-A'].pk}": "1"}
    )
    assert response.status_code == 422 and "cannot be negative" in text(response)
    assert balance(s, "PAD-77") is None or balance(s, "PAD-77").on_hand == 0
    response = clerk.post(
        receive, {f"received_{by_part['PAD-77'].pk}": "2", f"received_{by_part['0012-A'].pk}": "1"}
    )
    assert response.status_code == 302
    assert (balance(s, "PAD-77").on_hand, balance(s, "0012-A").on_hand) == (2, 1)
    page = text(clerk.get(f"/inventory/orders/{order.pk}/"))
    assert "-1 (short)" in page


def test_another_dealers_order_and_shipment_are_not_found(s) -> None:
    order = sent(s, {"PAD-77": 1})
    other = DealerFactory(code="PO2")
    client = session_client(staff(other, "parts_clerk"))
    assert client.get(f"/inventory/orders/{order.pk}/").status_code == 404
    for path in ("edit/", "lines/", "send/", "cancel/"):
        assert client.get(f"/inventory/orders/{order.pk}/{path}").status_code == 404
        assert client.post(f"/inventory/orders/{order.pk}/{path}").status_code == 404
    assert client.post(f"/inventory/orders/{order.pk}/shipments/1/receive/").status_code == 404
    # Roles: a consultant has no parts orders; HQ admins read HQ's list but do not confirm.
    consultant = session_client(staff(s.dealer, "consultant"))
    assert consultant.get("/inventory/orders/").status_code == 403
    admin = session_client(s.admin)
    assert admin.get("/inventory/orders/network/").status_code == 200
    response = admin.post(f"/inventory/orders/network/{order.pk}/confirm/", {})
    assert response.status_code == 403
    assert reload(s, order).state == "sent"
