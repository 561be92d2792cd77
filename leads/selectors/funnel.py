"""The manager's funnel: how many leads reached each stage in a period and how many went on to
the next, by consultant, source or model; stale leads.

Counts come from StageChange rows in the period (index dealer, to_stage, changed_at), grouped in
one query; stale leads are a bounded list (LIMIT n+1), never an exact COUNT over the lead table.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer
from leads.models import FUNNEL_STAGES, Lead, Stage, StageChange

DIMENSIONS = {
    "consultant": ("lead__consultant_id", _("Consultant")),
    "source": ("lead__source_id", _("Source")),
    "model": ("lead__vehicle_model_id", _("Model")),
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


def _conversions(counts: list[int]) -> list[float | None]:
    return [
        round(100.0 * counts[i + 1] / counts[i], 1) if counts[i] else None
        for i in range(len(counts) - 1)
    ]


def period_bounds(dealer: Dealer, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = zoneinfo.ZoneInfo(dealer.timezone or "UTC")
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def _label(dimension: str, row: dict[str, Any]) -> str:
    if dimension == "consultant":
        name = f"{row['lead__consultant__first_name'] or ''} {row['lead__consultant__last_name'] or ''}"
        return name.strip() or row["lead__consultant__username"] or ""
    if dimension == "source":
        return row["lead__source__name"] or ""
    return row["lead__vehicle_model__name"] or ""


LABEL_FIELDS = {
    "consultant": (
        "lead__consultant__first_name",
        "lead__consultant__last_name",
        "lead__consultant__username",
    ),
    "source": ("lead__source__name",),
    "model": ("lead__vehicle_model__name",),
}


def funnel(
    *,
    dealer: Dealer,
    start: dt.date,
    end: dt.date,
    dimension: str = "consultant",
    consultant_id: int | None = None,
) -> Funnel:
    """Leads entering each stage between start and end (dealer dates, inclusive), with the
    conversion to the next stage. One grouped query (labels joined in)."""
    if dimension not in DIMENSIONS:
        dimension = "consultant"
    group_field = DIMENSIONS[dimension][0]
    since, until = period_bounds(dealer, start, end)
    qs = StageChange.objects.filter(
        dealer_id=dealer.pk,
        changed_at__gte=since,
        changed_at__lt=until,
        to_stage__in=[*FUNNEL_STAGES, *CLOSING_STAGES],
    )
    if consultant_id is not None:
        qs = qs.filter(lead__consultant_id=consultant_id)
    rows = qs.values("to_stage", group_field, *LABEL_FIELDS[dimension]).annotate(
        n=Count("lead_id", distinct=True)
    )
    index = {stage.value: i for i, stage in enumerate(FUNNEL_STAGES)}
    by_key: dict[Any, FunnelRow] = {}
    total = FunnelRow(key=None, label=str(_("All")), counts=[0] * len(FUNNEL_STAGES))
    for row in rows:
        key = row[group_field]
        target = by_key.setdefault(
            key,
            FunnelRow(
                key=key,
                label=_label(dimension, row) if key is not None else str(_("— none —")),
                counts=[0] * len(FUNNEL_STAGES),
            ),
        )
        stage, n = row["to_stage"], row["n"]
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
    ordered = sorted(by_key.values(), key=lambda r: (-sum(r.counts), r.label))
    return Funnel(
        start=start,
        end=end,
        dimension=dimension,
        stages=list(FUNNEL_STAGES),
        total=total,
        rows=ordered,
    )


def stale_leads(
    *,
    dealer: Dealer,
    days: int,
    now: dt.datetime | None = None,
    limit: int = STALE_LIMIT,
    consultant_id: int | None = None,
) -> tuple[list[Lead], bool]:
    """Open leads without activity for `days` days, oldest activity first; (rows, more?)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=days)
    qs = Lead.objects.filter(dealer_id=dealer.pk, is_open=True, in_pool=False).filter(
        Q(last_activity_at__lt=cutoff) | Q(last_activity_at__isnull=True, created_at__lt=cutoff)
    )
    if consultant_id is not None:
        qs = qs.filter(consultant_id=consultant_id)
    found = list(
        qs.select_related("customer", "consultant", "source").order_by(
            "last_activity_at", "created_at"
        )[: limit + 1]
    )
    return found[:limit], len(found) > limit
