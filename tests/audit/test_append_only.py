"""The audit log is append-only: the runtime role has no UPDATE/DELETE grant, the model refuses
to save an existing entry or delete one, and a trigger refuses UPDATE/DELETE even for the owner."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from dms.audit.models import AuditAction, AuditEntry
from dms.audit.services import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry() -> AuditEntry:
    return record(action=AuditAction.EXPORT, count=3, detail={"what": "original"})


def unchanged(entry: AuditEntry) -> bool:
    stored = AuditEntry.objects.get(pk=entry.pk)
    return (stored.count, stored.detail) == (3, {"what": "original"})


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditentry SET count = 999 WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ],
)
def test_app_role_is_refused_by_postgresql(entry: AuditEntry, statement: str) -> None:
    with (
        pytest.raises(DatabaseError, match="permission denied"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [entry.pk])
    assert unchanged(entry)


def test_orm_bulk_update_and_delete_are_refused(entry: AuditEntry) -> None:
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(count=0)
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert unchanged(entry)


def test_model_refuses_save_and_delete_of_an_existing_entry(entry: AuditEntry) -> None:
    entry.count = 42
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    assert unchanged(entry)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditentry SET count = 999 WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ],
)
def test_owner_is_refused_by_the_trigger(owner_connection: Any, statement: str) -> None:
    # The owner connection cannot see this test's uncommitted rows: it inserts its own entry in
    # a transaction of its own, tries to change it, and rolls everything back.
    with pytest.raises(psycopg.errors.RaiseException, match="append-only"):  # noqa: SIM117
        with owner_connection.transaction():
            cursor = owner_connection.execute(
                "INSERT INTO audit_auditentry (at, actor_label, action, object_type, object_id,"
                " count, detail) VALUES (now(), 'owner', 'export', '', '', 1, '{}') RETURNING id"
            )
            (new_id,) = cursor.fetchone()
            owner_connection.execute(statement, [new_id])
    count = owner_connection.execute(
        "SELECT count(*) FROM audit_auditentry WHERE actor_label = 'owner'"
    ).fetchone()[0]
    assert count == 0  # rolled back: nothing left behind
