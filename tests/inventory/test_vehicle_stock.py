"""Vehicle stock (issue 15, items 10–13): loading vehicles by VIN, one active allocation per VIN
(a database constraint), the dealer's scope, reservation by one order only (a database
constraint), stop-sale refusing the delivery, the delivery's warranty record on the dealer's
clock, the allocation rule and stock ageing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from dealers.clock import dealer_today
from dms.audit.models import AuditAction, AuditEntry
from dms.tenancy.context import as_dealer, as_dealers
from inventory.models import Trim
from inventory.vehicles import selectors
from inventory.vehicles import services as stock_services
from inventory.vehicles.models import (
    Allocation,
    StockVehicle,
    Vehicle,
    VehicleRequest,
    VehicleWarranty,
)
from sales import services as sales_services
from sales.models import Order
from tests.factories import ensure_reference_data, staff
from tests.sales.conftest import Showroom, make_showroom

from .vehicle_helpers import (
    active_allocations,
    allocated,
    arrived,
    load,
    logistics,
    new_vin,
    order_for,
    stop_sale,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def hq(db: Any) -> Any:
    ensure_reference_data()  # a transactional test's flush may have removed the catalogue
    return logistics()


@pytest.fixture
def room(db: Any) -> Showroom:
    return make_showroom(name="Autohaus Nord")


@pytest.fixture
def other_room(db: Any) -> Showroom:
    return make_showroom(name="Autohaus Süd")


def _audits(change: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=AuditAction.VEHICLE_STOCK, detail__change=change))


# --- loading ------------------------------------------------------------------------------------


def test_hq_logistics_loads_a_vehicle_and_the_vin_is_checked(hq: Any) -> None:
    vehicle = load(hq, vin="wauzzz8v-1a0000001")
    assert vehicle.vin == "WAUZZZ8V1A0000001" and vehicle.state == Vehicle.State.BUILT
    assert vehicle.vehicle_model.code == "A3" and vehicle.price == Decimal("21490")
    with pytest.raises(ValidationError) as exc:
        load(hq, vin="WAUZZZ8V1A0000001")
    assert exc.value.message_dict == {"vin": ["A vehicle with this VIN is already loaded."]}
    with pytest.raises(ValidationError) as exc:
        load(hq, vin="WAUZZZ8V1A00000")
    assert exc.value.message_dict["vin"] == ["A VIN has exactly 17 characters; this one has 15."]
    with pytest.raises(ValidationError) as exc:
        load(hq, price="-1")
    assert exc.value.message_dict == {"price": ["The price cannot be negative."]}
    assert Vehicle.objects.count() == 1
    assert [e.detail["vin"] for e in _audits("loaded")] == ["WAUZZZ8V1A0000001"]


def test_only_hq_logistics_loads_and_allocates(room: Showroom) -> None:
    from tests.factories import hq_user

    for actor in (hq_user("hq_regional_manager"), room.manager):
        with pytest.raises(PermissionDenied):
            load(actor)
    vehicle = load(hq_user("hq_admin"))  # HQ admins load vehicles too (the import page)
    for actor in (hq_user("hq_admin"), hq_user("hq_regional_manager"), room.manager):
        with pytest.raises(PermissionDenied):
            stock_services.allocate(actor=actor, vehicle=vehicle, dealer=room.dealer)
    assert not Allocation.objects.exists()


# --- allocation ---------------------------------------------------------------------------------


def test_one_active_allocation_per_vin(hq: Any, room: Showroom, other_room: Showroom) -> None:
    vehicle = load(hq)
    stock_services.allocate(actor=hq, vehicle=vehicle, dealer=room.dealer)
    with pytest.raises(ValidationError) as exc:
        stock_services.allocate(actor=hq, vehicle=vehicle, dealer=other_room.dealer)
    assert exc.value.messages == ["This vehicle is already allocated."]
    assert active_allocations(vehicle) == 1
    with as_dealer(other_room.dealer):
        assert not StockVehicle.objects.exists()
    # The database itself refuses a second active allocation (whatever the code does).
    with (
        pytest.raises(IntegrityError, match="allocation_one_active_per_vehicle"),
        transaction.atomic(),
    ):
        Allocation.objects.create(
            vehicle=vehicle, dealer=other_room.dealer, method="manual", allocated_by=hq
        )


def test_allocation_reaches_only_its_dealer(hq: Any, room: Showroom, other_room: Showroom) -> None:
    stock = allocated(hq, room.dealer)
    assert stock.state == StockVehicle.State.ALLOCATED and stock.dealer_id == room.dealer.pk
    with as_dealer(other_room.dealer):
        assert not StockVehicle.objects.filter(pk=stock.pk).exists()
        assert selectors.stock_vehicle(dealer=other_room.dealer, pk=stock.pk) is None
    # RLS alone (raw SQL, no ORM scope): the other dealer's ids see no row.
    with as_dealers([other_room.dealer.pk]), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM inventory_stockvehicle")
        assert cursor.fetchone()[0] == 0
    [entry] = _audits("allocated")
    assert entry.dealer_id == room.dealer.pk and entry.actor == hq


def test_ship_and_arrival_then_days_in_stock(hq: Any, room: Showroom) -> None:
    stock = allocated(hq, room.dealer)
    today = dealer_today(room.dealer)
    with pytest.raises(ValidationError, match="ETA cannot be in the past"):
        stock_services.ship(actor=hq, vehicle=stock.vehicle, eta=today - dt.timedelta(days=1))
    stock_services.ship(actor=hq, vehicle=stock.vehicle, eta=today + dt.timedelta(days=3))
    with as_dealer(room.dealer):
        stock.refresh_from_db()
        assert stock.state == StockVehicle.State.IN_TRANSIT and stock.eta == today + dt.timedelta(3)
        with pytest.raises(PermissionDenied):
            stock_services.record_arrival(actor=room.alice, stock=stock)  # consultants do not
        stock_services.record_arrival(actor=room.manager, stock=stock)
        stock.refresh_from_db()
    assert stock.state == StockVehicle.State.AT_DEALER and stock.arrived_on == today
    assert Vehicle.objects.get(pk=stock.vehicle_id).state == Vehicle.State.AT_DEALER
    assert selectors.days_in_stock(stock, today + dt.timedelta(days=45)) == 45


def test_withdraw_before_arrival_only(hq: Any, room: Showroom) -> None:
    stock = allocated(hq, room.dealer)
    allocation = Allocation.objects.get(vehicle=stock.vehicle)
    with pytest.raises(ValidationError):
        stock_services.withdraw_allocation(actor=hq, allocation=allocation, reason="")
    stock_services.withdraw_allocation(actor=hq, allocation=allocation, reason="wrong dealer")
    with as_dealer(room.dealer):
        stock.refresh_from_db()
    assert stock.state == StockVehicle.State.WITHDRAWN
    assert active_allocations(stock.vehicle) == 0
    # The vehicle is free again.
    stock_services.allocate(actor=hq, vehicle=stock.vehicle, dealer=room.dealer)
    assert active_allocations(stock.vehicle) == 1


# --- reservation for an order -------------------------------------------------------------------


def test_an_order_reserves_a_matching_vehicle_and_only_one_order_holds_it(
    hq: Any, room: Showroom
) -> None:
    stock = arrived(hq, room)
    first, second = order_for(room), order_for(room)
    with as_dealer(room.dealer):
        assert [s.pk for s in selectors.matching_stock(
            dealer_id=room.dealer.pk, trim_id=stock.vehicle.trim_id, colour_id=None
        )] == [stock.pk]  # fmt: skip
        sales_services.reserve_stock_vehicle(order=first, stock=stock, actor=room.alice)
        first.refresh_from_db()
        stock.refresh_from_db()
        assert first.stock_vehicle_id == stock.pk and first.vin == stock.vin
        assert stock.state == StockVehicle.State.RESERVED
        assert stock.reserved_for == first.display_number
        with pytest.raises(ValidationError) as exc:
            sales_services.reserve_stock_vehicle(order=second, stock=stock, actor=room.alice)
        assert exc.value.messages == [
            f"Vehicle {stock.vin} is already reserved for order {first.display_number}."
        ]
        second.refresh_from_db()
        assert second.stock_vehicle_id is None and second.vin == ""
        # The database refuses a second order on the vehicle, whatever the code does.
        with (
            pytest.raises(IntegrityError, match="order_vehicle_reserved_once"),
            transaction.atomic(),
        ):
            Order.objects.filter(pk=second.pk).update(stock_vehicle=stock)
    assert Vehicle.objects.get(pk=stock.vehicle_id).state == Vehicle.State.RESERVED
    assert [e.detail["order"] for e in _audits("reserved")] == [first.display_number]


def test_another_trim_or_another_dealers_vehicle_is_refused(
    hq: Any, room: Showroom, other_room: Showroom
) -> None:
    foreign = arrived(hq, other_room)
    other_trim = arrived(hq, room, trim="A5-CORE")
    order = order_for(room)
    with as_dealer(room.dealer):
        with pytest.raises(ValidationError, match="not in your stock"):
            sales_services.reserve_stock_vehicle(order=order, stock=foreign, actor=room.alice)
        with pytest.raises(ValidationError, match="not of the ordered trim"):
            sales_services.reserve_stock_vehicle(order=order, stock=other_trim, actor=room.alice)
        order.refresh_from_db()
    assert order.stock_vehicle_id is None
    with as_dealer(other_room.dealer):
        foreign.refresh_from_db()
    assert foreign.state == StockVehicle.State.AT_DEALER


def test_cancelled_order_gives_the_vehicle_back(hq: Any, room: Showroom) -> None:
    stock = arrived(hq, room)
    order = order_for(room)
    with as_dealer(room.dealer):
        sales_services.reserve_stock_vehicle(order=order, stock=stock, actor=room.alice)
        with pytest.raises(ValidationError, match="release it to change the VIN"):
            sales_services.update_order(
                order=order, actor=room.alice, expected_delivery=None, vin=new_vin()
            )
        sales_services.cancel_order(order=order, actor=room.manager, reason="customer withdrew")
        stock.refresh_from_db()
        order.refresh_from_db()
    assert stock.state == StockVehicle.State.AT_DEALER and stock.reserved_for == ""
    assert order.stock_vehicle_id is None
    assert Vehicle.objects.get(pk=stock.vehicle_id).state == Vehicle.State.AT_DEALER


def test_a_vehicle_in_transit_can_be_reserved_and_arrives_reserved(hq: Any, room: Showroom) -> None:
    stock = allocated(hq, room.dealer)
    stock_services.ship(actor=hq, vehicle=stock.vehicle, eta=dealer_today(room.dealer))
    order = order_for(room)
    with as_dealer(room.dealer):
        sales_services.reserve_stock_vehicle(order=order, stock=stock, actor=room.alice)
        assert sales_services.vehicle_blockers(order) == [
            f"Vehicle {stock.vin} has not arrived yet: record its arrival first."
        ]
        stock_services.record_arrival(actor=room.manager, stock=stock)
        stock.refresh_from_db()
        assert sales_services.vehicle_blockers(order) == []
    assert stock.state == StockVehicle.State.RESERVED and stock.arrived_on is not None
    assert Vehicle.objects.get(pk=stock.vehicle_id).state == Vehicle.State.RESERVED


# --- delivery: stop-sale and the warranty record ------------------------------------------------


def test_delivery_of_a_stop_sale_vehicle_is_refused_and_changes_nothing(
    hq: Any, room: Showroom
) -> None:
    stock = arrived(hq, room)
    order = order_for(room)
    campaign = stop_sale(stock.vin)
    with as_dealer(room.dealer):
        sales_services.reserve_stock_vehicle(order=order, stock=stock, actor=room.alice)
        message = (
            f"Delivery refused: vehicle {stock.vin} is under stop-sale (RC-STOP Airbag "
            "inflator). Do the campaign work in the workshop first."
        )
        assert message in sales_services.delivery_blockers(order)
        with pytest.raises(ValidationError) as exc:
            sales_services.deliver_order(order=order, actor=room.alice)
        assert message in exc.value.messages
        # The stock service refuses on its own too (an API or another caller).
        with pytest.raises(ValidationError, match="under stop-sale"):
            stock_services.deliver(actor=room.alice, stock=stock)
        order.refresh_from_db()
        stock.refresh_from_db()
    assert order.status == Order.Status.OPEN and stock.state == StockVehicle.State.RESERVED
    assert not VehicleWarranty.objects.exists()
    # The campaign work done: the delivery goes through.
    campaign.vehicles.update(
        completed_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC), completed_by=room.dealer
    )
    with as_dealer(room.dealer):
        sales_services.deliver_order(order=order, actor=room.alice)
    assert VehicleWarranty.objects.filter(vin=stock.vin).exists()


def test_delivery_marks_the_vehicle_delivered_and_opens_the_warranty_on_the_dealers_day(
    hq: Any,
) -> None:
    room = make_showroom(name="Auckland Motors", timezone="Pacific/Auckland")
    stock = arrived(hq, room)
    order = order_for(room)
    # 20:30 UTC on 9 March is already 10 March in Auckland (UTC+13).
    moment = dt.datetime(2026, 3, 9, 20, 30, tzinfo=dt.UTC)
    with as_dealer(room.dealer):
        sales_services.reserve_stock_vehicle(order=order, stock=stock, actor=room.alice)
        with time_machine.travel(moment, tick=False):
            sales_services.deliver_order(order=order, actor=room.alice)
        stock.refresh_from_db()
    assert stock.state == StockVehicle.State.DELIVERED
    assert stock.delivered_on == dt.date(2026, 3, 10)
    vehicle = Vehicle.objects.get(pk=stock.vehicle_id)
    assert vehicle.state == Vehicle.State.DELIVERED and active_allocations(vehicle) == 0
    warranty = VehicleWarranty.objects.get(vin=stock.vin)
    assert warranty.warranty_start == dt.date(2026, 3, 10)
    assert warranty.delivering_dealer_id == room.dealer.pk and warranty.delivered_at == moment
    assert _audits("delivered")[0].detail["warranty_start"] == "2026-03-10"


def test_the_warranty_projection_holds_no_customer_price_or_note() -> None:
    """A network projection (DESIGN.md): pin its columns so nobody widens it by accident."""
    assert [f.column for f in VehicleWarranty._meta.concrete_fields] == [
        "id",
        "vin",
        "vehicle_id",
        "vehicle_model_id",
        "delivering_dealer_id",
        "warranty_start",
        "delivered_at",
    ]


# --- fleet use, sale, requests ------------------------------------------------------------------


def test_demo_fleet_and_courtesy_cars_are_not_for_sale(hq: Any, room: Showroom) -> None:
    stock = arrived(hq, room)
    order = order_for(room)
    with as_dealer(room.dealer):
        stock_services.set_use(actor=room.manager, stock=stock, use="demo")
        assert (
            selectors.matching_stock(
                dealer_id=room.dealer.pk, trim_id=stock.vehicle.trim_id, colour_id=None
            )
            == []
        )
        with pytest.raises(ValidationError, match="“Demo fleet”: it cannot be reserved"):
            sales_services.reserve_stock_vehicle(order=order, stock=stock, actor=room.alice)
        stock_services.set_use(actor=room.manager, stock=stock, use="courtesy")
        stock_services.set_use(actor=room.manager, stock=stock, use="at_dealer")
        sales_services.reserve_stock_vehicle(order=order, stock=stock, actor=room.alice)
        stock_services.mark_sold(actor=room.manager, stock=stock)
        stock.refresh_from_db()
    assert stock.state == StockVehicle.State.SOLD
    assert Vehicle.objects.get(pk=stock.vehicle_id).state == Vehicle.State.SOLD


def test_an_order_without_stock_requests_a_vehicle_and_hq_answers(hq: Any, room: Showroom) -> None:
    order = order_for(room)
    with as_dealer(room.dealer):
        request = sales_services.request_vehicle_for_order(order=order, actor=room.alice)
    assert request.status == VehicleRequest.Status.OPEN
    assert request.order_ref == order.display_number and request.trim.code == "A3-CORE"
    wrong = load(hq, trim="A5-CORE")
    with pytest.raises(ValidationError, match="not of the requested trim"):
        stock_services.answer_request(actor=hq, vehicle_request=request, vehicle=wrong)
    vehicle = load(hq)
    stock_services.answer_request(actor=hq, vehicle_request=request, vehicle=vehicle)
    with as_dealer(room.dealer):
        request.refresh_from_db()
        stock = StockVehicle.objects.get(vehicle=vehicle)
    assert request.status == VehicleRequest.Status.ALLOCATED and request.vehicle == vehicle
    assert stock.state == StockVehicle.State.ALLOCATED
    assert Allocation.objects.get(vehicle=vehicle).method == Allocation.Method.REQUEST
    with pytest.raises(ValidationError, match="answered already"):
        stock_services.answer_request(actor=hq, vehicle_request=request, answer="no")


# --- the allocation rule ------------------------------------------------------------------------


def test_rule_ranks_open_orders_first_then_stock_days_against_plan(hq: Any) -> None:
    from inventory.vehicles import demand

    rooms = [make_showroom(name=f"Rule {n}", code=f"RUL{n}") for n in range(3)]
    a3 = Trim.objects.get(code="A3-CORE")
    # Dealer 0: one open order waiting; dealer 1: 1 in stock, plan 30/month (1 day of stock);
    # dealer 2: 2 in stock, plan 30 (2 days).
    order_for(rooms[0])
    allocated(hq, rooms[1].dealer)
    allocated(hq, rooms[2].dealer)
    allocated(hq, rooms[2].dealer)
    plans = {rooms[1].dealer.pk: 30, rooms[2].dealer.pk: 30}
    original = demand._SOURCES.get(demand.MONTHLY_PLAN)
    demand.register(
        demand.MONTHLY_PLAN, lambda m, ids, day: {k: plans[k] for k in ids if k in plans}
    )
    try:
        ranking = stock_services.rank_dealers(
            vehicle_model_id=a3.vehicle_model_id,
            day=dt.date(2026, 3, 1),
            dealer_ids=[r.dealer.pk for r in rooms],
        )
        assert [r.dealer.pk for r in ranking] == [r.dealer.pk for r in rooms]
        assert [(r.open_orders, r.stock, r.stock_days) for r in ranking] == [
            (1, 0, None),
            (0, 1, Decimal("1.0")),
            (0, 2, Decimal("2.0")),
        ]
        vehicle = load(hq)
        allocation = stock_services.allocate_by_rule(actor=hq, vehicle=vehicle)
    finally:
        if original is not None:
            demand.register(demand.MONTHLY_PLAN, original)
    assert allocation.method == Allocation.Method.RULE
    assert "open order(s) waiting" in allocation.reason


def test_the_open_orders_source_counts_orders_without_a_vehicle(hq: Any, room: Showroom) -> None:
    from sales.selectors import open_orders_without_vehicle

    a3 = Trim.objects.get(code="A3-CORE").vehicle_model_id
    order_for(room)
    reserved = order_for(room)
    stock = arrived(hq, room)
    with as_dealer(room.dealer):
        sales_services.reserve_stock_vehicle(order=reserved, stock=stock, actor=room.alice)
    assert open_orders_without_vehicle(a3, [room.dealer.pk], dt.date(2026, 3, 1)) == {
        room.dealer.pk: 1
    }


# --- ageing -------------------------------------------------------------------------------------


def test_ageing_bands_per_dealer_and_for_the_network(hq: Any, room: Showroom) -> None:
    other = make_showroom(name="Ageing Süd")
    with time_machine.travel(dt.datetime(2026, 6, 30, 10, tzinfo=dt.UTC), tick=False):
        today = dealer_today(room.dealer)
        for days in (0, 30, 31, 75, 120, 181, 400):
            arrived(hq, room, day=today - dt.timedelta(days=days))
        arrived(hq, other, day=today - dt.timedelta(days=10))
        in_demo = arrived(hq, room, day=today - dt.timedelta(days=500))
        with as_dealer(room.dealer):
            stock_services.set_use(actor=room.manager, stock=in_demo, use="demo")
        allocated(hq, room.dealer)  # not arrived: not in stock
        with as_dealers([room.dealer.pk, other.dealer.pk]):
            per_dealer = selectors.dealer_ageing([room.dealer, other.dealer])
            network = selectors.network_ageing(dealer_ids=[room.dealer.pk, other.dealer.pk])
    mine = per_dealer[room.dealer.pk]
    assert mine.bands == {"0-30": 2, "31-60": 1, "61-90": 1, "91-180": 1, ">180": 2}
    assert mine.total == 7 and mine.over_90 == 3
    assert network.total.total == 8 and network.total.bands["0-30"] == 3
    assert selectors.band_of(30) == "0-30" and selectors.band_of(31) == "31-60"
    assert selectors.band_of(180) == "91-180" and selectors.band_of(181) == ">180"


def test_consultant_cannot_record_arrivals_but_may_request(room: Showroom) -> None:
    parts_clerk = staff(room.dealer, "parts_clerk")
    trim = Trim.objects.get(code="A3-CORE")
    with as_dealer(room.dealer):
        with pytest.raises(PermissionDenied):
            stock_services.request_vehicle(actor=parts_clerk, dealer=room.dealer, trim=trim)
        row = stock_services.request_vehicle(actor=room.alice, dealer=room.dealer, trim=trim)
    assert row.status == VehicleRequest.Status.OPEN
