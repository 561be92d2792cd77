"""Time the KPI rollup on the bench network (dms_bench) as the runtime role, each figure compared
in the same run with ONE hand-written INSERT ... SELECT ... GROUP BY over the same data into a
scratch table (no indexes, no chunks, no bookkeeping, no months):

  (a) the full rollup: the last 365 days for every dealer        target <= 60 s, ratio <= 1.5
  (b) one day (yesterday) for every dealer                        target <=  5 s, ratio <= 1.5
  (c) the nightly run (yesterday + dirty days), for information
  (d) the manager funnel of the biggest dealer from the facts vs counted live

    .venv/bin/python bench/rollup.py [--days 365] [--chunk 20] [--skip-full]

The scratch statement computes the same measures; its sums are compared with the facts', so the
baseline is checked to do the same work.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import require_runtime_role, setup_django  # noqa: E402
from dealers.clock import today_in

# The hand-written baseline: one statement, the measures of reports.models.MEASURES in order.
BASELINE = """
CREATE TEMP TABLE IF NOT EXISTS kpi_scratch (
  dealer_id bigint, day date, consultant_id bigint, source_id bigint, vehicle_model_id bigint,
  stage_new int, stage_contacted int, stage_visited int, stage_test_drive int, stage_quote int,
  stage_order int, stage_delivered int, stage_lost int, stage_dormant int, leads_new int,
  visits int, calls int, test_drives int, quotes int, orders int, deliveries int, lost int,
  followups_due int, followups_on_time int, first_responses int, first_response_minutes int,
  cohort_contacted int, cohort_visited int, cohort_test_drive int, cohort_quote int,
  cohort_order int, cohort_delivered int, cohort_lost int, cohort_dormant int);
TRUNCATE kpi_scratch;
WITH d AS (SELECT id, timezone AS tz FROM dealers_dealer WHERE id = ANY(%(ids)s)),
sc AS (
  SELECT DISTINCT x.dealer_id, (x.changed_at AT TIME ZONE d.tz)::date AS day, x.consultant_id,
         x.lead_id, x.to_stage, (x.from_stage = '' AND x.to_stage = 'new') AS opening
    FROM leads_stagechange x JOIN d ON d.id = x.dealer_id
   WHERE x.changed_at BETWEEN %(lo)s AND %(hi)s
     AND (x.changed_at AT TIME ZONE d.tz)::date BETWEEN %(start)s AND %(end)s),
