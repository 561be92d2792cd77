# ruff: noqa: S608 - table and column names come from model metadata, quoted
"""Wall 2 on its own: raw SQL through the app's connection (role dms_app), no ORM filter.

Runs on the committed two-dealer world (tests/tenancy/world.py: every tenant model has a row of
dealer A (id LOCAL_ID) and of dealer B (id FOREIGN_ID)), in autocommit with real transactions,
so transaction ends and savepoints behave as in production; the owner connection checks what is
really stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django_scopes import ScopeError

from dealers.models import StaffAbsence
from dms.celery import app as celery_app
from dms.tenancy.context import as_dealer, as_dealers, current_scope, unscoped
from dms.tenancy.signals import APPEND_ONLY_TABLES
from dms.tenancy.tasks import TenantTask

from .world import FOREIGN_ID, LOCAL_ID, MISSING_ID, World, tenant_models

TENANT_MODELS = tenant_models()


def label(model: type[models.Model]) -> str:
    return model._meta.label


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def fetch(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def execute(sql: str, params: list[Any] | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.rowcount


def dealer_counts(table: str) -> dict[int, int]:
    return dict(fetch(f"SELECT dealer_id, count(*) FROM {q(table)} GROUP BY dealer_id"))


def owner_rows(owner: psycopg.Connection[Any], table: str, dealer_id: int) -> list[str]:
    """Every row of `dealer_id` as text, read as the owner (RLS does not apply)."""
    query = f"SELECT t::text FROM {q(table)} t WHERE dealer_id = %s ORDER BY t::text"
    return [row[0] for row in owner.execute(query, [dealer_id]).fetchall()]


def copy_row_sql(model: type[models.Model], *, new_dealer: int) -> str:
    """INSERT a copy of A's row under `new_dealer` with id MISSING_ID."""
    columns = [f.column for f in model._meta.concrete_fields]
    values = [
        str(new_dealer) if c == "dealer_id" else str(MISSING_ID) if c == "id" else q(c)
        for c in columns
    ]
    return (
        f"INSERT INTO {q(model._meta.db_table)} ({', '.join(q(c) for c in columns)}) "
        f"SELECT {', '.join(values)} FROM {q(model._meta.db_table)} WHERE id = {LOCAL_ID}"
    )


def refused() -> Any:
    # On Citus (scripts/citus.sh test) moving a row to another dealer is refused one step
    # earlier: a row's distribution column cannot change.
    return pytest.raises(
        DatabaseError, match="row-level security|modifying the partition value of rows"
    )


