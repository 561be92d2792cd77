"""The sales manager's approvals inbox: lost requests (this module), ownership claims
(leads.selectors.claims.pending_claims) and discounts (sales.selectors.pending_discounts), each
oldest first. Call inside the dealer's tenant scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from dealers.models import Dealer
from leads.models import Lead

INBOX_LIMIT = 50


def pending_lost(*, dealer: Dealer | int) -> QuerySet[Lead]:
    dealer_id = dealer.pk if isinstance(dealer, Dealer) else int(dealer)
    return (
        Lead.objects.filter(dealer_id=dealer_id, is_open=True, lost_requested_at__isnull=False)
        .select_related("customer", "consultant", "lost_reason", "lost_requested_by")
        .order_by("lost_requested_at", "id")
    )


@dataclass
class Inbox:
    lost: list[Lead] = field(default_factory=list)
    claims: list[Any] = field(default_factory=list)
    discounts: list[Any] = field(default_factory=list)
    claims_available: bool = True
    discounts_available: bool = True

    @property
    def total(self) -> int:
        return len(self.lost) + len(self.claims) + len(self.discounts)


def approval_inbox(*, dealer: Dealer) -> Inbox:
    """Everything waiting for the sales manager: three queries, each bounded."""
    inbox = Inbox(lost=list(pending_lost(dealer=dealer)[:INBOX_LIMIT]))
    try:
        from leads.selectors.claims import pending_claims
    except ImportError:  # pragma: no cover - claims ship with the customers module
        inbox.claims_available = False
    else:
        inbox.claims = list(pending_claims(dealer=dealer)[:INBOX_LIMIT])
    try:
        from sales.selectors import pending_discounts
    except ImportError:  # pragma: no cover - discounts ship with the sales module
        inbox.discounts_available = False
    else:
        inbox.discounts = list(pending_discounts(dealer=dealer)[:INBOX_LIMIT])
    return inbox
