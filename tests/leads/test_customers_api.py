"""/api/customers/ and /api/visits/: the same rules as the pages. Consultants see their own
customers only, duplicates answer 409 with only who serves the customer, bad input 400 with
field errors and nothing changed, another dealer's or a colleague's ids 404, HQ read-only 403."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from dms.tenancy.context import as_dealer
from leads.models import Customer, Lead, Visit
from leads.services.customers import register_contact
from tests.api.support import results, session_client, token_client
from tests.factories import hq_user
from tests.leads._funnel import Shop, make_shop

pytestmark = pytest.mark.django_db

CUSTOMERS = "/api/customers/"
VISITS = "/api/visits/"


@pytest.fixture
def shop() -> Shop:
    return make_shop()


def registered(
    shop: Shop, actor: Any, name: str = "Anna Schmidt", phone: str = "030 1234567", **kwargs: Any
) -> Customer:
    with as_dealer(shop.dealer):
        result = register_contact(
            dealer=shop.dealer,
            actor=actor,
            kind="walk_in",
            source_code="walk_in",
            name=name,
            phone=phone,
            **kwargs,
        )
    assert result.customer is not None
    return result.customer


def customer_rows(shop: Shop) -> list[tuple[Any, ...]]:
    with as_dealer(shop.dealer):
        return list(
            Customer.objects.order_by("pk").values_list(
                "pk", "phone", "email", "owner_id", "last_name", "consent_email_at"
            )
        )


def test_routes_are_in_the_schema(shop: Shop) -> None:
    schema = session_client(shop.alice).get(reverse("api-schema")).content.decode()
    assert "/api/customers/" in schema and "/api/visits/" in schema


def test_consultant_lists_only_own_customers(shop: Shop) -> None:
    mine = registered(shop, shop.alice)
    registered(shop, shop.bob, name="Bert Other", phone="030 7654321")
    rows = results(token_client(shop.alice).get(CUSTOMERS))
    assert [r["id"] for r in rows] == [mine.pk]
    assert rows[0]["phone"] == "+49301234567" and rows[0]["owner_name"] == "Alice Able"
    assert len(results(token_client(shop.manager).get(CUSTOMERS))) == 2
    found = results(token_client(shop.manager).get(CUSTOMERS, {"search": "030 765 4321"}))
    assert [r["last_name"] for r in found] == ["Other"]


def test_colleague_and_other_dealer_ids_are_404(shop: Shop) -> None:
    customer = registered(shop, shop.alice)
    other = make_shop()
    for user in (shop.bob, other.alice, other.manager):
        client = token_client(user)
        assert client.get(f"{CUSTOMERS}{customer.pk}/").status_code == 404
        assert (
            client.patch(
                f"{CUSTOMERS}{customer.pk}/", {"last_name": "Hacked"}, format="json"
            ).status_code
            == 404
        )
    with as_dealer(shop.dealer):
        assert Customer.objects.get().last_name == "Schmidt"
    assert token_client(shop.manager).get(f"{CUSTOMERS}{customer.pk}/").status_code == 200


def test_create_normalises_and_records_consent(shop: Shop) -> None:
    response = token_client(shop.alice).post(
        CUSTOMERS,
        {
            "first_name": "Jan",
            "last_name": "Novak",
            "phone": "0151 2345 6789",
            "email": "Jan@Example.com",
            "consents": {"email": True},
            "models_of_interest": [],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["phone"] == "+4915123456789" and body["email"] == "jan@example.com"
    assert body["consent_email_at"] is not None and body["consent_sms_at"] is None
    assert body["owner"] == shop.alice.pk


def test_create_bad_input_is_400_and_creates_nothing(shop: Shop) -> None:
    client = token_client(shop.alice)
    for payload, field in (
        ({"last_name": "X", "phone": "12"}, "phone"),
        ({"last_name": "X", "email": "not-an-address"}, "email"),
        ({"phone": "030 1234567"}, "last_name"),
        ({"last_name": "X", "phone": "030 1234567", "payment": "barter"}, "payment"),
    ):
        response = client.post(CUSTOMERS, payload, format="json")
        assert response.status_code == 400, payload
        assert field in response.json()
    assert customer_rows(shop) == []


def test_duplicate_of_colleague_is_409_with_only_conflict_info(shop: Shop) -> None:
    registered(shop, shop.alice, email="secret@example.com")
    before = customer_rows(shop)
    response = token_client(shop.bob).post(
        CUSTOMERS, {"last_name": "Someone", "phone": "+49 30 1234567"}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert set(body) == {"detail", "conflict"}
    assert set(body["conflict"]) == {"owner_name", "since", "stage"}
    assert body["conflict"]["owner_name"] == "Alice Able"
    raw = response.content.decode()
    assert "secret@example.com" not in raw and "Schmidt" not in raw and "+49301234567" not in raw
    assert customer_rows(shop) == before


def test_duplicate_of_own_is_409_with_the_id(shop: Shop) -> None:
    customer = registered(shop, shop.alice)
    response = token_client(shop.alice).post(
        CUSTOMERS, {"last_name": "Schmidt", "phone": "0301234567"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["customer_id"] == customer.pk


def test_update_changes_only_what_is_sent(shop: Shop) -> None:
    customer = registered(shop, shop.alice)
    client = token_client(shop.alice)
    url = f"{CUSTOMERS}{customer.pk}/"
    response = client.patch(url, {"city": "Berlin", "consents": {"sms": True}}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["city"] == "Berlin" and response.json()["consent_sms_at"]
    before = customer_rows(shop)
    response = client.patch(url, {"phone": "not a phone", "city": "Hamburg"}, format="json")
    assert response.status_code == 400 and "phone" in response.json()
    assert customer_rows(shop) == before
    with as_dealer(shop.dealer):
        assert Customer.objects.get().city == "Berlin"


def test_hq_is_read_only_and_has_no_customer_access(shop: Shop) -> None:
    registered(shop, shop.alice)
    rm = hq_user("hq_regional_manager", regions=[shop.dealer.region])
    client = session_client(rm)
    assert client.get(CUSTOMERS).status_code == 403
    assert (
        client.post(
            CUSTOMERS, {"last_name": "X", "phone": "030 7654321"}, format="json"
        ).status_code
        == 403
    )
    assert (
        client.post(
            VISITS,
            {"kind": "walk_in", "name": "X", "source": "walk_in", "phone": "030 7654321"},
            format="json",
        ).status_code
        == 403
    )
    assert len(customer_rows(shop)) == 1


# --- visits ---------------------------------------------------------------------------------------


def test_register_through_the_api(shop: Shop) -> None:
    client = token_client(shop.alice)
    response = client.post(
        VISITS,
        {"kind": "phone", "name": "Anna Schmidt", "phone": "030 1234567", "source": "phone"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created_customer"] is True
    assert body["visit"]["served_by"] == shop.alice.pk and body["visit"]["source"] == "phone"
    with as_dealer(shop.dealer):
        assert Lead.objects.get().pk == body["lead_id"]
    rows = results(client.get(VISITS))
    assert [r["id"] for r in rows] == [body["visit"]["id"]]


def test_api_registration_of_colleagues_customer_is_409(shop: Shop) -> None:
    registered(shop, shop.alice, email="secret@example.com")
    response = token_client(shop.bob).post(
        VISITS,
        {"kind": "walk_in", "name": "Anna", "phone": "+49301234567", "source": "walk_in"},
        format="json",
    )
    assert response.status_code == 409
    assert set(response.json()["conflict"]) == {"owner_name", "since", "stage"}
    assert "secret" not in response.content.decode()
    with as_dealer(shop.dealer):
        assert Visit.objects.filter(served_by=shop.bob).count() == 0


def test_api_registration_bad_input_is_400(shop: Shop) -> None:
    response = token_client(shop.alice).post(
        VISITS, {"kind": "walk_in", "name": "Anna", "phone": "12", "source": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert {"phone", "source"} <= set(response.json())
    assert customer_rows(shop) == []


@time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC), tick=False)
def test_visit_list_by_day_and_visibility(shop: Shop) -> None:
    day = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    registered(shop, shop.alice, arrived_at=day)
    registered(shop, shop.bob, name="Bert", phone="030 7654321", arrived_at=day)
    alice = token_client(shop.alice)
    assert len(results(alice.get(VISITS, {"date": "2026-03-02"}))) == 1
    assert results(alice.get(VISITS, {"date": "2026-03-03"})) == []
    assert len(results(token_client(shop.manager).get(VISITS, {"date": "2026-03-02"}))) == 2
    assert alice.get(VISITS, {"date": "yesterday"}).status_code == 400


def test_duplicate_of_unowned_customer_is_taken_over_and_returned(shop: Shop) -> None:
    with as_dealer(shop.dealer):
        customer = Customer.objects.create(
            dealer=shop.dealer, last_name="Nobody", phone="+49301234567"
        )
    response = token_client(shop.bob).post(
        CUSTOMERS, {"last_name": "Nobody", "phone": "030 1234567"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["customer_id"] == customer.pk
    with as_dealer(shop.dealer):
        assert Customer.objects.get().owner == shop.bob
    assert token_client(shop.bob).get(f"{CUSTOMERS}{customer.pk}/").status_code == 200
