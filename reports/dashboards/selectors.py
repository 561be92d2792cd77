"""Reads behind the KPI dashboards (dealer dashboard, HQ network view, drill-down) and the
exports: every number already computed, in plain dataclasses (no request objects).

Sources: KpiMonth (dealer × month × model) for plan attainment, trends and the network;
KpiDay (dealer × day × consultant × source × model) only for one dealer's month (consultant
leaderboard, leads by source); the month's funnel (the cohort of the leads opened in the month
and the month's stage entries) from reports.funnel.selectors.funnel, the one place conversion
figures come from, on the facts alone (as of the rollup); PlanTarget / ConsultantTarget of the
*current* plan version (the highest version number of the year). Nothing here reads the raw
funnel tables.

Tenancy: these functions do not enter a tenant scope themselves. Call them inside one that covers
the dealers asked for (a request's scope, or `as_dealer(d)` / `as_dealers(ids)` in a task); the
dealer filters here are in addition to the scope, never instead of it.

Definitions (shown on the pages too):
- *actual*: the sum of the metric's measure (reports.models.METRIC_FIELDS) over the period's
  facts; facts exist through `as_of` (the last day the nightly rollup completed).
- *plan*: the sum of the targets of the period's months (all models).
- *attainment* = actual / plan, in percent (None without a plan).
- *plan to date* (pro-rata plan): the plan of the months already over plus the current month's
  plan × days covered by the facts / days of the month. *Pace* = actual / plan to date.
- *status* (red/amber/green): pace against the thresholds of `rag_thresholds()` (setting
  `KPI_RAG_THRESHOLDS`, default green ≥ 100 %, amber ≥ 90 %, else red; "none" without a plan).
- MTD = the selected month (through `as_of` if the month is still running); YTD = January to the
  selected month.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, Sum
from django.utils import dateformat
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer
from dms.tenancy.querysets import rows_of
from leads.models import LeadSource, Stage
from leads.reference.messages import hq_text
from reports.funnel.selectors import Funnel, funnel
from reports.models import (
    METRIC_FIELDS,
    ConsultantTarget,
    KpiDay,
    KpiMonth,
    Metric,
    PlanTarget,
    PlanVersion,
)
from reports.rollup.selectors import rolled_through

METRICS: tuple[str, ...] = tuple(m.value for m in Metric)
TREND_MONTHS = 12

GREEN = "green"
AMBER = "amber"
RED = "red"
NO_STATUS = "none"

DEFAULT_RAG_THRESHOLDS = {"green": 100.0, "amber": 90.0}
STATUS_LABELS = {
    GREEN: _("On track"),
    AMBER: _("Slightly behind"),
    RED: _("Behind plan"),
    NO_STATUS: _("No plan"),
}

# --- small helpers -------------------------------------------------------------------------------


def rag_thresholds() -> tuple[float, float]:
    """(green, amber) in percent of the pro-rata plan. Setting `KPI_RAG_THRESHOLDS`, a dict
    {"green": 100, "amber": 90}: green at or above `green`, amber at or above `amber`, else red."""
    conf = {**DEFAULT_RAG_THRESHOLDS, **getattr(settings, "KPI_RAG_THRESHOLDS", {})}
    green, amber = float(conf["green"]), float(conf["amber"])
    if amber > green:
        raise ValueError("KPI_RAG_THRESHOLDS: amber must not exceed green")
    return green, amber


def rag_status(pace: float | None) -> str:
    if pace is None:
        return NO_STATUS
    green, amber = rag_thresholds()
    if pace >= green:
        return GREEN
    if pace >= amber:
        return AMBER
    return RED


def percent(part: float, whole: float) -> float | None:
    """part / whole in percent, one decimal; None when there is nothing to compare with."""
    if not whole:
        return None
    return round(100.0 * part / whole, 1)


def month_start(year: int, month: int) -> dt.date:
    return dt.date(year, month, 1)


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def validate_period(year: int, month: int) -> None:
    if not 1 <= month <= 12:
        raise ValueError(f"month out of range: {month}")
    if not 2000 <= year <= 2100:
        raise ValueError(f"year out of range: {year}")


def metric_label(metric: str) -> str:
    return str(Metric(metric).label)


def as_of_date(dealer_ids: Iterable[int] | None = None) -> dt.date | None:
    """The last day the facts are complete up to: `reports.rollup.selectors.rolled_through()`
    (for one dealer also counting the ranged reruns that covered it). None until a rollup run
    has completed: pages then say there are no figures yet, and nothing is judged against a
    pro-rata plan. (Never MAX(KpiDay.day): over a network's year of facts that is a scan of
    millions of rows.)"""
    ids = None if dealer_ids is None else sorted(set(dealer_ids))
    if ids and len(ids) == 1:
        return rolled_through(dealer_id=ids[0])
    return rolled_through()


def current_versions(years: Iterable[int]) -> dict[int, PlanVersion]:
    """The current plan version (highest number) per year, for the years that have one."""
    found: dict[int, PlanVersion] = {}
    for version in PlanVersion.objects.filter(year__in=set(years)).order_by("year", "number"):
        found[version.year] = version  # the last (highest number) wins
    return found


@dataclass(frozen=True)
class Elapsed:
    """How much of a year the facts cover, for pro-rata plans: months before `month` are over,
    `fraction` of `month` is covered. month 0: nothing yet; month 13: the whole year."""

    month: int
    fraction: float

    @classmethod
    def of(cls, year: int, as_of: dt.date | None) -> Elapsed:
        if as_of is None or as_of.year < year:
            return cls(0, 0.0)
        if as_of.year > year:
            return cls(13, 0.0)
        days = calendar.monthrange(year, as_of.month)[1]
        return cls(as_of.month, as_of.day / days)

    def month_fraction(self, month: int) -> float:
        if month < self.month:
            return 1.0
        if month == self.month:
            return self.fraction
        return 0.0


# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One metric over one period: actual against plan."""

    actual: int
    plan: int
    plan_to_date: float  # pro-rata plan through as_of (one decimal)
    attainment: float | None  # actual / plan, percent
    pace: float | None  # actual / plan_to_date, percent
    status: str  # GREEN / AMBER / RED / NO_STATUS (from pace)

    @classmethod
    def build(cls, actual: int, plan: int, plan_to_date: float) -> Figure:
        pace = percent(actual, plan_to_date)
        return cls(
            actual=actual,
            plan=plan,
            plan_to_date=round(plan_to_date, 1),
            attainment=percent(actual, plan),
            pace=pace,
            status=rag_status(pace),
        )

    @property
    def has_plan(self) -> bool:
        return self.plan > 0

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def gap(self) -> float:
        """Actual minus plan to date (negative: behind)."""
        return round(self.actual - self.plan_to_date, 1)


