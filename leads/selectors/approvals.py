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

# What the inbox shows of each row: fewer columns to read, parse and instantiate (a customer or
# a user row is wide; ~150 of them made the selector cost more than the page's rendering).
CUSTOMER_NAME = ("kind", "first_name", "last_name", "company_name", "phone", "email")
USER_NAME = ("first_name", "last_name", "username")


def _fields(prefix: str, names: tuple[str, ...]) -> list[str]:
    return [f"{prefix}__{name}" for name in names]


LOST_FIELDS = (
    "dealer_id",
    "customer_id",
    "consultant_id",
    "lost_reason_id",
    "lost_requested_by_id",
    "stage",
    "is_open",
    "lost_note",
    "lost_requested_at",
    *_fields("customer", CUSTOMER_NAME),
    *_fields("consultant", USER_NAME),
    *_fields("lost_reason", ("name",)),
    *_fields("lost_requested_by", USER_NAME),
)
CLAIM_FIELDS = (
    "dealer_id",
    "customer_id",
    "claimant_id",
    "current_owner_id",
    "reason",
    "status",
    "created_at",
    *_fields("customer", CUSTOMER_NAME),
    *_fields("claimant", USER_NAME),
    *_fields("current_owner", USER_NAME),
)
DISCOUNT_FIELDS = (
    "dealer_id",
    "customer_id",
    "trim_id",
    "created_by_id",
    "discount",
    "list_price",  # the discount as a share of it (Quote.discount_percent)
    "currency",
    "created_at",
    *_fields("customer", CUSTOMER_NAME),
    *_fields("trim", ("name", "vehicle_model_id")),
    *_fields("trim__vehicle_model", ("name",)),
    *_fields("created_by", USER_NAME),
)


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
    # Sections with more waiting than shown (the oldest INBOX_LIMIT are: decided ones leave the
    # list and the next come up), found by reading one row more than shown, never by counting.
    more: set[str] = field(default_factory=set)

    @property
    def total(self) -> int:
        return len(self.lost) + len(self.claims) + len(self.discounts)

    @property
    def has_more(self) -> bool:
        return bool(self.more)

    @property
    def limit(self) -> int:
        return INBOX_LIMIT


def _bounded(inbox: Inbox, section: str, rows: QuerySet[Any]) -> list[Any]:
    found = list(rows[: INBOX_LIMIT + 1])
    if len(found) > INBOX_LIMIT:
        inbox.more.add(section)
    return found[:INBOX_LIMIT]


def approval_inbox(*, dealer: Dealer) -> Inbox:
    """Everything waiting for the sales manager, oldest first: three queries, each bounded."""
    inbox = Inbox()
    inbox.lost = _bounded(inbox, "lost", pending_lost(dealer=dealer).only(*LOST_FIELDS))
    try:
        from leads.selectors.claims import pending_claims
    except ImportError:  # pragma: no cover - claims ship with the customers module
        inbox.claims_available = False
    else:
        claims = (
            pending_claims(dealer=dealer)
            .select_related(None)
            .select_related("customer", "claimant", "current_owner")
            .only(*CLAIM_FIELDS)
        )
        inbox.claims = _bounded(inbox, "claims", claims)
    try:
        from sales.selectors import pending_discounts
    except ImportError:  # pragma: no cover - discounts ship with the sales module
        inbox.discounts_available = False
    else:
        discounts = (
            pending_discounts(dealer=dealer)
            .select_related(None)
            .select_related("customer", "trim__vehicle_model", "created_by")
            .only(*DISCOUNT_FIELDS)
        )
        inbox.discounts = _bounded(inbox, "discounts", discounts)
    return inbox
