"""Row-Level Security as a model constraint, so makemigrations writes the policies.

`TenantModel` declares `RowLevelSecurity` in its Meta; every subclass inherits it, and the
autodetector emits it with the CreateModel/AddConstraint of the subclass. Declaring one thing
(inheriting TenantModel) is all a new tenant table needs.

Policies (no subquery: Citus forbids them; fails closed when the setting is unset or empty):
- SELECT rows of the dealers in `app.dealer_ids`;
- INSERT / UPDATE / DELETE rows of the dealers in `app.write_dealer_ids` (HQ read-only scopes
  leave it empty, so an HQ session cannot change a dealer's rows even by mistake).
"""

from __future__ import annotations

from typing import Any

from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import BaseConstraint

READ_IDS = "string_to_array(current_setting('app.dealer_ids', true), ',')::bigint[]"
WRITE_IDS = "string_to_array(current_setting('app.write_dealer_ids', true), ',')::bigint[]"


def rls_statements(table: str, column: str = "dealer_id") -> list[str]:
    read = f'"{column}" = ANY({READ_IDS})'
    write = f'"{column}" = ANY({WRITE_IDS})'
    t = f'"{table}"'
    return [
        f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_select ON {t} FOR SELECT USING ({read})",
        f"CREATE POLICY tenant_insert ON {t} FOR INSERT WITH CHECK ({write})",
        f"CREATE POLICY tenant_update ON {t} FOR UPDATE USING ({write}) WITH CHECK ({write})",
        f"CREATE POLICY tenant_delete ON {t} FOR DELETE USING ({write})",
    ]


def rls_drop_statements(table: str) -> list[str]:
    t = f'"{table}"'
    return [
        *(
            f"DROP POLICY IF EXISTS {name} ON {t}"
            for name in ("tenant_select", "tenant_insert", "tenant_update", "tenant_delete")
        ),
        f"ALTER TABLE {t} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {t} DISABLE ROW LEVEL SECURITY",
    ]


def _defer(
    schema_editor: BaseDatabaseSchemaEditor | None, statement: str, *, key: bool = False
) -> None:
    """Queue DDL for the end of the migration (after every table and key in it exists).
    create_sql() then returns None, so schema_editor.add_constraint() executes nothing itself.

    Primary-key switches (`key=True`) run before everything else queued, in their own order:
    a composite foreign key may be queued first (a new model's TenantForeignKey adds its
    SameDealerForeignKey while CreateModel runs) and needs its target's (dealer_id, id) key.
    A statement already queued is not queued twice (CreateModel and AddConstraint both
    declare the same-dealer key of a new model)."""
    if schema_editor is None:
        raise ValueError("RLS and same-dealer keys are created by migrations only")
    if statement in schema_editor.deferred_sql:
        return
    if key:
        position = getattr(schema_editor, "_dms_keys_queued", 0)
        schema_editor.deferred_sql.insert(position, statement)
        schema_editor._dms_keys_queued = position + 1  # type: ignore[attr-defined]
        return
    schema_editor.deferred_sql.append(statement)


class RowLevelSecurity(BaseConstraint):
    """Not a constraint in the SQL sense: DDL that enables RLS and the tenant policies."""

    def __init__(self, *, name: str, column: str = "dealer_id") -> None:
        self.column = column
        super().__init__(name=name)

    def constraint_sql(self, model: Any, schema_editor: BaseDatabaseSchemaEditor | None) -> str:
        # Called inline by CREATE TABLE; the policies need the table, so they are deferred.
        self.create_sql(model, schema_editor)
        return ""

    def create_sql(  # type: ignore[override]  # None: deferred, see _defer
        self, model: Any, schema_editor: BaseDatabaseSchemaEditor | None
    ) -> None:
        _defer(schema_editor, "; ".join(rls_statements(model._meta.db_table, self.column)))

    def remove_sql(self, model: Any, schema_editor: BaseDatabaseSchemaEditor | None) -> str:
        return "; ".join(rls_drop_statements(model._meta.db_table))

    def validate(self, *args: Any, **kwargs: Any) -> None:
        return None  # enforced by PostgreSQL, nothing to check in Python

    def deconstruct(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        path, args, kwargs = super().deconstruct()
        if self.column != "dealer_id":
            kwargs["column"] = self.column
        return path, tuple(args), kwargs

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RowLevelSecurity):
            return self.name == other.name and self.column == other.column
        return super().__eq__(other)

    def __hash__(self) -> int:
        return hash((self.name, self.column))