@dataclass(frozen=True)
class MetricKpi:
    metric: str  # Metric value
    label: str
    mtd: Figure
    ytd: Figure

    def period(self, name: str) -> Figure:
        return self.ytd if name == "ytd" else self.mtd


@dataclass(frozen=True)
class Compliance:
    due: int
    on_time: int

    @property
    def percent(self) -> float | None:
        return percent(self.on_time, self.due)


@dataclass(frozen=True)
class FirstResponse:
    responses: int
    minutes: int

    @property
    def average_minutes(self) -> float | None:
        return round(self.minutes / self.responses, 1) if self.responses else None


@dataclass(frozen=True)
class ConsultantTargetFigure:
    metric: str
    label: str
    actual: int
    target: int
    attainment: float | None
    status: str  # against the pro-rata target, like the dealer's

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


@dataclass(frozen=True)
class ConsultantRow:
    rank: int
    consultant_id: int
    name: str
    is_active: bool
    leads: int
    test_drives: int
    orders: int
    deliveries: int
    followups: Compliance
    first_response: FirstResponse
    targets: list[ConsultantTargetFigure]  # metrics the dealer manager split (may be empty)
    # Of the leads opened for them in the month, the share that has reached Order (the cohort of
    # the month's funnel; None: none opened). Never above 100 %.
    conversion: float | None = None

    def target_for(self, metric: str) -> ConsultantTargetFigure | None:
        return next((t for t in self.targets if t.metric == metric), None)


@dataclass(frozen=True)
class SourceRow:
    source_id: int | None
    name: str
    leads: int
    share: float | None


@dataclass(frozen=True)
class TrendSeries:
    metric: str
    label: str
    actual: list[int]
    plan: list[int | None]  # None: no plan version for that month's year


