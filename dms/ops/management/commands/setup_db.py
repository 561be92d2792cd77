"""manage.py setup_db: everything a database needs before the app starts. Idempotent.

Runs as the owner (manage.py maps it): creates the database when it is missing, migrates (which
also creates the runtime role and its grants: dms/tenancy/signals.py), sets the runtime role's
password from DMS_APP_DB_PASSWORD when one is given, and checks that the runtime role is neither
superuser nor BYPASSRLS. Used by docker-compose's `migrate` service and scripts/demo.sh."""

from __future__ import annotations

from typing import Any

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from psycopg import sql

from dms.tenancy.signals import ensure_runtime_role


def _connect_kwargs(db: dict[str, Any], dbname: str) -> dict[str, Any]:
    kwargs = {
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "dbname": dbname,
        "autocommit": True,
    }
    return {k: v for k, v in kwargs.items() if v is not None}


def ensure_database(db: dict[str, Any]) -> bool:
    """Create the database named in the owner settings if it does not exist. True if created."""
    try:
        psycopg.connect(**_connect_kwargs(db, db["NAME"])).close()
        return False
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
    with psycopg.connect(**_connect_kwargs(db, "postgres")) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
    return True


class Command(BaseCommand):
    help = "Create/migrate the database and make sure the runtime role is set up (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        db = connection.settings_dict
        if db["USER"] == settings.APP_DB_USER:
            raise CommandError("setup_db must run as the database owner (manage.py setup_db).")
        if ensure_database(db):
            self.stdout.write(f"Created database {db['NAME']}.")
        call_command("migrate", interactive=False, verbosity=options["verbosity"])
        ensure_runtime_role("default")
        role = sql.Identifier(settings.APP_DB_USER)
        with connection.cursor() as cursor:
            if settings.APP_DB_PASSWORD:
                cursor.execute(
                    sql.SQL("ALTER ROLE {} PASSWORD {}")
                    .format(role, sql.Literal(settings.APP_DB_PASSWORD))
                    .as_string(connection.connection)
                )
            cursor.execute(
                "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s",
                [settings.APP_DB_USER],
            )
            row = cursor.fetchone()
        if row is None or any(row):
            raise CommandError(
                f"Runtime role {settings.APP_DB_USER!r} is missing or privileged: {row!r}"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Database {db['NAME']} ready; runtime role {settings.APP_DB_USER} "
                "(no superuser, no BYPASSRLS)."
            )
        )
