"""The join rule of issue 12 (item 2): the checker itself, and the ORM's joins through
TenantForeignKey. tests/conftest.py applies the checker to every statement of the suite."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from dms.tenancy.context import as_dealer
from leads.models import Customer, FollowUp, Lead
from sales.models import Order, Quote
from tests.factories import DealerFactory, LeadFactory
from tests.tenancy.tenant_joins import joins_without_tenant


def test_a_join_on_id_alone_is_reported() -> None:
    sql = (
        'SELECT 1 FROM "leads_lead" INNER JOIN "leads_customer" '
        'ON ("leads_lead"."customer_id" = "leads_customer"."id") WHERE "leads_lead"."id" = %s'
    )
    [problem] = joins_without_tenant(sql)
    assert "leads_customer" in problem and "leads_lead" in problem


def test_raw_sql_aliases_and_an_or_are_understood() -> None:
    good = (
        "SELECT 1 FROM leads_followup f JOIN leads_lead l "
        "ON l.dealer_id = f.dealer_id AND l.id = f.lead_id WHERE f.dealer_id = ANY(%(ids)s)"
    )
    assert joins_without_tenant(good) == []
    # The equality must hold for the whole join, not only on one side of an OR.
    loose = (
        "SELECT 1 FROM leads_followup f JOIN leads_lead l "
        "ON (l.dealer_id = f.dealer_id AND l.id = f.lead_id) OR l.id = f.lead_id"
    )
    assert len(joins_without_tenant(loose)) == 1


def test_joins_with_hq_tables_and_derived_tables_are_not_tenant_joins() -> None:
    sql = (
        "SELECT 1 FROM leads_lead l JOIN dealers_dealer d ON d.id = l.dealer_id "
        "JOIN leads_leadsource s ON s.id = l.source_id"
    )
    assert joins_without_tenant(sql) == []


def _sql_of(queryset: object) -> str:
    with CaptureQueriesContext(connection) as captured:
        list(queryset)  # type: ignore[call-overload]
    return "\n".join(q["sql"] for q in captured.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: Lead.objects.select_related("customer"), id="select_related"),
        pytest.param(
            lambda: FollowUp.objects.select_related("lead__customer"), id="select_related-chain"
        ),
        pytest.param(lambda: Lead.objects.filter(customer__last_name="X"), id="filter-forward"),
        pytest.param(lambda: Customer.objects.filter(leads__stage="new"), id="filter-reverse"),
        pytest.param(
            lambda: Order.objects.filter(quote__lead__customer__last_name="X"), id="filter-deep"
        ),
        pytest.param(
            lambda: Quote.objects.select_related("lead").select_for_update(of=("self",)),
            id="select_for_update",
        ),
        pytest.param(lambda: Customer.objects.exclude(leads__stage="lost"), id="exclude-subquery"),
    ],
)
def test_orm_joins_between_tenant_tables_carry_the_dealer(build: object) -> None:
    with as_dealer(1), transaction.atomic():
        sql = _sql_of(build())  # type: ignore[operator]
    assert " JOIN " in sql or "EXISTS" in sql or " IN (" in sql
    assert joins_without_tenant(sql) == []
    if " JOIN " in sql:
        assert '"dealer_id" = ' in sql.split(" JOIN ", 1)[1]


@pytest.mark.django_db
def test_fetching_a_relation_names_the_dealer() -> None:
    dealer = DealerFactory()
    with as_dealer(dealer.pk):
        lead = LeadFactory(customer__dealer=dealer)
        fresh = Lead.objects.get(pk=lead.pk)
        with CaptureQueriesContext(connection) as captured:
            assert fresh.customer.pk == lead.customer_id
    [query] = captured.captured_queries
    assert f'"leads_customer"."dealer_id" = {dealer.pk}' in query["sql"]


@pytest.mark.django_db
def test_one_postgresql_server_joins_without_the_dealer_condition(settings: Any) -> None:
    """DMS_TENANT_JOINS off (plain PostgreSQL in production): the join is Django's own, so the
    planner's estimates are those it always had."""
    settings.DMS_TENANT_JOINS = False
    # Compiled, not sent: a Citus cluster refuses this join (it needs repartitioning).
    with as_dealer(1), transaction.atomic():
        queryset = Lead.objects.select_related("customer")
        sql = str(queryset.query.get_compiler(using=queryset.db).as_sql()[0])
    joined = sql.split(" JOIN ", 1)[1]
    assert '"leads_lead"."customer_id" = "leads_customer"."id"' in joined
    assert '"leads_lead"."dealer_id" = ("leads_customer"."dealer_id")' not in joined
    settings.DMS_TENANT_JOINS = True
    with as_dealer(1), transaction.atomic():
        sql = _sql_of(Lead.objects.select_related("customer"))
    assert '"dealer_id" = ("leads_customer"."dealer_id")' in sql.split(" JOIN ", 1)[1]