ev (dealer_id, day, consultant_id, source_id, model_id, kind, n, minutes) AS (
  SELECT sc.dealer_id, sc.day, sc.consultant_id, l.source_id, l.vehicle_model_id,
         CASE WHEN sc.opening THEN 'opening' ELSE sc.to_stage END, 1, 0
    FROM sc JOIN leads_lead l ON l.dealer_id = sc.dealer_id AND l.id = sc.lead_id
  UNION ALL
  SELECT v.dealer_id, (v.arrived_at AT TIME ZONE d.tz)::date, v.served_by_id, v.source_id,
         v.vehicle_model_id, v.kind, 1, 0
    FROM leads_visit v JOIN d ON d.id = v.dealer_id
   WHERE v.arrived_at BETWEEN %(lo)s AND %(hi)s
     AND (v.arrived_at AT TIME ZONE d.tz)::date BETWEEN %(start)s AND %(end)s
  UNION ALL
  SELECT t.dealer_id, (coalesce(t.returned_at, t.ends_at) AT TIME ZONE d.tz)::date,
         t.consultant_id, l.source_id, dv.vehicle_model_id, 'drive', 1, 0
    FROM sales_testdrive t JOIN d ON d.id = t.dealer_id
    JOIN sales_demovehicle dv ON dv.dealer_id = t.dealer_id AND dv.id = t.vehicle_id
    JOIN leads_lead l ON l.dealer_id = t.dealer_id AND l.id = t.lead_id
   WHERE t.status = 'done' AND coalesce(t.returned_at, t.ends_at) BETWEEN %(lo)s AND %(hi)s
     AND (coalesce(t.returned_at, t.ends_at) AT TIME ZONE d.tz)::date
         BETWEEN %(start)s AND %(end)s
  UNION ALL
  SELECT q.dealer_id, (q.sent_at AT TIME ZONE d.tz)::date, q.created_by_id, l.source_id,
         tr.vehicle_model_id, 'quote_sent', 1, 0
    FROM sales_quote q JOIN d ON d.id = q.dealer_id JOIN inventory_trim tr ON tr.id = q.trim_id
    JOIN leads_lead l ON l.dealer_id = q.dealer_id AND l.id = q.lead_id
   WHERE q.sent_at BETWEEN %(lo)s AND %(hi)s
     AND (q.sent_at AT TIME ZONE d.tz)::date BETWEEN %(start)s AND %(end)s
  UNION ALL
  SELECT o.dealer_id, (o.ordered_at AT TIME ZONE d.tz)::date,
         coalesce(s.consultant_id, o.consultant_id), l.source_id, tr.vehicle_model_id,
         'ordered', 1, 0
    FROM sales_order o JOIN d ON d.id = o.dealer_id
    JOIN sales_quote q ON q.dealer_id = o.dealer_id AND q.id = o.quote_id
    JOIN inventory_trim tr ON tr.id = q.trim_id
    JOIN leads_lead l ON l.dealer_id = o.dealer_id AND l.id = o.lead_id
    LEFT JOIN LATERAL (SELECT x.consultant_id FROM leads_stagechange x
                        WHERE x.dealer_id = o.dealer_id AND x.lead_id = o.lead_id
                          AND x.to_stage = 'order'
                          AND x.changed_at >= o.ordered_at - interval '1 minute'
                        ORDER BY x.changed_at, x.id LIMIT 1) s ON TRUE
   WHERE o.status <> 'cancelled' AND o.ordered_at BETWEEN %(lo)s AND %(hi)s
     AND (o.ordered_at AT TIME ZONE d.tz)::date BETWEEN %(start)s AND %(end)s
  UNION ALL
  SELECT o.dealer_id, (o.delivered_at AT TIME ZONE d.tz)::date,
         coalesce(l.credited_to_id, o.consultant_id), l.source_id, tr.vehicle_model_id,
         'handed_over', 1, 0
    FROM sales_order o JOIN d ON d.id = o.dealer_id
    JOIN sales_quote q ON q.dealer_id = o.dealer_id AND q.id = o.quote_id
    JOIN inventory_trim tr ON tr.id = q.trim_id
    JOIN leads_lead l ON l.dealer_id = o.dealer_id AND l.id = o.lead_id
   WHERE o.status = 'delivered' AND o.delivered_at BETWEEN %(lo)s AND %(hi)s
     AND (o.delivered_at AT TIME ZONE d.tz)::date BETWEEN %(start)s AND %(end)s
  UNION ALL
  SELECT f.dealer_id, (f.due_at AT TIME ZONE d.tz)::date, f.owner_id, l.source_id,
         l.vehicle_model_id, CASE WHEN f.done_at <= f.due_at THEN 'fu_ok' ELSE 'fu' END, 1, 0
    FROM leads_followup f JOIN d ON d.id = f.dealer_id
    JOIN leads_lead l ON l.dealer_id = f.dealer_id AND l.id = f.lead_id
   WHERE f.due_at BETWEEN %(lo)s AND %(hi)s
     AND (f.due_at AT TIME ZONE d.tz)::date BETWEEN %(start)s AND %(end)s
  UNION ALL
  SELECT l.dealer_id, (l.first_response_at AT TIME ZONE d.tz)::date,
         coalesce(op.consultant_id, l.consultant_id), l.source_id, l.vehicle_model_id,
         'response', 1,
         greatest(0, floor(extract(epoch FROM l.first_response_at - l.created_at) / 60))::int
    FROM leads_lead l JOIN d ON d.id = l.dealer_id
    LEFT JOIN LATERAL (SELECT x.consultant_id FROM leads_stagechange x
                        WHERE x.dealer_id = l.dealer_id AND x.lead_id = l.id
                          AND x.from_stage = ''
                        ORDER BY x.changed_at, x.id LIMIT 1) op ON TRUE
   WHERE l.first_response_at BETWEEN %(lo)s AND %(hi)s
     AND (l.first_response_at AT TIME ZONE d.tz)::date BETWEEN %(start)s AND %(end)s
  UNION ALL
  -- the cohort of the leads opened that day: one event per stage each reached, and its outcome
  SELECT c.dealer_id, c.day, c.consultant_id, c.source_id, c.model_id, r.kind, 1, 0
    FROM (SELECT op.dealer_id, (op.changed_at AT TIME ZONE d.tz)::date AS day, op.consultant_id,
                 l.source_id, l.vehicle_model_id AS model_id,
                 max(array_position(ARRAY['new', 'contacted', 'visited', 'test_drive', 'quote',
                                          'order', 'delivered'], x.to_stage::text)) - 1 AS furthest,
                 (array_agg(x.to_stage ORDER BY x.changed_at DESC, x.id DESC))[1] AS last_stage
            FROM leads_stagechange op JOIN d ON d.id = op.dealer_id
            JOIN leads_lead l ON l.dealer_id = op.dealer_id AND l.id = op.lead_id
            JOIN leads_stagechange x ON x.dealer_id = op.dealer_id AND x.lead_id = op.lead_id
             AND x.changed_at < date_trunc('day', %(now)s::timestamptz AT TIME ZONE d.tz)
                                AT TIME ZONE d.tz
           WHERE op.from_stage = '' AND op.to_stage = 'new'
             AND op.changed_at BETWEEN %(lo)s AND %(hi)s
             AND (op.changed_at AT TIME ZONE d.tz)::date BETWEEN %(start)s AND %(end)s
           GROUP BY op.dealer_id, op.id, 2, op.consultant_id, l.source_id, l.vehicle_model_id) c
    JOIN (VALUES (1, 'reach1'), (2, 'reach2'), (3, 'reach3'), (4, 'reach4'), (5, 'reach5'),
                 (6, 'reach6'), (-1, 'co_lost'), (-2, 'co_dormant')) r (i, kind)
      ON (r.i > 0 AND c.furthest >= r.i) OR (r.i = -1 AND c.last_stage = 'lost')
      OR (r.i = -2 AND c.last_stage = 'dormant'))
