"""The approvals inbox (lost requests, claims, discounts) and notifications."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dms.audit.models import AuditEntry
from dms.tenancy.context import as_dealer
from leads.models import Notification
from leads.selectors.approvals import approval_inbox
from leads.services import leads as svc
from tests.leads._funnel import (  # noqa: F401
    Shop,
    max_sql_fixture,
    other_shop_fixture,
    shop_fixture,
    signed_in_fixture,
)

pytestmark = pytest.mark.django_db


def test_inbox_collects_lost_requests_claims_and_discounts(shop: Shop, other_shop: Shop):
    lead = shop.lead(shop.alice)
    foreign = other_shop.lead(other_shop.alice)
    with as_dealer(shop.dealer):
        svc.request_lost(lead=lead, actor=shop.alice, reason="price")
    with as_dealer(other_shop.dealer):
        svc.request_lost(lead=foreign, actor=other_shop.alice, reason="price")
    with as_dealer(shop.dealer):
        inbox = approval_inbox(dealer=shop.dealer)
        assert inbox.lost == [lead]
        assert inbox.claims_available and inbox.discounts_available
        from leads.models import OwnershipClaim

        claim = OwnershipClaim.objects.create(
            dealer=shop.dealer,
            customer=lead.customer,
            claimant=shop.bob,
            current_owner=shop.alice,
            reason="Knows me",
        )
        assert approval_inbox(dealer=shop.dealer).claims == [claim]
        assert approval_inbox(dealer=shop.dealer).total == 2


def test_inbox_page_for_approvers_only_and_cheap(shop: Shop, signed_in, max_sql):
    for _ in range(3):
        lead = shop.lead(shop.alice)
        with as_dealer(shop.dealer):
            svc.request_lost(lead=lead, actor=shop.alice, reason="postponed")
    assert signed_in(shop.alice).get(reverse("leads:approvals")).status_code == 403
    manager = signed_in(shop.manager)
    manager.get(reverse("leads:approvals"))
    with max_sql(8):
        page = manager.get(reverse("leads:approvals"))
    assert page.status_code == 200
    assert page.content.decode().count("data-lead=") == 3


def test_decision_from_inbox_is_audited_and_notifies_requester(shop: Shop, signed_in):
    lead = shop.lead(shop.alice)
    with as_dealer(shop.dealer):
        svc.request_lost(lead=lead, actor=shop.alice, reason="price")
        assert Notification.objects.filter(user=shop.manager, kind="approval").count() == 1
    manager = signed_in(shop.manager)
    response = manager.post(
        reverse("leads:lead_action", args=[lead.pk, "lost-decision"]),
        {"decision": "reject", "note": "Try again in spring", "next": reverse("leads:approvals")},
    )
    assert response.status_code == 302 and response["Location"] == reverse("leads:approvals")
    with as_dealer(shop.dealer):
        lead.refresh_from_db()
        assert lead.is_open and lead.lost_requested_at is None
        assert Notification.objects.filter(user=shop.alice, kind="decision").count() == 1
    entry = AuditEntry.objects.get(action="lost_rejected", object_id=str(lead.pk))
    assert entry.actor == shop.manager and entry.dealer_id == shop.dealer.pk
    # deciding again: nothing waiting, clear error, nothing changed
    response = manager.post(
        reverse("leads:lead_action", args=[lead.pk, "lost-decision"]), {"decision": "approve"}
    )
    assert response.status_code == 303  # back to the lead's page, which says why
    page = manager.get(response["Location"]).content.decode()
    assert page.count("There is no lost request waiting") == 1  # no form now: a message says it
    with as_dealer(shop.dealer):
        lead.refresh_from_db()
        assert lead.is_open


def test_notifications_list_open_and_badge(shop: Shop, other_shop: Shop, signed_in, max_sql):
    lead = shop.lead(shop.alice)
    with as_dealer(shop.dealer):
        Notification.objects.create(
            dealer=shop.dealer,
            user=shop.alice,
            kind="follow_up",
            text="Call Mrs Smith",
            url=reverse("leads:lead_detail", args=[lead.pk]),
        )
        evil = Notification.objects.create(
            dealer=shop.dealer, user=shop.alice, kind="x", text="Evil", url="https://evil.example/"
        )
        bobs = Notification.objects.create(
            dealer=shop.dealer, user=shop.bob, kind="x", text="Bob's"
        )
    client = signed_in(shop.alice)
    html = client.get(reverse("leads:notifications")).content.decode()
    assert "Call Mrs Smith" in html and "Bob&#x27;s" not in html
    badge = client.get(reverse("leads:notifications_count")).content.decode()
    assert ">2<" in badge
    mine = Notification
    with as_dealer(shop.dealer):
        first = mine.objects.get(text="Call Mrs Smith")
    response = client.post(reverse("leads:notification_open", args=[first.pk]))
    assert response["Location"] == reverse("leads:lead_detail", args=[lead.pk])
    response = client.post(reverse("leads:notification_open", args=[evil.pk]))
    assert response["Location"] == reverse("leads:notifications")
    assert client.post(reverse("leads:notification_open", args=[bobs.pk])).status_code == 404
    with max_sql(8):
        assert client.get(reverse("leads:notifications_count")).status_code == 200
    client.post(reverse("leads:notifications_read_all"))
    with as_dealer(shop.dealer):
        assert mine.objects.filter(user=shop.alice, read_at__isnull=True).count() == 0
        assert mine.objects.filter(user=shop.bob, read_at__isnull=True).count() == 1
    # another dealer's staff never see them
    assert (
        signed_in(other_shop.alice)
        .post(reverse("leads:notification_open", args=[first.pk]))
        .status_code
        == 404
    )


def test_context_processor_is_lazy_and_bounded(shop: Shop, rf):
    from dealers.selectors import access_for
    from leads.context_processors import unread_notifications

    request = rf.get("/")
    request.user = shop.alice
    request.access = access_for(shop.alice)
    with as_dealer(shop.dealer):
        for i in range(120):
            Notification.objects.create(dealer=shop.dealer, user=shop.alice, kind="x", text=str(i))
        context = unread_notifications(request)
        assert context["unread_notifications"]() == 100  # 99+ cap
