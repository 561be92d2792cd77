"""Strict import speed (issue 14, item 3): a 100,000-row parts file, CSV and XLSX, read + checked
+ dry run + applied in one transaction, against a plain COPY of the same rows into a scratch
table in the same run (the ratio is the price of strictness).

The file is the parts catalogue (dms/imports + inventory/imports.py); each run starts from the
same catalogue (the apply is rolled back). Two cases: a first load (100,000 new parts) and an
update of a loaded catalogue (10 % changed, 1 % removed, 5,000 new). The pghistory row triggers
are measured by running the same INSERT … SELECT into a trigger-less copy of the table.

Its own database (`DMS_BENCH_DB`, default dms_bench_imports), built on first run as the owner;
the timings run as the runtime role (as the Celery worker does).

    .venv/bin/python bench/imports.py            # options: --rows 100000 --seed 14 --fresh
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("DMS_BENCH_DB", "dms_bench_imports")  # before bench.common reads it
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import BASE_DIR, bench_database_url, setup_django  # noqa: E402

HEADER = ["number", "description", "unit", "group", "weight_kg", "replaced_by", "valid_from"]
GROUPS = ["FILTER", "BRAKE", "ENGINE", "BODY", "ELEC", "SUSP", "COOL", "EXHST", "TRIM", "OIL"]
UNITS = ["pc", "pc", "pc", "set", "pair", "l", "m", "kg"]
WORDS = ["filter", "pad", "disc", "seal", "bracket", "hose", "clamp", "sensor", "bulb", "bolt",
         "gasket", "bearing", "belt", "pump", "valve", "mirror", "trim", "cover", "switch"]  # fmt: skip


def rows(n: int, seed: int, *, variant: int = 0) -> list[list[str]]:
    """`n` parts (deterministic). variant 1: the same catalogue a month later — 10 % of the
    descriptions or weights changed, the last 1 % gone, 5 % new parts at the end."""
    rng = random.Random(seed)
    out: list[list[str]] = []
    for i in range(n):
        number = f"0{rng.randrange(10**8):08d}{'ABCDEFGH'[i % 8]}{i:06d}"
        words = " ".join(rng.choice(WORDS) for _ in range(3))
        weight = f"{rng.randrange(1, 50000) / 1000:.3f}" if i % 4 else ""
        out.append([number, words.capitalize(), rng.choice(UNITS), GROUPS[i % 10], weight, "", ""])
    # Supersessions: 10 % of the parts are replaced by a later part (chains, never loops).
    for i in range(0, n - 10, 10):
        out[i][5] = out[i + 7][0]
        out[i][6] = f"2027-{1 + i % 12:02d}-01"
    if variant == 1:
        for i in range(3, n, 10):
            out[i][1] = out[i][1] + " (revised)"
        out = out[: n - n // 100]
        out = [r for r in out if not r[5] or int(r[5][-6:]) < len(out)]
        for i in range(n // 20):
            out.append([f"9{i:09d}", f"New part {i}", "pc", "ENGINE", "1.000", "", ""])
    return out


def write_files(data: list[list[str]], folder: Path, name: str) -> tuple[Path, Path]:
    from openpyxl import Workbook

    folder.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path = folder / f"{name}.csv", folder / f"{name}.xlsx"
    with csv_path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(data)
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for row in data:
        sheet.append(row)  # every cell a string: part numbers stored as text
    book.save(xlsx_path)
    return csv_path, xlsx_path


def prices(data: list[list[str]], seed: int, *, later: bool) -> list[list[str]]:
    """Prices of the catalogue's parts: version 1 (95 % of the parts), or the next version's
    file (99 % of the parts: 10 % of the prices changed, net prices for half of them)."""
    rng = random.Random(seed + 7)
    out = []
    for i, row in enumerate(data):
        retail = rng.randrange(100, 99999)
        if later and i % 10 == 5:
            retail += 50
        net = f"{retail * 0.8 / 100:.2f}" if i % 2 else ""
        if (not later and i % 20 == 19) or (later and i % 100 == 98):
            continue
        out.append([row[0], f"{retail / 100:.2f}", net])
    return out


def publish_first_prices(data: list[list[str]], seed: int, actor: Any) -> Any:
    import datetime as dt
    from decimal import Decimal

    from bulletins import pricing_services as ps

    plist = ps.create_price_list(name="Bench parts", kind="parts", currency="EUR", actor=actor)
    rows = [
        ps.PartRow(n, Decimal(r), Decimal(net) if net else None)
        for n, r, net in prices(data, seed, later=False)
    ]
    draft = ps.draft_from_rows(price_list=plist, rows=rows, actor=actor)
    assert ps.check_version(version=draft, actor=actor) == []
    ps.publish(version=draft, valid_from=ps.importer_today() + dt.timedelta(days=1), actor=actor)
    return plist


def write_price_files(data: list[list[str]], seed: int, folder: Path) -> tuple[Path, Path]:
    from openpyxl import Workbook

    rows = prices(data, seed, later=True)
    header = ["part_number", "retail_price", "dealer_net_price"]
    csv_path, xlsx_path = folder / "prices.csv", folder / "prices.xlsx"
    with csv_path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(header)
    for number, retail, net in rows:
        # the part number as text; prices as numbers, as a spreadsheet user types them
        sheet.append([number, float(retail), float(net) if net else None])
    book.save(xlsx_path)
    return csv_path, xlsx_path


def _create_database(fresh: bool) -> None:
    import psycopg

    url = bench_database_url()
    head, _, name = url.rpartition("/")
    with psycopg.connect(f"{head}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _build() -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from inventory.models import Part, PartGroup

    call_command("migrate", verbosity=0)
    for code in GROUPS:
        PartGroup.objects.get_or_create(code=code, defaults={"name": code.title()})
    get_user_model().objects.get_or_create(
        username="bench-hq-admin", defaults={"hq_role": "hq_admin"}
    )
    Part.objects.update(is_active=True)


class Rollback(Exception):
    pass


def timed_import(path: Path, fmt: str, actor: Any, importer: Any = None) -> dict[str, float]:
    """read + check + dry run + apply, in one transaction rolled back afterwards."""
    from django.db import transaction

    from dms.imports.services import check_file
    from inventory.imports import PartsCatalogueImporter

    timings: dict[str, float] = {}
    importer = importer or PartsCatalogueImporter()
    started = time.perf_counter()
    checked = check_file(importer=importer, path=path, fmt=fmt, timings=timings)
    assert not checked.errors, checked.errors.items[:5]
    assert checked.changes is not None
    timings["new"], timings["changed"], timings["removed"] = (
        checked.changes.new,
        checked.changes.changed,
        checked.changes.removed,
    )
    try:
        with transaction.atomic():
            t = time.perf_counter()
            importer.apply(checked.data, actor=actor, job_id=0)
            timings["apply"] = round(time.perf_counter() - t, 3)
            timings["total"] = round(time.perf_counter() - started, 3)
            raise Rollback
    except Rollback:
        pass
    return timings


def timed_copy(path: Path) -> float:
    """A plain COPY of the same CSV into a scratch table of text columns (no checks, no
    history)."""
    from django.db import connection, transaction

    with path.open(encoding="utf-8") as source:
        header = source.readline().strip().split(",")
    columns = ", ".join(f'"{name}" text' for name in header)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS pg_temp.scratch_parts")
        cursor.execute(f"CREATE TEMP TABLE scratch_parts ({columns}) ON COMMIT DROP")
        started = time.perf_counter()
        with (
            path.open("rb") as source,
            cursor.cursor.copy(
                "COPY scratch_parts FROM STDIN WITH (FORMAT csv, HEADER true)"
            ) as copy,
        ):
            while chunk := source.read(1 << 20):
                copy.write(chunk)
        return round(time.perf_counter() - started, 3)


def trigger_cost(data: list[list[str]]) -> tuple[float, float]:
    """The INSERT … SELECT of the apply into inventory_part (pghistory row triggers) and into a
    trigger-less copy of it, same rows (rolled back)."""
    import pghistory
    from django.db import connection, transaction

    from inventory.models import PartGroup

    groups = dict(PartGroup.objects.values_list("code", "pk"))
    times = []
    for target in ("inventory_part", "clone_part"):
        try:
            with (
                transaction.atomic(),
                pghistory.context(change="bench"),
                connection.cursor() as cursor,
            ):
                # as the import's apply does (in a pghistory context: with none, the context
                # function raises and catches an error per row too — 79 s for 100,000 rows
                # measured on 2026-12-07 against 2.4 s without the trigger) (inventory/imports.py: pgtrigger's per-row
                # EXCEPTION block is quadratic over a big transaction when this is unset)
                cursor.execute("SELECT set_config('pgtrigger.ignore', '{}', true)")
                cursor.execute(
                    "CREATE TEMP TABLE clone_part (LIKE inventory_part INCLUDING ALL) "
                    "ON COMMIT DROP"
                )
                cursor.execute(
                    "CREATE TEMP TABLE stage (number text, description text, unit text, "
                    "group_id bigint, weight_kg numeric) ON COMMIT DROP"
                )
                with cursor.cursor.copy("COPY stage FROM STDIN") as copy:
                    for r in data:
                        copy.write_row((r[0], r[1], r[2], groups[r[3]], r[4] or None))
                started = time.perf_counter()
                cursor.execute(
                    f"INSERT INTO {target} (number, description, unit, group_id, weight_kg, "  # noqa: S608
                    "is_active, created_at, updated_at) SELECT number, description, unit, "
                    "group_id, weight_kg, true, now(), now() FROM stage "
                    "ON CONFLICT (number) DO NOTHING"
                )
                times.append(round(time.perf_counter() - started, 3))
                raise Rollback
        except Rollback:
            pass
    return times[0], times[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    _create_database(args.fresh)
    setup_django(owner=True)
    from django.conf import settings
    from django.db import connection, connections

    from inventory.models import Part

    _build()
    folder = BASE_DIR / "var" / "bench_imports"
    started = time.perf_counter()
    first = rows(args.rows, args.seed)
    later = rows(args.rows, args.seed, variant=1)
    files = {
        "first": write_files(first, folder, "parts_first"),
        "later": write_files(later, folder, "parts_later"),
    }
    print(f"files generated in {time.perf_counter() - started:.1f} s: "
          + ", ".join(f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for pair in files.values() for p in pair))  # fmt: skip

    connections["default"].close()
    connections["default"].settings_dict["USER"] = settings.APP_DB_USER
    connections["default"].settings_dict["PASSWORD"] = settings.APP_DB_PASSWORD
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        print(f"timings as role {cursor.fetchone()[0]}")
    from django.contrib.auth import get_user_model

    actor = get_user_model().objects.get(username="bench-hq-admin")
    from django.db import transaction

    print(f"\n{'case':<28}{'read':>7}{'check':>7}{'diff':>7}{'apply':>7}{'total':>8}"
          f"{'COPY':>7}{'ratio':>7}   new/changed/removed")  # fmt: skip

    def line(case: str, t: dict[str, float], copy_s: float) -> None:
        print(f"{case:<28}{t['read']:>7.2f}{t['check']:>7.2f}{t['diff']:>7.2f}{t['apply']:>7.2f}"
              f"{t['total']:>8.2f}{copy_s:>7.2f}{t['total'] / copy_s:>6.0f}x   "
              f"{t['new']:.0f}/{t['changed']:.0f}/{t['removed']:.0f}")  # fmt: skip

    # 1. first load: the catalogue is empty.
    for fmt, path in (("csv", files["first"][0]), ("xlsx", files["first"][1])):
        if Part.objects.exists():
            raise SystemExit("the bench database already has parts: run with --fresh")
        line(f"first load {fmt}", timed_import(path, fmt, actor), timed_copy(files["first"][0]))
    # 2. update: load the first file (rolled back at the end), then time the later one.
    from dms.imports.services import check_file
    from inventory.imports import PartsCatalogueImporter

    try:
        with transaction.atomic():
            loaded = check_file(
                importer=PartsCatalogueImporter(), path=files["first"][0], fmt="csv"
            )
            PartsCatalogueImporter().apply(loaded.data, actor=actor, job_id=0)
            for fmt, path in (("csv", files["later"][0]), ("xlsx", files["later"][1])):
                line(
                    f"update {fmt}",
                    timed_import(path, fmt, actor),
                    timed_copy(path.with_suffix(".csv")),
                )
            # 3. the parts price list: version 1 published, the file is the next version.
            price_list = publish_first_prices(first, args.seed, actor)
            price_files = write_price_files(first, args.seed, folder)
            from bulletins.price_imports import PartsPriceImporter

            for fmt, path in (("csv", price_files[0]), ("xlsx", price_files[1])):
                importer = PartsPriceImporter(str(price_list.pk))
                line(
                    f"parts price list {fmt}",
                    timed_import(path, fmt, actor, importer),
                    timed_copy(price_files[0]),
                )
            raise Rollback
    except Rollback:
        pass
    with_triggers, without = trigger_cost(rows(args.rows, args.seed + 1))
    print(f"\nINSERT … SELECT of {args.rows:,} new parts: {with_triggers:.2f} s with the pghistory "
          f"row trigger, {without:.2f} s into a trigger-less copy (+{with_triggers - without:.2f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
