"""API for leads and follow-ups: same rules as the pages (visibility, 404/403, routing, bad input)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from dms.tenancy.context import as_dealer
from leads.models import Customer, FollowUp, Lead
from tests.factories import CustomerFactory, hq_user
from tests.leads._funnel import (  # noqa: F401
    Shop,
    other_shop_fixture,
    shop_fixture,
)

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    # the tenancy middleware reads the session user: log in for real as well
    client.force_login(user)
    return client


def test_list_is_own_plus_pool_for_consultants_all_for_managers(shop: Shop):
    mine = shop.lead(shop.alice)
    theirs = shop.lead(shop.bob)
    pooled = shop.lead(shop.bob, in_pool=True, pooled_at=timezone.now())
    ids = {row["id"] for row in api(shop.alice).get("/api/leads/").json()["results"]}
    assert ids == {mine.pk, pooled.pk}
    assert api(shop.alice).get(f"/api/leads/{theirs.pk}/").status_code == 404
    ids = {row["id"] for row in api(shop.manager).get("/api/leads/").json()["results"]}
    assert ids == {mine.pk, theirs.pk, pooled.pk}
    only_pool = api(shop.manager).get("/api/leads/", {"in_pool": "true"}).json()["results"]
    assert [r["id"] for r in only_pool] == [pooled.pk]


def test_web_lead_without_consultant_is_routed_and_customer_created(shop: Shop):
    response = api(shop.manager).post(
        "/api/leads/",
        {
            "source": "web",
            "contact": {"first_name": "Wanda", "last_name": "Web", "phone": "0151 2345 6789"},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["consultant"] in (shop.alice.pk, shop.bob.pk)
    assert body["source"] == "web" and body["first_response_due"]
    with as_dealer(shop.dealer):
        customer = Customer.objects.get(pk=body["customer"])
        assert customer.phone == "+4915123456789"
        assert customer.owner_id == body["consultant"]


def test_web_lead_for_existing_customer_goes_to_their_consultant(shop: Shop):
    with as_dealer(shop.dealer):
        known = CustomerFactory(dealer=shop.dealer, owner=shop.bob, phone="+4915199990000")
    response = api(shop.manager).post(
        "/api/leads/",
        {"source": "hq_campaign", "contact": {"last_name": "X", "phone": "+49 151 99990000"}},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["consultant"] == shop.bob.pk and response.json()["customer"] == known.pk


def test_consultant_posting_a_colleagues_customer_gets_409_without_the_card(shop: Shop):
    with as_dealer(shop.dealer):
        CustomerFactory(
            dealer=shop.dealer, owner=shop.bob, phone="+4915199990001", email="secret@example.com"
        )
    response = api(shop.alice).post(
        "/api/leads/",
        {"source": "phone", "contact": {"last_name": "Y", "phone": "015199990001"}},
        format="json",
    )
    assert response.status_code == 409
    assert "secret@example.com" not in response.content.decode()
    with as_dealer(shop.dealer):
        assert not Lead.objects.exists()


def test_create_bad_input_is_400_and_changes_nothing(shop: Shop, other_shop: Shop):
    client = api(shop.manager)
    foreign = other_shop.lead(other_shop.alice)
    for payload in (
        {"source": "smoke_signals", "contact": {"last_name": "Z", "phone": "0151 1"}},
        {"source": "web"},
        {"source": "web", "customer": foreign.customer_id},
        {"source": "web", "contact": {"last_name": "Z", "phone": "not a phone"}},
        {
            "source": "web",
            "contact": {"last_name": "Z", "phone": "015112121212"},
            "consultant": other_shop.alice.pk,
        },
    ):
        response = client.post("/api/leads/", payload, format="json")
        assert response.status_code == 400, (payload, response.content)
    with as_dealer(shop.dealer):
        assert not Lead.objects.exists() and not Customer.objects.exists()


def test_actions_follow_the_page_rules(shop: Shop, other_shop: Shop):
    lead = shop.lead(shop.alice)
    foreign = other_shop.lead(other_shop.alice)
    alice = api(shop.alice)
    assert (
        alice.post(f"/api/leads/{lead.pk}/activity/", {"kind": "call", "summary": "Hi"}).status_code
        == 200
    )
    response = alice.post(f"/api/leads/{lead.pk}/stage/", {"stage": "visited"})
    assert response.status_code == 400 and "Needs analysis" in response.content.decode()
    assert alice.post(f"/api/leads/{lead.pk}/grade/", {"grade": "O"}).status_code == 400
    assert alice.post(f"/api/leads/{lead.pk}/grade/", {"grade": "A"}).json()["grade"] == "A"
    assert (
        alice.post(
            f"/api/leads/{lead.pk}/step/", {"step": "needs_analysis", "waive": True, "reason": "x"}
        ).status_code
        == 403
    )
    assert alice.post(f"/api/leads/{lead.pk}/lost-decision/", {"approve": True}).status_code == 403
    assert alice.post(f"/api/leads/{foreign.pk}/grade/", {"grade": "A"}).status_code == 404
    assert alice.post(f"/api/leads/{lead.pk}/lost/", {"reason": "price"}).status_code == 200
    manager = api(shop.manager)
    body = manager.post(f"/api/leads/{lead.pk}/lost-decision/", {"approve": True}).json()
    assert body["stage"] == "lost" and body["is_open"] is False


def test_hq_may_not_use_the_leads_api(shop: Shop):
    lead = shop.lead(shop.alice)
    hq = api(hq_user("hq_admin"))
    assert hq.get("/api/leads/").status_code == 403
    assert hq.post(f"/api/leads/{lead.pk}/grade/", {"grade": "A"}).status_code == 403


def test_follow_ups_api(shop: Shop):
    lead = shop.lead(shop.alice)
    with as_dealer(shop.dealer):
        fu = FollowUp.objects.create(
            dealer=shop.dealer,
            lead=lead,
            customer=lead.customer,
            owner=shop.alice,
            kind="callback",
            due_at=timezone.now(),
        )
    bob = api(shop.bob)
    assert bob.get("/api/follow-ups/").json()["results"] == []
    assert bob.post(f"/api/follow-ups/{fu.pk}/complete/", {"result": "reached"}).status_code == 404
    alice = api(shop.alice)
    assert [r["id"] for r in alice.get("/api/follow-ups/", {"open": "true"}).json()["results"]] == [
        fu.pk
    ]
    bad = alice.post(
        f"/api/follow-ups/{fu.pk}/reschedule/", {"due_at": "2001-01-01T10:00:00Z", "reason": "x"}
    )
    assert bad.status_code == 400 and "due_at" in bad.json()
    later = (timezone.now() + dt.timedelta(days=2)).isoformat()
    moved = alice.post(f"/api/follow-ups/{fu.pk}/reschedule/", {"due_at": later, "reason": "Asked"})
    assert moved.status_code == 200 and moved.json()["reschedule_reason"] == "Asked"
    done = alice.post(
        f"/api/follow-ups/{fu.pk}/complete/", {"result": "appointment", "note": "Sat"}
    )
    assert done.status_code == 200 and done.json()["result"] == "appointment"
    again = alice.post(f"/api/follow-ups/{fu.pk}/complete/", {"result": "reached"})
    assert again.status_code == 400