INSERT INTO kpi_scratch
SELECT dealer_id, day, consultant_id, source_id, model_id,
  count(*) FILTER (WHERE kind IN ('new', 'opening')),
  count(*) FILTER (WHERE kind = 'contacted'), count(*) FILTER (WHERE kind = 'visited'),
  count(*) FILTER (WHERE kind = 'test_drive'), count(*) FILTER (WHERE kind = 'quote'),
  count(*) FILTER (WHERE kind = 'order'), count(*) FILTER (WHERE kind = 'delivered'),
  count(*) FILTER (WHERE kind = 'lost'), count(*) FILTER (WHERE kind = 'dormant'),
  count(*) FILTER (WHERE kind = 'opening'),
  count(*) FILTER (WHERE kind = 'walk_in'), count(*) FILTER (WHERE kind = 'phone'),
  count(*) FILTER (WHERE kind = 'drive'), count(*) FILTER (WHERE kind = 'quote_sent'),
  count(*) FILTER (WHERE kind = 'ordered'), count(*) FILTER (WHERE kind = 'handed_over'),
  count(*) FILTER (WHERE kind = 'lost'),
  count(*) FILTER (WHERE kind IN ('fu', 'fu_ok')), count(*) FILTER (WHERE kind = 'fu_ok'),
  count(*) FILTER (WHERE kind = 'response'), coalesce(sum(minutes), 0),
  count(*) FILTER (WHERE kind = 'reach1'), count(*) FILTER (WHERE kind = 'reach2'),
  count(*) FILTER (WHERE kind = 'reach3'), count(*) FILTER (WHERE kind = 'reach4'),
  count(*) FILTER (WHERE kind = 'reach5'), count(*) FILTER (WHERE kind = 'reach6'),
  count(*) FILTER (WHERE kind = 'co_lost'), count(*) FILTER (WHERE kind = 'co_dormant')
