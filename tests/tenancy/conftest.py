"""Fixtures for tests that need committed data: real transactions per request/task, as in
production, and an owner connection that checks what really is in the tables.

`committed_world` builds the two-dealer world once per session, committed. When the session's
tests are done it puts the database back as it was (flush, then reload the rows that were there
before, as Django's TransactionTestCase(serialized_rollback=True) does), so tests that run later
see no trace of it. Tests using it are not marked django_db; they request `world_db`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import connections
from psycopg import sql

from tests.conftest import owner_connect

from .world import World, build_world, tenant_models


class Snapshot:
    """Row count + checksum of every tenant table and of the directory rows that belong to the
    world's dealer B, read through the owner connection (RLS does not hide anything from it)."""

    def __init__(self, conn: psycopg.Connection[Any], world: World) -> None:
        from django.contrib.auth import get_user_model

        from dealers.models import Dealer, DealerGroup, Membership, Region
        from dms.audit.models import AuditEntry
        from dms.security.models import UnlockApproval

        self.conn = conn
        user_model = get_user_model()
        b_users = world.b_user_ids()
        audit_table = sql.Identifier(AuditEntry._meta.db_table)
        audit_ids = [
            row[0] for row in conn.execute(sql.SQL("SELECT id FROM {}").format(audit_table))
        ]
        parts: list[tuple[str, sql.Composable]] = []

        def watch(table: str, where: sql.Composable | None = None) -> None:
            parts.append((table, where if where is not None else sql.SQL("TRUE")))

        for model in tenant_models():
            watch(model._meta.db_table)
        for model in (Region, Dealer, DealerGroup, Membership, UnlockApproval):
            watch(model._meta.db_table)
        for through in (user_model.groups.through, user_model.user_permissions.through):
            watch(through._meta.db_table)
        watch("dealers_regionuserobjectpermission")
        watch("guardian_userobjectpermission")
        users = sql.SQL(", ").join(sql.Literal(pk) for pk in b_users)
        watch(user_model._meta.db_table, sql.SQL("id IN ({})").format(users))
        for table in ("otp_totp_totpdevice", "otp_static_staticdevice", "authtoken_token"):
            watch(table, sql.SQL("user_id IN ({})").format(users))
        # New audit rows are fine (denials may be logged); existing ones must not change.
        existing_audit = sql.SQL(", ").join(sql.Literal(pk) for pk in audit_ids or [0])
        watch(AuditEntry._meta.db_table, sql.SQL("id IN ({})").format(existing_audit))

        existing = {
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        }
        self.tables = [table for table, _w in parts if table in existing]
        self.query = sql.SQL(" UNION ALL ").join(
            sql.SQL(
                "SELECT {name}, count(*), coalesce(md5(string_agg(md5(t::text), '' "
                "ORDER BY t::text)), '') FROM {table} t WHERE {where}"
            ).format(name=sql.Literal(table), table=sql.Identifier(table), where=where)
            for table, where in parts
            if table in existing
        )

    def take(self) -> dict[str, tuple[int, str]]:
        return {name: (count, digest) for name, count, digest in self.conn.execute(self.query)}

    @staticmethod
    def diff(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
        return [
            f"{table}: {before[table][0]} -> {after[table][0]} rows"
            + ("" if before[table][0] != after[table][0] else " (contents changed)")
            for table in before
            if before[table] != after.get(table)
        ]


@pytest.fixture(scope="session")
def owner_db(django_db_setup: Any) -> Iterator[psycopg.Connection[Any]]:
    with owner_connect() as conn:
        yield conn


@pytest.fixture(scope="session")
def committed_world(
    django_db_setup: Any, django_db_blocker: Any, owner_db: psycopg.Connection[Any]
) -> Iterator[World]:
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command

    from dms.tenancy.context import unscoped

    connection = connections["default"]
    with django_db_blocker.unblock():
        with unscoped():
            before = connection.creation.serialize_db_to_string()
        world = build_world()
    try:
        yield world
    finally:
        with django_db_blocker.unblock():
            call_command(
                "flush",
                verbosity=0,
                interactive=False,
                database="default",
                reset_sequences=False,
                allow_cascade=False,
                inhibit_post_migrate=True,
            )
            connection.creation.deserialize_db_from_string(before)
            ContentType.objects.clear_cache()


@pytest.fixture
def world_db(committed_world: World, django_db_blocker: Any) -> Iterator[World]:
    """Database access for a test on the committed world (autocommit, real transactions)."""
    with django_db_blocker.unblock():
        yield committed_world


@pytest.fixture(scope="session")
def snapshot(committed_world: World, owner_db: psycopg.Connection[Any]) -> Snapshot:
    return Snapshot(owner_db, committed_world)