class SameDealerForeignKey(BaseConstraint):
    """Composite FK (dealer_id, <fk>_id) → target (dealer_id, id): PostgreSQL itself refuses a
    row that points at another dealer's row. Targets are TenantModels, which all carry
    UniqueConstraint(dealer, id). Nullable FKs are checked only when set (MATCH SIMPLE)."""

    def __init__(self, *, name: str, field: str) -> None:
        self.field = field
        super().__init__(name=name)

    def _sql_parts(self, model: Any) -> tuple[str, str, str]:
        fk = model._meta.get_field(self.field)
        target = fk.related_model._meta.db_table
        return model._meta.db_table, fk.column, target

    def constraint_sql(self, model: Any, schema_editor: BaseDatabaseSchemaEditor | None) -> str:
        self.create_sql(model, schema_editor)
        return ""

    def create_sql(  # type: ignore[override]  # None: deferred, see _defer
        self, model: Any, schema_editor: BaseDatabaseSchemaEditor | None
    ) -> None:
        # Deferred to the end of the migration: the target's (dealer_id, id) key must exist.
        table, column, target = self._sql_parts(model)
        _defer(
            schema_editor,
            f'ALTER TABLE "{table}" ADD CONSTRAINT "{self.name}" FOREIGN KEY '
            f'("dealer_id", "{column}") REFERENCES "{target}" ("dealer_id", "id") '
            "DEFERRABLE INITIALLY DEFERRED",
        )

    def remove_sql(self, model: Any, schema_editor: BaseDatabaseSchemaEditor | None) -> str:
        table, _, _ = self._sql_parts(model)
        return f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{self.name}"'

    def validate(self, *args: Any, **kwargs: Any) -> None:
        return None

    def deconstruct(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        path, args, kwargs = super().deconstruct()
        kwargs["field"] = self.field
        return path, tuple(args), kwargs

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SameDealerForeignKey):
            return self.name == other.name and self.field == other.field
        return super().__eq__(other)

    def __hash__(self) -> int:
        return hash((self.name, self.field))


def _rekey_sql(table: str, *statements: str) -> str:
    """One statement (a DO block) that changes the table's keys with `statements`, in which
    `{table}` stands for the table and `{old_pk}` for the name of its current primary key. Foreign
    keys pointing at the table are dropped first (PostgreSQL ties them to the index they use):
    composite ones, (dealer_id, x_id) → (dealer_id, id), are put back afterwards; single-column
    ones to `id` are not (`id` alone is no longer unique: they belong to fields that are
    TenantForeignKeys now, whose own migration drops them as well). No `%` anywhere: the text
    goes through RunSQL and the schema editor alike, with or without parameters."""
    steps = "\n".join(
        "    EXECUTE "
        + " || ".join(
            f"'{part}'" if i % 2 == 0 else part
            for i, part in enumerate(
                statement.replace("{table}", "\x00quote_ident(tbl)\x00")
                .replace("{old_pk}", "\x00quote_ident(old_pk)\x00")
                .split("\x00")
            )
            if part
        )
        + ";"
        for statement in statements
    )
    return f"""
DO $rekey$
DECLARE
    tbl text := '{table}';
    fk record;
    restore text[] := '{{}}';
    stmt text;
    old_pk text;
BEGIN
    FOR fk IN
        SELECT c.conrelid::regclass::text AS source, c.conname, pg_get_constraintdef(c.oid) AS def,
               array_length(c.conkey, 1) AS width
          FROM pg_constraint c
         WHERE c.contype = 'f' AND c.confrelid = tbl::regclass
    LOOP
        IF fk.width > 1 THEN
            restore := restore || ('ALTER TABLE ' || fk.source || ' ADD CONSTRAINT '
                                   || quote_ident(fk.conname) || ' ' || fk.def);
        END IF;
        EXECUTE 'ALTER TABLE ' || fk.source || ' DROP CONSTRAINT ' || quote_ident(fk.conname);
    END LOOP;
    SELECT conname INTO old_pk FROM pg_constraint
     WHERE conrelid = tbl::regclass AND contype = 'p';
{steps}
    FOREACH stmt IN ARRAY restore LOOP
        EXECUTE stmt;
    END LOOP;
END
$rekey$"""  # noqa: S608


