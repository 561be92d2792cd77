"""Vehicle-stock pages: HQ's list and allocation (by hand and by the rule), the dealer's stock
with ETA, reservation from the order page, requests to HQ, ageing with HQ's drill-down —
and what other roles and other dealers get (403, 404)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from dealers.clock import dealer_today
from dms.tenancy.context import as_dealer
from inventory.models import Trim
from inventory.vehicles.models import Allocation, StockVehicle, VehicleRequest
from sales.models import Order
from tests.factories import ensure_reference_data, hq_user, signed_in_client
from tests.sales.conftest import Showroom, make_showroom

from .vehicle_helpers import allocated, arrived, load, logistics, order_for, stop_sale

pytestmark = pytest.mark.django_db


@pytest.fixture
def hq(db: Any) -> Any:
    ensure_reference_data()  # a transactional test's flush may have removed the catalogue
    return logistics()


@pytest.fixture
def room(db: Any) -> Showroom:
    return make_showroom(name="Autohaus Nord")


def test_hq_logistics_allocates_by_hand_and_the_dealer_sees_it_with_eta(
    hq: Any, room: Showroom
) -> None:
    vehicle = load(hq)
    client = signed_in_client(hq)
    page = client.get(reverse("inventory:vehicles"))
    assert page.status_code == 200 and vehicle.vin in page.content.decode()
    detail = client.get(reverse("inventory:vehicle", args=[vehicle.pk]))
    body = detail.content.decode()
    assert detail.status_code == 200 and "Dealers with customers waiting come first" in body
    eta = dealer_today(room.dealer) + dt.timedelta(days=9)
    response = client.post(
        reverse("inventory:vehicle-allocate", args=[vehicle.pk]),
        {"dealer": room.dealer.pk, "eta": eta.isoformat()},
    )
    assert response.status_code == 302
    allocation = Allocation.objects.get(vehicle=vehicle, is_active=True)
    assert allocation.dealer == room.dealer and allocation.eta == eta
    # The dealer's consultant sees it in the stock list with the ETA.
    dealer_page = signed_in_client(room.alice).get(reverse("inventory:stock-vehicles"))
    text = dealer_page.content.decode()
    assert dealer_page.status_code == 200 and vehicle.vin in text and "Allocated" in text


def test_bad_allocation_input_is_refused_and_changes_nothing(hq: Any, room: Showroom) -> None:
    vehicle = load(hq)
    client = signed_in_client(hq)
    past = (dealer_today(room.dealer) - dt.timedelta(days=2)).isoformat()
    response = client.post(
        reverse("inventory:vehicle-allocate", args=[vehicle.pk]),
        {"dealer": room.dealer.pk, "eta": past},
        follow=True,
    )
    assert "The ETA cannot be in the past." in response.content.decode()
    response = client.post(
        reverse("inventory:vehicle-allocate", args=[vehicle.pk]), {"dealer": "x"}, follow=True
    )
    assert "Select a valid choice" in response.content.decode()
    assert not Allocation.objects.exists()


def test_allocation_by_rule_from_the_page(hq: Any, room: Showroom) -> None:
    vehicle = load(hq)
    order_for(room)  # an open order waiting for a vehicle: the rule picks this dealer
    response = signed_in_client(hq).post(
        reverse("inventory:vehicle-allocate-rule", args=[vehicle.pk]), {"eta": ""}
    )
    assert response.status_code == 302
    allocation = Allocation.objects.get(vehicle=vehicle)
    assert allocation.dealer == room.dealer and allocation.method == "rule"


def test_hq_readers_read_but_do_not_allocate(hq: Any, room: Showroom) -> None:
    vehicle = load(hq)
    for role in ("hq_admin", "hq_regional_manager"):
        client = signed_in_client(hq_user(role))
        assert client.get(reverse("inventory:vehicle", args=[vehicle.pk])).status_code == 200
        response = client.post(
            reverse("inventory:vehicle-allocate", args=[vehicle.pk]), {"dealer": room.dealer.pk}
        )
        assert response.status_code == 403
    # Dealer staff never open HQ's pages.
    assert signed_in_client(room.manager).get(reverse("inventory:vehicles")).status_code == 403
    assert not Allocation.objects.exists()


def test_another_dealers_vehicle_is_not_found(hq: Any, room: Showroom) -> None:
    other = make_showroom(name="Autohaus Süd")
    foreign = arrived(hq, other)
    client = signed_in_client(room.manager)
    for name in ("inventory:stock-vehicle",):
        assert client.get(reverse(name, args=[foreign.pk])).status_code == 404
    for name in ("inventory:stock-arrive", "inventory:stock-use", "inventory:stock-sold"):
        assert client.post(reverse(name, args=[foreign.pk]), {"use": "demo"}).status_code == 404
    order = order_for(room)
    response = signed_in_client(room.alice).post(
        reverse("sales:order_reserve_vehicle", args=[order.pk]), {"vehicle": foreign.pk}
    )
    assert response.status_code == 303
    with as_dealer(other.dealer):
        foreign.refresh_from_db()
    assert foreign.state == StockVehicle.State.AT_DEALER and foreign.reserved_for == ""
    listing = client.get(reverse("inventory:stock-vehicles")).content.decode()
    assert foreign.vin not in listing


def test_manager_records_the_arrival_and_puts_a_car_in_the_demo_fleet(
    hq: Any, room: Showroom
) -> None:
    stock = allocated(hq, room.dealer)
    client = signed_in_client(room.manager)
    assert (
        signed_in_client(room.alice)
        .post(reverse("inventory:stock-arrive", args=[stock.pk]), {"day": ""})
        .status_code
        == 403
    )
    response = client.post(reverse("inventory:stock-arrive", args=[stock.pk]), {"day": ""})
    assert response.status_code == 302
    response = client.post(reverse("inventory:stock-use", args=[stock.pk]), {"use": "demo"})
    with as_dealer(room.dealer):
        stock.refresh_from_db()
    assert stock.state == StockVehicle.State.DEMO and stock.arrived_on == dealer_today(room.dealer)
    page = client.get(reverse("inventory:stock-vehicle", args=[stock.pk])).content.decode()
    assert "Demo fleet" in page


def test_order_page_reserves_a_vehicle_and_shows_stop_sale(hq: Any, room: Showroom) -> None:
    stock = arrived(hq, room)
    order = order_for(room)
    client = signed_in_client(room.alice)
    page = client.get(reverse("sales:order_detail", args=[order.pk])).content.decode()
    assert stock.vin in page and 'data-testid="reserve-vehicle"' in page
    response = client.post(
        reverse("sales:order_reserve_vehicle", args=[order.pk]), {"vehicle": stock.pk}
    )
    assert response.status_code == 302
    with as_dealer(room.dealer):
        order.refresh_from_db()
    assert order.stock_vehicle_id == stock.pk and order.vin == stock.vin
    stop_sale(stock.vin)
    page = client.get(reverse("sales:order_detail", args=[order.pk])).content.decode()
    assert "is under stop-sale (RC-STOP Airbag inflator)" in page
    response = client.post(reverse("sales:order_deliver", args=[order.pk]), follow=True)
    assert "Delivery refused: vehicle" in response.content.decode()
    with as_dealer(room.dealer):
        order.refresh_from_db()
    assert order.status == Order.Status.OPEN
    # Released: back in stock.
    client.post(reverse("sales:order_release_vehicle", args=[order.pk]))
    with as_dealer(room.dealer):
        stock.refresh_from_db()
    assert stock.state == StockVehicle.State.AT_DEALER


def test_order_without_stock_requests_one_from_hq_who_answers(hq: Any, room: Showroom) -> None:
    order = order_for(room)
    client = signed_in_client(room.alice)
    page = client.get(reverse("sales:order_detail", args=[order.pk])).content.decode()
    assert 'data-testid="no-matching-vehicle"' in page
    client.post(reverse("sales:order_request_vehicle", args=[order.pk]))
    with as_dealer(room.dealer):
        request = VehicleRequest.objects.get()
    assert request.order_ref == order.display_number
    hq_client = signed_in_client(hq)
    listing = hq_client.get(reverse("inventory:vehicle-requests-hq")).content.decode()
    assert room.dealer.name in listing
    vehicle = load(hq)
    response = hq_client.post(
        reverse("inventory:vehicle-request-hq", args=[request.pk]),
        {"vehicle": vehicle.pk, "eta": "", "answer": ""},
    )
    assert response.status_code == 302
    assert Allocation.objects.get(vehicle=vehicle).dealer == room.dealer
    page = client.get(reverse("sales:order_detail", args=[order.pk])).content.decode()
    assert vehicle.vin in page  # now a matching vehicle (allocated, on its way)


def test_dealer_request_form_refuses_bad_input(room: Showroom) -> None:
    client = signed_in_client(room.alice)
    response = client.post(reverse("inventory:stock-requests"), {"trim": "999999"})
    assert response.status_code == 400
    trim = Trim.objects.get(code="A3-CORE")
    past = (dealer_today(room.dealer) - dt.timedelta(days=1)).isoformat()
    response = client.post(
        reverse("inventory:stock-requests"), {"trim": trim.pk, "wanted_by": past}
    )
    assert response.status_code == 400
    assert "The date wanted cannot be in the past." in response.content.decode()
    with as_dealer(room.dealer):
        assert not VehicleRequest.objects.exists()
    response = client.post(reverse("inventory:stock-requests"), {"trim": trim.pk, "note": "red"})
    assert response.status_code == 302


def test_ageing_pages_drill_down_without_customer_names(hq: Any, room: Showroom) -> None:
    stock = arrived(hq, room, day=dealer_today(room.dealer) - dt.timedelta(days=100))
    order = order_for(room)
    with as_dealer(room.dealer):
        from sales import services as sales_services

        sales_services.reserve_stock_vehicle(order=order, stock=stock, actor=room.alice)
        customer = order.customer
    admin = signed_in_client(hq_user("hq_admin"))
    network = admin.get(reverse("inventory:vehicle-ageing-hq"))
    assert network.status_code == 200 and room.dealer.region.name in network.content.decode()
    region = admin.get(reverse("inventory:vehicle-ageing-hq") + f"?region={room.dealer.region_id}")
    assert room.dealer.name in region.content.decode()
    dealer = admin.get(reverse("inventory:vehicle-ageing-hq") + f"?dealer={room.dealer.pk}")
    body = dealer.content.decode()
    assert dealer.status_code == 200 and stock.vin in body and "91-180" in body
    for page in (network, region, dealer):
        text = page.content.decode()
        assert customer.last_name not in text and customer.first_name not in text
    # A regional manager of another region: the dealer is out of scope.
    from tests.factories import RegionFactory

    outsider = signed_in_client(hq_user("hq_regional_manager", regions=[RegionFactory()]))
    response = outsider.get(reverse("inventory:vehicle-ageing-hq") + f"?dealer={room.dealer.pk}")
    assert response.status_code == 404
    mine = signed_in_client(room.manager).get(reverse("inventory:stock-ageing"))
    assert mine.status_code == 200 and stock.vin in mine.content.decode()
    assert signed_in_client(room.alice).get(reverse("inventory:stock-ageing")).status_code == 403
