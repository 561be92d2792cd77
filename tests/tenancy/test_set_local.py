"""The tenant ids reach PostgreSQL as SET LOCAL statements (Citus forwards those to its workers
with citus.propagate_set_commands = 'local'; it never forwards set_config()), built from integers
only, and they end with the transaction."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from dms.tenancy.context import as_dealer, as_dealers
from dms.tenancy.db import set_local_sql
from tests.factories import DealerFactory

pytestmark = pytest.mark.django_db


def test_the_statements_are_set_local_of_integers() -> None:
    assert set_local_sql((3, 1), (3,)) == (
        "SET LOCAL app.dealer_ids = '3,1'; SET LOCAL app.write_dealer_ids = '3'"
    )
    assert set_local_sql((), ()) == (
        "SET LOCAL app.dealer_ids = ''; SET LOCAL app.write_dealer_ids = ''"
    )


@pytest.mark.parametrize("bad", ["1; RESET ROLE", "1' OR '1'='1", "x"])
def test_anything_but_an_integer_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        set_local_sql((bad,), ())  # type: ignore[arg-type]


def _settings() -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('app.dealer_ids', true),"
            " current_setting('app.write_dealer_ids', true)"
        )
        row = cursor.fetchone()
    assert row is not None
    return row[0] or "", row[1] or ""


def test_a_scope_sets_its_ids_for_its_transaction_only() -> None:
    a, b = DealerFactory(), DealerFactory()
    with transaction.atomic():
        with as_dealer(a):
            assert _settings() == (str(a.pk), str(a.pk))
        with as_dealers([a.pk, b.pk], write=False):
            assert _settings() == (f"{a.pk},{b.pk}", "")
