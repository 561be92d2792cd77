"""Reads for the landing dashboard: one small summary per role, all limited to the caller's scope.

Dealer staff see their own dealer only (the request's tenant scope, entered again explicitly
here so these reads are safe outside a request too); HQ users see the dealers of their regions
(regional manager) or the whole network (HQ admin) through dealers.selectors.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Q

from dealers.clock import dealer_today
from dealers.handover.selectors import still_holding
from dealers.models import Dealer, Membership, Region, StaffAbsence
from dealers.roles import DealerRole
from dealers.selectors import active_colleagues, dealers_visible_to, regions_for
from dms.tenancy.context import as_dealer

from .navigation import NavItem, VisibleItem, items_for, navigation_for

LEAVING_SOON_DAYS = 30


class Kind:
    """Which dashboard a user lands on."""

    NONE = "none"
    CONSULTANT = "consultant"
    MANAGER = "manager"
    SERVICE = "service"
    PARTS = "parts"
    DEALER_ADMIN = "dealer_admin"
    HQ_REGIONAL = "hq_regional"
    HQ_ADMIN = "hq_admin"
    HQ_LOGISTICS = "hq_logistics"


_KIND_BY_ROLE = {
    DealerRole.CONSULTANT: Kind.CONSULTANT,
    DealerRole.SALES_MANAGER: Kind.MANAGER,
    DealerRole.DEALER_MANAGER: Kind.MANAGER,
    DealerRole.SERVICE_ADVISOR: Kind.SERVICE,
    DealerRole.TECHNICIAN: Kind.SERVICE,
    DealerRole.PARTS_CLERK: Kind.PARTS,
    DealerRole.DEALER_ADMIN: Kind.DEALER_ADMIN,
    "hq_regional_manager": Kind.HQ_REGIONAL,
    "hq_admin": Kind.HQ_ADMIN,
    "hq_logistics": Kind.HQ_LOGISTICS,
}


def dashboard_kind(access: Any) -> str:
    if not access.user_id or not (access.is_hq or access.membership is not None):
        return Kind.NONE
    return _KIND_BY_ROLE.get(access.role, Kind.NONE)


@dataclass(frozen=True)
class RoleCount:
    role: str
    label: str
    count: int


@dataclass
class TeamSummary:
    total: int = 0
    present_today: int = 0
    by_role: list[RoleCount] = field(default_factory=list)
    absent_today: list[StaffAbsence] = field(default_factory=list)
    # Each with `.still_holds`: what they hold (dealers.handover.selectors.Book), None once
    # their book has been handed over.
    leaving_soon: list[Membership] = field(default_factory=list)

    @property
    def handover_pending(self) -> bool:
        """Someone leaving soon still holds customers, leads or follow-ups."""
        return any(getattr(m, "still_holds", None) for m in self.leaving_soon)


def team_summary(*, dealer: Dealer, today: dt.date) -> TeamSummary:
    members = list(active_colleagues(dealer=dealer).order_by("user__last_name", "user__first_name"))
    with as_dealer(dealer):
        absent = list(
            StaffAbsence.objects.filter(
                starts_on__lte=today, ends_on__gte=today, membership__is_active=True
            )
            .select_related("membership__user")
            .order_by("ends_on", "membership__user__last_name")
        )
    absent_ids = {a.membership_id for a in absent}
    leaving = [
        m
        for m in members
        if m.leaving_on and today <= m.leaving_on <= today + dt.timedelta(LEAVING_SOON_DAYS)
    ]
    with as_dealer(dealer):
        holding = still_holding(dealer=dealer, user_ids=[m.user_id for m in leaving])
    for member in leaving:
        member.still_holds = holding.get(member.user_id)  # type: ignore[attr-defined]
    counts = Counter(m.role for m in members)
    labels = dict(DealerRole.choices)
    return TeamSummary(
        total=len(members),
        present_today=sum(1 for m in members if m.is_present and m.pk not in absent_ids),
        by_role=[
            RoleCount(role=role, label=str(labels[role]), count=counts[role])
            for role in DealerRole.values
            if counts[role]
        ],
        absent_today=absent,
        leaving_soon=leaving,
    )


def my_absences(*, membership: Membership, today: dt.date, limit: int = 5) -> list[StaffAbsence]:
    with as_dealer(membership.dealer_id):
        return list(
            StaffAbsence.objects.filter(membership=membership, ends_on__gte=today).order_by(
                "starts_on"
            )[:limit]
        )


@dataclass(frozen=True)
class RegionRow:
    region: Region
    dealers: int
    active_dealers: int


def regions_overview(user: Any) -> list[RegionRow]:
    """The caller's regions with their dealer counts (only dealers the caller may see)."""
    visible = dealers_visible_to(user)
    regions = (
        regions_for(user)
        .annotate(
            n_dealers=Count("dealers", filter=Q(dealers__in=visible), distinct=True),
            n_active=Count(
                "dealers", filter=Q(dealers__in=visible, dealers__is_active=True), distinct=True
            ),
        )
        .order_by("name")
    )
    return [RegionRow(region=r, dealers=r.n_dealers, active_dealers=r.n_active) for r in regions]


