"""PostgreSQL backend that carries the tenant scope into every transaction (see dms.tenancy.db)."""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base

from dms.tenancy.db import TenantSettingWrapper


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant_wrapper = TenantSettingWrapper()
        self.execute_wrappers.append(self.tenant_wrapper)

    # Every way a transaction can end: SET LOCAL values end with it. (These private hooks are
    # not in django-stubs, hence the ignores.)
    def _commit(self) -> None:
        self.tenant_wrapper.forget()
        super()._commit()  # type: ignore[misc]

    def _rollback(self) -> None:
        self.tenant_wrapper.forget()
        super()._rollback()  # type: ignore[misc]

    def _set_autocommit(self, autocommit: bool) -> None:
        self.tenant_wrapper.forget()
        super()._set_autocommit(autocommit)  # type: ignore[misc]

    def _close(self) -> None:
        self.tenant_wrapper.forget()
        super()._close()  # type: ignore[misc]
