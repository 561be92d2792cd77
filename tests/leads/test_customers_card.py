"""The customer card (view, edit, consent, needs), the customer list (search, filters,
visibility), creating a customer with dedupe, and the manager's merge of true duplicates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bulletins.models import PriceListVersion
from dms.audit.models import AuditAction, AuditEntry
from dms.tenancy.context import as_dealer
from inventory.models import Trim, VehicleModel
from leads.models import (
    Customer,
    CustomerModelInterest,
    FollowUp,
    Lead,
    OwnershipClaim,
    TimelineEvent,
    Visit,
)
from leads.services.customers import register_contact
from leads.services.timeline import add_timeline_event
from sales import models as sales_models
from sales.models import DemoVehicle, Order, Quote
from tests.api.support import session_client, table_html
from tests.factories import CustomerFactory, hq_user
from tests.leads._funnel import Shop, make_shop
from tests.ui.helpers import text_of

pytestmark = pytest.mark.django_db


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


def card_form(customer: Customer, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": customer.kind,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "company_name": customer.company_name,
        "phone": customer.phone,
        "phone_alt": customer.phone_alt,
        "email": customer.email,
        "national_id": customer.national_id,
        "street": customer.street,
        "postal_code": customer.postal_code,
        "city": customer.city,
        "country": customer.country,
        "budget": "" if customer.budget is None else str(customer.budget),
        "payment": customer.payment,
        "trade_in": customer.trade_in,
        "driving_preferences": customer.driving_preferences,
        "competitor_models": customer.competitor_models,
        "interests": customer.interests,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not False}


def snapshot(shop: Shop) -> list[tuple[Any, ...]]:
    with as_dealer(shop.dealer):
        return list(
            Customer.objects.order_by("pk").values_list(
                "pk",
                "phone",
                "email",
                "owner_id",
                "last_name",
                "consent_email_at",
                "merged_into_id",
            )
        )


# --- card ------------------------------------------------------------------------------------------


def test_card_shows_contact_needs_consent_leads_and_timeline(shop: Shop) -> None:
    model = VehicleModel.objects.order_by("pk").first()
    customer = registered(shop, shop.alice, vehicle_model=model, email="anna@example.com")
    response = session_client(shop.alice).get(reverse("leads:customer-detail", args=[customer.pk]))
    assert response.status_code == 200
    text = text_of(response.content.decode())
    assert "Anna Schmidt" in text and "+49 30 1234567" in text and "anna@example.com" in text
    assert model.name in text
    assert "Served by Alice Able since" in text
    assert "Walk-in" in text  # timeline line of the visit
    assert "Lead opened" in text


def test_timeline_is_newest_first_and_paginated(shop: Shop) -> None:
    customer = registered(shop, shop.alice)
    base = timezone.now() - dt.timedelta(days=60)
    with as_dealer(shop.dealer):
        for i in range(40):
            add_timeline_event(
                customer=customer,
                kind="note",
                summary=f"Event number {i:02d}",
                at=base + dt.timedelta(hours=i),
            )
    client = session_client(shop.alice)
    url = reverse("leads:customer-detail", args=[customer.pk])
    html = client.get(url).content.decode()
    assert html.count('data-testid="timeline-event"') == 25
    assert 'data-testid="timeline-more"' in html
    # Newest first: the visit (now) before event 39 before event 38.
    assert html.index("Walk-in") < html.index("Event number 39") < html.index("Event number 38")
    assert "Event number 10" not in html
    more = client.get(url + "?page=2&partial=timeline", HTTP_HX_REQUEST="true").content.decode()
    assert "Event number 10" in more and "<html" not in more


def test_colleague_and_other_dealer_get_404_hq_403(shop: Shop) -> None:
    customer = registered(shop, shop.alice)
    other = make_shop()
    url = reverse("leads:customer-detail", args=[customer.pk])
    edit = reverse("leads:customer-edit", args=[customer.pk])
    for user in (shop.bob, other.alice, other.manager):
        client = session_client(user)
        assert client.get(url).status_code == 404
        assert client.get(edit).status_code == 404
        assert client.post(edit, card_form(customer, last_name="Hacked")).status_code == 404
    assert session_client(shop.manager).get(url).status_code == 200
    rm = hq_user("hq_regional_manager", regions=[shop.dealer.region])
    assert session_client(rm).get(url).status_code == 403
    with as_dealer(shop.dealer):
        assert Customer.objects.get().last_name == "Schmidt"


def test_guessing_ids_finds_nothing(shop: Shop) -> None:
    ids = [
        registered(shop, shop.alice, name=f"Kunde {i}", phone=f"030 123456{i}").pk for i in range(3)
    ]
    client = session_client(shop.bob)
    for pk in [*ids, max(ids) + 1, 999999]:
        assert client.get(reverse("leads:customer-detail", args=[pk])).status_code == 404


# --- edit -----------------------------------------------------------------------------------------


def test_edit_normalises_and_records_consent(shop: Shop) -> None:
    customer = registered(shop, shop.alice)
    models = list(VehicleModel.objects.order_by("pk")[:2])
    client = session_client(shop.alice)
    url = reverse("leads:customer-edit", args=[customer.pk])
    data = card_form(
        customer,
        phone="+49 (0)30 123-4567",
        email=" Anna@Example.COM ",
        city="Berlin",
        budget="35000",
        payment="lease",
        trade_in="Golf 2015",
        consent_email="on",
        consent_sms="on",
        models_of_interest=[m.pk for m in models],
    )
    response = client.post(url, data)
    assert response.status_code == 302, text_of(response.content.decode())
    with as_dealer(shop.dealer):
        customer.refresh_from_db()
        assert customer.phone == "+49301234567" and customer.email == "anna@example.com"
        assert customer.budget == Decimal("35000.00") and customer.payment == "lease"
        assert customer.consent_email_at is not None and customer.consent_sms_at is not None
        assert customer.consent_phone_at is None
        first_given = customer.consent_email_at
        assert set(
            CustomerModelInterest.objects.filter(customer=customer).values_list(
                "vehicle_model_id", flat=True
            )
        ) == {m.pk for m in models}
    # Saving again with e-mail still ticked keeps the date; unticking SMS clears it.
    data.pop("consent_sms")
    assert client.post(url, data).status_code == 302
    with as_dealer(shop.dealer):
        customer.refresh_from_db()
        assert customer.consent_email_at == first_given
        assert customer.consent_sms_at is None
        lines = list(
            TimelineEvent.objects.filter(customer=customer, kind="consent").values_list(
                "summary", flat=True
            )
        )
    assert any("SMS withdrawn" in line for line in lines)
    assert any("e-mail given" in line for line in lines)


def test_edit_with_bad_phone_changes_nothing(shop: Shop) -> None:
    customer = registered(shop, shop.alice)
    before = snapshot(shop)
    response = session_client(shop.alice).post(
        reverse("leads:customer-edit", args=[customer.pk]),
        card_form(customer, phone="12", last_name="Changed"),
        follow=True,
    )
    assert response.redirect_chain[-1][1] == 303  # back to the card's form, a GET
    assert "is not a valid phone number" in text_of(response.content.decode())
    assert snapshot(shop) == before


def test_edit_to_another_customers_phone_is_refused(shop: Shop) -> None:
    registered(shop, shop.alice, name="Other Person", phone="030 7654321")
    customer = registered(shop, shop.alice)
    before = snapshot(shop)
    response = session_client(shop.alice).post(
        reverse("leads:customer-edit", args=[customer.pk]),
        card_form(customer, phone="030 765 4321"),
        follow=True,
    )
    assert response.redirect_chain[-1][1] == 303
    assert "already has this phone number" in text_of(response.content.decode())
    assert snapshot(shop) == before


def test_company_card(shop: Shop) -> None:
    with as_dealer(shop.dealer):
        result = register_contact(
            dealer=shop.dealer,
            actor=shop.alice,
            kind="phone",
            source_code="fleet",
            name="Muster Logistik GmbH",
            customer_kind="company",
            email="fleet@muster.de",
        )
    customer = result.customer
    assert customer is not None
    assert (
        customer.company_name == "Muster Logistik GmbH"
        and customer.display_name == customer.company_name
    )


# --- create ---------------------------------------------------------------------------------------


def test_new_customer_page_creates_a_card(shop: Shop) -> None:
    client = session_client(shop.alice)
    response = client.post(
        reverse("leads:customer-add"),
        {
            "kind": "person",
            "first_name": "Jan",
            "last_name": "Novak",
            "phone": "0151 23456789",
            "consent_phone": "on",
            "country": "DE",
        },
    )
    assert response.status_code == 302
    with as_dealer(shop.dealer):
        customer = Customer.objects.get()
    assert customer.phone == "+4915123456789" and customer.owner == shop.alice
    assert customer.consent_phone_at is not None


def test_new_customer_duplicate_of_colleague_shows_only_conflict(shop: Shop) -> None:
    registered(shop, shop.alice, email="secret@example.com")
    before = snapshot(shop)
    response = session_client(shop.bob).post(
        reverse("leads:customer-add"),
        {"kind": "person", "last_name": "Whoever", "phone": "+49301234567", "country": "DE"},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Already served by Alice Able" in text_of(html)
    assert "secret@example.com" not in html and "Schmidt" not in html
    assert snapshot(shop) == before


def test_new_customer_duplicate_of_own_opens_the_card(shop: Shop) -> None:
    customer = registered(shop, shop.alice)
    response = session_client(shop.alice).post(
        reverse("leads:customer-add"),
        {"kind": "person", "last_name": "Schmidt", "phone": "030/1234567", "country": "DE"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("leads:customer-detail", args=[customer.pk])


# --- list -----------------------------------------------------------------------------------------


def test_consultant_lists_own_customers_manager_all(shop: Shop) -> None:
    registered(shop, shop.alice, name="Anna Alicekundin")
    registered(shop, shop.bob, name="Bert Bobkunde", phone="030 7654321")
    alice = table_html(session_client(shop.alice).get(reverse("leads:customers")))
    assert "Alicekundin" in alice and "Bobkunde" not in alice
    manager = table_html(session_client(shop.manager).get(reverse("leads:customers")))
    assert "Alicekundin" in manager and "Bobkunde" in manager
    by_owner = table_html(
        session_client(shop.manager).get(reverse("leads:customers") + f"?owner={shop.bob.pk}")
    )
    assert "Bobkunde" in by_owner and "Alicekundin" not in by_owner


@pytest.mark.parametrize(
    "query", ["Schmidt", "anna schmidt", "030 1234567", "+49 30 123 4567", "1234567", "anna@ex"]
)
def test_search_by_name_phone_or_email(shop: Shop, query: str) -> None:
    registered(shop, shop.alice, email="anna@example.com")
    registered(shop, shop.alice, name="Otto Other", phone="040 999888")
    html = table_html(session_client(shop.alice).get(reverse("leads:customers"), {"q": query}))
    assert "Schmidt" in html and "Other" not in html


def test_list_query_count_does_not_grow(shop: Shop) -> None:
    client = session_client(shop.manager)
    url = reverse("leads:customers")
    with as_dealer(shop.dealer):
        for _ in range(3):
            CustomerFactory(dealer=shop.dealer, owner=shop.alice)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    with as_dealer(shop.dealer):
        for _ in range(20):
            CustomerFactory(dealer=shop.dealer, owner=shop.bob)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


# --- merge ----------------------------------------------------------------------------------------


def _sales_history(shop: Shop, customer: Customer, lead: Lead) -> None:
    trim = Trim.objects.select_related("vehicle_model").first()
    assert trim is not None
    now = timezone.now()
    with as_dealer(shop.dealer):
        car = DemoVehicle.objects.create(
            dealer=shop.dealer, vehicle_model=trim.vehicle_model, vin="WAUZZZ8V0KA000001"
        )
        sales_models.TestDrive.objects.create(
            dealer=shop.dealer,
            lead=lead,
            customer=customer,
            vehicle=car,
            consultant=shop.bob,
            starts_at=now,
            ends_at=now + dt.timedelta(minutes=30),
        )
        quote = Quote.objects.create(
            dealer=shop.dealer,
            lead=lead,
            customer=customer,
            price_version=PriceListVersion.objects.first(),
            trim=trim,
            created_by=shop.bob,
        )
        Order.objects.create(
            dealer=shop.dealer,
            quote=quote,
            lead=lead,
            customer=customer,
            consultant=shop.bob,
            total=Decimal("30000"),
            ordered_at=now,
        )
        FollowUp.objects.create(
            dealer=shop.dealer,
            lead=lead,
            customer=customer,
            owner=shop.bob,
            kind="callback",
            due_at=now,
        )


def test_manager_merges_duplicates_keeping_all_history(shop: Shop) -> None:
    survivor = registered(shop, shop.alice, name="Anna Schmidt", phone="030 1234567")
    duplicate = registered(
        shop, shop.bob, name="Anna Schmitt", phone="0151 23456789", email="anna@example.com"
    )
    with as_dealer(shop.dealer):
        dup_lead = Lead.objects.get(customer=duplicate)
        _sales_history(shop, duplicate, dup_lead)
        OwnershipClaim.objects.create(
            dealer=shop.dealer,
            customer=duplicate,
            claimant=shop.alice,
            current_owner=shop.bob,
            reason="same person",
        )
        counts = {
            m: m.objects.filter(customer=duplicate).count()
            for m in (Lead, Visit, TimelineEvent, FollowUp, sales_models.TestDrive, Quote, Order)
        }
    assert all(counts.values())
    client = session_client(shop.manager)
    url = reverse("leads:customer-merge", args=[survivor.pk])
    page = client.get(url + f"?duplicate={duplicate.pk}").content.decode()
    assert 'data-testid="merge-compare"' in page
    response = client.post(url, {"duplicate": duplicate.pk, "confirm": "on"})
    assert response.status_code == 302
    with as_dealer(shop.dealer):
        duplicate.refresh_from_db()
        survivor.refresh_from_db()
        assert duplicate.merged_into_id == survivor.pk
        for model, n in counts.items():
            assert model.objects.filter(customer=duplicate).count() == 0, model
            assert model.objects.filter(customer=survivor).count() >= n, model
        assert OwnershipClaim.objects.get().customer_id == survivor.pk
        # Survivor keeps its own data and gains what it lacked.
        assert survivor.last_name == "Schmidt" and survivor.owner == shop.alice
        assert survivor.email == "anna@example.com"
        assert survivor.phone_alt == "+4915123456789"
        assert TimelineEvent.objects.filter(customer=survivor, kind="merge").exists()
    entry = AuditEntry.objects.get(action=AuditAction.BULK_CHANGE)
    assert entry.detail["operation"] == "merge_customers"
    assert entry.detail["duplicate_id"] == duplicate.pk and entry.count >= sum(counts.values())
    # The old card's address leads to the survivor; the old phone finds the survivor.
    old = client.get(reverse("leads:customer-detail", args=[duplicate.pk]))
    assert old.status_code == 302
    assert old["Location"] == reverse("leads:customer-detail", args=[survivor.pk])
    with as_dealer(shop.dealer):
        again = register_contact(
            dealer=shop.dealer,
            actor=shop.alice,
            kind="phone",
            source_code="phone",
            name="Anna",
            phone="0151 23456789",
        )
    assert again.customer is not None and again.customer.pk == survivor.pk


def test_merge_refuses_bad_targets_and_consultants(shop: Shop) -> None:
    survivor = registered(shop, shop.alice)
    other = make_shop()
    foreign = registered(other, other.alice, phone="030 7654321")
    client = session_client(shop.manager)
    url = reverse("leads:customer-merge", args=[survivor.pk])
    before = snapshot(shop)
    for target in (foreign.pk, survivor.pk, 999999):
        response = client.post(url, {"duplicate": target, "confirm": "on"}, follow=True)
        assert response.redirect_chain[-1][1] == 303
        assert "No other customer of this dealer has this number" in text_of(
            response.content.decode()
        )
    assert client.post(url, {"duplicate": foreign.pk}).status_code == 303  # confirm missing
    assert snapshot(shop) == before
    assert session_client(shop.alice).get(url).status_code == 403
    assert session_client(other.manager).get(url).status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.BULK_CHANGE).exists()
    with as_dealer(other.dealer):
        assert Customer.objects.get().merged_into_id is None


def test_pool_customers_are_visible_to_every_consultant(shop: Shop) -> None:
    customer = registered(shop, shop.alice)
    url = reverse("leads:customer-detail", args=[customer.pk])
    assert session_client(shop.bob).get(url).status_code == 404
    with as_dealer(shop.dealer):
        Lead.objects.filter(customer=customer).update(in_pool=True, consultant=None)
        Customer.objects.filter(pk=customer.pk).update(owner=None, owner_since=None)
    response = session_client(shop.bob).get(url)
    assert response.status_code == 200
    assert "Not assigned to a consultant" in text_of(response.content.decode())
