"""Reads about the network: who may act where. Every answer is limited to the caller's rights."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user

from .models import Dealer, Membership, Region, StaffAbsence
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


# HQ roles that work across every dealer (regional managers see their regions only).
NETWORK_WIDE_HQ_ROLES = frozenset({"hq_admin", "hq_logistics"})


def regions_for(user: Any) -> QuerySet[Region]:
    if user.hq_role in NETWORK_WIDE_HQ_ROLES:
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
    if user.hq_role in NETWORK_WIDE_HQ_ROLES:
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
        dealers = list(dealers_visible_to(user).only("id", "code", "name", "timezone"))
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


# --- request access, staff directory, absences (network pages and API) ----------------------


def request_access(request: Any) -> Access:
    """The Access the tenancy middleware put on the request (NO_ACCESS when anonymous)."""
    return getattr(request, "access", NO_ACCESS)


def staff_of_dealer(*, dealer: Dealer, role: str | None = None) -> QuerySet[Membership]:
    """Every membership (active or not) of one dealer, for its staff list."""
    qs = Membership.objects.filter(dealer=dealer).select_related("user", "dealer")
    if role:
        qs = qs.filter(role=role)
    return qs.order_by("-is_active", "user__last_name", "user__first_name", "user__username")


def memberships_manageable_by(access: Access) -> QuerySet[Membership]:
    """Memberships the caller may change: all for HQ network admins, their own dealer's for a
    dealer's staff manager, none otherwise. Others' ids simply are not in it (404 alike)."""
    from .roles import Cap

    if access.can(Cap.NETWORK_ADMIN):
        return Membership.objects.select_related("user", "dealer")
    if access.can(Cap.STAFF_MANAGE) and access.writable and access.dealer is not None:
        return Membership.objects.filter(dealer=access.dealer).select_related("user", "dealer")
    return Membership.objects.none()


def absence_memberships(access: Access) -> QuerySet[Membership]:
    """Staff members an absence may be recorded for: active memberships of the dealers in the
    caller's scope (one dealer for dealer staff)."""
    return (
        Membership.objects.filter(dealer_id__in=access.dealer_ids, is_active=True)
        .select_related("user", "dealer")
        .order_by("user__last_name", "user__first_name", "user__username")
    )


def absences_in_scope() -> QuerySet[StaffAbsence]:
    """Absences of the dealers of the active tenant scope (the scoped manager filters; raises
    without a scope)."""
    return StaffAbsence.objects.select_related("membership__user", "dealer").order_by(
        "-starts_on", "-id"
    )


def absent_membership_ids(*, dealer: Dealer, on: Any) -> set[int]:
    """Memberships of `dealer` absent on the given date (lead routing skips them). Call inside
    the dealer's scope."""
    return set(
        StaffAbsence.objects.filter(dealer=dealer, starts_on__lte=on, ends_on__gte=on).values_list(
            "membership_id", flat=True
        )
    )


def overlapping_absences(
    *, membership: Membership, starts_on: Any, ends_on: Any, exclude_id: int | None = None
) -> QuerySet[StaffAbsence]:
    qs = StaffAbsence.objects.filter(
        membership=membership, starts_on__lte=ends_on, ends_on__gte=starts_on
    )
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return qs


def region_managers(region: Region) -> QuerySet[Any]:
    """HQ users holding the per-region guardian grant `dealers.view_region_kpis`."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(
            regionuserobjectpermission__content_object=region,
            regionuserobjectpermission__permission__codename="view_region_kpis",
        )
        .order_by("username")
        .distinct()
    )
