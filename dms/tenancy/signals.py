"""After every migrate (run as the owner): make sure the runtime role exists and has exactly the
rights it needs — DML on every table, nothing on DDL, no UPDATE/DELETE on append-only tables."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models.signals import post_migrate
from django.dispatch import receiver
from psycopg import sql

# Tables the runtime role may only INSERT into and SELECT from.
# Ledgers: the runtime role may add lines, never change or remove them.
APPEND_ONLY_TABLES = ["audit_auditentry", "inventory_stockmovement"]


def ensure_runtime_role(using: str = "default") -> None:
    role = settings.APP_DB_USER
    connection = connections[using]
    if connection.settings_dict["USER"] == role:
        return  # connected as the runtime role itself: nothing we may grant
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = %s", [role])
        found = cursor.fetchone()
        ident = sql.Identifier(role)
        raw = connection.connection
        if raw is None:
            raise RuntimeError("no open database connection to grant through")
        statements: list[sql.Composable] = []
        if found is None:
            create: sql.Composable = sql.SQL(
                "CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
            ).format(ident)
            if settings.APP_DB_PASSWORD:
                # (Formatting the role name after adding the password failed: a Composed has no
                # .format(), so creating the role with a password raised AttributeError.)
                create = sql.SQL("{} PASSWORD {}").format(
                    create, sql.Literal(settings.APP_DB_PASSWORD)
                )
            statements.append(create)
        database = sql.Identifier(connection.settings_dict["NAME"])
        if found is not None and found[0]:
            # Only when needed: roles are cluster-wide, and concurrent ALTER ROLEs from parallel
            # test databases fail with "tuple concurrently updated".
            statements.append(sql.SQL("ALTER ROLE {} NOSUPERUSER NOBYPASSRLS").format(ident))
        statements += [
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, ident),
            sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(ident),
            sql.SQL(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}"
            ).format(ident),
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(ident),
        ]
        for table in APPEND_ONLY_TABLES:
            statements.append(
                sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(
                    sql.Identifier(table), ident
                )
            )
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
        if cursor.fetchone() is not None and not _propagates_set_local(cursor, role):
            # Citus forwards the tenant ids (SET LOCAL, dms.tenancy.db) to the workers only so.
            statements.append(
                sql.SQL(
                    "ALTER ROLE {} IN DATABASE {} SET citus.propagate_set_commands = 'local'"
                ).format(ident, database)
            )
        for statement in statements:
            cursor.execute(statement.as_string(raw))


def _propagates_set_local(cursor: Any, role: str) -> bool:
    cursor.execute(
        "SELECT 1 FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole"
        " JOIN pg_database d ON d.oid = s.setdatabase"
        " WHERE r.rolname = %s AND d.datname = current_database()"
        " AND 'citus.propagate_set_commands=local' = ANY(s.setconfig)",
        [role],
    )
    return cursor.fetchone() is not None


@receiver(post_migrate)
def grant_runtime_role(sender: Any, using: str = "default", **kwargs: Any) -> None:
    # Sent once per app; the grants are idempotent and cheap, and the last call sees every table.
    ensure_runtime_role(using)
