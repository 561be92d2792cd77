"""Citus's rules, checked on plain PostgreSQL in CI (issue 12, item 6).

scripts/citus.sh proves the schema on a real cluster, which CI cannot build. These tests check
the same rules in the catalogue and the code, so that a new table or query that a cluster would
refuse fails here first: every table has a placement; tenant tables have PRIMARY KEY
(dealer_id, id); foreign keys only go where Citus allows them; no triggers on distributed or
reference tables; no construct Citus refuses in the application's SQL (LATERAL on reference
tables, temporary tables feeding writes, set_config for the tenant ids).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import connection, models

from dms.tenancy.fields import TenantForeignKey
from dms.tenancy.models import TenantModel
from dms.tenancy.placement import COORDINATOR_TABLES, placement

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

# Where a foreign key from a table of one placement may point (Citus 13).
ALLOWED_TARGETS = {
    "distributed": {"distributed", "reference"},
    "reference": {"reference"},
    "coordinator": {"coordinator", "reference"},
}


def _rows(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return list(cursor.fetchall())


def _public_tables() -> set[str]:
    return {
        name
        for (name,) in _rows(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
        )
    }


def _foreign_keys() -> list[tuple[str, str, list[str], list[str], str]]:
    return [
        (source, target, list(cols), list(refcols), name)
        for source, target, cols, refcols, name in _rows(
            "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text,"
            " (SELECT array_agg(a.attname ORDER BY k.n) FROM unnest(c.conkey)"
            "   WITH ORDINALITY k(attnum, n) JOIN pg_attribute a"
            "   ON a.attrelid = c.conrelid AND a.attnum = k.attnum),"
            " (SELECT array_agg(a.attname ORDER BY k.n) FROM unnest(c.confkey)"
            "   WITH ORDINALITY k(attnum, n) JOIN pg_attribute a"
            "   ON a.attrelid = c.confrelid AND a.attnum = k.attnum),"
            " c.conname"
            " FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace"
            # Through pg_class: on a Citus coordinator that hides the shards of reference and
            # coordinator tables (and their keys), as it does for _public_tables().
            " JOIN pg_class s ON s.oid = c.conrelid JOIN pg_class t ON t.oid = c.confrelid"
            " WHERE c.contype = 'f' AND n.nspname = 'public'"
        )
    ]


def test_every_table_has_a_placement_and_tenant_tables_are_distributed() -> None:
    placed = placement()
    missing = sorted(_public_tables() - set(placed))
    assert not missing, f"tables without a placement (dms/tenancy/placement.py): {missing}"
    tenant = {m._meta.db_table for m in apps.get_models() if issubclass(m, TenantModel)}
    assert {t for t, p in placed.items() if p == "distributed"} == tenant
    assert set(COORDINATOR_TABLES) <= _public_tables(), "a coordinator table that does not exist"
    assert not set(COORDINATOR_TABLES) & tenant


def test_tenant_tables_have_the_composite_primary_key() -> None:
    wrong = {
        table: columns
        for table, columns in _rows(
            "SELECT c.conrelid::regclass::text, array_agg(a.attname ORDER BY k.n)"
            " FROM pg_constraint c CROSS JOIN unnest(c.conkey) WITH ORDINALITY k(attnum, n)"
            " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum"
            " WHERE c.contype = 'p' GROUP BY 1"
        )
        if placement().get(table) == "distributed" and list(columns) != ["dealer_id", "id"]
    }
    assert not wrong, f"primary keys that Citus refuses: {wrong}"


def test_foreign_keys_go_only_where_citus_allows_them() -> None:
    placed = placement()
    problems = []
    for source, target, cols, refcols, name in _foreign_keys():
        kind, target_kind = placed.get(source), placed.get(target)
        if kind is None or target_kind is None:
            problems.append(f"{name}: {source} → {target}: a table without a placement")
            continue
        if target_kind not in ALLOWED_TARGETS[kind]:
            problems.append(f"{name}: {kind} {source} → {target_kind} {target}")
        if kind == target_kind == "distributed" and (
            cols[0] != "dealer_id" or refcols != ["dealer_id", "id"]
        ):
            problems.append(
                f"{name}: {source}({', '.join(cols)}) → {target}({', '.join(refcols)}): "
                "between tenant tables only (dealer_id, x_id) → (dealer_id, id)"
            )
    assert not problems, "\n".join(problems)


def test_no_triggers_on_distributed_tables_and_only_history_triggers_on_reference_tables() -> None:
    """Distributed tables: no trigger at all. Reference tables: only django-pghistory's row
    triggers (the catalogue's history, issue 14), which write to event tables that are reference
    tables themselves; Citus runs them on each placement with citus.enable_unsafe_triggers on
    (set by citus_distribute)."""
    placed = placement()
    rows = _rows(
        "SELECT tgrelid::regclass::text, tgname, tgtype FROM pg_trigger WHERE NOT tgisinternal"
    )
    refused = [
        f"{table}: {name}"
        for table, name, tgtype in rows
        if placed.get(table) == "distributed"
        or (
            placed.get(table) == "reference"
            # pgtrigger's names; tgtype bit 1 = FOR EACH ROW
            and not (name.startswith("pgtrigger_") and tgtype & 1)
        )
    ]
    assert not refused, f"triggers Citus refuses (or that a cluster would run wrongly): {refused}"
    history = {table for table, name, _ in rows if name.startswith("pgtrigger_")}
    assert "inventory_part" in history  # the check sees the catalogue's triggers
    events = {
        m._meta.db_table
        for m in apps.get_models()
        if m.__name__.endswith("Event") and m._meta.app_label == "inventory"
    }
    assert events and all(placed[t] == "reference" for t in events)


def _tenant_model(model: Any) -> bool:
    return isinstance(model, type) and issubclass(model, TenantModel)


def test_relations_between_tenant_models_are_tenant_foreign_keys() -> None:
    problems = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not (field.concrete and field.is_relation):
                continue
            target = field.related_model
            if not _tenant_model(target):
                continue
            label = f"{model._meta.label}.{field.name} → {target._meta.label}"  # type: ignore[union-attr]
            if isinstance(field, models.ManyToManyField):
                problems.append(f"{label}: a many-to-many to a tenant model (use a through model)")
            elif not _tenant_model(model):
                problems.append(f"{label}: only tenant tables may point at a tenant table")
            elif not isinstance(field, TenantForeignKey):
                problems.append(f"{label}: not a TenantForeignKey")
    assert not problems, "\n".join(problems)


# --- the application's own SQL ------------------------------------------------------------
APP_DIRS = ["bulletins", "dealers", "dms", "inventory", "leads", "reports", "sales",
            "service"]  # fmt: skip
REFUSED_SQL = {
    r"\bJOIN\s+LATERAL\b|,\s*LATERAL\b": "Citus refuses a lateral subquery that references a reference table",
    r"CREATE\s+TEMP": "a temporary table feeding a write becomes a COPY, refused under RLS",
    r"set_config\(\s*'app\.": "Citus forwards SET LOCAL to the workers, never set_config()",
    r"FOR EACH STATEMENT": "statement-level triggers: Citus refuses them on distributed tables",
}


def _app_sources() -> list[Path]:
    files = []
    for name in APP_DIRS:
        folder = ROOT / name
        if folder.is_dir():
            files += [
                p for p in folder.rglob("*.py") if "migrations" not in p.parts and p.is_file()
            ]
    return files


def test_no_sql_construct_that_citus_refuses() -> None:
    problems = []
    for path in _app_sources():
        text = path.read_text()
        for pattern, why in REFUSED_SQL.items():
            for match in re.finditer(pattern, text, flags=re.IGNORECASE):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(ROOT)}:{line}: {why}")
    assert not problems, "\n".join(problems)


def test_the_source_scan_sees_the_tenancy_layer() -> None:
    """Positive control: the scan reads the application's files (it would pass vacuously if
    the folder list were wrong)."""
    names = {p.relative_to(ROOT).as_posix() for p in _app_sources()}
    assert "dms/tenancy/db.py" in names and "reports/rollup/services.py" in names


def test_a_new_tenant_model_is_born_distributable(owner_connection: Any) -> None:
    """What a future module's table gets from TenantModel + TenantForeignKey alone: its
    CREATE TABLE (as makemigrations would run it) ends with PRIMARY KEY (dealer_id, id), a
    composite key to its target and no single-column one, and row-level security."""
    from leads.models import Lead  # noqa: PLC0415

    try:

        class CitusRulesProbe(TenantModel):
            lead = TenantForeignKey(Lead, on_delete=models.CASCADE, related_name="+")

            class Meta(TenantModel.Meta):
                app_label = "leads"
                db_table = "citus_rules_probe"

        with connection.schema_editor(collect_sql=True) as editor:
            editor.create_model(CitusRulesProbe)
        statements = editor.collected_sql
    finally:  # out of the registry again: no other test may see the probe model
        apps.all_models["leads"].pop("citusrulesprobe", None)
        apps.clear_cache()

    with owner_connection.transaction(force_rollback=True):
        if owner_connection.execute(
            "SELECT 1 FROM pg_extension WHERE extname = 'citus'"
        ).fetchone():
            # On a Citus cluster: this coordinator's catalogue only. Citus would otherwise place
            # the probe itself, as a local table, and refuse its key to the distributed leads.
            owner_connection.execute("SET LOCAL citus.enable_ddl_propagation = off")
        for statement in statements:
            owner_connection.execute(statement)
        keys = owner_connection.execute(
            "SELECT contype, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = 'citus_rules_probe'::regclass AND contype IN ('p', 'f')"
            " ORDER BY 1, 2"
        ).fetchall()
        forced = owner_connection.execute(
            "SELECT relforcerowsecurity FROM pg_class WHERE oid = 'citus_rules_probe'::regclass"
        ).fetchone()
    definitions = [definition for _, definition in keys]
    assert ("p", "PRIMARY KEY (dealer_id, id)") in keys
    assert any(
        "FOREIGN KEY (dealer_id, lead_id) REFERENCES leads_lead(dealer_id, id)" in d
        for d in definitions
    )
    assert not any("FOREIGN KEY (lead_id)" in d for d in definitions)
    assert any("REFERENCES dealers_dealer(id)" in d for d in definitions)
    assert forced == (True,)
