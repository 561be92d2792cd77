"""Per-dealer document numbers (orders): each dealer counts 1, 2, 3... on its own.

One row per dealer and kind (sales.NumberSeries) holds the last number given. Taking the next
one is a single ``UPDATE ... SET last_number = last_number + n ... RETURNING``: the row lock it
takes makes a second transaction of the same dealer wait until the first commits, then read the
committed value, so two orders placed at the same moment never share a number. Other dealers
are never blocked (their own row). The unique key (dealer, number) on the orders is the second
wall. A dealer's first number inserts the row (``ON CONFLICT`` settles two first orders at once).

Numbers taken in a transaction that rolls back are given back with it: no gaps from refused
orders. Call inside the dealer's tenant scope (the row is tenant data, RLS applies).
"""

from __future__ import annotations

from django.db import connection

from .models import NumberSeries

TABLE = NumberSeries._meta.db_table


def next_number(*, dealer_id: int, kind: str, count: int = 1) -> int:
    """Reserve ``count`` numbers of the dealer's ``kind`` series; returns the last of them (the
    block is ``last - count + 1 .. last``)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET last_number = last_number + %s"  # noqa: S608 - model's table
            " WHERE dealer_id = %s AND kind = %s RETURNING last_number",
            [count, dealer_id, kind],
        )
        row = cursor.fetchone()
        if row is None:  # the dealer's first: create the series (two firsts at once: one updates)
            cursor.execute(
                f"INSERT INTO {TABLE} AS s (dealer_id, kind, last_number)"  # noqa: S608
                " VALUES (%s, %s, %s) ON CONFLICT (dealer_id, kind)"
                " DO UPDATE SET last_number = s.last_number + EXCLUDED.last_number"
                " RETURNING last_number",
                [dealer_id, kind, count],
            )
            row = cursor.fetchone()
    if row is None:  # pragma: no cover - INSERT ... ON CONFLICT DO UPDATE always returns the row
        raise RuntimeError(f"no {kind} number for dealer {dealer_id}")
    return int(row[0])