@dataclass(frozen=True)
class Trend:
    months: list[dt.date]  # first days, oldest first
    series: list[TrendSeries]
    followup_percent: list[float | None]
    first_response_minutes: list[float | None]

    def chart_data(self) -> dict[str, Any]:
        """JSON-ready data for the trend charts (labels: abbreviated month and year, in the
        active language)."""
        return {
            "labels": [dateformat.format(m, "M Y") for m in self.months],
            "series": [
                {"metric": s.metric, "label": s.label, "actual": s.actual, "plan": s.plan}
                for s in self.series
            ],
            "followup_percent": self.followup_percent,
            "first_response_minutes": self.first_response_minutes,
        }


@dataclass(frozen=True)
class DealerKpis:
    dealer_id: int
    dealer_code: str
    dealer_name: str
    region_name: str
    year: int
    month: int
    as_of: dt.date | None
    plan_version: str | None  # e.g. "2026 v2"; None when the year has no plan
    days_covered: int  # days of the selected month the facts cover
    days_in_month: int
    metrics: list[MetricKpi]
    funnel: Funnel  # the month: the cohort of the leads opened, and the stage entries
    followups: Compliance  # month
    followups_ytd: Compliance
    first_response: FirstResponse  # month
    first_response_ytd: FirstResponse
    leaderboard: list[ConsultantRow]
    sources: list[SourceRow]
    trend: Trend

    @property
    def period_start(self) -> dt.date:
        return month_start(self.year, self.month)

    @property
    def period_end(self) -> dt.date:
        return month_end(self.year, self.month)

    def metric(self, metric: str) -> MetricKpi:
        return next(m for m in self.metrics if m.metric == metric)

    def chart_data(self) -> dict[str, Any]:
        return {
            "funnel": {  # the cohort: leads opened in the month that reached each stage
                "labels": [str(cell["cohort_label"]) for cell in self.funnel.total.cells],
                "counts": list(self.funnel.total.reached),
            },
            "trend": self.trend.chart_data(),
            "attainment": {
                "labels": [m.label for m in self.metrics],
                "mtd": [m.mtd.attainment for m in self.metrics],
                "ytd": [m.ytd.attainment for m in self.metrics],
            },
        }


@dataclass(frozen=True)
class DealerRow:
    dealer_id: int
    code: str
    name: str
    region_id: int
    region_name: str
    metrics: dict[str, MetricKpi]
    rank: int | None  # by the ranking metric's attainment in the ranking period
    rank_figure: Figure

    @property
    def status(self) -> str:
        return self.rank_figure.status

    @property
    def metric_list(self) -> list[MetricKpi]:
        return [self.metrics[m] for m in METRICS]


@dataclass(frozen=True)
class RegionTotal:
    region_id: int | None  # None: the whole network (of the dealers asked for)
    name: str
    dealers: int
    metrics: dict[str, MetricKpi]
    status_counts: dict[str, int]  # dealers per status of the ranking figure

    @property
    def metric_list(self) -> list[MetricKpi]:
        return [self.metrics[m] for m in METRICS]


@dataclass(frozen=True)
class NetworkKpis:
    year: int
    month: int
    as_of: dt.date | None
    plan_version: str | None
    rank_metric: str
    rank_period: str  # "mtd" | "ytd"
    thresholds: tuple[float, float]  # (green, amber)
    rows: list[DealerRow]  # ordered by rank (dealers without a plan last, by code)
    regions: list[RegionTotal]
    total: RegionTotal

    @property
    def metrics(self) -> list[tuple[str, str]]:
        return [(m, metric_label(m)) for m in METRICS]


# --- plan and actual sums ------------------------------------------------------------------------


@dataclass
class _Sums:
    actual_mtd: int = 0
    actual_ytd: int = 0
    plan_mtd: int = 0
    plan_ytd: int = 0
    plan_done: int = 0  # months before the elapsed month (within the YTD months)
    plan_current: int = 0  # the elapsed month's plan (if within the YTD months)

    def metric_kpi(self, metric: str, *, month: int, elapsed: Elapsed) -> MetricKpi:
        mtd_to_date = self.plan_mtd * elapsed.month_fraction(month)
        ytd_to_date = self.plan_done + self.plan_current * elapsed.fraction
        return MetricKpi(
            metric=metric,
            label=metric_label(metric),
            mtd=Figure.build(self.actual_mtd, self.plan_mtd, mtd_to_date),
            ytd=Figure.build(self.actual_ytd, self.plan_ytd, ytd_to_date),
        )

    def add(self, other: _Sums) -> None:
        self.actual_mtd += other.actual_mtd
        self.actual_ytd += other.actual_ytd
        self.plan_mtd += other.plan_mtd
        self.plan_ytd += other.plan_ytd
        self.plan_done += other.plan_done
        self.plan_current += other.plan_current