@pytest.fixture
def owner(owner_db: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    return owner_db


@pytest.fixture
def world(world_db: World) -> Iterator[World]:
    assert not connection.in_atomic_block, "these tests need autocommit (real transactions)"
    yield world_db
    assert current_scope() is None


def test_the_world_has_a_and_b_rows_in_every_tenant_table(world: World, owner: Any) -> None:
    missing = [
        f"{label(m)}: {world.problems.get(label(m), 'no rows')}"
        for m in TENANT_MODELS
        if not (
            owner_rows(owner, m._meta.db_table, world.a.pk)
            and owner_rows(owner, m._meta.db_table, world.b.pk)
        )
    ]
    assert not missing, "\n".join(missing)


# --- dealer A's scope ----------------------------------------------------------------------------


@pytest.mark.parametrize("model", TENANT_MODELS, ids=label)
def test_select_in_a_scope_sees_no_row_of_b(world: World, model: type[models.Model]) -> None:
    table = model._meta.db_table
    with as_dealer(world.a), transaction.atomic():
        assert set(dealer_counts(table)) == {world.a.pk}
        assert fetch(f"SELECT count(*) FROM {q(table)} WHERE dealer_id = %s", [world.b.pk]) == [
            (0,)
        ]
        assert fetch(f"SELECT count(*) FROM {q(table)} WHERE id = %s", [FOREIGN_ID]) == [(0,)]


@pytest.mark.parametrize("model", TENANT_MODELS, ids=label)
def test_insert_of_a_b_row_in_a_scope_is_refused(
    world: World, owner: Any, model: type[models.Model]
) -> None:
    table = model._meta.db_table
    before = owner_rows(owner, table, world.b.pk)
    with refused(), as_dealer(world.a), transaction.atomic():
        execute(copy_row_sql(model, new_dealer=world.b.pk))
    assert owner_rows(owner, table, world.b.pk) == before


@pytest.mark.parametrize("model", TENANT_MODELS, ids=label)
def test_update_and_delete_of_b_rows_in_a_scope_touch_nothing(
    world: World, owner: Any, model: type[models.Model]
) -> None:
    table = q(model._meta.db_table)
    before_b = owner_rows(owner, model._meta.db_table, world.b.pk)
    before_a = owner_rows(owner, model._meta.db_table, world.a.pk)
    if model._meta.db_table in APPEND_ONLY_TABLES:
        # A ledger: not even the dealer's own rows may be changed or removed.
        for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
            with (
                pytest.raises(DatabaseError, match="permission denied"),
                as_dealer(world.a),
                transaction.atomic(),
            ):
                execute(statement)
        assert owner_rows(owner, model._meta.db_table, world.a.pk) == before_a
        return
    with as_dealer(world.a), transaction.atomic():
        assert (
            execute(f"UPDATE {table} SET dealer_id = dealer_id WHERE dealer_id = %s", [world.b.pk])
            == 0
        )
        assert execute(f"UPDATE {table} SET id = id WHERE id = %s", [FOREIGN_ID]) == 0
        assert execute(f"DELETE FROM {table} WHERE dealer_id = %s", [world.b.pk]) == 0
        assert execute(f"DELETE FROM {table} WHERE id = %s", [FOREIGN_ID]) == 0
        # Positive control: the same statement on A's own row does touch it (policy not deny-all).
        assert execute(f"UPDATE {table} SET id = id WHERE id = %s", [LOCAL_ID]) == 1
    # Moving A's row over to B fails the WITH CHECK of the UPDATE policy.
    with refused(), as_dealer(world.a), transaction.atomic():
        execute(f"UPDATE {table} SET dealer_id = %s WHERE id = %s", [world.b.pk, LOCAL_ID])
    assert owner_rows(owner, model._meta.db_table, world.b.pk) == before_b
    assert owner_rows(owner, model._meta.db_table, world.a.pk) == before_a


# --- no scope, HQ read-only scope ----------------------------------------------------------------


@pytest.mark.parametrize("model", TENANT_MODELS, ids=label)
def test_without_scope_raw_select_returns_nothing(world: World, model: type[models.Model]) -> None:
    table = q(model._meta.db_table)
    assert fetch(f"SELECT count(*) FROM {table}") == [(0,)]  # autocommit
    with transaction.atomic():
        assert fetch(f"SELECT count(*) FROM {table}") == [(0,)]
    with unscoped(), transaction.atomic():  # ORM wall off: the database wall stays
        assert fetch(f"SELECT count(*) FROM {table}") == [(0,)]


@pytest.mark.parametrize("model", TENANT_MODELS, ids=label)
def test_hq_read_scope_sees_both_dealers_and_changes_nothing(
    world: World, owner: Any, model: type[models.Model]
) -> None:
    table = q(model._meta.db_table)
    before = {d: owner_rows(owner, model._meta.db_table, d) for d in (world.a.pk, world.b.pk)}
    with as_dealers([world.a, world.b]), transaction.atomic():
        assert set(dealer_counts(model._meta.db_table)) == {world.a.pk, world.b.pk}
        if model._meta.db_table not in APPEND_ONLY_TABLES:  # (no UPDATE/DELETE right at all)
            assert execute(f"UPDATE {table} SET id = id") == 0
            assert execute(f"DELETE FROM {table}") == 0
    with refused(), as_dealers([world.a, world.b]), transaction.atomic():
        execute(copy_row_sql(model, new_dealer=world.a.pk))
    after = {d: owner_rows(owner, model._meta.db_table, d) for d in (world.a.pk, world.b.pk)}
    assert after == before


# --- the setting lives exactly as long as the transaction -----------------------------------------

ABSENCES = q(StaffAbsence._meta.db_table)


def visible() -> tuple[str | None, list[int]]:
    rows = fetch(
        f"SELECT current_setting('app.dealer_ids', true), array_agg(DISTINCT dealer_id) FROM {ABSENCES}"
    )
    setting, ids = rows[0]
    return setting or None, sorted(ids or [])


def test_setting_is_gone_after_the_transaction(world: World) -> None:
    with as_dealer(world.a):
        with transaction.atomic():
            assert visible() == (str(world.a.pk), [world.a.pk])
        assert visible() == (str(world.a.pk), [world.a.pk])  # autocommit statement, own txn
    with transaction.atomic():
        assert visible() == (None, [])
    assert visible() == (None, [])


def test_scope_change_inside_one_transaction_takes_effect(world: World) -> None:
    with transaction.atomic():
        assert visible() == (None, [])
        with as_dealer(world.a):
            assert visible()[1] == [world.a.pk]
            with as_dealer(world.b):
                assert visible()[1] == [world.b.pk]
            assert visible()[1] == [world.a.pk]
            with unscoped():
                assert visible() == (None, [])
        assert visible() == (None, [])


class Rollback(Exception):
    pass


def test_rolled_back_savepoint_leaves_no_ids_behind(world: World) -> None:
    with transaction.atomic():
        with pytest.raises(Rollback), transaction.atomic(), as_dealer(world.b):
            assert visible()[1] == [world.b.pk]
            raise Rollback
        assert visible() == (None, [])
        with as_dealer(world.a):
            with pytest.raises(Rollback), transaction.atomic(), as_dealer(world.b):
                assert visible()[1] == [world.b.pk]
                raise Rollback
            assert visible()[1] == [world.a.pk]


def test_released_savepoint_leaves_no_ids_behind(world: World) -> None:
    """SET LOCAL made inside a savepoint survives RELEASE: leaving the scope after the savepoint
    ended must still clear it."""
    with transaction.atomic():
        with transaction.atomic(), as_dealer(world.b):
            assert visible()[1] == [world.b.pk]
        assert visible() == (None, [])
        with as_dealer(world.a):
            with transaction.atomic(), as_dealer(world.b):
                assert visible()[1] == [world.b.pk]
            assert visible()[1] == [world.a.pk]


def insert_absence(dealer_id: int) -> int:
    return execute(
        f"INSERT INTO {ABSENCES} (dealer_id, membership_id, starts_on, ends_on, reason, note)"
        " VALUES (%s, %s, '2026-01-01', '2026-01-01', 'leave', '')",
        [dealer_id, LOCAL_ID],
    )


def test_error_in_a_savepoint_of_another_scope_surfaces_and_the_transaction_goes_on(
    world: World,
) -> None:
    """The savepoint rollback runs with the outer scope active: the tenant wrapper must not try
    to set ids in the aborted transaction (that hid the real error behind 'current transaction
    is aborted')."""
    for outer in (as_dealer(world.a), as_dealers([world.a])):
        with outer, transaction.atomic():
            with refused(), transaction.atomic(), as_dealer(world.b):
                insert_absence(world.a.pk)
            assert visible()[1] == [world.a.pk]
    with transaction.atomic():
        with refused(), transaction.atomic(), as_dealer(world.b):
            insert_absence(world.a.pk)
        assert visible() == (None, [])


def test_orm_iterator_outside_a_transaction_stays_in_scope(world: World) -> None:
    with as_dealer(world.a):
        assert {a.dealer_id for a in StaffAbsence.objects.iterator(chunk_size=1)} == {world.a.pk}
    with as_dealers([world.a, world.b]):
        dealer_ids = {a.dealer_id for a in StaffAbsence.objects.iterator(chunk_size=1)}
        assert dealer_ids == {world.a.pk, world.b.pk}


# --- the runtime role ------------------------------------------------------------------------------


def test_runtime_role_is_not_superuser_not_bypassrls_not_owner(world: World) -> None:
    [(user, superuser, bypass)] = fetch(
        "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    )
    assert user == settings.APP_DB_USER
    assert (superuser, bypass) == (False, False)
    owned = fetch(
        "SELECT relname FROM pg_class WHERE relname = ANY(%s)"
        " AND (relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
        " OR pg_has_role(current_user, relowner, 'USAGE'))",
        [[m._meta.db_table for m in TENANT_MODELS]],
    )
    assert owned == []
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(),
    ):  # and may not switch RLS off for itself
        execute("SET LOCAL row_security = off")
        fetch(f"SELECT count(*) FROM {ABSENCES}")


# --- Celery: TenantTask re-enters the dealer's scope ------------------------------------------------


@celery_app.task(base=TenantTask, name="tests.tenancy.rls_probe")
def rls_probe(*, dealer_id: int) -> dict[str, Any]:
    scope = current_scope()
    return {
        "in_transaction": connection.in_atomic_block,
        "scope": scope.read_ids if scope else None,
        "write": scope.write_ids if scope else None,
        "orm": sorted(set(StaffAbsence.objects.values_list("dealer_id", flat=True))),
        "raw": visible()[1],
    }


def test_tenant_task_runs_inside_the_dealers_scope(world: World) -> None:
    result = rls_probe.apply(kwargs={"dealer_id": world.b.pk}).get()
    assert result == {
        "in_transaction": True,
        "scope": (world.b.pk,),
        "write": (world.b.pk,),
        "orm": [world.b.pk],
        "raw": [world.b.pk],
    }
    assert current_scope() is None
    with pytest.raises(ScopeError):
        StaffAbsence.objects.count()


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"dealer_id": str(FOREIGN_ID)},
        {"dealer_id": None},
        {"dealer_id": True},
        {"dealer_id": 0},
        {"dealer_id": -1},
        {"dealer_id": float(FOREIGN_ID)},
    ],
    ids=["missing", "string", "none", "bool", "zero", "negative", "float"],
)
def test_tenant_task_refuses_to_run_without_an_integer_dealer_id(
    world: World, kwargs: dict[str, Any]
) -> None:
    with pytest.raises((TypeError, ValueError)):
        rls_probe.apply(kwargs=kwargs).get()
    with pytest.raises(TypeError):
        rls_probe.apply(args=[world.b.pk]).get()
    assert current_scope() is None
