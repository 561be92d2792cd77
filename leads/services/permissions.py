"""What a user may do at a dealer, for services that enforce approval rights themselves
(defence in depth: views check request.access first)."""

from __future__ import annotations

from typing import Any

from dealers.models import Membership
from dealers.roles import DEALER_ROLE_CAPS, Cap, DealerRole


def dealer_caps(user: Any, dealer_id: int) -> frozenset[str]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    role = (
        Membership.objects.filter(user=user, dealer_id=dealer_id, is_active=True)
        .values_list("role", flat=True)
        .first()
    )
    return DEALER_ROLE_CAPS.get(role or "", frozenset())


def actor_can(user: Any, dealer_id: int, capability: str) -> bool:
    return capability in dealer_caps(user, dealer_id)


SELLING_ROLES = [DealerRole.CONSULTANT, DealerRole.SALES_MANAGER, DealerRole.DEALER_MANAGER]
APPROVER_ROLES = [r for r, caps in DEALER_ROLE_CAPS.items() if Cap.SALES_APPROVE in caps]


def approver_ids(dealer_id: int) -> list[int]:
    """Active sales/dealer managers of the dealer: they get escalations and approval requests."""
    return list(
        Membership.objects.filter(
            dealer_id=dealer_id, role__in=APPROVER_ROLES, is_active=True, user__is_active=True
        )
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def can_hold_leads(user: Any, dealer_id: int) -> bool:
    """Active staff with their own customers (consultants and the managers who also sell)."""
    return actor_can(user, dealer_id, Cap.SALES_OWN)
