"""Reads about ownership claims: the managers' pending list (approvals inbox) and a consultant's
own claims."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from dealers.models import Dealer
from dealers.roles import Cap
from dealers.selectors import Access
from leads.models import OwnershipClaim


def pending_claims(*, dealer: Dealer | int) -> QuerySet[OwnershipClaim]:
    """Claims waiting for the sales manager's decision, oldest first. Call inside the dealer's
    tenant scope (H7's approvals inbox does)."""
    dealer_id: int = dealer if isinstance(dealer, int) else dealer.pk
    return (
        OwnershipClaim.objects.filter(dealer_id=dealer_id, status=OwnershipClaim.Status.PENDING)
        .select_related("customer", "claimant", "current_owner", "customer__owner")
        .order_by("created_at", "id")
    )


def claims_of(*, user: Any) -> QuerySet[OwnershipClaim]:
    """A consultant's own claims (any status), newest first. They show the customer's name the
    claimant typed anyway, never more of the card until approved."""
    return (
        OwnershipClaim.objects.filter(claimant_id=user.pk)
        .select_related("customer", "current_owner", "decided_by")
        .order_by("-created_at", "-id")
    )


def claims_visible_to(access: Access) -> QuerySet[OwnershipClaim]:
    """Claims a caller may look up by id: all of the dealer for approvers, own ones otherwise."""
    qs = OwnershipClaim.objects.select_related("customer", "claimant", "current_owner")
    if access.can(Cap.SALES_APPROVE):
        return qs
    if access.can(Cap.SALES_OWN) and access.user_id is not None:
        return qs.filter(claimant_id=access.user_id)
    return qs.none()
