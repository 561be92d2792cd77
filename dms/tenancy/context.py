"""The tenant scope: which dealers the current request, task or command may read and write.

One ContextVar feeds both walls: django-scopes (ORM, wall 1) reads the `dealer` dimension, and the
database connection wrapper (dms.tenancy.db) turns the same ids into `SET LOCAL app.dealer_ids` /
`app.write_dealer_ids` for PostgreSQL RLS (wall 2).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django_scopes import scope, scopes_disabled


@dataclass(frozen=True)
class TenantScope:
    read_ids: tuple[int, ...]
    write_ids: tuple[int, ...]


_current: ContextVar[TenantScope | None] = ContextVar("dms_tenant_scope", default=None)


def _dealer_id(dealer: Any) -> int:
    value = getattr(dealer, "pk", dealer)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"dealer id must be an integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"dealer id must be positive, got {value!r}")
    return value


def current_scope() -> TenantScope | None:
    return _current.get()


def current_dealer_ids() -> tuple[int, ...]:
    active = _current.get()
    return active.read_ids if active else ()


@contextmanager
def _enter(read_ids: tuple[int, ...], write_ids: tuple[int, ...]) -> Iterator[TenantScope]:
    new_scope = TenantScope(read_ids=read_ids, write_ids=write_ids)
    token = _current.set(new_scope)
    # A single dealer filters with `dealer=`, several with `dealer__in=` (django-scopes does this).
    orm_value: int | list[int] = read_ids[0] if len(read_ids) == 1 else list(read_ids)
    try:
        with scope(dealer=orm_value):
            yield new_scope
    finally:
        _current.reset(token)


@contextmanager
def as_dealer(dealer: Any) -> Iterator[TenantScope]:
    """Act inside one dealer: read and write its rows, nothing else."""
    dealer_id = _dealer_id(dealer)
    with _enter((dealer_id,), (dealer_id,)) as active:
        yield active


@contextmanager
def as_dealers(dealers: Iterable[Any], *, write: bool = False) -> Iterator[TenantScope]:
    """Act across several dealers (HQ regional views). Read only unless `write=True`."""
    ids = tuple(sorted({_dealer_id(d) for d in dealers}))
    with _enter(ids, ids if write else ()) as active:
        yield active


@contextmanager
def unscoped() -> Iterator[None]:
    """Turn off the ORM wall for maintenance and migrations. The database wall stays: a runtime
    role still sees no tenant row unless dealer ids are set; owner connections bypass RLS."""
    token = _current.set(None)
    try:
        with scopes_disabled():
            yield
    finally:
        _current.reset(token)
