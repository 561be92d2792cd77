"""What makes a table a proper tenant table, checked in PostgreSQL's catalog.

Each check returns a list of problems (empty = fine), so one failing test names everything that
is wrong with a table at once. The checks take a `fetch(sql, params) -> rows` callable: they run
through the app's connection in the tests and through an owner connection in the self-tests
(tests/tenancy/test_tenant_models.py), which feed them deliberately broken tables.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

Fetch = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]

READ_SETTING = "app.dealer_ids"
WRITE_SETTING = "app.write_dealer_ids"
_SUBQUERY = re.compile(r"\bselect\b", re.IGNORECASE)
_COMMANDS = {"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE", "*": "ALL"}


def _quoted(table: str) -> str:
    return '"' + table.replace('"', '""') + '"'


def rls_flags(fetch: Fetch, table: str) -> list[str]:
    rows = fetch(
        "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = to_regclass(%s)",
        [_quoted(table)],
    )
    if not rows:
        return [f"{table}: table does not exist"]
    enabled, forced = rows[0]
    problems = []
    if not enabled:
        problems.append(f"{table}: ROW LEVEL SECURITY is not enabled (relrowsecurity)")
    if not forced:
        problems.append(f"{table}: ROW LEVEL SECURITY is not forced (relforcerowsecurity)")
    return problems


def _canon(expr: str) -> str:
    return re.sub(r"\s+|[()\"]|::text", "", expr)


def _mentions(expr: str | None, setting: str, column: str) -> bool:
    """True when `expr` is exactly the tenant filter of dms.tenancy.rls (modulo parentheses,
    casts and spacing): `column = ANY(string_to_array(current_setting(setting, true), ',')
    ::bigint[])`. Anything added to it (`OR true`, another column, a function) fails."""
    if not expr:
        return False
    wanted = f"{column} = ANY((string_to_array(current_setting('{setting}', true), ','))::bigint[])"
    return _canon(expr) == _canon(wanted)


def policy_problems(fetch: Fetch, table: str, column: str = "dealer_id") -> list[str]:
    """SELECT must be filtered on app.dealer_ids, INSERT/UPDATE/DELETE on app.write_dealer_ids,
    every policy must be about `column`, and none may contain a subquery (Citus forbids them)."""
    rows = fetch(
        "SELECT polname, polpermissive, polcmd, pg_get_expr(polqual, polrelid),"
        " pg_get_expr(polwithcheck, polrelid) FROM pg_policy WHERE polrelid = to_regclass(%s)"
        " ORDER BY polname",
        [_quoted(table)],
    )
    problems: list[str] = []
    policies = [
        {"name": n, "permissive": p, "cmd": _COMMANDS[str(c)], "qual": q, "check": w}
        for n, p, c, q, w in rows
    ]
    for pol in policies:
        for expr in (pol["qual"], pol["check"]):
            if expr and _SUBQUERY.search(expr):
                problems.append(f"{table}: policy {pol['name']} contains a subquery: {expr}")

    def applicable(cmd: str) -> list[dict[str, Any]]:
        return [p for p in policies if p["cmd"] in (cmd, "ALL") and p["permissive"]]

    # What each command's expressions must test. PostgreSQL uses USING as the WITH CHECK of an
    # UPDATE/ALL policy that has none; permissive policies are OR-ed, so every one of them must
    # be tight, not just one.
    wanted: dict[str, list[tuple[str, tuple[str, ...]]]] = {
        "SELECT": [("qual", (READ_SETTING, WRITE_SETTING))],
        "INSERT": [("check", (WRITE_SETTING,))],
        "UPDATE": [("qual", (WRITE_SETTING,)), ("check", (WRITE_SETTING,))],
        "DELETE": [("qual", (WRITE_SETTING,))],
    }
    for cmd, parts in wanted.items():
        found = applicable(cmd)
        if not found:
            problems.append(f"{table}: no {cmd} policy")
            continue
        for pol in found:
            for part, settings in parts:
                expr = pol["check"] or pol["qual"] if part == "check" else pol["qual"]
                if cmd == "INSERT" and pol["cmd"] == "INSERT":
                    expr = pol["check"]  # an INSERT policy has only WITH CHECK
                if not any(_mentions(expr, s, column) for s in settings):
                    names = " or ".join(settings)
                    problems.append(
                        f"{table}: {cmd} policy {pol['name']} ({part}) does not limit "
                        f"{column} to {names}: {expr!r}"
                    )
        if cmd == "SELECT" and not any(_mentions(p["qual"], READ_SETTING, column) for p in found):
            problems.append(f"{table}: no SELECT policy reads app.dealer_ids")
    return problems


def unique_index_problems(fetch: Fetch, table: str, column: str = "dealer_id") -> list[str]:
    """The primary key is (dealer_id, id) — the target of the composite foreign keys — and every
    other unique index / unique or exclusion constraint starts with `column` too (Citus: the
    distribution column must be part of every one of them)."""
    rows = fetch(
        "SELECT ic.relname, i.indisprimary,"
        " (SELECT array_agg(a.attname ORDER BY k.n) FROM unnest(i.indkey::int2[])"
        "   WITH ORDINALITY AS k(attnum, n)"
        "   LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum),"
        " pg_get_indexdef(i.indexrelid)"
        " FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid"
        " WHERE i.indrelid = to_regclass(%s)"
        " AND (i.indisunique OR i.indisexclusion) ORDER BY ic.relname",
        [_quoted(table)],
    )
    problems = []
    primary: list[str] | None = None
    for name, is_primary, columns, definition in rows:
        columns = list(columns or [])
        if is_primary:
            primary = columns
        if not columns or columns[0] != column:
            problems.append(
                f"{table}: unique index {name} does not start with {column}: {definition}"
            )
    if primary != [column, "id"]:
        problems.append(f"{table}: primary key is ({', '.join(primary or [])}), not ({column}, id)")
    return problems


def ownership_problems(fetch: Fetch, table: str) -> list[str]:
    """The connected (runtime) role must not own the table nor be a member of its owner."""
    rows = fetch(
        "SELECT pg_get_userbyid(relowner), pg_get_userbyid(relowner) = current_user,"
        " pg_has_role(current_user, relowner, 'USAGE') FROM pg_class WHERE oid = to_regclass(%s)",
        [_quoted(table)],
    )
    if not rows:
        return [f"{table}: table does not exist"]
    owner, is_owner, member = rows[0]
    problems = []
    if is_owner or member:
        problems.append(f"{table}: the runtime role owns it (owner {owner}) and bypasses RLS")
    return problems


def table_problems(fetch: Fetch, table: str) -> list[str]:
    return [
        *rls_flags(fetch, table),
        *policy_problems(fetch, table),
        *unique_index_problems(fetch, table),
    ]
