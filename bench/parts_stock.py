"""Parts store speed (issue 15, Speed): part lookup with supersession and stock (target p95 ≤ 30 ms),
network availability of a part across the dealers (p95 ≤ 50 ms), reserve / issue (p95 ≤ 20 ms)
and the "ledger sum = on hand" check over the whole database, timed.

Its own database (`DMS_BENCH_DB`, default dms_bench_parts), built on first run as the owner with
set-based SQL: `--dealers` (170) × `--stocked` (5,000) balances over a `--parts` (50,000)
catalogue with 5 % of the parts superseded, `--movements` ledger lines per balance (the issue's
20 M is `--movements 24`; the default 4 gives 3.4 M and builds in minutes), and the network
availability projection. Fifty "popular" parts are stocked by every dealer (the worst case of the
network lookup). The timings run as the runtime role (row-level security applies); the ledger
check runs as the owner (the operations check reads every dealer).

    .venv/bin/python bench/parts_stock.py     # options: --dealers --parts --stocked --movements
                                              #   --runs 200 --fresh
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("DMS_BENCH_DB", "dms_bench_parts")  # before bench.common reads it
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bench_database_url, require_runtime_role, setup_django  # noqa: E402

POPULAR = 50


def _create_database(fresh: bool) -> bool:
    """Create the database when missing (or `fresh`); True when it must be built."""
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
    return not exists


def _build(dealers: int, parts: int, stocked: int, movements: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from dealers.models import Dealer, Region
    from inventory.models import Part, PartGroup

    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    if Dealer.objects.filter(code="P0000").exists():
        print("bench network already built (use --fresh to rebuild)")
        return
    regions = Region.objects.bulk_create(
        [Region(code=f"R{i}", name=f"Region {i}") for i in range(4)]
    )
    Dealer.objects.bulk_create(
        [
            Dealer(
                code=f"P{i:04d}",
                name=f"Parts dealer {i}",
                legal_name=f"Parts dealer {i} GmbH",
                region=regions[i % 4],
                city=f"Town {i}",
            )  # fmt: skip
            for i in range(dealers)
        ]
    )
    group = PartGroup.objects.create(code="BENCH", name="Bench parts")
    Part.objects.bulk_create(
        [
            Part(number=f"P{i:07d}", description=f"Bench part {i}", group=group)
            for i in range(parts)
        ],
        batch_size=5000,
    )
    print(f"  catalogue and dealers: {time.perf_counter() - start:6.1f} s", flush=True)
    popular = POPULAR
    spread = stocked - popular
    step = max(1, (parts - popular) // spread)  # distinct parts per dealer
    with connection.cursor() as cursor:
        # 5 % of the parts are replaced by the next number (chains of one; the lookup follows).
        cursor.execute(
            """
            INSERT INTO inventory_partsupersession (part_id, replaced_by_id, valid_from, note)
            SELECT p.id, n.id, DATE '2024-01-01', ''
            FROM inventory_part p JOIN inventory_part n ON n.number = 'P' || lpad(
                (substr(p.number, 2)::int + 1)::text, 7, '0')
            WHERE substr(p.number, 2)::int % 20 = 7
            """
        )
        # Balances: the popular parts at every dealer, then a spread of others (no repeats).
        cursor.execute(
            f"""
            INSERT INTO inventory_partstock (dealer_id, part_id, bin, on_hand, reserved, on_order,
                minimum, reorder_point, maximum, average_cost, last_movement_at)
            SELECT d.id, p.id, 'A-' || lpad((p.id % 400)::text, 3, '0'),
                   {movements} * (1 + (p.id + d.id) % 4), 0, 0, 0, 2, 10, 12.5, now()
            FROM dealers_dealer d
            JOIN LATERAL (
                SELECT k FROM generate_series(0, {popular - 1}) k
                UNION ALL
                SELECT {popular} + ((d.id * 37 + k * {step}) % ({parts} - {popular}))
                FROM generate_series(0, {spread - 1}) k
            ) pick ON true
            JOIN inventory_part p ON p.number = 'P' || lpad(pick.k::text, 7, '0')
            WHERE d.code LIKE 'P%'
            """  # noqa: S608 - integers from argparse
        )
        print(f"  balances: {time.perf_counter() - start:6.1f} s", flush=True)
        # The ledger: `movements` receipts per balance that add up to its on hand.
        cursor.execute(
            f"""
            INSERT INTO inventory_stockmovement (dealer_id, part_id, kind, quantity,
                reserved_change, unit_cost, reason, reference, at)
            SELECT s.dealer_id, s.part_id, 'receipt', s.on_hand / {movements}, 0, 12.5, '',
                   'bench', now() - make_interval(days => g)
            FROM inventory_partstock s CROSS JOIN generate_series(1, {movements}) g
            """  # noqa: S608
        )
        print(f"  ledger: {time.perf_counter() - start:6.1f} s", flush=True)
        cursor.execute(
            """
            INSERT INTO inventory_partavailability (dealer_id, part_id, band)
            SELECT dealer_id, part_id,
                   CASE WHEN on_hand - reserved <= 1 THEN 1
                        WHEN on_hand - reserved <= 5 THEN 2 ELSE 3 END
            FROM inventory_partstock WHERE on_hand - reserved > 0
            """
        )
        cursor.execute(
            "INSERT INTO inventory_warehousestock (part_id, available, updated_at)"
            " SELECT id, 100, now() FROM inventory_part WHERE id % 3 = 0"
        )
        cursor.execute("ANALYZE")
    print(f"  built in {time.perf_counter() - start:6.1f} s", flush=True)


def _timed(label: str, runs: int, call: Callable[[], int]) -> None:
    times: list[float] = []
    queries = 0
    for _ in range(runs):
        start = time.perf_counter()
        queries = call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
    print(
        f"  {label:<52} p50 {statistics.median(times):6.2f} ms   p95 {p95:6.2f} ms"
        f"   {queries} queries",
        flush=True,
    )


def _measure(runs: int, parts: int) -> None:
    import datetime as dt

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from dealers.models import Dealer
    from dms.tenancy.context import as_dealer
    from inventory.models import Part
    from inventory.stock import selectors, services
    from inventory.stock.models import PartStock

    require_runtime_role()
    day = dt.date(2027, 3, 15)
    dealer = Dealer.objects.get(code="P0001")
    rng = random.Random(15)
    with as_dealer(dealer), transaction.atomic():
        stocked = list(PartStock.objects.filter(on_hand__gte=4).values_list("part_id", flat=True))
    superseded = [f"P{i:07d}" for i in range(7, parts, 20)]
    print(f"{Dealer.objects.count()} dealers; {len(stocked):,} stocked parts at {dealer.code}")

    def counted(call: Callable[[], object]) -> int:
        connection.queries_log.clear()  # (the log keeps 9,000 queries: count this call's only)
        with (
            as_dealer(dealer),
            CaptureQueriesContext(connection) as queries,
            transaction.atomic(),
        ):
            call()
        return len(queries)

    def lookup() -> int:
        number = rng.choice(superseded) if rng.random() < 0.5 else f"P{rng.randrange(parts):07d}"
        return counted(lambda: selectors.part_lookup(dealer_id=dealer.pk, number=number, on=day))

    popular = list(Part.objects.filter(number__lt=f"P{POPULAR:07d}"))

    def network() -> int:
        part = rng.choice(popular)
        return counted(
            lambda: selectors.network_availability(part=part, asking_dealer=dealer, actor=None)
        )

    def reserve() -> int:
        part_id = rng.choice(stocked)
        return counted(
            lambda: services.reserve(
                dealer_id=dealer.pk,
                part=part_id,
                quantity=1,
                reference="bench",
                actor=None,
                on=day,
            )  # fmt: skip
        )

    def issue() -> int:
        part_id = rng.choice(stocked)
        return counted(
            lambda: services.issue(
                dealer_id=dealer.pk,
                part=part_id,
                quantity=1,
                reference="bench",
                actor=None,
                on=day,
            )  # fmt: skip
        )

    for _ in range(10):  # warm the connection and the plans
        lookup(), network()
    _timed("part lookup (half of them superseded numbers)", runs, lookup)
    _timed(f"network availability ({Dealer.objects.count()} dealers stock it)", runs, network)
    _timed("reserve 1 (committed)", runs, reserve)
    _timed("issue 1 (committed)", runs, issue)


def _ledger_check() -> None:
    from django.db import connection

    from inventory.stock import selectors

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM inventory_stockmovement")
        lines = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM inventory_partstock")
        balances = cursor.fetchone()[0]
    start = time.perf_counter()
    mismatches = selectors.ledger_mismatches()
    elapsed = time.perf_counter() - start
    print(
        f"  ledger check: {lines:,} movements vs {balances:,} balances:"
        f" {len(mismatches)} mismatches in {elapsed:6.2f} s",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dealers", type=int, default=170)
    parser.add_argument("--parts", type=int, default=50_000)
    parser.add_argument("--stocked", type=int, default=5_000)
    parser.add_argument("--movements", type=int, default=4)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    _create_database(args.fresh)
    setup_django(owner=True)
    _build(args.dealers, args.parts, args.stocked, args.movements)
    _ledger_check()
    from django.conf import settings
    from django.db import connections

    connections["default"].close()
    connections["default"].settings_dict["USER"] = settings.APP_DB_USER
    connections["default"].settings_dict["PASSWORD"] = settings.APP_DB_PASSWORD
    _measure(args.runs, args.parts)


if __name__ == "__main__":
    main()
