"""Reads of sales plans, always limited by the active tenant scope.

PlanVersion is HQ data without a dealer column; what a user may see of a version are its
PlanTargets, which are tenant rows: a regional manager's scope holds their regions' dealers, a
dealer manager's their own dealer. A version with no target in scope is not visible (except to
HQ network admins, who see every version).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max, QuerySet, Sum

from dealers.models import Dealer
from dealers.roles import Cap
from dealers.selectors import Access
from reports.models import ConsultantTarget, Metric, PlanTarget, PlanVersion


def visible_versions(access: Access) -> QuerySet[PlanVersion]:
    qs = PlanVersion.objects.select_related("uploaded_by").order_by("-year", "-number")
    if access.can(Cap.NETWORK_ADMIN):
        return qs
    if not access.dealer_ids:
        return qs.none()
    in_scope = PlanTarget.objects.filter(dealer_id__in=access.dealer_ids).values("version_id")
    return qs.filter(pk__in=in_scope)


def current_numbers() -> dict[int, int]:
    """Year -> number of its current (highest) version."""
    return dict(
        PlanVersion.objects.values("year").annotate(n=Max("number")).values_list("year", "n")
    )


def current_version(year: int) -> PlanVersion | None:
    return PlanVersion.objects.filter(year=year).order_by("-number").first()


def previous_version(version: PlanVersion) -> PlanVersion | None:
    return (
        PlanVersion.objects.filter(year=version.year, number__lt=version.number)
        .order_by("-number")
        .first()
    )


def _targets(
    version: PlanVersion,
    *,
    dealer_ids: tuple[int, ...],
    dealer: Dealer | None = None,
    region_id: int | None = None,
    model_id: int | None = None,
) -> QuerySet[PlanTarget]:
    qs = PlanTarget.objects.filter(version=version, dealer_id__in=dealer_ids)
    if dealer is not None:
        qs = qs.filter(dealer=dealer)
    if region_id is not None:
        qs = qs.filter(dealer__region_id=region_id)
    if model_id is not None:
        qs = qs.filter(vehicle_model_id=model_id)
    return qs


def metric_month_totals(version: PlanVersion, **filters: Any) -> dict[str, list[int]]:
    """Metric -> twelve monthly totals (within the filters)."""
    totals = {m: [0] * 12 for m in Metric.values}
    rows = (
        _targets(version, **filters)
        .values("metric", "month")
        .annotate(total=Sum("target"))
        .values_list("metric", "month", "total")
    )
    for metric, month, total in rows:
        totals[metric][month - 1] = total or 0
    return totals


@dataclass
class DealerRow:
    dealer_id: int
    code: str
    name: str
    region: str
    months: list[int] = field(default_factory=lambda: [0] * 12)
    previous: int | None = None  # total in the previous version (None: not in it)

    @property
    def total(self) -> int:
        return sum(self.months)

    @property
    def change(self) -> int | None:
        return None if self.previous is None else self.total - self.previous


@dataclass
class VersionGrid:
    metric: str
    rows: list[DealerRow]
    month_totals: list[int]
    previous: PlanVersion | None
    previous_total: int | None

    @property
    def total(self) -> int:
        return sum(self.month_totals)

    @property
    def change(self) -> int | None:
        return None if self.previous_total is None else self.total - self.previous_total


def version_grid(version: PlanVersion, *, metric: str, **filters: Any) -> VersionGrid:
    """Per dealer x month totals of one metric (all models unless filtered), with each dealer's
    total in the previous version of the year for the diff."""
    dealers: dict[int, DealerRow] = {}
    rows = (
        _targets(version, **filters)
        .filter(metric=metric)
        .values("dealer_id", "dealer__code", "dealer__name", "dealer__region__name", "month")
        .annotate(total=Sum("target"))
        .order_by("dealer__code", "month")
    )
    for r in rows:
        row = dealers.get(r["dealer_id"])
        if row is None:
            row = dealers[r["dealer_id"]] = DealerRow(
                r["dealer_id"], r["dealer__code"], r["dealer__name"], r["dealer__region__name"]
            )
        row.months[r["month"] - 1] = r["total"] or 0
    previous = previous_version(version)
    previous_total = None
    if previous is not None:
        prev = dict(
            _targets(previous, **filters)
            .filter(metric=metric)
            .values("dealer_id")
            .annotate(total=Sum("target"))
            .values_list("dealer_id", "total")
        )
        for dealer_id, row in dealers.items():
            row.previous = prev.get(dealer_id)
        previous_total = sum(prev.values())
    month_totals = [sum(r.months[i] for r in dealers.values()) for i in range(12)]
    return VersionGrid(metric, list(dealers.values()), month_totals, previous, previous_total)


def scope_dealer_count(version: PlanVersion, *, dealer_ids: tuple[int, ...]) -> int:
    return (
        PlanTarget.objects.filter(version=version, dealer_id__in=dealer_ids)
        .values("dealer_id")
        .distinct()
        .count()
    )


def dealer_plan_by_month(*, dealer: Dealer, version: PlanVersion, metric: str) -> dict[int, int]:
    """The dealer's plan of one metric per month, all models summed (months without rows: 0)."""
    plan = dict.fromkeys(range(1, 13), 0)
    rows = (
        PlanTarget.objects.filter(dealer=dealer, version=version, metric=metric)
        .values("month")
        .annotate(total=Sum("target"))
        .values_list("month", "total")
    )
    for month, total in rows:
        plan[month] = total or 0
    return plan


def split_cells(*, dealer: Dealer, version: PlanVersion, metric: str) -> dict[tuple[int, int], int]:
    """The saved split of one metric: (consultant id, month) -> target."""
    return {
        (uid, month): target
        for uid, month, target in ConsultantTarget.objects.filter(
            dealer=dealer, version=version, metric=metric
        ).values_list("consultant_id", "month", "target")
    }


def split_status(*, dealer: Dealer, version: PlanVersion) -> dict[str, int]:
    """Metric -> number of split rows saved (0: not split yet)."""
    counts: dict[str, int] = defaultdict(int)
    for metric in ConsultantTarget.objects.filter(dealer=dealer, version=version).values_list(
        "metric", flat=True
    ):
        counts[metric] += 1
    return {m: counts.get(m, 0) for m in Metric.values}