def _period_sums(
    dealer_ids: Sequence[int],
    *,
    year: int,
    month: int,
    elapsed: Elapsed,
    version: PlanVersion | None,
) -> dict[tuple[int, str], _Sums]:
    """Per (dealer, metric): MTD/YTD actuals (KpiMonth) and plans (current version). Two
    grouped queries whatever the number of dealers."""
    sums: dict[tuple[int, str], _Sums] = defaultdict(_Sums)
    first = month_start(year, month)
    actual_aggs: dict[str, Any] = {}
    for metric in METRICS:
        measure = METRIC_FIELDS[Metric(metric)]
        actual_aggs[f"mtd_{metric}"] = Sum(measure, filter=Q(month=first))
        actual_aggs[f"ytd_{metric}"] = Sum(measure)
    actuals = (
        rows_of(KpiMonth, dealer_ids)
        .filter(month__gte=month_start(year, 1), month__lte=first)
        .values("dealer_id")
        .annotate(**actual_aggs)
        .order_by()
    )
    for row in actuals:
        for metric in METRICS:
            entry = sums[(row["dealer_id"], metric)]
            entry.actual_mtd = row[f"mtd_{metric}"] or 0
            entry.actual_ytd = row[f"ytd_{metric}"] or 0
    if version is not None:
        plans = (
            rows_of(PlanTarget, dealer_ids)
            .filter(version=version, month__lte=month)
            .values("dealer_id", "metric")
            .annotate(
                mtd=Sum("target", filter=Q(month=month)),
                ytd=Sum("target"),
                done=Sum("target", filter=Q(month__lt=elapsed.month)),
                current=Sum("target", filter=Q(month=elapsed.month)),
            )
            .order_by()
        )
        for row in plans:
            entry = sums[(row["dealer_id"], row["metric"])]
            entry.plan_mtd = row["mtd"] or 0
            entry.plan_ytd = row["ytd"] or 0
            entry.plan_done = row["done"] or 0
            entry.plan_current = row["current"] or 0
    return sums


def _days_covered(year: int, month: int, as_of: dt.date | None) -> int:
    days = calendar.monthrange(year, month)[1]
    if as_of is None or as_of < month_start(year, month):
        return 0
    if as_of >= month_end(year, month):
        return days
    return as_of.day


# --- one dealer -----------------------------------------------------------------------------------


_MONTH_MEASURES = [
    "followups_due",
    "followups_on_time",
    "first_responses",
    "first_response_minutes",
]


def _trend_months(year: int, month: int) -> list[dt.date]:
    first_year, first_month = shift_month(year, month, -(TREND_MONTHS - 1))
    return [month_start(*shift_month(first_year, first_month, i)) for i in range(TREND_MONTHS)]


def _trend(dealer: Dealer, *, year: int, month: int, versions: dict[int, PlanVersion]) -> Trend:
    months = _trend_months(year, month)
    fields = [METRIC_FIELDS[Metric(m)] for m in METRICS]
    extra = ["followups_due", "followups_on_time", "first_responses", "first_response_minutes"]
    by_month = {
        row["month"]: {f: row[f"s_{f}"] or 0 for f in [*fields, *extra]}
        for row in KpiMonth.objects.filter(
            dealer=dealer, month__gte=months[0], month__lte=months[-1]
        )
        .values("month")
        .annotate(**{f"s_{f}": Sum(f) for f in [*fields, *extra]})
        .order_by()
    }
    plan_q = Q()
    for y, version in versions.items():
        wanted = [m.month for m in months if m.year == y]
        plan_q |= Q(version=version, month__in=wanted)
    plans: dict[tuple[int, int, str], int] = {}
    if versions:
        for row in (
            PlanTarget.objects.filter(plan_q, dealer=dealer)
            .values("version__year", "month", "metric")
            .annotate(total=Sum("target"))
            .order_by()
        ):
            plans[(row["version__year"], row["month"], row["metric"])] = row["total"] or 0
    series = [
        TrendSeries(
            metric=metric,
            label=metric_label(metric),
            actual=[
                (by_month.get(m) or {}).get(METRIC_FIELDS[Metric(metric)]) or 0 for m in months
            ],
            plan=[
                plans.get((m.year, m.month, metric), 0) if m.year in versions else None
                for m in months
            ],
        )
        for metric in METRICS
    ]
    empty: dict[str, Any] = {}
    return Trend(
        months=months,
        series=series,
        followup_percent=[
            percent(
                (by_month.get(m) or empty).get("followups_on_time") or 0,
                (by_month.get(m) or empty).get("followups_due") or 0,
            )
            for m in months
        ],
        first_response_minutes=[
            FirstResponse(
                (by_month.get(m) or empty).get("first_responses") or 0,
                (by_month.get(m) or empty).get("first_response_minutes") or 0,
            ).average_minutes
            for m in months
        ],
    )


