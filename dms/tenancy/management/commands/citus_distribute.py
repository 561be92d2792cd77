"""manage.py citus_distribute: place every table on a Citus cluster (dms/tenancy/placement.py).

Run as the owner on the coordinator after `setup_db` (scripts/citus.sh distribute does both).
Idempotent: tables already where they belong are left alone, so it is also the step after a
migration that added tables.

Foreign keys are the obstacle: Citus turns a plain table that references a reference table into
a coordinator-only table on its own, and such a table can no longer be distributed (its identity
column). So the keys touching the tables still to place are saved in `citus_fk_backlog`, dropped,
the tables placed (reference tables, then the colocated distributed tables, then the coordinator
tables), and the keys put back — Citus checks every one of them then. An interrupted run leaves
the saved keys in the backlog; the next run puts them back.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from dms.tenancy.placement import Placement, placement

BACKLOG = "citus_fk_backlog"

CURRENT_PLACEMENT_SQL = """
SELECT logicalrelid::regclass::text,
       CASE WHEN partmethod = 'h' THEN 'distributed'
            WHEN repmodel = 't' THEN 'reference'
            ELSE 'coordinator' END
  FROM pg_dist_partition
"""


def _existing_tables(cursor: Any) -> set[str]:
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
    )
    return {row[0] for row in cursor.fetchall()}


class Command(BaseCommand):
    help = "Distribute tenant tables on dealer_id, replicate HQ tables, keep the rest local."

    def handle(self, *args: Any, **options: Any) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
            if cursor.fetchone() is None:
                raise CommandError("the citus extension is not installed in this database")
            existing = _existing_tables(cursor)
            wanted = {t: p for t, p in placement().items() if t in existing}
            unknown = sorted(existing - set(wanted) - {BACKLOG})
            if unknown:
                raise CommandError(f"tables without a placement: {', '.join(unknown)}")
            cursor.execute(CURRENT_PLACEMENT_SQL)
            current: dict[str, str] = dict(cursor.fetchall())
            misplaced = sorted(t for t, p in current.items() if t in wanted and p != wanted[t])
            if misplaced:
                raise CommandError(
                    "already placed elsewhere (undistribute them by hand first): "
                    + ", ".join(f"{t} is {current[t]}, should be {wanted[t]}" for t in misplaced)
                )
            todo = {t: p for t, p in wanted.items() if t not in current}
            self._save_and_drop_keys(cursor, set(todo))
            for kind in ("reference", "distributed", "coordinator"):
                for table in sorted(t for t, p in todo.items() if p == kind):
                    self._place(cursor, table, kind)
            self._restore_keys(cursor)
            for table in sorted(t for t, p in wanted.items() if p == "coordinator"):
                self._resync_identity(cursor, table)
            cursor.execute(CURRENT_PLACEMENT_SQL)
            now: dict[str, str] = dict(cursor.fetchall())
        self._report(wanted, now, placed=len(todo))

    def _save_and_drop_keys(self, cursor: Any, tables: set[str]) -> None:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {BACKLOG} (source text, name text, definition text,"
            " PRIMARY KEY (source, name))"
        )
        if not tables:
            return
        with transaction.atomic():
            cursor.execute(
                "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)"
                "  FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace"
                " WHERE c.contype = 'f' AND n.nspname = 'public'"
                "   AND (c.conrelid::regclass::text = ANY(%s)"
                "        OR c.confrelid::regclass::text = ANY(%s))",
                [sorted(tables), sorted(tables)],
            )
            keys = cursor.fetchall()
            for source, name, definition in keys:
                cursor.execute(
                    f"INSERT INTO {BACKLOG} VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",  # noqa: S608
                    [source, name, definition],
                )
                cursor.execute(f'ALTER TABLE "{source}" DROP CONSTRAINT "{name}"')
        self.stdout.write(f"foreign keys set aside while placing {len(tables)} tables: {len(keys)}")

    def _place(self, cursor: Any, table: str, kind: Placement) -> None:
        if kind == "reference":
            # The catalogue's history triggers (django-pghistory) write to event tables that
            # are reference tables too: Citus runs them on every placement only with this on.
            cursor.execute("SET LOCAL citus.enable_unsafe_triggers = on")
            cursor.execute("SELECT create_reference_table(%s)", [table])
        elif kind == "distributed":
            # Same shard count and column type: Citus colocates them all (one shard group).
            cursor.execute("SELECT create_distributed_table(%s, 'dealer_id')", [table])
        else:
            # On the coordinator, known to Citus so that it may keep keys to reference tables.
            cursor.execute("SELECT citus_add_local_table_to_metadata(%s)", [table])
        self.stdout.write(f"  {kind:<12} {table}")

    def _resync_identity(self, cursor: Any, table: str) -> None:
        """citus_add_local_table_to_metadata restarts the identity sequence of the table it
        moves (seen with Citus 13.2: django_migrations' next id became 1 with 94 rows there).
        Point each identity sequence of a coordinator table past its highest id again
        (idempotent, so every run repairs it)."""
        cursor.execute(
            "SELECT a.attname FROM pg_attribute a WHERE a.attrelid = %s::regclass"
            " AND a.attidentity <> '' AND NOT a.attisdropped",
            [table],
        )
        for (column,) in cursor.fetchall():
            cursor.execute(f'SELECT max("{column}") FROM "{table}"')  # noqa: S608
            highest = cursor.fetchone()[0]
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, %s), %s, %s)",
                [table, column, highest or 1, highest is not None],
            )

    def _restore_keys(self, cursor: Any) -> None:
        cursor.execute(f"SELECT source, name, definition FROM {BACKLOG} ORDER BY 1, 2")  # noqa: S608
        for source, name, definition in cursor.fetchall():
            with transaction.atomic():
                cursor.execute(f'ALTER TABLE "{source}" ADD CONSTRAINT "{name}" {definition}')
                cursor.execute(
                    f"DELETE FROM {BACKLOG} WHERE source = %s AND name = %s",  # noqa: S608
                    [source, name],
                )
        cursor.execute(f"DROP TABLE {BACKLOG}")

    def _report(self, wanted: dict[str, Placement], now: dict[str, str], *, placed: int) -> None:
        counts = Counter(now.get(t, "not placed") for t in wanted)
        self.stdout.write(f"placed now: {placed} tables")
        for kind in ("distributed", "reference", "coordinator", "not placed"):
            tables = sorted(t for t in wanted if now.get(t, "not placed") == kind)
            if tables:
                self.stdout.write(f"{kind} ({counts[kind]}): {', '.join(tables)}")
        wrong = sorted(t for t, p in wanted.items() if now.get(t) != p)
        if wrong:
            raise CommandError(f"not where they belong: {', '.join(wrong)}")
