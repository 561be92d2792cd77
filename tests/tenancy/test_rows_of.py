"""rows_of(): an HQ scope's rows without the ORM's literal dealer list (RLS holds the same ids)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import ScopeError

from dms.tenancy.context import as_dealer, as_dealers
from dms.tenancy.querysets import rows_of
from reports.models import KpiMonth
from tests.factories import DealerFactory

pytestmark = pytest.mark.django_db

MONTH = dt.date(2026, 3, 1)


def test_exact_scope_reads_without_a_dealer_list_and_rls_still_limits_it():
    a, b, c = DealerFactory(), DealerFactory(), DealerFactory()
    for dealer, leads in ((a, 1), (b, 2), (c, 4)):
        with as_dealer(dealer):
            KpiMonth.objects.create(dealer=dealer, month=MONTH, leads_new=leads)
    with as_dealers([a.pk, b.pk]):
        with CaptureQueriesContext(connection) as ctx:
            whole = sorted(rows_of(KpiMonth, [b.pk, a.pk]).values_list("leads_new", flat=True))
        assert whole == [1, 2]  # c's row exists but RLS keeps it out
        assert " IN (" not in ctx.captured_queries[-1]["sql"]
        assert list(rows_of(KpiMonth, [b.pk]).values_list("leads_new", flat=True)) == [2]
        with pytest.raises(ValueError):
            rows_of(KpiMonth, [a.pk, c.pk])  # outside the scope: refused, not silently empty
    with pytest.raises(ScopeError):
        list(rows_of(KpiMonth, [a.pk]))  # no scope at all: wall 1 raises as everywhere
