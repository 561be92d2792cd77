"""Time the KPI dashboards on the bench network (run bench/generate.py and the KPI rollup
`manage.py kpi_rollup` on it first, so reports_kpiday / reports_kpimonth hold the facts).

    .venv/bin/python bench/kpi_pages.py [-n 40] [--warmup 5] [--no-seed-plan] [--show-sql]

Django is set up on `dms_bench` as the RUNTIME role (RLS applies, as in production). Pages, each
requested through django.test.Client (force_login, second factor marked verified):

- the HQ network view as an HQ admin (all 170 dealers): month to date, ranked by orders, and
  year to date sorted by pace;
- the network view as a regional manager (the bench user `bench_regional`, granted the two
  regions with the most dealers) and their drill-down into their biggest dealer;
- the dealer dashboard as the biggest dealer's dealer manager.

Per page, after the warm-up: server time p50/p95 of N requests (time.perf_counter around
client.get), the statements of one more request (CaptureQueriesContext), and those statements
replayed N times through a raw psycopg cursor of the same role with the same app.dealer_ids
(the raw SQL time; ratio = page p50 / raw p50). Target (issue 5): HQ network dashboard <= 150 ms
server time (p95 here).

The bench users `bench_hq_admin` and `bench_regional` are created if missing. Without a plan for
the facts' year, a bench plan (version "bench") is derived from the facts first (per dealer ×
month × model × metric: the month's actual × a dealer factor 0.8–1.25, months without facts the
dealer's monthly average), so attainment and status are realistic; --no-seed-plan skips that.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import require_runtime_role, setup_django
from bench.funnel_pages import PageResult, client_for, measure_page, raw_connection, verdict

TARGET_MS = 150.0


def hq_users(admin_name: str | None, regional_name: str | None) -> tuple[Any, Any, list[Any]]:
    """(HQ admin, regional manager, the regional manager's regions): the named existing users,
    else the bench users, created if missing."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.utils import timezone
    from guardian.shortcuts import assign_perm

    from dealers.models import Region
    from dealers.selectors import regions_for

    users = get_user_model()
    if admin_name and regional_name:
        regional = users.objects.get(username=regional_name)
        return users.objects.get(username=admin_name), regional, list(regions_for(regional))
    admin, _ = users.objects.get_or_create(
        username="bench_hq_admin",
        defaults={"hq_role": "hq_admin", "first_name": "Bench", "last_name": "Admin"},
    )
    regional, _ = users.objects.get_or_create(
        username="bench_regional",
        defaults={"hq_role": "hq_regional_manager", "first_name": "Bench", "last_name": "Regional"},
    )
    regions = list(Region.objects.annotate(n=Count("dealers")).order_by("-n", "code")[:2])
    for region in regions:
        assign_perm("dealers.view_region_kpis", regional, region)
    for user in (admin, regional):
        if user.password_changed_at is None:
            users.objects.filter(pk=user.pk).update(password_changed_at=timezone.now())
    return admin, regional, regions


def seed_plan(year: int, dealer_ids: list[int], *, reseed: bool = False) -> None:
    """A plan for `year` derived from the facts (see the module docstring), if none exists;
    `reseed`: replace an earlier bench plan (e.g. seeded before the rollup had finished)."""
    import hashlib

    from django.db import transaction
    from django.db.models import Sum

    from dms.tenancy.context import as_dealers
    from reports.models import METRIC_FIELDS, KpiMonth, Metric, PlanTarget, PlanVersion

    start = time.perf_counter()
    with as_dealers(dealer_ids, write=True), transaction.atomic():
        bench = PlanVersion.objects.filter(year=year, note="bench")
        if reseed and bench.exists():
            PlanTarget.objects.filter(version__in=bench).delete()
            bench.delete()
        if PlanVersion.objects.filter(year=year).exists():
            return
        version = PlanVersion.objects.create(year=year, number=1, note="bench")
        facts: dict[tuple[int, int, int], dict[str, int]] = {}
        for row in (
            KpiMonth.objects.filter(month__year=year, vehicle_model__isnull=False)
            .values("dealer_id", "month", "vehicle_model_id")
            .annotate(**{f"s_{m}": Sum(METRIC_FIELDS[Metric(m)]) for m in Metric.values})
        ):
            key = (row["dealer_id"], row["month"].month, row["vehicle_model_id"])
            facts[key] = {m: row[f"s_{m}"] or 0 for m in Metric.values}
        per_dealer_model: dict[tuple[int, int], list[dict[str, int]]] = {}
        for (dealer_id, _month, model_id), values in facts.items():
            per_dealer_model.setdefault((dealer_id, model_id), []).append(values)
        rows = []
        for (dealer_id, model_id), months in per_dealer_model.items():
            digest = hashlib.sha256(str(dealer_id).encode()).digest()
            factor = 0.8 + 0.45 * digest[0] / 255
            average = {m: sum(v[m] for v in months) / len(months) for m in Metric.values}
            for month in range(1, 13):
                actual = facts.get((dealer_id, month, model_id))
                for metric in Metric.values:
                    base = actual[metric] if actual else average[metric]
                    rows.append(
                        PlanTarget(
                            dealer_id=dealer_id,
                            version=version,
                            month=month,
                            vehicle_model_id=model_id,
                            metric=metric,
                            target=max(0, round(base * factor)),
                        )
                    )
        PlanTarget.objects.bulk_create(rows, batch_size=5000)
        PlanVersion.objects.filter(pk=version.pk).update(row_count=len(rows))
    print(
        f"seeded bench plan {year} v1: {len(rows):,} targets in {time.perf_counter() - start:.1f} s"
    )


def replay(conn: Any, page: PageResult, dealer_ids: list[int], *, n: int) -> None:
    ids = ",".join(map(str, sorted(dealer_ids)))
    page.per_statement_ms = [[] for _ in page.statements]
    for round_ in range(n + 2):
        with conn.cursor() as cursor:
            cursor.execute("SELECT set_config('app.dealer_ids', %s, true)", [ids])
            total = 0.0
            for i, sql in enumerate(page.statements):
                start = time.perf_counter()
                cursor.execute(sql.replace("%", "%%"))
                if cursor.description is not None:
                    cursor.fetchall()
                elapsed = (time.perf_counter() - start) * 1000
                total += elapsed
                if round_ >= 2:
                    page.per_statement_ms[i].append(elapsed)
            if round_ >= 2:
                page.raw_ms.append(total)
        conn.rollback()


def main() -> None:  # noqa: C901 - one linear script
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=40, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--no-seed-plan", action="store_true")
    parser.add_argument(
        "--reseed-plan", action="store_true", help="replace an earlier bench plan (note 'bench')"
    )
    parser.add_argument("--show-sql", action="store_true")
    parser.add_argument("--hq-admin", help="an existing HQ admin (default: bench_hq_admin)")
    parser.add_argument("--regional", help="an existing regional manager (default: bench_regional)")
    args = parser.parse_args()

    setup_django(owner=False)
    from django.db.models import Max, Sum
    from django.urls import reverse

    from dealers.models import Dealer, Membership
    from dealers.selectors import dealers_visible_to
    from dms.tenancy.context import as_dealers
    from reports.dashboards.selectors import as_of_date
    from reports.models import KpiDay, KpiMonth

    require_runtime_role()

    all_ids = list(Dealer.objects.values_list("id", flat=True))
    with as_dealers(all_ids):
        as_of = as_of_date(all_ids)
        days = KpiDay.objects.count()
        months = KpiMonth.objects.count()
        last_month = KpiMonth.objects.aggregate(last=Max("month"))["last"]
        if last_month is None:
            raise SystemExit("no KPI facts: run `manage.py kpi_rollup` on the bench database first")
        biggest = (
            KpiMonth.objects.values("dealer_id")
            .annotate(n=Sum("leads_new"))
            .order_by("-n", "dealer_id")
            .first()
        )
    print(
        f"{len(all_ids)} dealers; {days:,} KpiDay rows, {months:,} KpiMonth rows; "
        f"rolled through {as_of or '(no completed rollup run yet)'}"
    )
    if as_of is None:
        print(
            "  note: without a completed run the pages show no as-of date and judge nothing "
            "pro rata; they read the same facts and plans (same statements, same cost)"
        )
    year = as_of.year if as_of else last_month.year
    if not args.no_seed_plan:
        seed_plan(year, all_ids, reseed=args.reseed_plan)

    admin, regional, regions = hq_users(args.hq_admin, args.regional)
    regional_ids = list(dealers_visible_to(regional).values_list("id", flat=True))
    print(
        f"regional manager {regional.username}: {', '.join(r.name for r in regions)} "
        f"({len(regional_ids)} dealers)"
    )
    with as_dealers(regional_ids):
        own = (
            KpiMonth.objects.values("dealer_id")
            .annotate(n=Sum("leads_new"))
            .order_by("-n", "dealer_id")
            .first()
        )
    drill_id = own["dealer_id"] if own else regional_ids[0]
    dealer = Dealer.objects.get(pk=biggest["dealer_id"]) if biggest else Dealer.objects.first()
    assert dealer is not None
    manager_membership = (
        Membership.objects.filter(dealer=dealer, role="dealer_manager", is_active=True).first()
        or Membership.objects.filter(dealer=dealer, role="sales_manager").first()
    )
    assert manager_membership is not None
    manager = manager_membership.user
    print(f"dealer dashboard: {dealer.code} as {manager.username}")

    network = reverse("reports:kpi_network")
    pages = [
        (PageResult("network, all dealers (MTD)", "hq_admin", network), all_ids),
        (
            PageResult(
                "network, all dealers (YTD by pace)",
                "hq_admin",
                network + "?period=ytd&metric=leads&sort=-ytd_pace",
            ),
            all_ids,
        ),
        (PageResult("network, own regions", "regional", network), regional_ids),
        (
            PageResult(
                "drill-down, one dealer",
                "regional",
                reverse("reports:kpi_network_dealer", args=[drill_id]),
            ),
            [drill_id],
        ),
        (
            PageResult("dealer dashboard", "manager", reverse("reports:kpi_dashboard")),
            [dealer.pk],
        ),
    ]
    clients = {
        "hq_admin": client_for(admin),
        "regional": client_for(regional),
        "manager": client_for(manager),
    }
    from dms.process import settle_process

    settle_process()  # as a web worker does after start-up (dms/wsgi.py)
    for page, _ids in pages:
        measure_page(clients[page.who], page, n=args.n, warmup=args.warmup)
    conn = raw_connection()
    for page, ids in pages:
        replay(conn, page, ids, n=args.n)
    conn.close()

    print()
    header = (
        f"{'page':<36} {'who':<9} {'p50 ms':>7} {'p95 ms':>7} {'':>4} {'queries':>7} "
        f"{'raw ms':>7} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    all_ok = True
    for page, _ids in pages:
        ok = page.p95 <= TARGET_MS
        if page.who != "manager":
            all_ok &= ok
        print(
            f"{page.name:<36} {page.who:<9} {page.p50:7.1f} {page.p95:7.1f} {verdict(ok):>4} "
            f"{len(page.statements):7d} {page.raw_p50:7.2f} {page.ratio:6.1f}"
        )
    print(f"target: p95 <= {TARGET_MS:.0f} ms server time; n={args.n} after {args.warmup} warm-up")
    print("\nslowest statement per page (raw p50):")
    for page, _ids in pages:
        ms, sql = page.slowest()
        print(f"  {page.name:<36} {ms:7.2f} ms  {sql[:140]}")
    if args.show_sql:
        for page, _ids in pages:
            print(f"\n-- {page.name} ({page.who}): {len(page.statements)} statements")
            for sql, times in zip(page.statements, page.per_statement_ms, strict=True):
                print(f"   {statistics.median(times):7.2f} ms  {sql[:300]}")
    print("\nHQ NETWORK TARGET MET" if all_ok else "\nHQ NETWORK TARGET MISSED")


if __name__ == "__main__":
    main()
