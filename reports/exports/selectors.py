"""Who may export what: the same scope rules as the KPI dashboards, and the export jobs a user
may see. Anything outside the caller's scope is simply not found (the views answer 404 alike for
a missing and a forbidden id).

- Cap.KPI_DEALER: the dealer the user works in (dealer managers, sales managers);
- Cap.KPI_NETWORK: every dealer of the regions in the user's scope (regional managers: their
  regions; HQ admins: all) — `Access.dealer_ids`, resolved by the tenancy middleware;
- export jobs (not tenant rows, like the audit log): only their requester, and only while every
  dealer of the job is still in the requester's scope.
"""

from __future__ import annotations

from django.db.models import QuerySet

from dealers.models import Dealer, Region
from dealers.roles import Cap
from dealers.selectors import Access
from reports.models import ExportJob


def can_export_dealer_kpis(access: Access) -> bool:
    return access.can(Cap.KPI_DEALER) or access.can(Cap.KPI_NETWORK)


def can_export_network(access: Access) -> bool:
    return access.can(Cap.KPI_NETWORK) and access.is_hq


def exportable_dealers(access: Access) -> QuerySet[Dealer]:
    """Dealers whose KPIs the caller may export: the ones in the request scope. Dealer staff
    have one (the dealer they work in); HQ their regions' dealers, or all."""
    if not can_export_dealer_kpis(access) or not access.dealer_ids:
        return Dealer.objects.none()
    return Dealer.objects.filter(pk__in=access.dealer_ids).select_related("region").order_by("code")


def exportable_regions(access: Access) -> QuerySet[Region]:
    if not can_export_network(access):
        return Region.objects.none()
    return Region.objects.filter(dealers__pk__in=access.dealer_ids).distinct().order_by("name")


def jobs_for(access: Access) -> QuerySet[ExportJob]:
    """The caller's own export jobs whose dealers are all still in their scope."""
    if access.user_id is None:
        return ExportJob.objects.none()
    return ExportJob.objects.filter(requested_by_id=access.user_id).filter(
        dealer_ids__contained_by=list(access.dealer_ids)
    )
