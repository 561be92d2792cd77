"""Parts orders to the importer (issue 15, item 7): drafts, send (on order grows, the number in
force), HQ confirmation with backorders and their dates, substitution by a newer number,
shipments, receipts with short and over deliveries (ledger at the dealer net price, on order
shrinks), refusals that change nothing, audit, and another dealer's orders out of reach."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from dms.audit.models import AuditAction, AuditEntry
from dms.tenancy.context import as_dealer
from inventory.orders import selectors, services
from inventory.orders.models import PartsOrder, PartsShipment
from inventory.orders.services import LineDecision
from inventory.stock.models import StockMovement, WarehouseStock
from inventory.stock.selectors import ledger_mismatches
from tests.factories import DealerFactory, staff

from .orders_helpers import (
    NOW,
    TODAY,
    D,
    Shop,
    balance,
    draft,
    lines_of,
    on_order,
    reload,
    sent,
    shop,
)
from .stock_helpers import supersede

pytestmark = pytest.mark.django_db
State = PartsOrder.State


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def s() -> Shop:
    return shop()


def refused(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ValidationError) as error:
        call(**kwargs)
    return " ".join(error.value.messages)


def wh(item: Any) -> D:
    return WarehouseStock.objects.get(part=item).available


def receipts(s: Shop) -> list[tuple[str, D, D | None]]:
    with as_dealer(s.dealer):
        return list(
            StockMovement.objects.filter(kind="receipt")
            .order_by("part__number")
            .values_list("part__number", "quantity", "unit_cost")
        )


def test_a_draft_takes_part_numbers_in_any_case_and_merges_the_same_part(s) -> None:
    order = draft(s, {"0012-a": 2, "PAD-77": 1, "0012-A": 3})
    lines = lines_of(s, order)
    assert {n: line.quantity for n, line in lines.items()} == {"0012-A": 5, "PAD-77": 1}
    assert order.state == State.DRAFT and order.number == 1
    assert draft(s, {"PAD-77": 1}).number == 2  # the dealer's own running numbers


def test_unknown_part_and_bad_quantities_are_refused_and_change_nothing(s) -> None:
    order = draft(s, {"PAD-77": 1})
    with as_dealer(s.dealer):
        add = services.add_line
        msg = refused(add, order=order, part_number="NOPE-1", quantity=1, actor=s.clerk)
        assert msg == "No part has the number NOPE-1."
        msg = refused(add, order=order, part_number="PAD-77", quantity="1.5", actor=s.clerk)
        assert msg == "PAD-77 is counted in whole units (piece)."
        msg = refused(add, order=order, part_number="PAD-77", quantity="-2", actor=s.clerk)
        assert msg == "The quantity must be more than zero."
        msg = refused(add, order=order, part_number="", quantity="2", actor=s.clerk)
        assert msg == "Enter a part number."
    assert {n: line.quantity for n, line in lines_of(s, order).items()} == {"PAD-77": 1}


def test_an_urgent_order_names_the_vehicle_off_road(s) -> None:
    with as_dealer(s.dealer):
        msg = refused(services.create_order, dealer_id=s.dealer.pk, actor=s.clerk, kind="urgent")
        assert "VIN or repair order" in msg
        assert not PartsOrder.objects.exists()
    order = draft(s, {"PAD-77": 1}, kind="urgent", vehicle_reference=" wvw zzz 1jz ")
    assert order.vehicle_reference == "WVW ZZZ 1JZ"


def test_send_resolves_to_the_current_number_and_grows_on_order(s) -> None:
    supersede(s.parts["0012-A"], s.parts["0012-B"], valid_from=TODAY)
    order = sent(s, {"0012-A": 2, "0012-B": 1, "OIL-5W30": "2.5"})
    lines = lines_of(s, order)
    assert set(lines) == {"0012-B", "OIL-5W30"}  # the old and new number met: one line
    assert lines["0012-B"].quantity == 3 and lines["0012-B"].asked_number == "0012-A"
    assert (on_order(s, "0012-B"), on_order(s, "OIL-5W30"), on_order(s, "0012-A")) == (
        3,
        D("2.5"),
        0,
    )
    assert reload(s, order).state == State.SENT
    entry = AuditEntry.objects.get(action=AuditAction.PARTS_ORDER_SENT)
    assert entry.dealer_id == s.dealer.pk and entry.actor == s.clerk
    # A sent order is no longer the clerk's to change or cancel.
    with as_dealer(s.dealer):
        msg = refused(services.cancel, order=order, actor=s.clerk)
        assert msg == "Order P1 was sent: only a draft can be cancelled. Nothing was changed."
        msg = refused(
            services.add_line, order=order, part_number="PAD-77", quantity=1, actor=s.clerk
        )
        assert "only a draft can be changed" in msg


def test_an_empty_draft_cannot_be_sent_and_a_draft_can_be_cancelled(s) -> None:
    order = draft(s, {})
    with as_dealer(s.dealer):
        assert refused(services.send, order=order, actor=s.clerk) == (
            "Add at least one part before sending the order."
        )
        services.cancel(order=order, actor=s.clerk)
    assert reload(s, order).state == State.CANCELLED
    assert AuditEntry.objects.filter(action=AuditAction.PARTS_ORDER_CANCELLED).count() == 1


def test_full_cycle_confirm_ship_receive_at_the_dealer_net_price(s) -> None:
    order = sent(s, {"PAD-77": 4, "OIL-5W30": "5.5"})
    lines = lines_of(s, order)
    services.confirm(
        order=order,
        decisions=[LineDecision(line.pk, line.quantity) for line in lines.values()],
        actor=s.logistics,
    )
    assert reload(s, order).state == State.CONFIRMED
    assert (wh(s.parts["PAD-77"]), wh(s.parts["OIL-5W30"])) == (46, D("44.5"))
    shipment = services.ship(order=order, actor=s.logistics, carrier_reference="DHL 123")
    assert reload(s, order).state == State.SHIPPED
    with as_dealer(s.dealer):
        services.receive_shipment(shipment=shipment, actor=s.clerk)
    order = reload(s, order)
    assert order.state == State.RECEIVED and order.closed_at is not None
    assert receipts(s) == [
        ("OIL-5W30", D("5.50"), D("6.0000")),
        ("PAD-77", D("4.00"), D("52.0000")),
    ]
    assert (balance(s, "PAD-77").on_hand, on_order(s, "PAD-77"), on_order(s, "OIL-5W30")) == (
        4,
        0,
        0,
    )
    assert {n: line.received for n, line in lines_of(s, order).items()} == {
        "PAD-77": 4, "OIL-5W30": D("5.5")
    }  # fmt: skip
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        AuditAction.PARTS_ORDER_CONFIRMED,
        AuditAction.PARTS_ORDER_SHIPPED,
        AuditAction.PARTS_ORDER_RECEIVED,
    } <= actions
    with as_dealer(s.dealer):
        assert ledger_mismatches() == []


def test_backorder_with_expected_date_then_partial_shipments_and_receipts(s) -> None:
    order = sent(s, {"PAD-77": 10})
    line = lines_of(s, order)["PAD-77"]
    expected = TODAY + dt.timedelta(days=12)
    services.confirm(order=order, decisions=[LineDecision(line.pk, 6, expected)], actor=s.logistics)
    assert reload(s, order).state == State.BACKORDERED
    assert wh(s.parts["PAD-77"]) == 44
    with as_dealer(s.dealer):
        (waiting,) = selectors.backorder_lines(dealer_id=s.dealer.pk)
    assert (waiting.backordered, waiting.backorder_expected, waiting.confirmed) == (4, expected, 6)
    first = services.ship(order=order, actor=s.logistics)
    assert reload(s, order).state == State.BACKORDERED  # 4 still backordered
    with as_dealer(s.dealer):
        services.receive_shipment(shipment=first, actor=s.clerk)
    assert (balance(s, "PAD-77").on_hand, on_order(s, "PAD-77")) == (6, 4)
    # The backorder arrives at HQ: confirmed, shipped, received.
    services.confirm(order=order, decisions=[LineDecision(line.pk, 4)], actor=s.logistics)
    assert reload(s, order).state == State.CONFIRMED
    second = services.ship(order=order, actor=s.logistics)
    assert second.number == 2
    with as_dealer(s.dealer):
        services.receive_shipment(shipment=second, actor=s.clerk)
        assert list(selectors.backorder_lines(dealer_id=s.dealer.pk)) == []
    assert reload(s, order).state == State.RECEIVED
    assert (balance(s, "PAD-77").on_hand, on_order(s, "PAD-77")) == (10, 0)


def test_a_backorder_needs_a_date_and_confirmation_stays_within_the_warehouse(s) -> None:
    order = sent(s, {"PAD-77": 10, "0012-A": 2})
    lines = lines_of(s, order)
    pad, flt = lines["PAD-77"], lines["0012-A"]
    msg = refused(
        services.confirm,
        order=order,
        decisions=[LineDecision(flt.pk, 2), LineDecision(pad.pk, 3)],
        actor=s.logistics,
    )
    assert msg == "PAD-77: give the date the backordered 7 is expected."
    WarehouseStock.objects.filter(part=s.parts["PAD-77"]).update(available=3)
    msg = refused(
        services.confirm,
        order=order,
        decisions=[LineDecision(flt.pk, 2), LineDecision(pad.pk, 10)],
        actor=s.logistics,
    )
    assert msg == (
        "The warehouse has only 3 of PAD-77; 10 to confirm. Backorder the rest. Nothing was changed."
    )
    msg = refused(
        services.confirm,
        order=order,
        decisions=[LineDecision(pad.pk, 11)],
        actor=s.logistics,
    )
    assert msg == "PAD-77: 11 to confirm, only 10 open."
    past = TODAY - dt.timedelta(days=1)
    msg = refused(
        services.confirm, order=order, decisions=[LineDecision(pad.pk, 3, past)], actor=s.logistics
    )
    assert "cannot be in the past" in msg
    # Nothing changed: the filter line's 2 went back to the warehouse with the refusal.
    assert (wh(s.parts["0012-A"]), wh(s.parts["PAD-77"])) == (50, 3)
    assert {n: (x.confirmed, x.backordered) for n, x in lines_of(s, order).items()} == {
        "PAD-77": (0, 0), "0012-A": (0, 0)
    }  # fmt: skip
    assert reload(s, order).state == State.SENT
    assert not AuditEntry.objects.filter(action=AuditAction.PARTS_ORDER_CONFIRMED).exists()


def test_only_hq_logistics_confirms_and_ships(s) -> None:
    order = sent(s, {"PAD-77": 1})
    line = lines_of(s, order)["PAD-77"]
    for actor in (s.admin, s.clerk):
        with pytest.raises(PermissionDenied):
            services.confirm(order=order, decisions=[LineDecision(line.pk, 1)], actor=actor)
        with pytest.raises(PermissionDenied):
            services.ship(order=order, actor=actor)
    assert reload(s, order).state == State.SENT and wh(s.parts["PAD-77"]) == 50


def test_hq_ships_the_newer_number_when_the_part_was_superseded_since(s) -> None:
    order = sent(s, {"0012-A": 3})
    # HQ replaces the part after the dealer sent the order.
    supersede(s.parts["0012-A"], s.parts["0012-B"], valid_from=TODAY)
    line = lines_of(s, order)["0012-A"]
    services.confirm(order=order, decisions=[LineDecision(line.pk, 3)], actor=s.logistics)
    line = lines_of(s, order)["0012-A"]
    assert line.substituted and line.supplied_part.number == "0012-B"
    assert (wh(s.parts["0012-A"]), wh(s.parts["0012-B"])) == (50, 47)
    shipment = services.ship(order=order, actor=s.logistics)
    with as_dealer(s.dealer):
        (shipped,) = shipment.lines.select_related("part")
        assert shipped.part.number == "0012-B"
        services.receive_shipment(shipment=shipment, actor=s.clerk)
    assert receipts(s) == [("0012-B", D("3.00"), D("13.7500"))]
    assert (on_order(s, "0012-A"), balance(s, "0012-B").on_hand) == (0, 3)


def test_short_and_over_deliveries_are_recorded_and_the_ledger_gets_what_arrived(s) -> None:
    order = sent(s, {"PAD-77": 4, "0012-A": 2, "OIL-5W30": 5})
    lines = lines_of(s, order)
    services.confirm(
        order=order,
        decisions=[LineDecision(x.pk, x.quantity) for x in lines.values()],
        actor=s.logistics,
    )
    shipment = services.ship(order=order, actor=s.logistics)
    with as_dealer(s.dealer):
        by_part = {x.part.number: x for x in shipment.lines.select_related("part")}
        services.receive_shipment(
            shipment=shipment,
            actor=s.clerk,
            received={by_part["PAD-77"].pk: 3, by_part["0012-A"].pk: 3, by_part["OIL-5W30"].pk: 0},
        )
        got = {
            x.part.number: (x.received, x.difference) for x in shipment.lines.select_related("part")
        }
    assert got == {"PAD-77": (3, -1), "0012-A": (3, 1), "OIL-5W30": (0, -5)}
    assert receipts(s) == [("0012-A", D("3.00"), D("12.5000")), ("PAD-77", D("3.00"), D("52.0000"))]
    # What was shipped is no longer on order, whatever arrived; the order is closed.
    assert (on_order(s, "PAD-77"), on_order(s, "0012-A"), on_order(s, "OIL-5W30")) == (0, 0, 0)
    assert reload(s, order).state == State.RECEIVED
    entry = AuditEntry.objects.get(action=AuditAction.PARTS_ORDER_RECEIVED)
    assert {d["part"] for d in entry.detail["differences"]} == {"PAD-77", "0012-A", "OIL-5W30"}


def test_a_shipment_is_received_once_and_bad_counts_change_nothing(s) -> None:
    order = sent(s, {"PAD-77": 2})
    line = lines_of(s, order)["PAD-77"]
    services.confirm(order=order, decisions=[LineDecision(line.pk, 2)], actor=s.logistics)
    shipment = services.ship(order=order, actor=s.logistics)
    with as_dealer(s.dealer):
        (sline,) = shipment.lines.all()
        msg = refused(
            services.receive_shipment, shipment=shipment, actor=s.clerk, received={sline.pk: "-1"}
        )
        assert msg == "A received quantity cannot be negative."
        msg = refused(
            services.receive_shipment, shipment=shipment, actor=s.clerk, received={sline.pk: "x"}
        )
        assert msg == "Enter a quantity as a number."
        assert PartsShipment.objects.get(pk=shipment.pk).state == "in_transit"
        assert receipts(s) == []
        services.receive_shipment(shipment=shipment, actor=s.clerk)
        msg = refused(services.receive_shipment, shipment=shipment, actor=s.clerk)
        assert msg == "Shipment P1-1 was already received. Nothing was changed."
    assert balance(s, "PAD-77").on_hand == 2


def test_another_dealers_orders_are_invisible(s) -> None:
    order = sent(s, {"PAD-77": 1})
    other = DealerFactory(code="PO2")
    with as_dealer(other):
        assert selectors.dealer_order(dealer_id=other.pk, pk=order.pk) is None
        assert not PartsOrder.objects.filter(pk=order.pk).exists()
        assert selectors.dealer_orders(dealer_id=other.pk).count() == 0
        with pytest.raises(ValidationError):
            services.send(order=order, actor=s.clerk)


def test_backorders_show_on_the_repair_order_waiting_for_them(s) -> None:
    order = sent(s, {"PAD-77": 2}, kind="urgent", vehicle_reference="RO 1042")
    line = lines_of(s, order)["PAD-77"]
    day = TODAY + dt.timedelta(days=3)
    services.confirm(order=order, decisions=[LineDecision(line.pk, 0, day)], actor=s.logistics)
    with as_dealer(s.dealer):
        (waiting,) = selectors.backorders_for(dealer_id=s.dealer.pk, reference="ro  1042")
        assert (waiting.part.number, waiting.backordered, waiting.backorder_expected) == (
            "PAD-77", 2, day
        )  # fmt: skip
        assert list(selectors.backorders_for(dealer_id=s.dealer.pk, reference="RO 9")) == []


def test_hq_sees_open_orders_of_every_dealer_urgent_first(s) -> None:
    from dms.tenancy.context import as_dealers

    stock_order = sent(s, {"PAD-77": 1})
    urgent = sent(s, {"0012-A": 1}, kind="urgent", vehicle_reference="WVWZZZ1JZXW000001")
    draft(s, {"PAD-77": 1})  # drafts stay the dealer's own
    dealer = DealerFactory(code="PO2")
    other = Shop(dealer, staff(dealer, "parts_clerk"), s.logistics, s.admin, s.parts)
    theirs = sent(other, {"PAD-77": 1})
    with as_dealers([s.dealer.pk, other.dealer.pk]):
        rows = list(selectors.network_open_orders())
    assert [o.pk for o in rows] == [urgent.pk, stock_order.pk, theirs.pk]
