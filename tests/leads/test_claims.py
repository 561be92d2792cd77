"""Ownership claims: a consultant who met a colleague's customer files a claim (seeing only who
serves them); the sales manager approves (customer, open leads, open follow-ups move in one
transaction, audited, on the timeline) or rejects (nothing moves, audited)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dms.audit.models import AuditAction, AuditEntry
from dms.tenancy.context import as_dealer
from leads.models import Customer, FollowUp, Lead, Notification, OwnershipClaim, TimelineEvent
from leads.selectors.claims import pending_claims
from leads.services.claims import decide_claim, file_claim
from leads.services.customers import register_contact
from tests.api.support import session_client
from tests.factories import OwnershipClaimFactory
from tests.leads._funnel import Shop, make_shop
from tests.ui.helpers import text_of

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def shop() -> Shop:
    return make_shop()


def alices_customer(shop: Shop) -> Customer:
    with as_dealer(shop.dealer):
        result = register_contact(
            dealer=shop.dealer,
            actor=shop.alice,
            kind="walk_in",
            source_code="walk_in",
            name="Anna Schmidt",
            phone="030 1234567",
        )
        assert result.customer is not None
        return result.customer


def conflict_token(shop: Shop, actor: Any) -> str:
    with as_dealer(shop.dealer):
        result = register_contact(
            dealer=shop.dealer,
            actor=actor,
            kind="phone",
            source_code="phone",
            name="Anna",
            phone="+49 30 1234567",
        )
    assert result.conflict is not None
    return result.conflict.claim_token


def pending_claim(shop: Shop) -> tuple[Customer, OwnershipClaim]:
    customer = alices_customer(shop)
    with as_dealer(shop.dealer):
        claim = file_claim(customer=customer, claimant=shop.bob, reason="She asked for me")
    return customer, claim


# --- filing ---------------------------------------------------------------------------------------


def test_consultant_files_a_claim_from_the_conflict_panel(shop: Shop) -> None:
    customer = alices_customer(shop)
    token = conflict_token(shop, shop.bob)
    response = session_client(shop.bob).post(
        reverse("leads:claim-file"), {"token": token, "reason": "Customer asked for me"}, **HX
    )
    assert response.status_code == 200
    assert 'data-testid="claim-sent"' in response.content.decode()
    with as_dealer(shop.dealer):
        claim = OwnershipClaim.objects.get()
        assert (claim.customer_id, claim.claimant, claim.current_owner) == (
            customer.pk,
            shop.bob,
            shop.alice,
        )
        assert claim.status == "pending"
        assert Customer.objects.get().owner == shop.alice
        assert TimelineEvent.objects.filter(customer=customer, kind="claim").exists()


def test_claim_needs_a_reason_and_creates_nothing_without(shop: Shop) -> None:
    alices_customer(shop)
    token = conflict_token(shop, shop.bob)
    response = session_client(shop.bob).post(
        reverse("leads:claim-file"), {"token": token, "reason": "   "}, **HX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="claim-form"' in html and "Already served by Alice Able" in text_of(html)
    with as_dealer(shop.dealer):
        assert OwnershipClaim.objects.count() == 0


def test_forged_or_borrowed_tokens_are_not_found(shop: Shop) -> None:
    alices_customer(shop)
    token = conflict_token(shop, shop.bob)
    other = make_shop()
    for client, tok in (
        (session_client(shop.bob), token + "x"),
        (session_client(shop.manager), token),  # issued to Bob, not the manager
        (session_client(other.alice), token),  # another dealer
    ):
        response = client.post(reverse("leads:claim-file"), {"token": tok, "reason": "mine"})
        assert response.status_code == 404
    with as_dealer(shop.dealer):
        assert OwnershipClaim.objects.count() == 0


def test_second_pending_claim_is_refused(shop: Shop) -> None:
    customer, _claim = pending_claim(shop)
    with as_dealer(shop.dealer), pytest.raises(ValidationError) as exc:
        file_claim(customer=customer, claimant=shop.bob, reason="again")
    assert "already have a claim" in exc.value.messages[0]
    with as_dealer(shop.dealer):
        assert OwnershipClaim.objects.count() == 1


def test_cannot_claim_own_customer(shop: Shop) -> None:
    customer = alices_customer(shop)
    with as_dealer(shop.dealer), pytest.raises(ValidationError):
        file_claim(customer=customer, claimant=shop.alice, reason="mine")


# --- deciding -------------------------------------------------------------------------------------


def test_manager_approves_customer_leads_and_follow_ups_move(shop: Shop) -> None:
    customer, claim = pending_claim(shop)
    with as_dealer(shop.dealer):
        lead = Lead.objects.get(customer=customer)
        FollowUp.objects.create(
            dealer=shop.dealer,
            lead=lead,
            customer=customer,
            owner=shop.alice,
            kind="callback",
            due_at=lead.created_at,
        )
        closed = Lead.objects.create(
            dealer=shop.dealer,
            customer=customer,
            consultant=shop.alice,
            source=lead.source,
            is_open=False,
            stage="lost",
            closed_at=lead.created_at,
        )
    response = session_client(shop.manager).post(
        reverse("leads:claim-approve", args=[claim.pk]), {"note": "ok"}
    )
    assert response.status_code == 302
    with as_dealer(shop.dealer):
        claim.refresh_from_db()
        customer.refresh_from_db()
        assert claim.status == "approved" and claim.decided_by == shop.manager
        assert customer.owner == shop.bob
        assert Lead.objects.get(pk=lead.pk).consultant == shop.bob
        assert Lead.objects.get(pk=closed.pk).consultant == shop.alice  # history stays
        assert set(
            FollowUp.objects.filter(customer=customer, done_at__isnull=True).values_list(
                "owner_id", flat=True
            )
        ) == {shop.bob.pk}
        line = TimelineEvent.objects.filter(customer=customer, kind="ownership").first()
        assert line is not None
        assert "Ownership moved from Alice Able to Bob Baker" in line.summary
        assert Notification.objects.filter(user=shop.bob, kind="claim_decided").exists()
        assert Notification.objects.filter(user=shop.alice, kind="customer_moved").exists()
    entry = AuditEntry.objects.get(action=AuditAction.PERMISSION_CHANGE)
    assert entry.actor == shop.manager and entry.dealer_id == shop.dealer.pk
    assert entry.detail["decision"] == "approved"
    assert entry.detail["moved_leads"] == 1 and entry.detail["moved_follow_ups"] >= 1
    # Views follow ownership: Bob opens the card, Alice no longer can.
    url = reverse("leads:customer-detail", args=[customer.pk])
    assert session_client(shop.bob).get(url).status_code == 200
    assert session_client(shop.alice).get(url).status_code == 404


def test_manager_rejects_nothing_moves(shop: Shop) -> None:
    customer, claim = pending_claim(shop)
    response = session_client(shop.manager).post(
        reverse("leads:claim-reject", args=[claim.pk]), {"note": "Alice keeps her"}
    )
    assert response.status_code == 302
    with as_dealer(shop.dealer):
        claim.refresh_from_db()
        customer.refresh_from_db()
        assert claim.status == "rejected" and claim.decision_note == "Alice keeps her"
        assert customer.owner == shop.alice
        assert set(Lead.objects.values_list("consultant_id", flat=True)) == {shop.alice.pk}
    entry = AuditEntry.objects.get(action=AuditAction.PERMISSION_CHANGE)
    assert entry.detail["decision"] == "rejected"
    assert (
        session_client(shop.bob)
        .get(reverse("leads:customer-detail", args=[customer.pk]))
        .status_code
        == 404
    )


def test_claims_are_decided_once(shop: Shop) -> None:
    _customer, claim = pending_claim(shop)
    with as_dealer(shop.dealer):
        decide_claim(claim=claim, actor=shop.manager, approve=False)
        with pytest.raises(ValidationError):
            decide_claim(claim=claim, actor=shop.manager, approve=True)
        assert Customer.objects.get().owner == shop.alice
    assert AuditEntry.objects.filter(action=AuditAction.PERMISSION_CHANGE).count() == 1


def test_consultants_cannot_decide_and_other_dealers_get_404(shop: Shop) -> None:
    _customer, claim = pending_claim(shop)
    for who in (shop.alice, shop.bob):
        response = session_client(who).post(reverse("leads:claim-approve", args=[claim.pk]))
        assert response.status_code == 403
    other = make_shop()
    response = session_client(other.manager).post(reverse("leads:claim-approve", args=[claim.pk]))
    assert response.status_code == 404
    with as_dealer(shop.dealer):
        claim.refresh_from_db()
        assert claim.status == "pending"
        assert Customer.objects.get().owner == shop.alice
    assert not AuditEntry.objects.filter(action=AuditAction.PERMISSION_CHANGE).exists()


def test_a_manager_cannot_approve_their_own_claim(shop: Shop) -> None:
    customer = alices_customer(shop)
    with as_dealer(shop.dealer):
        claim = file_claim(customer=customer, claimant=shop.manager, reason="mine")
        with pytest.raises(ValidationError):
            decide_claim(claim=claim, actor=shop.manager, approve=True)
        assert Customer.objects.get().owner == shop.alice


def test_approving_one_claim_rejects_the_other_pending_ones(shop: Shop) -> None:
    customer, claim = pending_claim(shop)
    carol = make_shop_consultant(shop)
    with as_dealer(shop.dealer):
        other = OwnershipClaimFactory(customer=customer, claimant=carol)
        decide_claim(claim=claim, actor=shop.manager, approve=True)
        other.refresh_from_db()
        assert other.status == "rejected"


def make_shop_consultant(shop: Shop) -> Any:
    from tests.factories import staff

    return staff(shop.dealer, "consultant", first_name="Carol", last_name="Cole")


# --- lists ----------------------------------------------------------------------------------------


def test_pending_claims_selector_and_pages(shop: Shop) -> None:
    customer, claim = pending_claim(shop)
    with as_dealer(shop.dealer):
        assert list(pending_claims(dealer=shop.dealer)) == [claim]
    manager_html = session_client(shop.manager).get(reverse("leads:claims")).content.decode()
    assert 'data-testid="pending-claim"' in manager_html
    assert "Anna Schmidt" in text_of(manager_html)
    assert reverse("leads:claim-approve", args=[claim.pk]) in manager_html
    bob_html = session_client(shop.bob).get(reverse("leads:claims")).content.decode()
    assert "She asked for me" in bob_html
    assert "shown once approved" in text_of(bob_html)
    assert "Anna Schmidt" not in bob_html
    assert 'data-testid="pending-claim"' not in bob_html
    assert reverse("leads:customer-detail", args=[customer.pk]) not in bob_html


def test_pages_render_claims_without_an_owner(shop: Shop) -> None:
    with as_dealer(shop.dealer):
        customer = Customer.objects.create(
            dealer=shop.dealer, last_name="Ownerless", phone="+4930999"
        )
        OwnershipClaimFactory(customer=customer, claimant=shop.bob, current_owner=None)
    assert session_client(shop.manager).get(reverse("leads:claims")).status_code == 200
    assert session_client(shop.bob).get(reverse("leads:claims")).status_code == 200
