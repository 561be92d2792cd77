"""The sales funnel of a period, by consultant, source or model — the one place conversion
figures come from (the funnel page, the dealer dashboard, its CSV and PDF, the API). Here, with
the facts it reads (leads/ does not import reports/); the stale leads of the funnel page are
leads.selectors.stale.

Two kinds of figures, never mixed:
- **the cohort** (conversion): the leads opened in the period, and of those how many have reached
  each later stage (or one after it: a skipped stage counts as reached, a lead moved back still
  reached it), how many are lost and how many dormant. Shares are of the leads opened, so none
  can pass 100 % and each stage is at most the one before it. Credited to the consultant the lead
  was opened for; source and model are the lead's.
- **activity** (counts, never a share): leads entering each stage in the period, whenever they
  were opened, distinct per day (a lead entering a stage on two days counts twice), credited to
  the consultant who held the lead at that moment (the StageChange snapshot) — plus the leads
  closed as lost or dormant in the period.

Where the figures come from — the KPI facts, as the rest of the reports:
- days up to `reports.rollup.selectors.rolled_through(dealer_id=...)` are summed from the facts:
  whole months from KpiFunnelMonth (dealer × month × consultant × source × model), the days
  around them from KpiDay (a few hundred rows per month, index dealer/day). The cohort facts sit
  on the leads' opening days and count their progress up to the start of the day the nightly
  rollup last ran (it recomputes a cohort whenever one of its leads moves);
- later days (today, or every day when no rollup has run yet) are counted live from StageChange
  rows (index dealer, to_stage, changed_at), the cohort of the leads opened on them with their
  progress up to now — unless the caller asks for the facts alone (`live=False`: the dashboard
  and its exports, whose figures are "as of" the rollup);
all parts are one statement (UNION ALL of grouped SELECTs, labels looked up per output row after
grouping, not joined to every fact row).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import (
    Case,
    Count,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dealers.clock import dealer_zone
from dealers.models import Dealer
from leads.models import FUNNEL_STAGES, Stage, StageChange
from leads.reference.messages import hq_text
from reports.models import KpiDay, KpiFunnelMonth
from reports.rollup.selectors import rolled_through_cached

# dimension -> (KpiDay field, StageChange field, label)
DIMENSIONS = {
    "consultant": ("consultant_id", "consultant_id", _("Consultant")),
    "source": ("source_id", "lead__source_id", _("Source")),
    "model": ("vehicle_model_id", "lead__vehicle_model_id", _("Model")),
}
CLOSING_STAGES = [Stage.LOST, Stage.DORMANT]


def share(part: int, whole: int) -> float | None:
    """part of whole in percent, one decimal; None when nothing was opened."""
    return round(100.0 * part / whole, 1) if whole else None


@dataclass
class FunnelRow:
    """One consultant, source or model (or all of them: the total)."""

    key: Any
    label: str
    # the cohort: leads opened in the period, and per FUNNEL_STAGES how many of them have
    # reached the stage (reached[0] == opened); lost / dormant: of them, closed so by now
    opened: int = 0
    reached: list[int] = field(default_factory=lambda: [0] * len(FUNNEL_STAGES))
    lost: int = 0
    dormant: int = 0
    # activity in the period: entries per FUNNEL_STAGES, and leads closed as lost / dormant
    entered: list[int] = field(default_factory=lambda: [0] * len(FUNNEL_STAGES))
    entered_lost: int = 0
    entered_dormant: int = 0

    @property
    def won(self) -> int:
        return self.reached[-1]

    @property
    def still_open(self) -> int:
        return max(0, self.opened - self.won - self.lost - self.dormant)

    @property
    def shares(self) -> list[float | None]:
        """Per stage: the share of the leads opened that reached it, percent."""
        return [share(n, self.opened) for n in self.reached]

    @property
    def won_percent(self) -> float | None:
        return share(self.won, self.opened)

    @property
    def lost_percent(self) -> float | None:
        return share(self.lost, self.opened)

    @property
    def dormant_percent(self) -> float | None:
        return share(self.dormant, self.opened)

    @property
    def open_percent(self) -> float | None:
        return share(self.still_open, self.opened)

    def reached_stage(self, stage: str) -> int:
        return self.reached[FUNNEL_STAGES.index(Stage(stage))]

    def share_of(self, stage: str) -> float | None:
        return share(self.reached_stage(stage), self.opened)

    @property
    def cells(self) -> list[dict[str, Any]]:
        """Per stage: the cohort that reached it (count and share) and the entries (activity)."""
        shares = self.shares
        return [
            {
                "stage": stage.value,
                "label": stage.label,
                # the cohort's first stage is the opening itself
                "cohort_label": pgettext_lazy("funnel: leads opened", "Opened")
                if i == 0
                else stage.label,
                "reached": self.reached[i],
                "share": shares[i],
                "entered": self.entered[i],
                "first": i == 0,
            }
            for i, stage in enumerate(FUNNEL_STAGES)
        ]

    @property
    def outcomes(self) -> list[dict[str, Any]]:
        """Where the cohort stands now: delivered, lost, dormant, still open (they add up to
        the leads opened), each with its share."""
        counts = [
            ("delivered", _("Delivered"), self.won),
            ("lost", _("Lost"), self.lost),
            ("dormant", _("Dormant"), self.dormant),
            ("open", _("Still open"), self.still_open),
        ]
        return [
            {"outcome": code, "label": label, "count": n, "share": share(n, self.opened)}
            for code, label, n in counts
        ]

    @property
    def has_figures(self) -> bool:
        return bool(
            self.opened
            or any(self.reached)
            or self.lost
            or self.dormant
            or any(self.entered)
            or self.entered_lost
            or self.entered_dormant
        )


@dataclass
class Funnel:
    start: dt.date
    end: dt.date  # inclusive
    dimension: str
    stages: list[Any]
    total: FunnelRow
    rows: list[FunnelRow]
    through: dt.date | None = None  # facts up to this day, live counts after it (if live)
    live: bool = True  # days after `through` counted live (False: the facts alone)

    def row(self, key: Any) -> FunnelRow | None:
        return next((r for r in self.rows if r.key == key), None)


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
# the cohort columns of the facts: reached contacted … delivered, then lost and dormant
COHORT_FIELDS = {
    **{stage: f"cohort_{stage}" for stage in FUNNEL_STAGES[1:]},
    **{stage: f"cohort_{stage}" for stage in CLOSING_STAGES},
}
# Every column a part of the statement yields, in this order (= reports.models.FUNNEL_MEASURES):
# the union matches its parts' columns by position.
COLUMNS = [*STAGE_FIELDS.values(), "leads_new", *COHORT_FIELDS.values()]


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


def _zero() -> Value:
    return Value(0, output_field=IntegerField())


def _fact_rows(
    dealer: Dealer,
    start: dt.date,
    end: dt.date,
    dimension: str,
    consultant_id: int | None,
    *,
    months: bool = False,
) -> QuerySet[Any]:
    """(key, n_<column>…, label_<i>…) per dimension value, summed from KpiDay — or, with
    `months`, from KpiFunnelMonth (start and end then are first days of whole months)."""
    if months:
        qs: QuerySet[Any] = KpiFunnelMonth.objects.filter(
            dealer_id=dealer.pk, month__gte=start, month__lte=end
        )
    else:
        qs = KpiDay.objects.filter(dealer_id=dealer.pk, day__gte=start, day__lte=end)
    if consultant_id is not None:
        qs = qs.filter(consultant_id=consultant_id)
    rows = qs.values(key=F(DIMENSIONS[dimension][0])).annotate(
        **{f"n_{column}": Sum(column) for column in COLUMNS}
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


def _live_changes(
    dealer: Dealer, start: dt.date, end: dt.date, consultant_id: int | None
) -> QuerySet[StageChange]:
    since, until = period_bounds(dealer, start, end)
    qs = StageChange.objects.filter(
        dealer_id=dealer.pk, changed_at__gte=since, changed_at__lt=until
    )
    if consultant_id is not None:
        qs = qs.filter(consultant_id=consultant_id)
    return qs


def _live_rows(
    dealer: Dealer, start: dt.date, end: dt.date, dimension: str, consultant_id: int | None
) -> QuerySet[Any]:
    """The stage entries and openings from StageChange: distinct (lead, local day) pairs per
    stage, i.e. a lead entering a stage on two days counts twice, as in the facts."""
    tz = dealer_zone(dealer)
    qs = _live_changes(dealer, start, end, consultant_id).filter(to_stage__in=list(STAGE_FIELDS))
    # a (lead, local day) record, only ever counted (the output field is for Django alone)
    lead_day = Func(
        F("lead_id"), TruncDate("changed_at", tzinfo=tz), function="ROW", output_field=TextField()
    )
    counts: dict[str, Any] = {
        f"n_{column}": Count(lead_day, distinct=True, filter=Q(to_stage=stage))
        for stage, column in STAGE_FIELDS.items()
    }
    counts["n_leads_new"] = Count(
        lead_day, distinct=True, filter=Q(from_stage="", to_stage=Stage.NEW)
    )
    counts.update({f"n_{column}": _zero() for column in COHORT_FIELDS.values()})
    rows = qs.values(key=F(DIMENSIONS[dimension][1])).annotate(**counts)
    return _with_labels(rows, dimension).order_by()


def _live_cohort_rows(
    dealer: Dealer, start: dt.date, end: dt.date, dimension: str, consultant_id: int | None
) -> QuerySet[Any]:
    """The cohort of the leads opened start..end (their opening stage change), as the facts
    count it but with their progress up to now: the furthest funnel stage any of their changes
    entered, lost / dormant from the lead's stage."""
    rank = Case(
        *[When(to_stage=stage, then=Value(i)) for i, stage in enumerate(FUNNEL_STAGES)],
        output_field=IntegerField(),
    )
    furthest = Subquery(
        StageChange.objects.filter(
            dealer_id=OuterRef("dealer_id"),
            lead_id=OuterRef("lead_id"),
            to_stage__in=list(FUNNEL_STAGES),
        )
        .order_by()
        .values("lead_id")
        .annotate(furthest=Max(rank))
        .values("furthest")
    )
    openings = (
        _live_changes(dealer, start, end, consultant_id)
        .filter(from_stage="", to_stage=Stage.NEW)
        .annotate(furthest=furthest)
    )
    counts: dict[str, Any] = {f"n_{column}": _zero() for column in STAGE_FIELDS.values()}
    counts["n_leads_new"] = _zero()
    for i, stage in enumerate(FUNNEL_STAGES[1:], start=1):
        counts[f"n_{COHORT_FIELDS[stage]}"] = Count("id", filter=Q(furthest__gte=i))
    for stage in CLOSING_STAGES:
        counts[f"n_{COHORT_FIELDS[stage]}"] = Count("id", filter=Q(lead__stage=stage))
    rows = openings.values(key=F(DIMENSIONS[dimension][1])).annotate(**counts)
    return _with_labels(rows, dimension).order_by()


