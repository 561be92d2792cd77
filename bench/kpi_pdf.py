"""Time the KPI pack PDF of one dealer's month on the bench network (run bench/generate.py and the
KPI rollup first, so reports_kpiday / reports_kpimonth hold a year of facts).

    .venv/bin/python bench/kpi_pdf.py [-n 5] [--dealer CODE] [--year Y --month M] [--job N]

Django is set up on `dms_bench` as the RUNTIME role (RLS applies, as in production). The dealer
is the one with the most new leads in the facts of the last 12 months (the biggest pack: most
consultants, fullest charts) unless --dealer is given; the month is the month of the facts'
as-of date unless --year/--month are given.

Printed:
- cold: the first pack in a fresh process (imports WeasyPrint and pygal, loads the fonts);
- warm, N runs, each split into its parts: dealer_kpis() (the dashboards' selector, SQL),
  template + charts (pygal SVG), WeasyPrint layout, PDF writing; p50 and max of the total;
- through the view: N GET requests of reports:export_kpi_pdf by the dealer's manager
  (django.test.Client, second factor marked verified), server time p50/max, including the audit
  entry the view writes;
- with --job N: a ZIP pack job of the first N dealers of the dealer's region, run in-process
  (reports.exports.services.run_pack_job, as the Celery task does): total and per dealer; the
  job's requester is a user `bench_hq_admin` (HQ admin, created on first use), the file is
  deleted afterwards.
Target (issue 5): a dealer's month in <= 3 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import require_runtime_role, setup_django

TARGET_S = 3.0


def pick_dealer(code: str | None) -> Any:
    from django.db.models import Sum

    from dealers.models import Dealer
    from dms.tenancy.context import as_dealers
    from reports.models import KpiMonth

    if code:
        return Dealer.objects.select_related("region").get(code=code)
    ids = list(Dealer.objects.values_list("id", flat=True))
    since = dt.date.today().replace(day=1) - dt.timedelta(days=366)
    with as_dealers(ids):
        top = (
            KpiMonth.objects.filter(month__gte=since)
            .values("dealer_id")
            .annotate(n=Sum("leads_new"))
            .order_by("-n", "dealer_id")
            .first()
        )
    if top is None:
        raise SystemExit("no KPI facts in the bench database: run the KPI rollup first")
    return Dealer.objects.select_related("region").get(pk=top["dealer_id"])


def timed_pack(dealer: Any, year: int, month: int) -> dict[str, Any]:
    from dms.tenancy.context import as_dealer
    from reports.dashboards.selectors import dealer_kpis
    from reports.exports import pdf

    parts: dict[str, Any] = {}
    cpu = time.process_time()
    start = time.perf_counter()
    with as_dealer(dealer):
        kpis = dealer_kpis(dealer, year=year, month=month)
    parts["kpis"] = time.perf_counter() - start
    mark = time.perf_counter()
    html = pdf.render_pack_html(kpis)
    parts["html"] = time.perf_counter() - mark
    mark = time.perf_counter()
    document = pdf._document(html)
    parts["layout"] = time.perf_counter() - mark
    mark = time.perf_counter()
    content = document.write_pdf()
    parts["write"] = time.perf_counter() - mark
    parts["total"] = time.perf_counter() - start
    parts["cpu"] = time.process_time() - cpu
    parts["pages"] = len(document.pages)
    parts["bytes"] = len(content)
    parts["consultants"] = len(kpis.leaderboard)
    return parts


def manager_client(dealer: Any) -> Any:
    from bench.funnel_pages import client_for
    from dealers.models import Membership

    member = (
        Membership.objects.filter(dealer=dealer, is_active=True, role="dealer_manager")
        .select_related("user")
        .first()
        or Membership.objects.filter(dealer=dealer, is_active=True, role="sales_manager")
        .select_related("user")
        .first()
    )
    if member is None:
        raise SystemExit(f"{dealer.code} has no dealer or sales manager")
    return client_for(member.user), member.user


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=5, help="timed warm runs (and view requests)")
    parser.add_argument("--dealer", help="dealer code (default: most new leads in the facts)")
    parser.add_argument("--year", type=int)
    parser.add_argument("--month", type=int)
    parser.add_argument("--job", type=int, default=0, metavar="N", help="also time a ZIP job")
    parser.add_argument("--out", help="write the last PDF here (to look at it)")
    args = parser.parse_args()

    setup_django(owner=False)
    from django.urls import reverse

    from dms.tenancy.context import as_dealer
    from reports.dashboards.selectors import as_of_date

    require_runtime_role()

    dealer = pick_dealer(args.dealer)
    with as_dealer(dealer):
        as_of = as_of_date([dealer.pk])
    if args.year and args.month:
        year, month = args.year, args.month
    elif as_of is not None:
        year, month = as_of.year, as_of.month
    else:
        raise SystemExit("no facts: give --year and --month")
    print(f"dealer {dealer.code} ({dealer.region.name}), month {year}-{month:02d}, as of {as_of}")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")

    cold = timed_pack(dealer, year, month)
    print(
        f"  cold (first pack in the process)   {cold['total']:6.2f} s   "
        f"{cold['pages']} pages, {cold['bytes'] / 1024:.0f} KiB, {cold['consultants']} consultants"
    )
    runs = [timed_pack(dealer, year, month) for _ in range(args.n)]
    for key, label in [
        ("kpis", "dealer_kpis() (SQL)"),
        ("html", "template + pygal charts"),
        ("layout", "WeasyPrint layout"),
        ("write", "PDF writing"),
    ]:
        values = [r[key] for r in runs]
        print(
            f"  warm {label:<30} p50 {statistics.median(values):6.3f} s  max {max(values):6.3f} s"
        )
    totals = [r["total"] for r in runs]
    p50, worst = statistics.median(totals), max(totals)
    cpu = statistics.median(r["cpu"] for r in runs)
    print(
        f"  warm total ({args.n} runs)              p50 {p50:6.2f} s  max {worst:6.2f} s  "
        f"(CPU p50 {cpu:5.2f} s)"
    )

    client, user = manager_client(dealer)
    url = reverse("reports:export_kpi_pdf", args=[dealer.pk]) + f"?year={year}&month={month}"
    client.get(url)  # warm-up of the request path
    view_times, view_cpu = [], []
    content = b""
    for _ in range(args.n):
        cpu_start = time.process_time()
        start = time.perf_counter()
        response = client.get(url)
        view_times.append(time.perf_counter() - start)
        view_cpu.append(time.process_time() - cpu_start)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        content = response.content
    view_p50 = statistics.median(view_times)
    print(
        f"  through the view as {user.username:<14} p50 {view_p50:6.2f} s  "
        f"max {max(view_times):6.2f} s  (CPU p50 {statistics.median(view_cpu):5.2f} s)"
    )
    verdict = "PASS" if view_p50 <= TARGET_S and p50 <= TARGET_S else "FAIL"
    print(f"  target <= {TARGET_S:.0f} s per dealer month: {verdict}")
    if args.out:
        Path(args.out).write_bytes(content)
        print(f"  written to {args.out}")

    if args.job:
        from dealers.models import Dealer
        from dealers.selectors import access_for
        from reports.exports import services
        from reports.models import ExportJob

        # The generated network has no HQ users: the job's requester is a bench HQ admin
        # (created once, no usable password).
        hq, _created = type(user).objects.get_or_create(
            username="bench_hq_admin", defaults={"hq_role": "hq_admin"}
        )
        access = access_for(hq)
        ids = list(
            Dealer.objects.filter(region=dealer.region)
            .order_by("code")
            .values_list("pk", flat=True)
        )[: args.job]
        job = ExportJob.objects.create(
            requested_by=hq,
            kind="pack_zip",
            year=year,
            month=month,
            dealer_ids=ids,
            label="bench",
            total=len(ids),
        )
        assert set(ids) <= set(access.dealer_ids)
        start = time.perf_counter()
        job = services.run_pack_job(job_id=job.pk)
        elapsed = time.perf_counter() - start
        print(
            f"  ZIP job of {len(ids)} dealers ({job.status})        {elapsed:6.2f} s  "
            f"{elapsed / max(1, len(ids)):5.2f} s/dealer, {job.size / 1024 / 1024:.1f} MiB"
        )
        path = services.job_path(job)
        if path is not None:
            path.unlink()


if __name__ == "__main__":
    main()
