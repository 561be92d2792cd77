"""Reads of sales plans, always limited by the active tenant scope.

PlanVersion is HQ data without a dealer column; what a user may see of a version are its
PlanTargets, which are tenant rows: a regional manager's scope holds their regions' dealers, a
dealer manager's their own dealer. A version with no target in scope is not visible (except to
HQ network admins, who see every version).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max, QuerySet, Sum

from dealers.clock import dealer_today
from dealers.models import Dealer, Membership
from dealers.roles import Cap, DealerRole
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


# --- what a split editor may change -------------------------------------------------------------

Cell = tuple[int, int]  # (consultant user id, month)


def active_split_memberships(dealer: Dealer) -> list[Membership]:
    """The dealer's active consultants (membership and account active), by name."""
    return list(
        Membership.objects.filter(
            dealer=dealer, role=DealerRole.CONSULTANT, is_active=True, user__is_active=True
        )
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    )


@dataclass(frozen=True)
class SplitPerson:
    """A row of the split grid: an active consultant, or someone who holds saved targets of this
    split but is no longer an active consultant (left, deactivated, another role)."""

    user: Any
    active: bool
    left_on: dt.date | None  # last working day, when known (Membership.leaving_on)

    @property
    def pk(self) -> int:
        return int(self.user.pk)

    @property
    def name(self) -> str:
        return str(self.user.get_full_name() or self.user.get_username())

    def works_in(self, year: int, month: int) -> bool:
        """Employed for at least part of the month (unknown leaving date: yes)."""
        return self.left_on is None or dt.date(year, month, 1) <= self.left_on

    def may_hold(self, year: int, month: int) -> bool:
        """May get a target for the month: an active consultant not gone by its first day."""
        return self.active and self.works_in(year, month)


@dataclass
class SplitFrame:
    """The saved split of one metric in one version, and what a save may change of it.

    Months that are over (before the dealer's current local month) and already split are
    *closed*: every row is kept as saved. In the other months active consultants are edited;
    rows of people who can no longer hold a target are *kept* when they worked part of a month
    that has started (the current month), else they are *orphaned*: a save drops them, so their
    targets must be re-assigned to the remaining consultants."""

    year: int
    metric: str
    today: dt.date
    plan: dict[int, int]
    people: list[SplitPerson]
    saved: dict[Cell, int]
    closed: set[int]
    kept: dict[Cell, int]
    orphaned: dict[Cell, int]

    def started(self, month: int) -> bool:
        return (self.year, month) <= (self.today.year, self.today.month)

    def over(self, month: int) -> bool:
        return (self.year, month) < (self.today.year, self.today.month)

    @property
    def open_months(self) -> list[int]:
        return [m for m in range(1, 13) if m not in self.closed]

    def person(self, uid: int) -> SplitPerson | None:
        return next((p for p in self.people if p.pk == uid), None)

    def eligible(self, month: int) -> list[int]:
        """Who may get a target in an open month, in grid order."""
        if month in self.closed:
            return []
        return [p.pk for p in self.people if p.may_hold(self.year, month)]

    def editable(self, uid: int, month: int) -> bool:
        person = self.person(uid)
        return month not in self.closed and person is not None and person.may_hold(self.year, month)

    def editable_cells(self) -> list[Cell]:
        return [(uid, m) for m in self.open_months for uid in self.eligible(m)]

    def kept_sum(self, month: int) -> int:
        return sum(v for (_uid, m), v in self.kept.items() if m == month)

    def remaining(self, month: int) -> int:
        """The part of the month's plan that the editable cells must add up to."""
        return self.plan.get(month, 0) - self.kept_sum(month)

    def saved_editable(self) -> dict[Cell, int]:
        return {key: v for key, v in self.saved.items() if self.editable(*key)}


def split_frame(
    *, dealer: Dealer, version: PlanVersion, metric: str, today: dt.date | None = None
) -> SplitFrame:
    """Read the split of one metric with the rules of what may change (call in the dealer's
    scope). `today` defaults to the dealer's local date."""
    today = today or dealer_today(dealer)
    year = version.year
    saved = split_cells(dealer=dealer, version=version, metric=metric)
    people = [SplitPerson(m.user, True, m.leaving_on) for m in active_split_memberships(dealer)]
    listed = {p.pk for p in people}
    others = sorted({uid for uid, _m in saved} - listed)
    if others:
        from django.contrib.auth import get_user_model

        leaving = dict(
            Membership.objects.filter(dealer=dealer, user_id__in=others).values_list(
                "user_id", "leaving_on"
            )
        )
        users = get_user_model().objects.filter(pk__in=others)
        gone = [SplitPerson(u, False, leaving.get(u.pk)) for u in users]
        gone.sort(key=lambda p: (p.user.last_name, p.user.first_name, p.user.get_username()))
        people += gone
    by_pk = {p.pk: p for p in people}
    frame = SplitFrame(
        year=year,
        metric=metric,
        today=today,
        plan=dealer_plan_by_month(dealer=dealer, version=version, metric=metric),
        people=people,
        saved=saved,
        closed=set(),
        kept={},
        orphaned={},
    )
    frame.closed = {m for _uid, m in saved if frame.over(m)}
    for (uid, month), value in saved.items():
        person = by_pk[uid]
        if month in frame.closed:
            frame.kept[(uid, month)] = value
        elif person.may_hold(year, month):
            continue  # edited
        elif frame.started(month) and person.works_in(year, month):
            frame.kept[(uid, month)] = value
        else:
            frame.orphaned[(uid, month)] = value
    return frame


def carry_over_source(*, dealer: Dealer, version: PlanVersion, metric: str) -> PlanVersion | None:
    """The latest earlier version of the same year with this dealer's split of `metric`, when
    `version` has none yet (else None)."""
    splits = ConsultantTarget.objects.filter(dealer=dealer, metric=metric)
    if splits.filter(version=version).exists():
        return None
    return (
        PlanVersion.objects.filter(
            year=version.year,
            number__lt=version.number,
            pk__in=splits.values("version_id"),
        )
        .order_by("-number")
        .first()
    )


def monthly_delivery_plan(
    vehicle_model_id: int, dealer_ids: Sequence[int], day: dt.date
) -> dict[int, int]:
    """Per dealer: the deliveries of a model the current plan of `day`'s year expects in its
    month. A count for HQ's allocation rule (inventory.vehicles.demand), read in a read-only
    scope over exactly these dealers."""
    from dms.tenancy.context import as_dealers

    version = current_version(day.year)
    if version is None or not dealer_ids:
        return {}
    with as_dealers(dealer_ids):
        rows = (
            PlanTarget.objects.filter(
                version=version,
                dealer_id__in=list(dealer_ids),
                month=day.month,
                vehicle_model_id=vehicle_model_id,
                metric=Metric.DELIVERIES,
            )
            .values("dealer_id")
            .order_by()
            .annotate(n=Sum("target"))
            .values_list("dealer_id", "n")
        )
        return dict(rows)
