"""Roles and what each may do: the role table of DESIGN.md as code, one place.

Rights are capabilities (strings). A dealer role's capabilities apply inside its dealer; an HQ
role's apply across the dealers in its scope (regions for a regional manager, all for HQ admin).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DealerRole(models.TextChoices):
    CONSULTANT = "consultant", _("Sales consultant")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    DEALER_MANAGER = "dealer_manager", _("Dealer manager")
    SERVICE_ADVISOR = "service_advisor", _("Service advisor")
    TECHNICIAN = "technician", _("Technician")
    PARTS_CLERK = "parts_clerk", _("Parts clerk")
    DEALER_ADMIN = "dealer_admin", _("Dealer admin")


class Cap:
    """Capability names (kept as constants so a typo is an AttributeError, not a silent no)."""

    SALES_OWN = "sales.own"  # work own customers and leads
    SALES_ALL = "sales.all"  # see and work every lead of the dealer
    SALES_APPROVE = "sales.approve"  # discounts, lost leads, claims
    SALES_REASSIGN = "sales.reassign"
    PLAN_SPLIT = "plans.split"
    SERVICE = "service.work"
    PARTS = "parts.work"
    STAFF_MANAGE = "staff.manage"  # own dealer's staff and roles
    STAFF_DEPARTURE = "staff.departure"
    UNLOCK = "security.unlock"  # one half of dual-control unlock (two colleagues)
    UNLOCK_ALONE = "security.unlock_alone"  # admins unlock alone
    AUDIT_VIEW = "audit.view"
    KPI_DEALER = "kpi.dealer"
    KPI_NETWORK = "kpi.network"
    NETWORK_ADMIN = "network.admin"  # dealers, regions, users, bulletins, prices, plans
    LABOUR_RATES = "prices.labour_rates"  # the dealer's own labour rates, within HQ's bounds
    # HQ logistics / aftersales: confirm and ship dealers' parts orders, allocate vehicles
    LOGISTICS = "network.logistics"
    STOCK_APPROVE = "parts.approve"  # approve a stock count's differences (the dealer's managers)


DEALER_ROLE_CAPS: dict[str, frozenset[str]] = {
    DealerRole.CONSULTANT: frozenset({Cap.SALES_OWN}),
    DealerRole.SALES_MANAGER: frozenset(
        {
            Cap.SALES_OWN,
            Cap.SALES_ALL,
            Cap.SALES_APPROVE,
            Cap.SALES_REASSIGN,
            Cap.PLAN_SPLIT,
            Cap.KPI_DEALER,
            Cap.UNLOCK,
        }
    ),
    DealerRole.DEALER_MANAGER: frozenset(
        {
            Cap.SALES_OWN,
            Cap.SALES_ALL,
            Cap.SALES_APPROVE,
            Cap.SALES_REASSIGN,
            Cap.PLAN_SPLIT,
            Cap.KPI_DEALER,
            Cap.STAFF_DEPARTURE,
            Cap.UNLOCK,
            Cap.LABOUR_RATES,
            Cap.STOCK_APPROVE,
        }
    ),
    DealerRole.SERVICE_ADVISOR: frozenset({Cap.SERVICE, Cap.UNLOCK}),
    DealerRole.TECHNICIAN: frozenset({Cap.SERVICE}),
    DealerRole.PARTS_CLERK: frozenset({Cap.PARTS}),
    DealerRole.DEALER_ADMIN: frozenset(
        {
            Cap.STAFF_MANAGE,
            Cap.STAFF_DEPARTURE,
            Cap.SALES_REASSIGN,
            Cap.UNLOCK,
            Cap.UNLOCK_ALONE,
            Cap.AUDIT_VIEW,
            Cap.LABOUR_RATES,
        }
    ),
}

HQ_ROLE_CAPS: dict[str, frozenset[str]] = {
    "hq_regional_manager": frozenset({Cap.KPI_NETWORK, Cap.KPI_DEALER}),
    # Parts orders, vehicle allocation and campaigns across the whole network: stock and orders,
    # never a customer's personal data (HQ audiences exclude it) nor sales KPIs.
    "hq_logistics": frozenset({Cap.LOGISTICS}),
    "hq_admin": frozenset(
        {
            Cap.KPI_NETWORK,
            Cap.KPI_DEALER,
            Cap.NETWORK_ADMIN,
            Cap.STAFF_MANAGE,
            Cap.UNLOCK,
            Cap.UNLOCK_ALONE,
            Cap.AUDIT_VIEW,
            Cap.STAFF_DEPARTURE,
            Cap.SALES_REASSIGN,
        }
    ),
}

# Roles whose accounts must use a second factor whatever the dealer's setting.
ALWAYS_2FA_DEALER_ROLES = frozenset({DealerRole.DEALER_ADMIN})
