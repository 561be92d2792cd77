"""The manager's funnel: how many leads reached each stage in a period and how many went on to
the next, by consultant, source or model; stale leads.

Counts are "leads entering the stage", distinct per day (a lead entering a stage on two days
counts twice), credited to the consultant who held the lead at that moment (the StageChange
snapshot) — the same semantics as the KPI facts:
- days up to `reports.rollup.selectors.rolled_through(dealer_id=...)` are summed from the facts:
  whole months from KpiFunnelMonth (dealer × month × consultant × source × model), the days
  around them from KpiDay (a few hundred rows per month, index dealer/day);
- later days (today, or every day when no rollup has run yet) are counted live from StageChange
  rows (index dealer, to_stage, changed_at);
all parts are one statement (UNION ALL of grouped SELECTs, labels looked up per output row after
grouping, not joined to every fact row).
Stale leads are a bounded list (LIMIT n+1), never an exact COUNT over the lead table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import Count, F, Func, OuterRef, Q, QuerySet, Subquery, Sum, TextField
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealers.clock import dealer_zone
from dealers.models import Dealer
from leads.models import FUNNEL_STAGES, Lead, Stage, StageChange
from leads.reference.messages import hq_text

# dimension -> (KpiDay field, StageChange field, label)
DIMENSIONS = {
    "consultant": ("consultant_id", "consultant_id", _("Consultant")),
    "source": ("source_id", "lead__source_id", _("Source")),
    "model": ("vehicle_model_id", "lead__vehicle_model_id", _("Model")),
}
CLOSING_STAGES = [Stage.LOST, Stage.DORMANT]
STALE_LIMIT = 25


@dataclass
class FunnelRow:
    key: Any
    label: str
    counts: list[int]  # per FUNNEL_STAGES
    lost: int = 0
    dormant: int = 0
    conversions: list[float | None] = field(default_factory=list)  # stage i -> i+1, percent

    @property
    def won(self) -> int:
        return self.counts[-1]

    @property
    def won_percent(self) -> float | None:
        return round(100.0 * self.won / self.counts[0], 1) if self.counts[0] else None

    @property
    def cells(self) -> list[dict[str, Any]]:
        """Per stage: the count and the conversion from the previous stage (percent)."""
        return [
            {
                "stage": stage,
                "count": self.counts[i],
                "conversion": self.conversions[i - 1] if i and self.conversions else None,
                "first": i == 0,
            }
            for i, stage in enumerate(FUNNEL_STAGES)
        ]


@dataclass
class Funnel:
    start: dt.date
    end: dt.date  # inclusive
    dimension: str
    stages: list[Any]
    total: FunnelRow
    rows: list[FunnelRow]
    through: dt.date | None = None  # facts up to this day, live counts after it


def _conversions(counts: list[int]) -> list[float | None]:
    return [
        round(100.0 * counts[i + 1] / counts[i], 1) if counts[i] else None
        for i in range(len(counts) - 1)
    ]


def period_bounds(dealer: Dealer, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = dealer_zone(dealer)
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


# dimension -> (label model, label columns); one scalar subquery per column, evaluated per
# output row after grouping (a handful), never joined to every fact row before it
LABELS: dict[str, tuple[str, tuple[str, ...]]] = {
    "consultant": (settings.AUTH_USER_MODEL, ("first_name", "last_name", "username")),
    "source": ("leads.LeadSource", ("name",)),
    "model": ("inventory.VehicleModel", ("name",)),
}
STAGE_FIELDS = {stage: f"stage_{stage}" for stage in [*FUNNEL_STAGES, *CLOSING_STAGES]}


def _label(dimension: str, values: list[Any]) -> str:
    if dimension == "consultant":
        first, last, username = values
        return f"{first or ''} {last or ''}".strip() or username or ""
    if dimension == "source":
        return hq_text(values[0])  # HQ's default names in the reader's language
    return values[0] or ""


def _with_labels(rows: QuerySet[Any], dimension: str) -> QuerySet[Any]:
    model_name, columns = LABELS[dimension]
    model = apps.get_model(model_name)
    return rows.annotate(
        **{
            f"label_{i}": Subquery(
                model._base_manager.filter(pk=OuterRef("key")).order_by().values(column)
            )
            for i, column in enumerate(columns)
        }
    )


def _fact_rows(
    dealer: Dealer,
    start: dt.date,
    end: dt.date,
    dimension: str,
    consultant_id: int | None,
    *,
    months: bool = False,
) -> QuerySet[Any]:
    """(key, n_<stage>…, label_<i>…) per dimension value, summed from KpiDay — or, with
    `months`, from KpiFunnelMonth (start and end then are first days of whole months)."""
    from reports.models import KpiDay, KpiFunnelMonth

    if months:
        qs: QuerySet[Any] = KpiFunnelMonth.objects.filter(
            dealer_id=dealer.pk, month__gte=start, month__lte=end
        )
    else:
        qs = KpiDay.objects.filter(dealer_id=dealer.pk, day__gte=start, day__lte=end)
    if consultant_id is not None:
        qs = qs.filter(consultant_id=consultant_id)
    rows = qs.values(key=F(DIMENSIONS[dimension][0])).annotate(
        **{f"n_{stage}": Sum(column) for stage, column in STAGE_FIELDS.items()}
    )
    return _with_labels(rows, dimension).order_by()


def _rolled_parts(
    dealer: Dealer, start: dt.date, end: dt.date, dimension: str, consultant_id: int | None
) -> list[QuerySet[Any]]:
    """The rolled-up days start..end: the whole months among them from KpiFunnelMonth, the days
    before and after those months from KpiDay."""
    first_month = start if start.day == 1 else (start.replace(day=1) + dt.timedelta(days=32))
    first_month = first_month.replace(day=1)
    after_months = (end + dt.timedelta(days=1)).replace(day=1)  # months end before this day
    if first_month >= after_months:
        return [_fact_rows(dealer, start, end, dimension, consultant_id)]
    last_month = (after_months - dt.timedelta(days=1)).replace(day=1)
    parts = [_fact_rows(dealer, first_month, last_month, dimension, consultant_id, months=True)]
    if start < first_month:
        parts.append(
            _fact_rows(dealer, start, first_month - dt.timedelta(days=1), dimension, consultant_id)
        )
    if after_months <= end:
        parts.append(_fact_rows(dealer, after_months, end, dimension, consultant_id))
    return parts


def _live_rows(
    dealer: Dealer, start: dt.date, end: dt.date, dimension: str, consultant_id: int | None
) -> QuerySet[Any]:
    """The same columns from StageChange: distinct (lead, local day) pairs per stage, i.e. a
    lead entering a stage on two days counts twice, as in the facts."""
    since, until = period_bounds(dealer, start, end)
    tz = dealer_zone(dealer)
    qs = StageChange.objects.filter(
        dealer_id=dealer.pk,
        changed_at__gte=since,
        changed_at__lt=until,
        to_stage__in=list(STAGE_FIELDS),
    )
    if consultant_id is not None:
        qs = qs.filter(consultant_id=consultant_id)
    # a (lead, local day) record, only ever counted (the output field is for Django alone)
    lead_day = Func(
        F("lead_id"), TruncDate("changed_at", tzinfo=tz), function="ROW", output_field=TextField()
    )
    rows = qs.values(key=F(DIMENSIONS[dimension][1])).annotate(
        **{
            f"n_{stage}": Count(lead_day, distinct=True, filter=Q(to_stage=stage))
            for stage in STAGE_FIELDS
        }
    )
    return _with_labels(rows, dimension).order_by()


def funnel(
    *,
    dealer: Dealer,
    start: dt.date,
    end: dt.date,
    dimension: str = "consultant",
    consultant_id: int | None = None,
) -> Funnel:
    """Leads entering each stage between start and end (dealer dates, inclusive), with the
    conversion to the next stage: whole months from KpiFunnelMonth and single days from KpiDay
    up to the rolled-through day, StageChange after it. One query (the parts UNION ALL), plus
    the rolled-through day on a cache miss."""
    from reports.rollup.selectors import rolled_through_cached

    if dimension not in DIMENSIONS:
        dimension = "consultant"
    through = rolled_through_cached(dealer_id=dealer.pk)
    parts: list[QuerySet[Any]] = []
    live_from = start
    if through is not None and through >= start:
        parts.extend(_rolled_parts(dealer, start, min(end, through), dimension, consultant_id))
        live_from = through + dt.timedelta(days=1)
    if live_from <= end:
        parts.append(_live_rows(dealer, live_from, end, dimension, consultant_id))
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    n_labels = len(LABELS[dimension][1])
    index = {stage.value: i for i, stage in enumerate(FUNNEL_STAGES)}
    by_key: dict[Any, FunnelRow] = {}
    total = FunnelRow(key=None, label=str(_("All")), counts=[0] * len(FUNNEL_STAGES))
    for row in rows:
        key = row["key"]
        counts = {stage: row[f"n_{stage}"] for stage in STAGE_FIELDS}
        label_values = [row[f"label_{i}"] for i in range(n_labels)]
        target = by_key.setdefault(
            key,
            FunnelRow(
                key=key,
                label=_label(dimension, label_values) if key is not None else str(_("— none —")),
                counts=[0] * len(FUNNEL_STAGES),
            ),
        )
        for stage, n in counts.items():
            if not n:
                continue
            for bucket in (target, total):
                if stage in index:
                    bucket.counts[index[stage]] += n
                elif stage == Stage.LOST:
                    bucket.lost += n
                elif stage == Stage.DORMANT:
                    bucket.dormant += n
    for row_ in by_key.values():
        row_.conversions = _conversions(row_.counts)
    total.conversions = _conversions(total.counts)
    ordered = sorted(
        (r for r in by_key.values() if sum(r.counts) or r.lost or r.dormant),
        key=lambda r: (-sum(r.counts), r.label),
    )
    return Funnel(
        start=start,
        end=end,
        dimension=dimension,
        stages=list(FUNNEL_STAGES),
        total=total,
        rows=ordered,
        through=through,
    )


def stale_leads(
    *,
    dealer: Dealer,
    days: int,
    now: dt.datetime | None = None,
    limit: int = STALE_LIMIT,
    consultant_id: int | None = None,
) -> tuple[list[Lead], bool]:
    """Open leads without activity for `days` days, oldest activity first, then those never
    touched since creation (oldest first); (rows, more?).

    One statement, two bounded branches (UNION ALL): leads with an old activity in the order of
    the open-list index (dealer, last_activity_at) so the scan stops after `limit` + 1 rows, and
    the never-touched ones (NULL activity: a short range of the same index). An OR of both with
    one ORDER BY read and sorted every open lead of the dealer."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=days)
    qs = Lead.objects.filter(dealer_id=dealer.pk, is_open=True, in_pool=False)
    if consultant_id is not None:
        qs = qs.filter(consultant_id=consultant_id)
    qs = qs.select_related("customer", "consultant", "source")
    touched = qs.filter(last_activity_at__lt=cutoff).order_by(
        # NULLS FIRST: the index's backward order (no NULL passes the filter anyway)
        F("last_activity_at").asc(nulls_first=True),
        "id",
    )[: limit + 1]
    untouched = qs.filter(last_activity_at__isnull=True, created_at__lt=cutoff).order_by(
        "created_at", "id"
    )[: limit + 1]
    found = sorted(
        touched.union(untouched, all=True),
        key=lambda lead: (
            lead.last_activity_at is None,
            lead.last_activity_at or lead.created_at,
            lead.created_at,
            lead.pk,
        ),
    )[: limit + 1]
    return found[:limit], len(found) > limit
