"""Shared bench plumbing: a separate database (dms_bench) on the same server, Django set up
against it, and a fast COPY writer that fills every column a model has."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DB = os.environ.get("DMS_BENCH_DB", "dms_bench")


def bench_database_url() -> str:
    """DATABASE_URL of the bench database (same server as the project's database)."""
    sys.path.insert(0, str(BASE_DIR))
    base = os.environ.get("DATABASE_URL")
    if not base:
        from dms.devdb import embedded_database_url

        base = embedded_database_url()
    head, _, _ = base.rpartition("/")
    return f"{head}/{BENCH_DB}"


def setup_django(*, owner: bool) -> None:
    os.environ["DATABASE_URL"] = bench_database_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dms.settings")
    os.environ.setdefault("DMS_TESTING", "1")  # no SECRET_KEY needed, fast hasher
    if owner:
        os.environ["DMS_DB_AS_OWNER"] = "1"
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


@contextmanager
def timed(label: str, results: dict[str, float] | None = None) -> Iterator[None]:
    start = time.perf_counter()
    yield
    elapsed = time.perf_counter() - start
    if results is not None:
        results[label] = elapsed
    print(f"  {label:<38} {elapsed:8.2f} s", flush=True)


def copy_rows(model: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY rows into the model's table. `columns` are attnames given by each row; every other
    column gets the field's Python default (or '' / NULL), so schema additions don't break it."""
    from django.db import connection
    from django.db.models import NOT_PROVIDED
    from django.utils import timezone

    fields = [f for f in model._meta.concrete_fields if not f.primary_key or f.attname in columns]
    given = list(columns)
    extra: list[tuple[str, Any]] = []
    now = timezone.now()
    for f in fields:
        if f.attname in given:
            continue
        if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False):
            extra.append((f.column, now))
        elif f.default is not NOT_PROVIDED:
            value = f.get_default()
            if isinstance(value, dict | list):
                import json

                value = json.dumps(value)
            extra.append((f.column, value))
        elif f.null:
            continue
        else:
            extra.append((f.column, ""))
    col_names = [model._meta.get_field(c).column for c in given] + [c for c, _ in extra]
    extra_values = tuple(v for _, v in extra)
    table = model._meta.db_table
    count = 0
    raw = connection.connection
    assert raw is not None
    with raw.cursor() as cursor:
        cols = ", ".join(f'"{c}"' for c in col_names)
        with cursor.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row((*row, *extra_values))
                count += 1
    return count


def reset_sequence(model: Any) -> None:
    from django.db import connection

    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
            f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
        )