@dataclass(frozen=True)
class NetworkSummary:
    regions: int
    dealers: int
    active_dealers: int
    dealer_staff: int
    hq_users: list[RoleCount]
    dealers_without_admin: list[Dealer]


def network_summary(user: Any) -> NetworkSummary:
    """HQ admin's view of the whole network's directory data (no tenant rows)."""
    dealers = dealers_visible_to(user)
    hq_counts = dict(
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(hq_role="")
        .values_list("hq_role")
        .annotate(n=Count("id"))
    )
    from dms.accounts.models import HqRole

    with_admin = Membership.objects.filter(
        role=DealerRole.DEALER_ADMIN, is_active=True, user__is_active=True
    ).values("dealer_id")
    return NetworkSummary(
        regions=regions_for(user).count(),
        dealers=dealers.count(),
        active_dealers=dealers.filter(is_active=True).count(),
        dealer_staff=Membership.objects.filter(
            dealer__in=dealers, is_active=True, user__is_active=True
        ).count(),
        hq_users=[
            RoleCount(role=value, label=str(label), count=hq_counts.get(value, 0))
            for value, label in HqRole.choices
        ],
        dealers_without_admin=list(
            dealers.filter(is_active=True).exclude(pk__in=with_admin).order_by("code")[:10]
        ),
    )


def built_modules(access: Any) -> list[VisibleItem]:
    """The modules this user can open now (menu entries other than the dashboard itself)."""
    return [
        entry
        for section in navigation_for(access)
        for entry in section.items
        if not entry.coming_soon and entry.key != "dashboard"
    ]


def coming_modules(access: Any) -> list[NavItem]:
    """The modules this user will get that are not built yet (from the one navigation list)."""
    return [item for item in items_for(access) if item.coming_soon]


@dataclass(frozen=True)
class KpiTile:
    """This month's plan attainment for the home dashboard: the dealer's own (dealer and sales
    managers) or the total of the caller's dealers (HQ), with a link to the full dashboard."""

    as_of: dt.date | None
    period_start: dt.date
    metrics: list[Any]  # reports.dashboards.selectors.MetricKpi
    dealers: int
    status_counts: dict[str, int]
    url_name: str


def kpi_tile(access: Any) -> KpiTile | None:
    """None for users without KPI rights (or without any dealer in scope). Runs inside the
    request's tenant scope (a handful of grouped queries, whatever the number of dealers)."""
    from dealers.roles import Cap
    from reports.dashboards.selectors import METRICS, as_of_date, network_kpis

    if access.is_hq:
        if not access.can(Cap.KPI_NETWORK):
            return None
        url_name = "reports:kpi_network"
    elif access.can(Cap.KPI_DEALER) and access.dealer is not None:
        url_name = "reports:kpi_dashboard"
    else:
        return None
    ids = list(access.dealer_ids)
    if not ids:
        return None
    as_of = as_of_date(ids)
    day = as_of or dealer_today(access.dealer)
    data = network_kpis(ids, year=day.year, month=day.month, as_of=as_of)
    return KpiTile(
        as_of=as_of,
        period_start=day.replace(day=1),
        metrics=[data.total.metrics[m] for m in METRICS],
        dealers=data.total.dealers,
        status_counts=data.total.status_counts,
        url_name=url_name,
    )
