"""Nightly reorder suggestions for the whole network (issue 15, item 6; target ≤ 60 s for 170
dealers × 5,000 stocked parts): the service as the nightly job runs it (one SQL statement per
dealer computing the lines, then the dealer's draft order written, each in the dealer's scope as
the runtime role), a rerun (idempotent: the drafts are rebuilt), and ONE hand-written SQL
statement computing every dealer's suggestions at once — timed in the same run.

Its own database (`DMS_BENCH_DB`, default dms_bench_reorder), built on first run as the owner
with SQL generate_series: `--parts` catalogue parts, `--dealers` dealers × `--stocked` stocked
parts each (about a third below their reorder point), and `--issues` issue movements per dealer
spread over the last 180 days (the last 90 count as demand).

    .venv/bin/python bench/reorder.py                       # 170 × 5,000, 20,000 issues a dealer
    .venv/bin/python bench/reorder.py --dealers 20 --stocked 1000 --fresh   # a quick run
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("DMS_BENCH_DB", "dms_bench_reorder")  # before bench.common reads it
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bench_database_url, require_runtime_role, setup_django  # noqa: E402

DAY = dt.date(2027, 3, 15)


def _create_database(fresh: bool) -> None:
    import psycopg

    url = bench_database_url()
    head, _, name = url.rpartition("/")
    with psycopg.connect(f"{head}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}"')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _build(args: argparse.Namespace) -> None:
    """The network, generated in the database (owner connection: RLS does not apply)."""
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM dealers_dealer WHERE code LIKE 'RB%%'")
        if cursor.fetchone()[0]:
            print("bench data already there (use --fresh to rebuild)")
            return
        start = time.perf_counter()
        cursor.execute(
            "INSERT INTO dealers_region (code, name) VALUES ('rb', 'Bench region') RETURNING id"
        )
        region = cursor.fetchone()[0]
        from tests.factories import DealerFactory  # the model's own defaults for every column

        for i in range(args.dealers):
            DealerFactory(code=f"RB{i:04d}", name=f"Bench dealer {i}", region_id=region)
        cursor.execute(
            "INSERT INTO inventory_partgroup (code, name) VALUES ('RB', 'Bench') RETURNING id"
        )
        group = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO inventory_part (number, description, unit, group_id, is_active,"
            " created_at, updated_at)"
            " SELECT 'RB' || lpad(g::text, 7, '0'), 'Bench part ' || g, 'pc', %s, true, now(), now()"
            " FROM generate_series(1, %s) g",
            [group, args.parts],
        )
        # Stocked parts: levels 4 / 10; on hand cycles 0..11 (a third below the point), a few
        # reserved, some on order.
        cursor.execute(
            "INSERT INTO inventory_partstock (dealer_id, part_id, bin, on_hand, reserved, on_order,"
            " minimum, reorder_point, maximum, average_cost)"
            " SELECT d.id, p.id, 'A1', (p.id + d.id) %% 12, CASE WHEN (p.id + d.id) %% 12 > 2"
            " THEN 1 ELSE 0 END, CASE WHEN (p.id * d.id) %% 7 = 0 THEN 2 ELSE 0 END, 2, 4,"
            " CASE WHEN p.id %% 5 = 0 THEN 0 ELSE 10 END, 10"
            " FROM dealers_dealer d"
            " CROSS JOIN LATERAL (SELECT id FROM inventory_part WHERE number LIKE 'RB%%'"
            "   ORDER BY id OFFSET (d.id * 97) %% GREATEST(1, %s - %s) LIMIT %s) p"
            " WHERE d.code LIKE 'RB%%'",
            [args.parts, args.stocked, args.stocked],
        )
        cursor.execute(
            "INSERT INTO inventory_stockmovement (dealer_id, part_id, kind, quantity,"
            " reserved_change, reason, reference, at)"
            " SELECT s.dealer_id, s.part_id, 'issue', -1, 0, '', 'bench',"
            "   %s::timestamptz - ((g * 7919 + s.part_id) %% (180 * 24)) * interval '1 hour'"
            " FROM inventory_partstock s CROSS JOIN generate_series(1, %s) g",
            [dt.datetime.combine(DAY, dt.time(12), tzinfo=dt.UTC),
             max(1, -(-args.issues // args.stocked))],
        )  # fmt: skip
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM inventory_partstock")
        stocked = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM inventory_stockmovement")
        moves = cursor.fetchone()[0]
    print(
        f"generated {args.dealers} dealers, {stocked:,} stocked parts, {moves:,} issues "
        f"in {time.perf_counter() - start:.1f} s"
    )


# One hand-written statement: every dealer's suggestions at once (the same rule as the service,
# written for the whole network in one go; no writes).
NETWORK_SQL = """
WITH demand AS (
    SELECT dealer_id, part_id, SUM(-quantity) AS issued
    FROM inventory_stockmovement
    WHERE kind = 'issue' AND at >= %(since)s
    GROUP BY dealer_id, part_id
)
SELECT count(*), COALESCE(SUM(q), 0) FROM (
    SELECT CEIL(CASE WHEN s.maximum > 0 THEN s.maximum
                     ELSE s.reorder_point + COALESCE(d.issued, 0) / 3 END
                - (s.on_hand - s.reserved + s.on_order)) AS q
    FROM inventory_partstock s
    JOIN inventory_part p ON p.id = s.part_id AND p.is_active
    LEFT JOIN demand d ON d.dealer_id = s.dealer_id AND d.part_id = s.part_id
    WHERE s.reorder_point > 0 AND s.on_hand - s.reserved + s.on_order < s.reorder_point
      AND NOT EXISTS (SELECT 1 FROM inventory_partsupersession x
                      WHERE x.part_id = s.part_id AND x.valid_from <= %(on)s)
) t WHERE q > 0
"""


def _run(args: argparse.Namespace) -> None:
    from django.db import connection, transaction

    from dealers.models import Dealer
    from dms.tenancy.context import as_dealer, as_dealers
    from inventory.orders import services
    from inventory.orders.models import PartsOrderLine

    require_runtime_role()
    ids = list(
        Dealer.objects.filter(code__startswith="RB").order_by("pk").values_list("pk", flat=True)
    )
    figures: dict[str, float] = {}
    for label in ("nightly job (service, per dealer)", "rerun (drafts rebuilt)"):
        start = time.perf_counter()
        slowest = 0.0
        for dealer_id in ids:
            one = time.perf_counter()
            with as_dealer(dealer_id), transaction.atomic():
                services.suggest_reorders(dealer_id=dealer_id, on=DAY)
            slowest = max(slowest, time.perf_counter() - one)
        figures[label] = time.perf_counter() - start
        print(f"  {label:<40} {figures[label]:8.2f} s   (slowest dealer {slowest * 1000:.0f} ms)")
    with as_dealers(ids):
        lines = PartsOrderLine.objects.count()
    since = dt.datetime.combine(DAY - dt.timedelta(days=90), dt.time.min, tzinfo=dt.UTC)
    start = time.perf_counter()
    with as_dealers(ids), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(NETWORK_SQL, {"since": since, "on": DAY})
        count, total = cursor.fetchone()
    figures["one SQL"] = time.perf_counter() - start
    print(f"  {'one hand-written SQL statement':<40} {figures['one SQL']:8.2f} s")
    print(
        f"suggested lines: service {lines:,}, one statement {count:,} (units {total}); "
        f"dealers {len(ids)}; target ≤ 60 s for the nightly job"
    )
    if lines != count:
        raise SystemExit("the service and the hand-written statement disagree")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dealers", type=int, default=170)
    parser.add_argument("--stocked", type=int, default=5000, help="stocked parts per dealer")
    parser.add_argument("--parts", type=int, default=50_000, help="catalogue parts")
    parser.add_argument(
        "--issues",
        type=int,
        default=20_000,
        help="issue movements per dealer over the last 180 days (rounded up to a whole number "
        "per stocked part)",
    )
    parser.add_argument("--fresh", action="store_true", help="drop and regenerate the database")
    args = parser.parse_args()
    _create_database(args.fresh)
    setup_django(owner=True)
    _build(args)
    from django.conf import settings
    from django.db import connections

    # Timings as the runtime role: row-level security applies, as in production.
    connections["default"].close()
    connections["default"].settings_dict["USER"] = settings.APP_DB_USER
    connections["default"].settings_dict["PASSWORD"] = settings.APP_DB_PASSWORD
    _run(args)


if __name__ == "__main__":
    main()