def _leaderboard(
    dealer: Dealer,
    *,
    year: int,
    month: int,
    elapsed: Elapsed,
    version: PlanVersion | None,
    month_funnel: Funnel,
) -> tuple[list[ConsultantRow], list[SourceRow]]:
    start, end = month_start(year, month), month_end(year, month)
    days = KpiDay.objects.filter(dealer=dealer, day__gte=start, day__lte=end)
    wanted = [
        "leads_new",
        "test_drives",
        "orders",
        "deliveries",
        "followups_due",
        "followups_on_time",
        "first_responses",
        "first_response_minutes",
    ]
    per_consultant = {
        row["consultant_id"]: {f: row[f"s_{f}"] or 0 for f in wanted}
        for row in days.exclude(consultant_id=None)
        .values("consultant_id")
        .annotate(**{f"s_{f}": Sum(f) for f in wanted})
        .order_by()
    }
    targets: dict[int, dict[str, int]] = defaultdict(dict)
    if version is not None:
        for split in ConsultantTarget.objects.filter(
            dealer=dealer, version=version, month=month
        ).values("consultant_id", "metric", "target"):
            targets[split["consultant_id"]][split["metric"]] = split["target"]
    ids = set(per_consultant) | set(targets)
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=ids)}
    fraction = elapsed.month_fraction(month)
    rows: list[dict[str, Any]] = []
    for consultant_id in ids:
        facts = per_consultant.get(consultant_id, {})
        user = users.get(consultant_id)
        actual = {m: facts.get(METRIC_FIELDS[Metric(m)]) or 0 for m in METRICS}
        target_figures = []
        for metric in METRICS:
            if metric not in targets[consultant_id]:
                continue
            target = targets[consultant_id][metric]
            target_figures.append(
                ConsultantTargetFigure(
                    metric=metric,
                    label=metric_label(metric),
                    actual=actual[metric],
                    target=target,
                    attainment=percent(actual[metric], target),
                    status=rag_status(percent(actual[metric], target * fraction)),
                )
            )
        cohort = month_funnel.row(consultant_id)  # the leads opened for them this month
        rows.append(
            {
                "consultant_id": consultant_id,
                "name": (user.get_full_name() or user.username) if user else str(_("(removed)")),
                "is_active": bool(user and user.is_active),
                "leads": actual[Metric.LEADS.value],
                "test_drives": actual[Metric.TEST_DRIVES.value],
                "orders": actual[Metric.ORDERS.value],
                "deliveries": actual[Metric.DELIVERIES.value],
                "followups": Compliance(
                    facts.get("followups_due") or 0, facts.get("followups_on_time") or 0
                ),
                "first_response": FirstResponse(
                    facts.get("first_responses") or 0, facts.get("first_response_minutes") or 0
                ),
                "targets": target_figures,
                "conversion": cohort.share_of(Stage.ORDER) if cohort is not None else None,
            }
        )
    rows.sort(
        key=lambda r: (
            -r["orders"],
            -r["deliveries"],
            -r["test_drives"],
            -r["leads"],
            r["name"].lower(),
        )
    )
    leaderboard = [ConsultantRow(rank=i + 1, **row) for i, row in enumerate(rows)]

    source_rows = list(
        days.values("source_id").annotate(n_leads=Sum("leads_new")).filter(n_leads__gt=0).order_by()
    )
    names = dict(
        LeadSource.objects.filter(
            pk__in=[r["source_id"] for r in source_rows if r["source_id"]]
        ).values_list("pk", "name")
    )
    total = sum(r["n_leads"] for r in source_rows)
    sources = sorted(
        (
            SourceRow(
                source_id=r["source_id"],
                name=hq_text(names[r["source_id"]])
                if r["source_id"] in names
                else str(_("No source")),
                leads=r["n_leads"],
                share=percent(r["n_leads"], total),
            )
            for r in source_rows
        ),
        key=lambda s: (-s.leads, s.name),
    )
    return leaderboard, sources