FROM ev GROUP BY 1, 2, 3, 4, 5;
"""


def _params(ids: list[int], start: dt.date, end: dt.date) -> dict[str, Any]:
    from reports.rollup.services import _params as params

    return params(ids, start, end)


def baseline(ids: list[int], start: dt.date, end: dt.date) -> tuple[float, dict[str, int]]:
    """The hand-written statement in one transaction as the same role and scope; returns its
    time and the sums of its measures."""
    from django.db import connection, transaction

    from dms.tenancy.context import as_dealers
    from reports.models import MEASURES
    from reports.rollup.services import BIG_RANGE_DAYS, BULK_PLANNER

    with transaction.atomic(), as_dealers(ids, write=True), connection.cursor() as cursor:
        if (end - start).days + 1 > BIG_RANGE_DAYS:  # the same planner settings as the rollup
            cursor.execute(BULK_PLANNER)
        began = time.perf_counter()
        cursor.execute(BASELINE, _params(ids, start, end))
        elapsed = time.perf_counter() - began
        cursor.execute(
            "SELECT " + ", ".join(f"coalesce(sum({m}), 0)" for m in MEASURES) + " FROM kpi_scratch"  # noqa: S608
        )
        sums = dict(zip(MEASURES, cursor.fetchone(), strict=True))
        cursor.execute("DROP TABLE kpi_scratch")
    return elapsed, sums


def fact_sums(ids: list[int], start: dt.date, end: dt.date) -> dict[str, int]:
    from django.db.models import Sum

    from dms.tenancy.context import as_dealers
    from reports.models import MEASURES, KpiDay

    with as_dealers(ids):
        got = KpiDay.objects.filter(day__gte=start, day__lte=end).aggregate(
            **{m: Sum(m) for m in MEASURES}
        )
    return {m: got[m] or 0 for m in MEASURES}


def compare(label: str, ours: float, theirs: float, target: float, sums_ok: bool) -> bool:
    ratio = ours / theirs if theirs else float("inf")
    ok = ours <= target and ratio <= 1.5
    print(
        f"  {label:<26} rollup {ours:7.2f} s   hand-written {theirs:7.2f} s   ratio {ratio:4.2f}"
        f"   target <= {target:g} s, <= 1.5x   sums {'equal' if sums_ok else 'DIFFER'}   "
        f"{'PASS' if ok and sums_ok else 'FAIL'}",
        flush=True,
    )
    return ok and sums_ok


def as_owner(sql: str) -> None:
    """One statement as the database owner (the runtime role may neither TRUNCATE nor ANALYZE)."""
    import psycopg

    from bench.common import bench_database_url

    with psycopg.connect(bench_database_url()) as owner:
        owner.execute(sql)


def clear_facts() -> None:
    """Empty the fact tables, so that (a) is a first run."""
    as_owner(
        "TRUNCATE reports_kpiday, reports_kpimonth, reports_kpifunnelmonth, reports_kpidirtyday"
    )


def analyze_facts() -> None:
    """Statistics of the freshly written facts, as autovacuum would gather them (it is off on
    the CI machines' server; without them every later plan on the facts expects one row)."""
    as_owner("ANALYZE reports_kpiday, reports_kpimonth, reports_kpifunnelmonth")


STALE_COHORTS = """
UPDATE reports_kpiday k SET cohort_contacted = k.cohort_contacted + 1
  FROM (SELECT DISTINCT op.dealer_id, (op.changed_at AT TIME ZONE d.timezone)::date AS day,
               coalesce(op.consultant_id, 0) AS consultant_id, coalesce(l.source_id, 0) AS source_id,
               coalesce(l.vehicle_model_id, 0) AS model_id
          FROM leads_stagechange sc JOIN dealers_dealer d ON d.id = sc.dealer_id
          JOIN leads_stagechange op ON op.dealer_id = sc.dealer_id AND op.lead_id = sc.lead_id
           AND op.from_stage = '' AND op.to_stage = 'new'
          JOIN leads_lead l ON l.dealer_id = op.dealer_id AND l.id = op.lead_id
         WHERE sc.dealer_id = ANY(%s) AND sc.from_stage <> ''
           AND (sc.changed_at AT TIME ZONE d.timezone)::date = %s) o
 WHERE k.dealer_id = ANY(%s) AND k.dealer_id = o.dealer_id AND k.day = o.day
   AND coalesce(k.consultant_id, 0) = o.consultant_id AND coalesce(k.source_id, 0) = o.source_id
   AND coalesce(k.vehicle_model_id, 0) = o.model_id AND k.leads_new > 0
RETURNING k.dealer_id, k.day
"""


def normal_night(ids: list[int], yesterday: dt.date, marked: int) -> None:
    """Bookkeeping as on a normal night: facts complete through the day before yesterday,
    `marked` dealer-days of the last year marked dirty (late or backdated changes), and the
    cohorts of the leads that moved yesterday a day behind."""
    import random

    from django.db import connection
    from django.utils import timezone

    from dms.tenancy.context import as_dealers
    from reports.models import KpiRun

    before = yesterday - dt.timedelta(days=1)
    now = timezone.now()
    KpiRun.objects.create(
        kind=KpiRun.Kind.RANGE,
        start=before,
        end=before,
        through=before,
        started_at=now,
        finished_at=now,
    )
    rng = random.Random(7)
    pairs = {
        (rng.choice(ids), before - dt.timedelta(days=rng.randrange(1, 365))) for _ in range(marked)
    }
    with as_dealers(ids, write=True), connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO reports_kpidirtyday (dealer_id, day, marked_at) VALUES (%s, %s, now())"
            " ON CONFLICT DO NOTHING",
            sorted(pairs),
        )
        # As on a real night, the cohorts of the leads that moved yesterday are a day behind
        # (the facts were computed before those moves): their opening days' rows are made to
        # differ, so that the run rewrites them and their months, as it would.
        cursor.execute(STALE_COHORTS, [ids, yesterday, ids])
        stale = cursor.fetchall()
        print(f"  (c) set-up: {len(stale):,} cohort rows of the leads that moved yesterday")
    # their months as the facts would have them (the sums of their days)
    from reports.rollup import services

    with as_dealers(ids, write=True):
        services._recompute_months(stale)


