"""Order numbers run per dealer (issue 13, item 7): each dealer's orders are O1, O2, ... on
their own (a network-wide id told every dealer the network's volume: DE001 jumped from O44 to
O688); a rolled-back order gives its number back; orders placed before keep their number.
Two orders at the same moment: tests/concurrency/test_order_numbers.py."""

from __future__ import annotations

import datetime as dt
import importlib
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from dms.tenancy.context import as_dealer
from leads.models import Stage, TimelineEvent
from sales import services
from sales.models import NumberSeries, Order
from tests.conftest import owner_connect
from tests.sales.conftest import Showroom, make_showroom
from tests.ui.helpers import text_of


def place_order(room: Showroom) -> Order:
    lead = room.lead(stage=Stage.QUOTE)
    quote = room.quote(lead)
    with as_dealer(room.dealer):
        services.send_quote(quote=quote, actor=room.alice)
        services.accept_quote(quote=quote, actor=room.alice)
        return services.create_order(
            quote=quote,
            actor=room.alice,
            deposit_required=Decimal("1000"),
            expected_delivery=room.tomorrow + dt.timedelta(days=7),
        ).obj


def test_each_dealer_numbers_its_own_orders_from_one(
    room: Showroom, other_room: Showroom, signed_in: Any
) -> None:
    first, second = place_order(room), place_order(room)
    elsewhere = place_order(other_room)
    third = place_order(room)
    assert [o.number for o in (first, second, third)] == [1, 2, 3]
    assert elsewhere.number == 1  # the other dealer's orders neither count nor show here
    assert services.order_number(third) == "O3"

    client = signed_in(room.manager)
    listing = client.get(reverse("sales:orders")).content.decode()
    shown = dict(re.findall(r'href="/showroom/orders/(\d+)/">(O\d+)<', listing))
    assert shown == {str(third.pk): "O3", str(second.pk): "O2", str(first.pk): "O1"}
    detail = text_of(client.get(reverse("sales:order_detail", args=[third.pk])).content.decode())
    assert "O3" in detail
    api = client.get(f"/api/orders/{third.pk}/")
    assert api.status_code == 200 and api.json()["number"] == "O3"
    with as_dealer(room.dealer):
        summaries = TimelineEvent.objects.filter(kind="order_placed").values_list(
            "summary", flat=True
        )
        assert sorted(s.split(":")[0] for s in summaries) == [
            "Order O1 placed",
            "Order O2 placed",
            "Order O3 placed",
        ]


def test_an_order_rolled_back_gives_its_number_back(room: Showroom) -> None:
    lead = room.lead(stage=Stage.QUOTE)
    quote = room.quote(lead)
    with as_dealer(room.dealer):
        services.send_quote(quote=quote, actor=room.alice)
        services.accept_quote(quote=quote, actor=room.alice)
        with pytest.raises(RuntimeError), transaction.atomic():
            services.create_order(quote=quote, actor=room.alice, deposit_required=Decimal("0"))
            raise RuntimeError("the request failed after the order was written")
        assert not Order.objects.exists()
        order = services.create_order(
            quote=quote, actor=room.alice, deposit_required=Decimal("0")
        ).obj
    assert order.number == 1


@pytest.mark.django_db(transaction=True)
def test_orders_placed_before_keep_their_numbers_and_each_dealer_goes_on_after_its_last() -> None:
    """Migration 0006's data step on a database with orders that have no number yet: none is
    renumbered anew (each keeps the O<id> it was shown and printed with: signed order forms,
    receipts, the customer's timeline), and each dealer's series continues after its own
    highest number. (The table is put back as it was before 0006 with the owner's rights; the
    migration itself cannot be unapplied and reapplied here: reversing a new tenant table's
    TenantPrimaryKey is not supported by dms.tenancy.rls.)"""
    north, south = make_showroom(name="Nord"), make_showroom(name="Süd")
    placed = [place_order(north), place_order(south), place_order(north)]
    backfill = importlib.import_module("sales.migrations.0006_order_number_per_dealer").BACKFILL
    with owner_connect() as conn:
        with conn.transaction():  # the orders as they were before 0006: no number, no series
            conn.execute("ALTER TABLE sales_order DROP CONSTRAINT order_number_unique")
            conn.execute("ALTER TABLE sales_order ALTER COLUMN number DROP NOT NULL")
            conn.execute("UPDATE sales_order SET number = NULL")
            conn.execute("DELETE FROM sales_numberseries")
        with conn.transaction():  # 0006 from its data step on
            conn.execute(backfill)
            conn.execute("ALTER TABLE sales_order ALTER COLUMN number SET NOT NULL")
            conn.execute(
                "ALTER TABLE sales_order"
                " ADD CONSTRAINT order_number_unique UNIQUE (dealer_id, number)"
            )
    last = {}
    for room in (north, south):
        with as_dealer(room.dealer):
            numbers = dict(Order.objects.values_list("pk", "number"))
            assert numbers == {o.pk: o.pk for o in placed if o.dealer_id == room.dealer.pk}
            series = NumberSeries.objects.get(kind=NumberSeries.Kind.ORDER)
            assert series.last_number == max(numbers)
            last[room.dealer.pk] = max(numbers)
    # the next order of each dealer follows its own last one
    assert place_order(north).number == last[north.dealer.pk] + 1
    assert place_order(south).number == last[south.dealer.pk] + 1