def tenant_key_sql(table: str, name: str, *, old_unique: str | None = None) -> str:
    """PRIMARY KEY (id) (and UNIQUE (dealer_id, id) `old_unique`) → PRIMARY KEY (dealer_id, id)
    named `name`."""
    statements = []
    if old_unique:
        statements.append(f"ALTER TABLE {{table}} DROP CONSTRAINT IF EXISTS {old_unique}")
    statements += [
        "ALTER TABLE {table} DROP CONSTRAINT {old_pk}",
        f"ALTER TABLE {{table}} ADD CONSTRAINT {name} PRIMARY KEY (dealer_id, id)",
    ]
    return _rekey_sql(table, *statements)


def id_key_sql(table: str, *, unique: str | None = None) -> str:
    """The way back: PRIMARY KEY (id), and UNIQUE (dealer_id, id) `unique` for the composite
    foreign keys."""
    statements = [
        "ALTER TABLE {table} DROP CONSTRAINT {old_pk}",
        "ALTER TABLE {table} ADD PRIMARY KEY (id)",
    ]
    if unique:
        statements.append(f"ALTER TABLE {{table}} ADD CONSTRAINT {unique} UNIQUE (dealer_id, id)")
    return _rekey_sql(table, *statements)


class TenantPrimaryKey(BaseConstraint):
    """PRIMARY KEY (dealer_id, id) in the database (what Citus checks: every unique key of a
    distributed table contains the distribution column); Django keeps `id` as the model's pk.
    The table is created with Django's `PRIMARY KEY (id)`; the switch is deferred to the end of
    the migration, before the composite foreign keys that point at the new key."""

    def constraint_sql(self, model: Any, schema_editor: BaseDatabaseSchemaEditor | None) -> str:
        self.create_sql(model, schema_editor)
        return ""

    def create_sql(  # type: ignore[override]  # None: deferred, see _defer
        self, model: Any, schema_editor: BaseDatabaseSchemaEditor | None
    ) -> None:
        _defer(schema_editor, tenant_key_sql(model._meta.db_table, self.name), key=True)

    def remove_sql(self, model: Any, schema_editor: BaseDatabaseSchemaEditor | None) -> str:
        return id_key_sql(model._meta.db_table)

    def validate(self, *args: Any, **kwargs: Any) -> None:
        return None  # the id is unique on its own; PostgreSQL enforces the pair

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TenantPrimaryKey):
            return self.name == other.name
        return super().__eq__(other)

    def __hash__(self) -> int:
        return hash(("TenantPrimaryKey", self.name))


def tenant_primary_key_operations(model_name: str, table: str, old_unique: str) -> list[Any]:
    """Migration operations for an existing tenant table: UNIQUE (dealer_id, id) and
    PRIMARY KEY (id) become PRIMARY KEY (dealer_id, id) (composite keys pointing at the table
    are moved over). Reversible."""
    from django.db import migrations  # noqa: PLC0415 - only migrations call this

    new_name = f"{table}_pkey"
    return [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    tenant_key_sql(table, new_name, old_unique=old_unique),
                    id_key_sql(table, unique=old_unique),
                )
            ],
            state_operations=[
                migrations.RemoveConstraint(model_name=model_name, name=old_unique),
                migrations.AddConstraint(
                    model_name=model_name,
                    constraint=TenantPrimaryKey(name=new_name),
                ),
            ],
        )
    ]
