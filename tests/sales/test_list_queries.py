"""List pages and API lists: the number of SQL queries does not grow with the number of rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dms.tenancy.context import as_dealer
from leads.models import Stage
from sales import services
from tests.sales.conftest import Showroom

pytestmark = pytest.mark.django_db


def add_sales(room: Showroom, count: int, hour: int) -> None:
    """`count` leads each with a booked test drive, a quote and an order with a payment."""
    for i in range(count):
        lead = room.lead(stage=Stage.QUOTE)
        with as_dealer(room.dealer):
            room.drive(
                lead, room.at(room.tomorrow, hour) + dt.timedelta(minutes=70 * i), actor=room.alice
            )
            quote = room.quote(lead, colour="BLK", option_codes=("TOW",))
            services.send_quote(quote=quote, actor=room.alice)
            services.accept_quote(quote=quote, actor=room.alice)
            services.create_order(
                quote=quote,
                actor=room.alice,
                deposit_required=Decimal("1000"),
                deposit_paid=Decimal("1000"),
            )


def count_queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        reverse("sales:quotes"),
        reverse("sales:orders"),
        reverse("sales:test_drives"),
        "/api/quotes/",
        "/api/orders/",
        "/api/test-drives/",
    ],
)
def test_list_queries_do_not_grow_with_rows(room: Showroom, signed_in: Any, url: str) -> None:
    client = signed_in(room.manager)
    add_sales(room, 1, hour=8)
    if url == reverse("sales:test_drives"):
        url += f"?day={room.tomorrow.isoformat()}"
    # The first page after login also fills the menu's bulletin badge (cached for a minute per
    # user): warm it up so both counts measure the list alone.
    client.get(url)
    few = count_queries(client, url)
    add_sales(room, 3, hour=11)
    many = count_queries(client, url)
    assert many == few, (url, few, many)
