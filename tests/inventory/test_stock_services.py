"""The dealer's parts store (issue 15, items 1–4): balances follow the ledger, nothing goes
negative, refusals change nothing, superseded stock is used first, the ledger is append-only,
and another dealer's stock is out of reach."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction

from dms.audit.models import AuditAction, AuditEntry
from dms.tenancy.context import as_dealer
from inventory.models import Part
from inventory.stock import selectors, services
from inventory.stock.models import (
    PartAvailability,
    PartReservation,
    PartStock,
    StockMovement,
)
from tests.factories import DealerFactory, staff

from .stock_helpers import part, stock, supersede

pytestmark = pytest.mark.django_db
DAY = dt.date(2027, 3, 15)


@pytest.fixture
def dealer() -> Any:
    return DealerFactory(code="A1")


@pytest.fixture
def clerk(dealer: Any) -> Any:
    return staff(dealer, "parts_clerk")


@pytest.fixture
def filter_part() -> Part:
    return part("0012-A")


def balance(dealer: Any, item: Part) -> PartStock:
    with as_dealer(dealer):
        return PartStock.objects.get(part=item)


def movements(dealer: Any) -> int:
    with as_dealer(dealer):
        return StockMovement.objects.count()


def refused(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ValidationError) as error:
        call(**kwargs)
    return " ".join(error.value.messages)


def test_a_receipt_adds_to_on_hand_and_averages_the_cost(dealer, clerk, filter_part) -> None:
    stock(dealer, filter_part, 4, cost="10.00", actor=clerk)
    stock(dealer, filter_part, 6, cost="15.00", actor=clerk)
    row = balance(dealer, filter_part)
    assert (row.on_hand, row.reserved, row.available) == (10, 0, 10)
    assert row.average_cost == Decimal("13.0000")  # (4×10 + 6×15) / 10
    with as_dealer(dealer):
        kinds = list(StockMovement.objects.order_by("at", "id").values_list("kind", "quantity"))
    assert kinds == [("receipt", Decimal("4.00")), ("receipt", Decimal("6.00"))]


def test_reserve_issue_and_release_move_reserved_and_on_hand(dealer, clerk, filter_part) -> None:
    stock(dealer, filter_part, 5)
    with as_dealer(dealer):
        (first,) = services.reserve(
            dealer_id=dealer.pk,
            part=filter_part,
            quantity=2,
            reference="RO 17",
            actor=clerk,
            on=DAY,
        )
        (second,) = services.reserve(
            dealer_id=dealer.pk,
            part=filter_part,
            quantity=1,
            reference="RO 18",
            actor=clerk,
            on=DAY,
        )
    row = balance(dealer, filter_part)
    assert (row.on_hand, row.reserved, row.available) == (5, 3, 2)
    with as_dealer(dealer):
        services.issue_reservation(reservation=first, actor=clerk)
        services.release(reservation=second, actor=clerk, reason="customer declined")
    row = balance(dealer, filter_part)
    assert (row.on_hand, row.reserved, row.available) == (3, 0, 3)
    with as_dealer(dealer):
        first.refresh_from_db(), second.refresh_from_db()
        assert (first.status, second.status) == ("issued", "released")
        # A closed reservation cannot be issued or released again.
        assert "already closed" in refused(services.release, reservation=first, actor=clerk)
    assert balance(dealer, filter_part).on_hand == 3


def test_more_than_available_is_refused_and_changes_nothing(dealer, clerk, filter_part) -> None:
    stock(dealer, filter_part, 5)
    with as_dealer(dealer):
        services.reserve(
            dealer_id=dealer.pk, part=filter_part, quantity=4, reference="RO 1", actor=clerk, on=DAY
        )
    before = movements(dealer)
    with as_dealer(dealer):
        message = refused(
            services.reserve, dealer_id=dealer.pk, part=filter_part, quantity=2, reference="RO 2",
            actor=clerk, on=DAY,
        )  # fmt: skip
        assert message == "Only 1 of 0012-A available; 2 asked. Nothing was changed."
        message = refused(
            services.issue, dealer_id=dealer.pk, part=filter_part, quantity=3, reference="CS 1",
            actor=clerk, on=DAY,
        )  # fmt: skip
        assert "Only 1 of 0012-A available; 3 asked" in message
    assert movements(dealer) == before
    row = balance(dealer, filter_part)
    assert (row.on_hand, row.reserved) == (5, 4)
    with as_dealer(dealer):
        assert PartReservation.objects.count() == 1


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (0, "more than zero"),
        (-2, "more than zero"),
        ("1.5", "whole units"),
        ("abc", "as a number"),
        ("NaN", "more than zero"),
        ("1e9", "too large"),
    ],
)
def test_bad_quantities_are_refused(dealer, clerk, filter_part, quantity, message) -> None:
    stock(dealer, filter_part, 5)
    before = movements(dealer)
    with as_dealer(dealer):
        text = refused(
            services.reserve, dealer_id=dealer.pk, part=filter_part, quantity=quantity,
            reference="RO 1", actor=clerk, on=DAY,
        )  # fmt: skip
    assert message in text
    assert movements(dealer) == before


def test_litres_take_two_decimals(dealer, clerk) -> None:
    oil = part("OIL-5W30", unit=Part.Unit.LITRE)
    stock(dealer, oil, "208.00")
    with as_dealer(dealer):
        services.issue(
            dealer_id=dealer.pk, part=oil, quantity="4.25", reference="RO 9", actor=clerk, on=DAY
        )
        assert "two decimals" in refused(
            services.issue, dealer_id=dealer.pk, part=oil, quantity="1.125", reference="RO 9",
            actor=clerk, on=DAY,
        )  # fmt: skip
    assert balance(dealer, oil).on_hand == Decimal("203.75")


def test_stock_of_a_superseded_part_is_used_first(dealer, clerk) -> None:
    old, middle, new = part("100-A"), part("100-B"), part("100-C")
    supersede(old, middle), supersede(middle, new)
    stock(dealer, old, 2), stock(dealer, middle, 1), stock(dealer, new, 10)
    with as_dealer(dealer):
        # The clerk types the oldest number: it is the current part that is asked for, and the
        # old numbers' stock goes first.
        reservations = services.reserve(
            dealer_id=dealer.pk, part=old, quantity=4, reference="RO 5", actor=clerk, on=DAY
        )
    taken = [(r.part.number, r.quantity, r.asked_number) for r in reservations]
    assert taken == [("100-A", 2, ""), ("100-B", 1, "100-A"), ("100-C", 1, "100-A")]
    with as_dealer(dealer):
        lookup = selectors.part_lookup(dealer_id=dealer.pk, number="100-a", on=DAY)
    assert lookup is not None and lookup.part == new and lookup.superseded
    # The old numbers are still on the shelf (reserved): shown first, with nothing available.
    assert [(line.part.number, line.available) for line in lookup.lines] == [
        ("100-A", 0),
        ("100-B", 0),
        ("100-C", 9),
    ]
    assert (lookup.on_hand, lookup.available) == (13, 9)


def test_a_supersession_from_a_later_day_does_not_apply_yet(dealer, clerk) -> None:
    old, new = part("200-A"), part("200-B")
    supersede(old, new, valid_from=DAY + dt.timedelta(days=1))
    stock(dealer, old, 1), stock(dealer, new, 1)
    with as_dealer(dealer):
        lookup = selectors.part_lookup(dealer_id=dealer.pk, number="200-A", on=DAY)
    assert lookup is not None and lookup.part == old and not lookup.superseded
    assert lookup.available == 1


def test_an_adjustment_is_a_new_movement_with_a_reason_and_is_audited(
    dealer, clerk, filter_part
) -> None:
    stock(dealer, filter_part, 5)
    with as_dealer(dealer):
        assert "Say why" in refused(
            services.adjust, dealer_id=dealer.pk, part=filter_part, counted=4, reason="  ",
            actor=clerk,
        )  # fmt: skip
        movement = services.adjust(
            dealer_id=dealer.pk, part=filter_part, counted=3, reason="damaged", actor=clerk
        )
    assert movement is not None and (movement.kind, movement.quantity) == ("adjustment", -2)
    assert balance(dealer, filter_part).on_hand == 3
    entry = AuditEntry.objects.get(action=AuditAction.STOCK_ADJUSTED)
    assert (entry.actor, entry.dealer_id, entry.detail["change"]) == (clerk, dealer.pk, "-2.00")


def test_counting_fewer_than_reserved_is_refused(dealer, clerk, filter_part) -> None:
    stock(dealer, filter_part, 5)
    with as_dealer(dealer):
        services.reserve(
            dealer_id=dealer.pk, part=filter_part, quantity=3, reference="RO 1", actor=clerk, on=DAY
        )
        assert "are reserved" in refused(
            services.adjust, dealer_id=dealer.pk, part=filter_part, counted=2, reason="count",
            actor=clerk,
        )  # fmt: skip
        assert "cannot be negative" in refused(
            services.adjust, dealer_id=dealer.pk, part=filter_part, counted=-1, reason="count",
            actor=clerk,
        )  # fmt: skip
    assert balance(dealer, filter_part).on_hand == 5


def test_levels_are_checked(dealer, clerk, filter_part) -> None:
    with as_dealer(dealer):
        assert "below the minimum" in refused(
            services.set_levels, dealer_id=dealer.pk, part=filter_part, bin="a-01",
            minimum=5, reorder_point=2, maximum=10, actor=clerk,
        )  # fmt: skip
        row = services.set_levels(
            dealer_id=dealer.pk, part=filter_part, bin=" a-01 ", minimum=2, reorder_point=4,
            maximum=10, actor=clerk,
        )  # fmt: skip
    assert (row.bin, row.minimum, row.reorder_point, row.maximum) == ("A-01", 2, 4, 10)


def test_the_ledger_adds_up_to_every_balance(dealer, clerk) -> None:
    other = DealerFactory(code="B1")
    items = [part(f"L-{n}") for n in range(4)]
    for n, item in enumerate(items):
        stock(dealer, item, 10 + n), stock(other, item, 3)
    with as_dealer(dealer):
        (reservation,) = services.reserve(
            dealer_id=dealer.pk, part=items[0], quantity=4, reference="RO 1", actor=clerk, on=DAY
        )
        services.issue_reservation(reservation=reservation, actor=clerk)
        services.issue(
            dealer_id=dealer.pk, part=items[1], quantity=2, reference="CS 1", actor=clerk, on=DAY
        )
        services.return_to_stock(
            dealer_id=dealer.pk, part=items[1], quantity=1, reference="CS 1", reason="unused",
            actor=clerk,
        )  # fmt: skip
        services.adjust(dealer_id=dealer.pk, part=items[2], counted=0, reason="lost", actor=clerk)
        services.reserve(
            dealer_id=dealer.pk, part=items[3], quantity=2, reference="RO 2", actor=clerk, on=DAY
        )
    with as_dealer(dealer):
        balances = dict(PartStock.objects.values_list("part__number", "on_hand"))
    assert balances == {"L-0": 6, "L-1": 10, "L-2": 0, "L-3": 13}
    with as_dealer(dealer):
        assert selectors.ledger_mismatches() == []
    # The check can fail: a balance changed behind the ledger's back is reported.
    with as_dealer(dealer):
        PartStock.objects.filter(part=items[3]).update(on_hand=99)
        (mismatch,) = selectors.ledger_mismatches()
    assert (mismatch.part_id, mismatch.on_hand, mismatch.ledger_on_hand) == (items[3].pk, 99, 13)


def test_the_database_refuses_negative_stock_and_over_reservation(dealer, filter_part) -> None:
    stock(dealer, filter_part, 2)
    with as_dealer(dealer):
        with pytest.raises(IntegrityError), transaction.atomic():
            PartStock.objects.filter(part=filter_part).update(on_hand=-1)
        with pytest.raises(IntegrityError), transaction.atomic():
            PartStock.objects.filter(part=filter_part).update(reserved=3)


def test_the_ledger_is_append_only_for_the_application(dealer, filter_part) -> None:
    stock(dealer, filter_part, 2)
    with as_dealer(dealer):
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            StockMovement.objects.update(quantity=5)
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            StockMovement.objects.all().delete()
    assert movements(dealer) == 1


def test_another_dealers_stock_is_out_of_reach(dealer, clerk, filter_part) -> None:
    other = DealerFactory(code="B2")
    stock(other, filter_part, 7)
    with as_dealer(dealer):
        assert not PartStock.objects.exists()
        assert selectors.part_lookup(
            dealer_id=other.pk, number=filter_part.number, on=DAY
        ).available == 0  # fmt: skip
        # Writing another dealer's stock from this dealer's scope: the database refuses it.
        with pytest.raises((DatabaseError, ValidationError)), transaction.atomic():
            services.issue(
                dealer_id=other.pk, part=filter_part, quantity=1, reference="x", actor=clerk, on=DAY
            )
    assert balance(other, filter_part).on_hand == 7


def test_the_network_sees_bands_only(dealer, clerk, filter_part) -> None:
    north = dealer.region
    b = DealerFactory(code="B3", name="Berg Motors", region=north)
    c = DealerFactory(code="C3", name="Alpha Cars")
    stock(b, filter_part, 1), stock(c, filter_part, 9), stock(dealer, filter_part, 4)
    assert dict(PartAvailability.objects.values_list("dealer__code", "band")) == {
        "B3": 1,
        "C3": 3,
        "A1": 2,
    }
    # The band follows the stock: issuing C3's stock down to 3 makes it "2–5".
    with as_dealer(c):
        services.issue(
            dealer_id=c.pk, part=filter_part, quantity=6, reference="CS", actor=None, on=DAY
        )
    with as_dealer(b):
        services.issue(
            dealer_id=b.pk, part=filter_part, quantity=1, reference="CS", actor=None, on=DAY
        )
    with as_dealer(dealer):
        seen = selectors.network_availability(part=filter_part, asking_dealer=dealer, actor=clerk)
    assert [(d.dealer_name, d.band_label) for d in seen.dealers] == [("Alpha Cars", "2–5")]
    entry = AuditEntry.objects.get(action=AuditAction.NETWORK_STOCK_READ)
    assert (entry.actor, entry.detail) == (clerk, {"part": "0012-A", "dealers": 1})


def test_the_projection_holds_only_the_band() -> None:
    """Nobody widens the network projection by accident (DESIGN.md, network projections)."""
    columns = [f.column for f in PartAvailability._meta.concrete_fields]
    assert sorted(columns) == sorted(["id", *selectors.PROJECTION_COLUMNS])


def test_a_reservation_out_of_step_with_its_balance_is_refused_not_a_crash(
    dealer, clerk, filter_part
) -> None:
    """A reservation row made behind the services' back (no reserved stock behind it): releasing
    it is a clear refusal, and the balance stays as it is."""
    with as_dealer(dealer):
        stray = PartReservation.objects.create(
            dealer=dealer, part=filter_part, quantity=2, reference="imported"
        )
        assert "does not allow it" in refused(services.release, reservation=stray, actor=clerk)
        assert "does not allow it" in refused(
            services.issue_reservation, reservation=stray, actor=clerk
        )
        stray.refresh_from_db()
        assert stray.status == "open"
        assert not PartStock.objects.filter(part=filter_part).exclude(reserved=0).exists()