def dealer_kpis(
    dealer: Dealer, *, year: int, month: int, as_of: dt.date | None = None
) -> DealerKpis:
    """One dealer's dashboard for a month: MTD/YTD actual vs plan per metric, the month's funnel
    (the leads opened in the month and how far they got, the month's stage entries), the
    consultant leaderboard (against their split targets where
    the dealer manager set them), leads by source, 12-month trends (actual and plan) ending with
    the month, follow-up compliance and first-response time. Call inside a scope covering the
    dealer (about fifteen queries). `as_of`: the date from `as_of_date([dealer.pk])` if the
    caller has it already (looked up when not given)."""
    validate_period(year, month)
    as_of = as_of or as_of_date([dealer.pk])
    elapsed = Elapsed.of(year, as_of)
    versions = current_versions({m.year for m in _trend_months(year, month)})
    version = versions.get(year)
    sums = _period_sums([dealer.pk], year=year, month=month, elapsed=elapsed, version=version)
    metrics = [
        sums.get((dealer.pk, metric), _Sums()).metric_kpi(metric, month=month, elapsed=elapsed)
        for metric in METRICS
    ]
    first = month_start(year, month)
    aggregates: dict[str, Any] = {f"m_{f}": Sum(f, filter=Q(month=first)) for f in _MONTH_MEASURES}
    aggregates.update({f"y_{f}": Sum(f) for f in _MONTH_MEASURES})
    raw = KpiMonth.objects.filter(
        dealer=dealer, month__gte=month_start(year, 1), month__lte=first
    ).aggregate(**aggregates)
    month_row = {f: raw[f"m_{f}"] or 0 for f in _MONTH_MEASURES}
    ytd_row = {f: raw[f"y_{f}"] or 0 for f in _MONTH_MEASURES}
    # the month's funnel, by consultant (the leaderboard's conversion), on the facts alone
    month_funnel = funnel(
        dealer=dealer,
        start=first,
        end=month_end(year, month),
        dimension="consultant",
        live=False,
        through=as_of,
    )
    leaderboard, sources = _leaderboard(
        dealer,
        year=year,
        month=month,
        elapsed=elapsed,
        version=version,
        month_funnel=month_funnel,
    )
    return DealerKpis(
        dealer_id=dealer.pk,
        dealer_code=dealer.code,
        dealer_name=dealer.name,
        region_name=dealer.region.name,
        year=year,
        month=month,
        as_of=as_of,
        plan_version=str(version) if version else None,
        days_covered=_days_covered(year, month, as_of),
        days_in_month=calendar.monthrange(year, month)[1],
        metrics=metrics,
        funnel=month_funnel,
        followups=Compliance(month_row["followups_due"], month_row["followups_on_time"]),
        followups_ytd=Compliance(ytd_row["followups_due"], ytd_row["followups_on_time"]),
        first_response=FirstResponse(
            month_row["first_responses"], month_row["first_response_minutes"]
        ),
        first_response_ytd=FirstResponse(
            ytd_row["first_responses"], ytd_row["first_response_minutes"]
        ),
        leaderboard=leaderboard,
        sources=sources,
        trend=_trend(dealer, year=year, month=month, versions=versions),
    )


# --- the network ----------------------------------------------------------------------------------


