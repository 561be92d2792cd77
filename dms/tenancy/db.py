"""Wall 2 plumbing: make every SQL statement run with the tenant ids of the active scope.

PostgreSQL RLS policies read `app.dealer_ids` and `app.write_dealer_ids`. They are set with
`SET LOCAL` statements, so they vanish at the end of the transaction: safe behind PgBouncer
transaction pooling. Citus forwards `SET LOCAL` to the workers when the role has
`citus.propagate_set_commands = 'local'` (setup_db sets it where Citus is installed); it never
forwards `set_config()`, whose workers then see no ids and return no rows. SET takes no bind
parameters, so the values are built from validated integers only (`_ids_text`).

An execute wrapper (installed by the project's database backend, dms.tenancy.backend) sets them
once per transaction, again when the scope changes or a savepoint that set them was rolled back,
and wraps a statement that runs outside any transaction in one so the setting applies to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg.pq import TransactionStatus

from .context import TenantScope, current_scope


def _ids_text(ids: tuple[int, ...]) -> str:
    return ",".join(str(int(i)) for i in ids)


def set_local_sql(read_ids: tuple[int, ...], write_ids: tuple[int, ...]) -> str:
    """The two SET LOCAL statements for these ids (integers only: int() refuses anything else,
    so nothing but digits and commas reaches the SQL)."""
    return (
        f"SET LOCAL app.dealer_ids = '{_ids_text(read_ids)}'; "
        f"SET LOCAL app.write_dealer_ids = '{_ids_text(write_ids)}'"
    )


_UNKNOWN = object()  # what the transaction holds is not known: set it again
_CONTROL_PREFIXES = ("SAVEPOINT ", "RELEASE SAVEPOINT ", "ROLLBACK TO SAVEPOINT ")


def _is_control(sql: Any, connection: BaseDatabaseWrapper) -> bool:
    """Savepoint statements (Django runs them through cursors too) read no rows, and after an
    error the transaction refuses everything but a rollback: setting the ids then would replace
    the real error with 'current transaction is aborted'."""
    if isinstance(sql, str) and sql.lstrip().upper().startswith(_CONTROL_PREFIXES):
        return True
    raw = connection.connection
    return raw is not None and raw.info.transaction_status == TransactionStatus.INERROR


class TenantSettingWrapper:
    """Tracks what the current transaction was told: (savepoints active then, scope)."""

    def __init__(self) -> None:
        self.applied: tuple[tuple[str, ...], TenantScope | None] | None = None

    def forget(self) -> None:
        """Called by the backend whenever a transaction ends: SET LOCAL values are gone."""
        self.applied = None

    def _scope_in_transaction(self, connection: BaseDatabaseWrapper) -> TenantScope | None | object:
        if self.applied is None:
            return None
        savepoints, active = self.applied
        if tuple(connection.savepoint_ids)[: len(savepoints)] != savepoints:
            # Set inside a savepoint that has ended since. Rolled back: PostgreSQL restored the
            # value from before it; released: the value is still in force. Unknown either way,
            # so the caller sets it again (treating it as unset leaked the ids of a released
            # savepoint into the rest of the transaction).
            return _UNKNOWN
        return active

    def _apply(self, connection: BaseDatabaseWrapper, active: TenantScope | None) -> None:
        raw = connection.connection
        if raw is None:
            raise RuntimeError("tenant ids can only be set on an open connection")
        with raw.cursor() as cursor:  # raw cursor: does not re-enter this wrapper
            cursor.execute(
                set_local_sql(active.read_ids, active.write_ids)
                if active
                else set_local_sql((), ())
            )
        self.applied = (tuple(connection.savepoint_ids), active)

    def __call__(
        self,
        execute: Callable[..., Any],
        sql: str,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        connection: BaseDatabaseWrapper = context["connection"]
        active = current_scope()
        if not connection.in_atomic_block:
            if active is None:
                return execute(sql, params, many, context)
            with transaction.atomic(using=connection.alias):
                self._apply(connection, active)
                return execute(sql, params, many, context)
        if self._scope_in_transaction(connection) != active and not _is_control(sql, connection):
            self._apply(connection, active)
        return execute(sql, params, many, context)
