"""Personal data is never cached (issue 11): every page, PDF and API answer carries
`Cache-Control: no-store, private`; static files keep their long caching."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tests.api.support import session_client
from tests.factories import signed_in_client
from tests.sales.conftest import Showroom, make_showroom

pytestmark = pytest.mark.django_db


def directives(response: Any) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def assert_not_cached(response: Any) -> None:
    assert response.status_code == 200, response.status_code
    found = directives(response)
    assert {"no-store", "private"} <= found, found
    assert "public" not in found


@pytest.fixture
def room() -> Showroom:
    return make_showroom()


def test_customer_page_is_not_stored(room: Showroom) -> None:
    lead = room.lead()
    response = signed_in_client(room.alice).get(
        reverse("leads:customer-detail", args=[lead.customer_id])
    )
    assert_not_cached(response)
    assert lead.customer.last_name in response.content.decode()


def test_customer_api_is_not_stored(room: Showroom) -> None:
    lead = room.lead()
    response = session_client(room.alice).get("/api/customers/")
    assert_not_cached(response)
    assert lead.customer.last_name in response.content.decode()


def test_quote_pdf_is_not_stored(room: Showroom) -> None:
    quote = room.quote(room.lead())
    client = signed_in_client(room.alice)
    page = client.get(reverse("sales:quote_pdf", args=[quote.pk]))
    assert_not_cached(page)
    assert page["Content-Type"] == "application/pdf"
    api = client.get(f"/api/quotes/{quote.pk}/pdf/")
    assert_not_cached(api)


def test_anonymous_pages_are_not_stored_either() -> None:
    assert_not_cached(Client().get("/account/login/"))


@override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
def test_static_files_keep_their_caching() -> None:
    response = Client().get("/static/css/app.css")
    assert response.status_code == 200
    found = directives(response)
    assert "no-store" not in found and "private" not in found
    assert "public" in found and any(d.startswith("max-age=") for d in found)
