"""Demo sales plans: the current year's plan for every active demo dealer as version 1 and a
revision (version 2), plus a consultant split of version 2 for one dealer.

The plan goes through the same checks and write path as an HQ upload (a CSV built here is parsed
by parse_plan_file, then written by write_version), so the demo data is valid by construction.
Called by `manage.py seed_demo`; skipped when the year already has a plan (unless force).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils import timezone

from dealers.models import Dealer
from dms import tabular
from dms.tenancy.context import as_dealer, unscoped
from inventory.models import VehicleModel
from reports.models import ConsultantTarget, Metric, PlanTarget, PlanVersion

from . import selectors, services

DEFAULT_SEED = 2026
SPLIT_DEALER = "DE001"  # the demo dealer_manager's dealer
# Share of each model in a dealer's leads (by code; other models share what is left).
MODEL_MIX = {"A3": 0.28, "A5": 0.2, "X4": 0.22, "X7": 0.1, "E1": 0.14, "V2": 0.06}
# Seasonality: spring and autumn peaks, a quiet August and December.
SEASON = [0.85, 0.95, 1.15, 1.1, 1.05, 1.0, 0.9, 0.7, 1.05, 1.1, 1.0, 0.75]
# Funnel ratios from leads.
RATIOS = {
    Metric.LEADS: 1.0,
    Metric.TEST_DRIVES: 0.38,
    Metric.ORDERS: 0.14,
    Metric.DELIVERIES: 0.13,
}


@dataclass
class PlanDemoResult:
    year: int
    versions: int = 0
    rows: int = 0
    split_rows: int = 0
    skipped: bool = False

    def __str__(self) -> str:
        if self.skipped:
            return f"Sales plan {self.year} exists already: demo plan not seeded."
        return (
            f"Sales plan {self.year}: {self.versions} versions, {self.rows} targets, "
            f"{self.split_rows} consultant targets."
        )


def _paces(dealers: list[Dealer], days: int = 90) -> dict[int, dict[Metric, float]]:
    """Each dealer's recent monthly pace per metric (the demo history's last `days` days): the
    plan is last quarter's pace plus a dealer's ambition, as an importer would set it."""
    # (the demo history covers months, not the whole year: months before a dealer's first lead
    # get no targets, see _first_months, so year-to-date attainment compares like with like)
    from leads.models import Lead
    from sales.models import Order, TestDrive

    since = timezone.now() - dt.timedelta(days=days)
    per_month = 30.4 / days
    out: dict[int, dict[Metric, float]] = {}
    for dealer in dealers:
        with as_dealer(dealer):
            orders = Order.objects.filter(dealer=dealer).exclude(status="cancelled")
            out[dealer.pk] = {
                Metric.LEADS: Lead.objects.filter(dealer=dealer, created_at__gte=since).count(),
                Metric.TEST_DRIVES: TestDrive.objects.filter(
                    dealer=dealer, status="done", ends_at__gte=since
                ).count(),
                Metric.ORDERS: orders.filter(ordered_at__gte=since).count(),
                Metric.DELIVERIES: orders.filter(delivered_at__gte=since).count(),
            }
            out[dealer.pk] = {m: n * per_month for m, n in out[dealer.pk].items()}
    return out


def _first_months(dealers: list[Dealer]) -> dict[int, dt.date]:
    """The first month of each dealer's demo history (its first lead)."""
    from django.db.models import Min

    from leads.models import Lead

    out = {}
    for dealer in dealers:
        with as_dealer(dealer):
            first = Lead.objects.filter(dealer=dealer).aggregate(first=Min("created_at"))["first"]
        if first is not None:
            out[dealer.pk] = timezone.localtime(first).date().replace(day=1)
    return out


