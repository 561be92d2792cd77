"""Prices on a day (issue 14, Speed): a 40-line repair order (30 parts + 10 labour lines) and a
40-line quote (vehicle codes) priced from HQ's price lists on a day — target ≤ 5 ms and ≤ 2
queries. Prints p50/p95 and the query count of each.

Its own database (`DMS_BENCH_DB`, default dms_bench_prices), built on first run as the owner:
20,000 parts in 40 groups, three published versions of the parts list (so the lookup has to
pick the version of the day), a labour list with 6 grades, a vehicle list with 40 codes, one
dealer with its own labour rates. The timings run as the runtime role (row-level security
applies, as in production).

    .venv/bin/python bench/prices.py            # options: --runs 200 --fresh
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("DMS_BENCH_DB", "dms_bench_prices")  # before bench.common reads it
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bench_database_url, require_runtime_role, setup_django  # noqa: E402

PARTS, GROUPS, GRADES = 20_000, 40, 6
VERSION_STARTS = (dt.date(2025, 1, 1), dt.date(2026, 1, 1), dt.date(2027, 1, 1))
DAY = dt.date(2026, 6, 15)  # inside the second version


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


def _build() -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bulletins.models import (
        DealerLabourRate,
        LabourPrice,
        PartGroupDiscount,
        PartPrice,
        PriceList,
        PriceListVersion,
        VehiclePrice,
    )
    from dealers.models import Dealer, Region
    from dms.tenancy.context import as_dealer
    from inventory.models import LabourGrade, Part, PartGroup

    call_command("migrate", verbosity=0)
    if Part.objects.filter(number__startswith="B").exists():
        return
    rng = random.Random(14)
    now = timezone.now()
    groups = PartGroup.objects.bulk_create(
        [PartGroup(code=f"G{i:02d}", name=f"Group {i}") for i in range(GROUPS)]
    )
    parts = Part.objects.bulk_create(
        [
            Part(number=f"B{i:07d}", description=f"Part {i}", group=groups[i % GROUPS])
            for i in range(PARTS)
        ],
        batch_size=5000,
    )
    grades = LabourGrade.objects.bulk_create(
        [LabourGrade(code=f"L{i}", name=f"Grade {i}") for i in range(GRADES)]
    )
    parts_list = PriceList.objects.create(name="Bench parts", kind="parts", currency="EUR")
    labour_list = PriceList.objects.create(name="Bench labour", kind="labour", currency="EUR")
    for number, start in enumerate(VERSION_STARTS, start=1):
        end = VERSION_STARTS[number] if number < len(VERSION_STARTS) else None
        version = PriceListVersion.objects.create(
            price_list=parts_list,
            number=number,
            status="published",
            valid_from=start,
            valid_until=end,
            published_at=now,
        )
        PartPrice.objects.bulk_create(
            [
                PartPrice(
                    version=version,
                    part=part,
                    retail_price=Decimal(rng.randint(100, 99_999)) / 100,
                    dealer_net_price=None if i % 3 else Decimal("1.00"),
                )
                for i, part in enumerate(parts)
            ],
            batch_size=5000,
        )
        PartGroupDiscount.objects.bulk_create(
            [
                PartGroupDiscount(version=version, group=g, discount_percent=Decimal(20))
                for g in groups
            ]
        )
        labour = PriceListVersion.objects.create(
            price_list=labour_list,
            number=number,
            status="published",
            valid_from=start,
            valid_until=end,
            published_at=now,
        )
        LabourPrice.objects.bulk_create(
            [
                LabourPrice(
                    version=labour,
                    grade=g,
                    recommended_rate=Decimal(120),
                    min_rate=Decimal(100),
                    max_rate=Decimal(150),
                )
                for g in grades
            ]
        )
    vehicles = PriceList.objects.filter(kind="vehicle").order_by("id").first()
    if vehicles is not None:
        version = vehicles.versions.filter(status="published").order_by("-valid_from").first()
        existing = set(VehiclePrice.objects.filter(version=version).values_list("kind", "code"))
        VehiclePrice.objects.bulk_create(
            [
                VehiclePrice(version=version, kind="option", code=f"BOPT{i}", price=Decimal(100))
                for i in range(40)
                if ("option", f"BOPT{i}") not in existing
            ]
        )
    region = Region.objects.create(code="bench", name="Bench")
    dealer = Dealer.objects.create(
        code="BENCH", name="Bench dealer", legal_name="Bench GmbH", region=region
    )
    with as_dealer(dealer):
        DealerLabourRate.objects.bulk_create(
            [
                DealerLabourRate(dealer=dealer, grade=g, rate=Decimal(130), set_at=now)
                for g in grades[:3]
            ]
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


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
        f"   {queries} queries"
    )


def _measure(runs: int) -> None:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from bulletins import pricing
    from dealers.models import Dealer
    from dms.tenancy.context import as_dealer
    from inventory.models import LabourGrade

    require_runtime_role()
    dealer = Dealer.objects.get(code="BENCH")
    rng = random.Random(40)
    grade_ids = list(LabourGrade.objects.filter(code__startswith="L").values_list("id", flat=True))

    def repair_order() -> int:
        numbers = [f"B{rng.randrange(PARTS):07d}" for _ in range(30)]
        grades = [rng.choice(grade_ids) for _ in range(10)]
        with (
            as_dealer(dealer),
            transaction.atomic(),
            CaptureQueriesContext(connection) as queries,
        ):
            found = pricing.prices_on(DAY, dealer=dealer, part_numbers=numbers, grade_ids=grades)
        assert found.parts is not None and len(found.parts.by_number) == len(set(numbers))
        return len(queries)

    def quote() -> int:
        wanted = [("trim", "A3-CORE")] + [("option", f"BOPT{i}") for i in range(39)]
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            found = pricing.vehicle_prices(DAY, wanted=wanted)
        assert found.version is not None
        return len(queries)

    for _ in range(10):  # warm the connection and the plans
        repair_order()
    print(f"priced on {DAY} (parts list: {len(VERSION_STARTS)} versions × {PARTS:,} parts)")
    _timed("repair order: 30 parts + 10 labour lines", runs, repair_order)
    _timed("quote: 40 vehicle codes", runs, quote)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    _create_database(args.fresh)
    setup_django(owner=True)
    _build()
    from django.conf import settings
    from django.db import connections

    connections["default"].close()
    connections["default"].settings_dict["USER"] = settings.APP_DB_USER
    connections["default"].settings_dict["PASSWORD"] = settings.APP_DB_PASSWORD
    _measure(args.runs)


if __name__ == "__main__":
    main()
