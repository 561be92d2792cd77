"""Quote and order lists page through every row (the lists stopped at the newest 200), keep their
status filter across pages, and a page number that is not one shows a page, not an error."""

from __future__ import annotations

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