def main() -> None:  # noqa: C901, PLR0915 - one linear scenario
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--chunk", type=int, default=None, help="dealers per transaction")
    parser.add_argument("--jobs", type=int, default=None, help="chunks at once (connections)")
    parser.add_argument("--marked", type=int, default=300, help="dirty dealer-days for (c)")
    parser.add_argument("--skip-full", action="store_true")
    args = parser.parse_args()
    setup_django(owner=False)

    from django.conf import settings
    from django.db import connection

    from dealers.models import Dealer
    from reports.rollup import services

    require_runtime_role()
    chunk = args.chunk or services.DEFAULT_CHUNK
    jobs = args.jobs or settings.KPI_ROLLUP_JOBS
    dealers = list(Dealer.objects.order_by("pk").values_list("pk", "timezone"))
    ids = [pk for pk, _ in dealers]
    yesterday = min(today_in(tz) for _, tz in dealers) - dt.timedelta(days=1)
    start = yesterday - dt.timedelta(days=args.days - 1)
    print(
        f"KPI rollup bench: {len(ids)} dealers, {start} .. {yesterday} (role "
        f"{connection.settings_dict['USER']}), chunks of {chunk} dealers, {jobs} at once"
    )
    print("  the hand-written baseline: one statement, all dealers, one connection")
    results = []

    def bar(done: int, total: int, label: str) -> None:
        print(f"\r    chunk {done}/{total} ({label})", end="" if done < total else "\n", flush=True)

    def full(label: str) -> None:
        began = time.perf_counter()
        run = services.rollup(None, start, yesterday, bar, chunk=chunk, jobs=jobs)
        ours_s = time.perf_counter() - began
        print(f"    {run.rows:,} day rows, {run.month_rows:,} month rows")
        hand, sums = baseline(ids, start, yesterday)
        ours = fact_sums(ids, start, yesterday)
        if ours != sums:
            print(
                "    differing sums:", {m: (ours[m], sums[m]) for m in ours if ours[m] != sums[m]}
            )
        results.append(compare(label, ours_s, hand, 60, ours == sums))

    if not args.skip_full:
        clear_facts()
        full(f"(a) full, {args.days} days")
        analyze_facts()
        full("(a') rerun, facts unchanged")

    began = time.perf_counter()
    services.rollup(None, yesterday, yesterday, chunk=chunk, jobs=jobs)
    one = time.perf_counter() - began
    hand, sums = baseline(ids, yesterday, yesterday)
    ours = fact_sums(ids, yesterday, yesterday)
    results.append(compare("(b) one day", one, hand, 5, ours == sums))

    normal_night(ids, yesterday, args.marked)
    began = time.perf_counter()
    run = services.nightly(chunk=chunk, jobs=jobs)
    print(
        f"  (c) nightly                {time.perf_counter() - began:7.2f} s   "
        f"({run.dealer_days:,} dealer-days: yesterday + {args.marked} marked; {run.rows:,} rows)"
    )

    from django.db import reset_queries
    from django.db.models import Sum
    from django.test.utils import CaptureQueriesContext

    from dms.tenancy.context import as_dealer, as_dealers
    from reports.funnel import selectors as funnel_selectors
    from reports.models import KpiMonth

    with as_dealers(ids):  # the dealer with the most new leads in the period
        top = (
            KpiMonth.objects.values("dealer_id")
            .annotate(n=Sum("leads_new"))
            .order_by("-n")
            .values_list("dealer_id", flat=True)
            .first()
        )
    biggest = top or ids[0]
    dealer = Dealer.objects.get(pk=biggest)
    for days in (30, 365):
        begin_day = yesterday - dt.timedelta(days=days - 1)
        with as_dealer(dealer):
            funnel_selectors.funnel(dealer=dealer, start=begin_day, end=yesterday)  # warm
            timings = []
            for _ in range(5):
                reset_queries()
                with CaptureQueriesContext(connection) as ctx:
                    began = time.perf_counter()
                    funnel_selectors.funnel(dealer=dealer, start=begin_day, end=yesterday)
                    timings.append(time.perf_counter() - began)
            facts_ms = sorted(timings)[2] * 1000
            live = []
            for _ in range(3):
                began = time.perf_counter()
                list(funnel_selectors._live_rows(dealer, begin_day, yesterday, "consultant", None))
                live.append(time.perf_counter() - began)
        print(
            f"  (d) funnel {dealer.code}, {days:>3} days  facts {facts_ms:7.1f} ms "
            f"({len(ctx.captured_queries)} queries)   live count {sorted(live)[1] * 1000:8.1f} ms"
        )
    print("PASS" if all(results) else "FAIL")


if __name__ == "__main__":
    main()