def _add(target: FunnelRow, values: dict[str, int]) -> None:
    index = {stage.value: i for i, stage in enumerate(FUNNEL_STAGES)}
    for stage, column in STAGE_FIELDS.items():
        n = values[column]
        if stage in index:
            target.entered[index[stage]] += n
        elif stage == Stage.LOST:
            target.entered_lost += n
        else:
            target.entered_dormant += n
    target.opened += values["leads_new"]
    target.reached[0] += values["leads_new"]
    for stage, column in COHORT_FIELDS.items():
        n = values[column]
        if stage in index:
            target.reached[index[stage]] += n
        elif stage == Stage.LOST:
            target.lost += n
        else:
            target.dormant += n


_UNSET: Any = object()


def funnel(
    *,
    dealer: Dealer,
    start: dt.date,
    end: dt.date,
    dimension: str = "consultant",
    consultant_id: int | None = None,
    live: bool = True,
    through: dt.date | None = _UNSET,
) -> Funnel:
    """The funnel of start..end (dealer dates, inclusive): the cohort of the leads opened in the
    period and how far they got, and the stage entries in the period (see the module docstring),
    in total and per consultant, source or model. Whole months from KpiFunnelMonth and single
    days from KpiDay up to the rolled-through day (`through`, looked up when not given), the days
    after it counted live unless `live` is False. One query (the parts UNION ALL), plus the
    rolled-through day on a cache miss."""
    if dimension not in DIMENSIONS:
        dimension = "consultant"
    if through is _UNSET:
        through = rolled_through_cached(dealer_id=dealer.pk)
    parts: list[QuerySet[Any]] = []
    live_from = start
    if through is not None and through >= start:
        parts.extend(_rolled_parts(dealer, start, min(end, through), dimension, consultant_id))
        live_from = through + dt.timedelta(days=1)
    if live and live_from <= end:
        parts.append(_live_rows(dealer, live_from, end, dimension, consultant_id))
        parts.append(_live_cohort_rows(dealer, live_from, end, dimension, consultant_id))
    total = FunnelRow(key=None, label=str(_("All")))
    by_key: dict[Any, FunnelRow] = {}
    if parts:
        rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        n_labels = len(LABELS[dimension][1])
        for row in rows:
            key = row["key"]
            values = {column: row[f"n_{column}"] or 0 for column in COLUMNS}
            target = by_key.get(key)
            if target is None:
                label_values = [row[f"label_{i}"] for i in range(n_labels)]
                target = by_key[key] = FunnelRow(
                    key=key,
                    label=_label(dimension, label_values)
                    if key is not None
                    else str(_("— none —")),
                )
            _add(target, values)
            _add(total, values)
    ordered = sorted(
        (r for r in by_key.values() if r.has_figures),
        key=lambda r: (-r.opened, -sum(r.entered), r.label),
    )
    return Funnel(
        start=start,
        end=end,
        dimension=dimension,
        stages=list(FUNNEL_STAGES),
        total=total,
        rows=ordered,
        through=through,
        live=live,
    )