def network_kpis(
    dealer_ids: Iterable[int],
    *,
    year: int,
    month: int,
    rank_metric: str = Metric.ORDERS.value,
    rank_period: str = "mtd",
    as_of: dt.date | None = None,
) -> NetworkKpis:
    """Plan attainment of many dealers: one row per dealer (code, name, region, MTD and YTD
    actual vs plan per metric, attainment, pace, RAG status), ranked by `rank_metric`'s
    attainment in `rank_period` ("mtd" or "ytd"; dealers without a plan for it come last, by
    code), plus totals per region and for all the dealers asked for. Call inside a scope
    covering `dealer_ids` (four queries, whatever the number of dealers)."""
    validate_period(year, month)
    if rank_metric not in METRICS:
        raise ValueError(f"unknown metric: {rank_metric}")
    if rank_period not in ("mtd", "ytd"):
        raise ValueError(f"unknown period: {rank_period}")
    ids = sorted(set(dealer_ids))
    dealers = list(Dealer.objects.filter(pk__in=ids).select_related("region").order_by("code"))
    as_of = as_of or as_of_date(ids)
    elapsed = Elapsed.of(year, as_of)
    version = current_versions([year]).get(year)
    sums = _period_sums(ids, year=year, month=month, elapsed=elapsed, version=version)

    unranked: list[tuple[Dealer, dict[str, MetricKpi]]] = []
    region_sums: dict[int, dict[str, _Sums]] = defaultdict(lambda: defaultdict(_Sums))
    network_sums: dict[str, _Sums] = defaultdict(_Sums)
    for dealer in dealers:
        metrics = {}
        for metric in METRICS:
            entry = sums.get((dealer.pk, metric), _Sums())
            metrics[metric] = entry.metric_kpi(metric, month=month, elapsed=elapsed)
            region_sums[dealer.region_id][metric].add(entry)
            network_sums[metric].add(entry)
        unranked.append((dealer, metrics))

    def rank_key(item: tuple[Dealer, dict[str, MetricKpi]]) -> tuple[int, float, str]:
        figure = item[1][rank_metric].period(rank_period)
        if figure.attainment is None:
            return (1, 0.0, item[0].code)
        return (0, -figure.attainment, item[0].code)

    unranked.sort(key=rank_key)
    rows: list[DealerRow] = []
    rank = 0
    previous: float | None = None
    for position, (dealer, metrics) in enumerate(unranked, start=1):
        figure = metrics[rank_metric].period(rank_period)
        if figure.attainment is None:
            shown: int | None = None
        else:
            if figure.attainment != previous:  # ties share a rank (1, 2, 2, 4)
                rank = position
                previous = figure.attainment
            shown = rank
        rows.append(
            DealerRow(
                dealer_id=dealer.pk,
                code=dealer.code,
                name=dealer.name,
                region_id=dealer.region_id,
                region_name=dealer.region.name,
                metrics=metrics,
                rank=shown,
                rank_figure=figure,
            )
        )

    def total(
        region_id: int | None, name: str, members: list[DealerRow], parts: dict[str, _Sums]
    ) -> RegionTotal:
        counts = {GREEN: 0, AMBER: 0, RED: 0, NO_STATUS: 0}
        for row in members:
            counts[row.status] += 1
        return RegionTotal(
            region_id=region_id,
            name=name,
            dealers=len(members),
            metrics={
                metric: parts[metric].metric_kpi(metric, month=month, elapsed=elapsed)
                for metric in METRICS
            },
            status_counts=counts,
        )

    regions = {d.region_id: d.region for d in dealers}
    region_totals = [
        total(
            region.pk,
            region.name,
            [r for r in rows if r.region_id == region.pk],
            region_sums[region.pk],
        )
        for region in sorted(regions.values(), key=lambda r: r.name)
    ]
    return NetworkKpis(
        year=year,
        month=month,
        as_of=as_of,
        plan_version=str(version) if version else None,
        rank_metric=rank_metric,
        rank_period=rank_period,
        thresholds=rag_thresholds(),
        rows=rows,
        regions=region_totals,
        total=total(None, str(_("All dealers")), rows, network_sums),
    )


__all__ = [
    "AMBER",
    "GREEN",
    "NO_STATUS",
    "RED",
    "Compliance",
    "ConsultantRow",
    "ConsultantTargetFigure",
    "DealerKpis",
    "DealerRow",
    "Figure",
    "FirstResponse",
    "MetricKpi",
    "NetworkKpis",
    "RegionTotal",
    "SourceRow",
    "Trend",
    "TrendSeries",
    "as_of_date",
    "dealer_kpis",
    "network_kpis",
    "rag_status",
    "rag_thresholds",
]