def _plan_csv(
    year: int,
    dealers: list[Dealer],
    models: list[VehicleModel],
    rng: random.Random,
    revision: dict[int, float] | None = None,
    paces: dict[int, dict[Metric, float]] | None = None,
    first_months: dict[int, dt.date] | None = None,
) -> bytes:
    rows: list[list[object]] = []
    rest = max(0.0, 1 - sum(MODEL_MIX.get(m.code, 0) for m in models))
    unknown = [m for m in models if m.code not in MODEL_MIX]
    for dealer in dealers:
        size = rng.uniform(30, 70)  # monthly leads of a dealer without history
        ambition = rng.uniform(0.92, 1.15)  # the plan against the dealer's recent pace
        pace = (paces or {}).get(dealer.pk) or {}
        monthly = {
            metric: (pace[metric] * ambition if pace.get(Metric.LEADS) else size * ratio)
            * (revision or {}).get(dealer.pk, 1.0)
            for metric, ratio in RATIOS.items()
        }
        first = (first_months or {}).get(dealer.pk, dt.date(year, 1, 1))
        for month in range(1, 13):
            before_history = dt.date(year, month, 1) < first
            for vm in models:
                share = MODEL_MIX.get(vm.code) or (rest / len(unknown) if unknown else 0)
                for metric in RATIOS:
                    target = 0 if before_history else monthly[metric] * SEASON[month - 1] * share
                    rows.append(
                        [dealer.code, f"{year}-{month:02d}", vm.code, metric.value, round(target)]
                    )
    return tabular.csv_text(services.COLUMNS, rows).encode()


def seed_plans(
    *, seed: int = DEFAULT_SEED, year: int | None = None, force: bool = False
) -> PlanDemoResult:
    year = year or timezone.localdate().year
    result = PlanDemoResult(year=year)
    with unscoped():
        if PlanVersion.objects.filter(year=year).exists():
            if not force:
                result.skipped = True
                return result
            versions = list(PlanVersion.objects.filter(year=year))
            ConsultantTarget.objects.filter(version__in=versions).delete()
            PlanTarget.objects.filter(version__in=versions).delete()
            PlanVersion.objects.filter(pk__in=[v.pk for v in versions]).delete()
    dealers = list(Dealer.objects.filter(is_active=True).order_by("code"))
    models = list(VehicleModel.objects.filter(is_active=True).order_by("code"))
    if not dealers or not models:
        result.skipped = True
        return result
    actor = get_user_model().objects.filter(hq_role="hq_admin").order_by("pk").first()
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    paces, firsts = _paces(dealers), _first_months(dealers)
    v1 = _plan_csv(year, dealers, models, random.Random(seed), paces=paces, first_months=firsts)  # noqa: S311
    # The revision: a third of the dealers get 5-15 % more or less after the first quarter.
    revision = {d.pk: rng.choice([0.85, 0.9, 1.1, 1.15]) for d in dealers if rng.random() < 0.34}
    v2 = _plan_csv(year, dealers, models, random.Random(seed), revision, paces, firsts)  # noqa: S311
    for number, (content, note) in enumerate(
        [(v1, "Budget plan"), (v2, "Revision after Q1 review")], start=1
    ):
        filename = f"plan-{year}-v{number}.csv"
        parsed = services.parse_plan_file(content=content, filename=filename, year=year)
        if not parsed.ok:
            raise ValueError(f"demo plan invalid: {parsed.errors[:3]}")
        services.write_version(
            year=year, rows=parsed.rows, note=note, filename=filename, actor=actor
        )
        result.versions += 1
        result.rows += len(parsed.rows)
    result.split_rows = _seed_split(year)
    return result


def _seed_split(year: int) -> int:
    dealer = Dealer.objects.filter(code=SPLIT_DEALER).first()
    version = selectors.current_version(year)
    if dealer is None or version is None:
        return 0
    manager = (
        get_user_model()
        .objects.filter(memberships__dealer=dealer, memberships__role="dealer_manager")
        .first()
    )
    written = 0
    with as_dealer(dealer):
        people = services.split_consultants(dealer)
        if not people:
            return 0
        ids = [u.pk for u in people]
        for metric in Metric.values:
            plan = selectors.dealer_plan_by_month(dealer=dealer, version=version, metric=metric)
            cells: dict[tuple[int, int], int] = {}
            for month in range(1, 13):
                # Senior consultants first: the first gets a larger share, the rest even.
                shares = services.even_split(plan[month], len(ids))
                if len(ids) > 1 and shares[-1] > 0:
                    shares[0] += 1
                    shares[-1] -= 1
                for uid, share in zip(ids, shares, strict=True):
                    cells[(uid, month)] = share
            written += services.save_split(
                dealer=dealer,
                version=version,
                metric=metric,
                cells=cells,
                plan=plan,
                actor=manager,
            )
    return written
