"""Quote and order lists page through every row (the lists stopped at the newest 200), keep their
status filter across pages, and a page number that is not one shows a page, not an error."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from sales import views
from tests.sales.conftest import Showroom
from tests.sales.test_access import make_objects
from tests.ui.helpers import text_of


@pytest.fixture
def one_per_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "LIST_PAGE_SIZE", 1)


def test_quotes_page_through_every_row(room: Showroom, signed_in: Any, one_per_page: None) -> None:
    make_objects(room)  # three quotes
    client = signed_in(room.alice)
    first = client.get(reverse("sales:quotes"))
    assert first.status_code == 200
    assert "Page 1 of 3" in text_of(first.content.decode())
    last = client.get(reverse("sales:quotes"), {"page": "3"})
    assert "Page 3 of 3" in text_of(last.content.decode())
    for bad in ("0", "-1", "999999999999999999999", "x\x00"):
        response = client.get(reverse("sales:quotes"), {"page": bad})
        assert response.status_code == 200, bad


def test_order_list_keeps_its_filter_across_pages(
    room: Showroom, signed_in: Any, one_per_page: None
) -> None:
    make_objects(room)
    client = signed_in(room.alice)
    body = client.get(reverse("sales:orders"), {"status": "open"}).content.decode()
    assert "O" in text_of(body)
    assert "Page" not in text_of(body)  # one open order: no pager
    quotes = client.get(reverse("sales:quotes"), {"status": "accepted"}).content.decode()
    assert "status=accepted&amp;page=2" in quotes


def test_booked_test_drives_page_through_every_row_keeping_the_day(
    room: Showroom, other_room: Showroom, signed_in: Any, one_per_page: None
) -> None:
    day = room.tomorrow
    for hour in (9, 11, 14):
        room.drive(room.lead(), room.at(day, hour))
    other_room.drive(other_room.lead(), other_room.at(other_room.tomorrow, 10))  # not counted
    client = signed_in(room.manager)
    first = client.get(reverse("sales:test_drives")).content.decode()
    assert "Page 1 of 3" in text_of(first) and 'href="?page=2"' in first
    on_day = client.get(reverse("sales:test_drives"), {"day": day.isoformat()}).content.decode()
    assert f"day={day.isoformat()}&amp;page=2" in on_day  # the next page keeps the day shown
    last = client.get(reverse("sales:test_drives"), {"page": "3"}).content.decode()
    assert "Page 3 of 3" in text_of(last) and "14:00" in text_of(last)
    for bad in ("0", "-1", "abc", "99999", "9" * 30):
        assert client.get(reverse("sales:test_drives"), {"page": bad}).status_code == 200, bad


def test_order_list_counts_only_the_dealers_orders(
    room: Showroom, other_room: Showroom, signed_in: Any, one_per_page: None
) -> None:
    make_objects(room)  # one order
    make_objects(other_room)  # one order elsewhere
    body = signed_in(room.manager).get(reverse("sales:orders")).content.decode()
    assert "Page" not in text_of(body)  # one order of this dealer: no pager
    assert len(re.findall(r'href="/showroom/orders/\d+/"', body)) == 1
