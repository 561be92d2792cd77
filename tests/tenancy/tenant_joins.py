"""Joins between two tenant tables must carry `dealer_id` equality (issue 12, item 2).

On Citus every tenant table is distributed on `dealer_id`; a join between two of them on `id`
alone "requires repartitioning" and is refused. `TenantForeignKey` adds the equality to every
ORM join; raw SQL must write it. tests/conftest.py runs `check_statement` on every statement the
test suite sends (each distinct text parsed once) and fails the test that sent a join without it.

The rule, per JOIN whose table is a tenant table: for every other tenant table the ON condition
mentions, the condition has `<joined>.dealer_id = <other>.dealer_id` (either order) at its top
level (AND-ed, not inside an OR).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import sqlglot
from django.conf import settings
from sqlglot import exp

from dms.tenancy.placement import distributed_tables

_PARAMETER = re.compile(r"%\(\w+\)s|%s")


@cache
def tenant_tables() -> frozenset[str]:
    return frozenset(distributed_tables())


def _conjuncts(condition: exp.Expression) -> list[exp.Expression]:
    condition = condition.unnest()
    if isinstance(condition, exp.And):
        return [*_conjuncts(condition.left), *_conjuncts(condition.right)]
    return [condition]


def _column(node: exp.Expression) -> exp.Column | None:
    node = node.unnest()
    return node if isinstance(node, exp.Column) else None


def _dealer_pairs(on: exp.Expression) -> set[frozenset[str]]:
    """The alias pairs {a, b} with `a.dealer_id = b.dealer_id` among the top-level conjuncts."""
    pairs = set()
    for part in _conjuncts(on):
        if not isinstance(part, exp.EQ):
            continue
        left, right = _column(part.left), _column(part.right)
        if left is None or right is None:
            continue
        if left.name == right.name == "dealer_id" and left.table and right.table:
            pairs.add(frozenset((left.table, right.table)))
    return pairs


def joins_without_tenant(sql: str) -> list[str]:
    """The JOINs of `sql` between two tenant tables without `dealer_id` equality, as text."""
    tenant = tenant_tables()
    lowered = sql.lower()
    if " join " not in lowered or sum(t in lowered for t in tenant) < 2:
        return []  # cheap filter: most statements cannot contain such a join
    try:
        statements = sqlglot.parse(_PARAMETER.sub("NULL", sql), read="postgres")
    except sqlglot.errors.ParseError:
        return []  # not a query sqlglot reads (DDL, DO blocks): nothing ORM-made to check
    problems: list[str] = []
    for statement in statements:
        if statement is None:
            continue
        aliases = {
            table.alias_or_name: table.name
            for table in statement.find_all(exp.Table)
            if table.name in tenant
        }
        for join in statement.find_all(exp.Join):
            joined = join.this
            on = join.args.get("on")
            if not isinstance(joined, exp.Table) or joined.name not in tenant or on is None:
                continue
            here = joined.alias_or_name
            others = {
                column.table
                for column in on.find_all(exp.Column)
                if column.table in aliases and column.table != here
            }
            pairs = _dealer_pairs(on)
            missing = sorted(o for o in others if frozenset((here, o)) not in pairs)
            if missing:
                problems.append(
                    f"JOIN {joined.name} AS {here} ON {on.sql(dialect='postgres')} "
                    f"(no dealer_id equality with {', '.join(missing)})"
                )
    return problems


@cache
def check_statement(sql: str) -> tuple[str, ...]:
    return tuple(joins_without_tenant(sql))


class JoinAudit:
    """An execute wrapper on every Django connection of the test run (tests/conftest.py): notes
    each statement that joins two tenant tables without `dealer_id` equality."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def __call__(self, execute: Any, sql: Any, params: Any, many: bool, context: Any) -> Any:
        # DMS_TENANT_JOINS off: a test of the plain-PostgreSQL joins (the suite runs with it on).
        if isinstance(sql, str) and settings.DMS_TENANT_JOINS:
            for problem in check_statement(sql):
                self.found.append(f"{problem}\n    in: {sql[:2000]}")
        return execute(sql, params, many, context)

    def install(self, sender: Any = None, connection: Any = None, **kwargs: Any) -> None:
        if connection is not None and self not in connection.execute_wrappers:
            connection.execute_wrappers.append(self)

    def take(self) -> list[str]:
        found, self.found = self.found, []
        return found


JOIN_AUDIT = JoinAudit()
