"""Reads about the network: who may act where. Every answer is limited to the caller's rights."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user

from .models import Dealer, Membership, Region
from .roles import DEALER_ROLE_CAPS, HQ_ROLE_CAPS


@dataclass(frozen=True)
class Access:
    """What one user may do in this request: resolved once by the tenancy middleware."""

    user_id: int | None = None
    dealer: Dealer | None = None  # the dealer being worked in (staff) or drilled into (HQ)
    membership: Membership | None = None
    role: str = ""
    dealer_ids: tuple[int, ...] = ()  # readable dealers
    writable: bool = False  # may change the dealers' tenant rows (staff only, never HQ)
    capabilities: frozenset[str] = field(default_factory=frozenset)
    other_dealers: tuple[Dealer, ...] = ()  # further dealers the user may switch to

    def can(self, capability: str) -> bool:
        return capability in self.capabilities

    @property
    def is_hq(self) -> bool:
        return self.role.startswith("hq_")


NO_ACCESS = Access()


def regions_for(user: Any) -> QuerySet[Region]:
    if user.hq_role == "hq_admin":
        return Region.objects.all()
    if user.hq_role == "hq_regional_manager":
        return get_objects_for_user(
            user, "dealers.view_region_kpis", klass=Region, accept_global_perms=False
        )
    return Region.objects.none()


def dealers_visible_to(user: Any) -> QuerySet[Dealer]:
    """Dealers whose data the user may read: own memberships, or HQ scope."""
    if not user.is_authenticated:
        return Dealer.objects.none()
    if user.hq_role == "hq_admin":
        return Dealer.objects.all()
    if user.hq_role == "hq_regional_manager":
        return Dealer.objects.filter(region__in=regions_for(user))
    return Dealer.objects.filter(
        memberships__user=user, memberships__is_active=True, is_active=True
    )


def access_for(user: Any, requested_dealer_id: int | None = None) -> Access:
    if not user.is_authenticated or not user.is_active:
        return NO_ACCESS
    if user.hq_role:
        dealers = list(dealers_visible_to(user).only("id", "code", "name"))
        ids = tuple(d.pk for d in dealers)
        chosen = next((d for d in dealers if d.pk == requested_dealer_id), None)
        return Access(
            user_id=user.pk,
            dealer=chosen,
            role=user.hq_role,
            dealer_ids=ids,
            writable=False,
            capabilities=HQ_ROLE_CAPS[user.hq_role],
        )
    memberships = list(
        Membership.objects.filter(user=user, is_active=True, dealer__is_active=True)
        .select_related("dealer")
        .order_by("dealer__code")
    )
    if not memberships:
        return Access(user_id=user.pk)
    current = next((m for m in memberships if m.dealer_id == requested_dealer_id), memberships[0])
    return Access(
        user_id=user.pk,
        dealer=current.dealer,
        membership=current,
        role=current.role,
        dealer_ids=(current.dealer_id,),
        writable=True,
        capabilities=DEALER_ROLE_CAPS.get(current.role, frozenset()),
        other_dealers=tuple(m.dealer for m in memberships if m.pk != current.pk),
    )


def active_colleagues(*, dealer: Dealer, role: str | None = None) -> QuerySet[Membership]:
    qs = Membership.objects.filter(dealer=dealer, is_active=True, user__is_active=True)
    if role:
        qs = qs.filter(role=role)
    return qs.select_related("user")
