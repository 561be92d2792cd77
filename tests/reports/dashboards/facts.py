"""Test data for the KPI dashboards: plan versions and targets, and fact rows written directly
(KpiDay plus the matching KpiMonth and KpiFunnelMonth sums, as the rollup would), so every
expected number can be computed by hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F
from django.utils import timezone

from dealers.models import Dealer, Region
from dms.tenancy.context import as_dealer
from inventory.models import VehicleModel
from leads.models import LeadSource
from reports.models import (
    FUNNEL_MEASURES,
    MEASURES,
    ConsultantTarget,
    KpiDay,
    KpiFunnelMonth,
    KpiMonth,
    KpiRun,
    PlanTarget,
    PlanVersion,
)
from tests.factories import DealerFactory, RegionFactory, hq_user, staff


def model(code: str) -> VehicleModel:
    return VehicleModel.objects.get(code=code)


def source(code: str) -> LeadSource:
    return LeadSource.objects.get(code=code)


def add_facts(
    dealer: Dealer,
    day: dt.date,
    *,
    consultant: Any = None,
    source: LeadSource | None = None,
    vehicle_model: VehicleModel | None = None,
    **measures: int,
) -> KpiDay:
    """One KpiDay row, and its measures added to the dealer's KpiMonth row of that month (and
    the funnel's to its KpiFunnelMonth row)."""
    unknown = set(measures) - set(MEASURES)
    assert not unknown, f"unknown measures {unknown}"
    with as_dealer(dealer):
        row = KpiDay.objects.create(
            dealer=dealer,
            day=day,
            consultant=consultant,
            source=source,
            vehicle_model=vehicle_model,
            **measures,
        )
        month, _created = KpiMonth.objects.get_or_create(
            dealer=dealer, month=day.replace(day=1), vehicle_model=vehicle_model
        )
        if measures:
            KpiMonth.objects.filter(pk=month.pk).update(
                **{name: F(name) + value for name, value in measures.items()}
            )
        funnel = {name: value for name, value in measures.items() if name in FUNNEL_MEASURES}
        if any(funnel.values()):
            funnel_month, _created = KpiFunnelMonth.objects.get_or_create(
                dealer=dealer,
                month=day.replace(day=1),
                consultant=consultant,
                source=source,
                vehicle_model=vehicle_model,
            )
            KpiFunnelMonth.objects.filter(pk=funnel_month.pk).update(
                **{name: F(name) + value for name, value in funnel.items()}
            )
    return row


def rolled_through(day: dt.date, *, dealer_ids: list[int] | None = None) -> KpiRun:
    """Record a completed rollup run whose facts are complete through `day` (what the pages show
    as "figures as of"); network-wide unless `dealer_ids`."""
    now = timezone.now()
    return KpiRun.objects.create(
        kind=KpiRun.Kind.RANGE,
        dealer_ids=dealer_ids,
        start=day.replace(month=1, day=1),
        end=day,
        through=day,
        started_at=now,
        finished_at=now,
    )


def plan_version(year: int, number: int) -> PlanVersion:
    return PlanVersion.objects.create(year=year, number=number, note=f"v{number}")


def plan(
    dealer: Dealer,
    version: PlanVersion,
    metric: str,
    targets: dict[int, int],
    *,
    vehicle_model: str = "X4",
) -> None:
    """Targets per month (month -> count) for one metric and model."""
    with as_dealer(dealer):
        for month, target in targets.items():
            PlanTarget.objects.create(
                dealer=dealer,
                version=version,
                month=month,
                vehicle_model=model(vehicle_model),
                metric=metric,
                target=target,
            )


def split(
    dealer: Dealer, version: PlanVersion, month: int, metric: str, targets: dict[Any, int]
) -> None:
    with as_dealer(dealer):
        for consultant, target in targets.items():
            ConsultantTarget.objects.create(
                dealer=dealer,
                version=version,
                month=month,
                metric=metric,
                consultant=consultant,
                target=target,
            )


@dataclass
class Network:
    """Region North (dealers A and B) and South (dealer C); a regional manager of North only,
    an HQ admin, a dealer manager, a sales manager and two consultants at A."""

    north: Region
    south: Region
    a: Dealer
    b: Dealer
    c: Dealer
    manager: Any
    sales_manager: Any
    alice: Any
    bob: Any
    carol: Any  # consultant at B
    regional: Any
    hq_admin: Any
    extra: dict[str, Any] = field(default_factory=dict)


def build_network() -> Network:
    north = RegionFactory(code="north", name="North")
    south = RegionFactory(code="south", name="South")
    a = DealerFactory(code="DA01", name="Alpha Motors", region=north)
    b = DealerFactory(code="DB02", name="Beta Cars", region=north)
    c = DealerFactory(code="DC03", name="Gamma Auto", region=south)
    return Network(
        north=north,
        south=south,
        a=a,
        b=b,
        c=c,
        manager=staff(a, "dealer_manager", username="a_manager"),
        sales_manager=staff(a, "sales_manager", username="a_sales_manager"),
        alice=staff(a, "consultant", username="alice", first_name="Alice", last_name="Adams"),
        bob=staff(a, "consultant", username="bob", first_name="Bob", last_name="Brown"),
        carol=staff(b, "consultant", username="carol", first_name="Carol", last_name="Clark"),
        regional=hq_user("hq_regional_manager", [north], username="rm_north"),
        hq_admin=hq_user("hq_admin", username="hq_boss"),
    )
