"""Every tenant model, found automatically, must carry all three walls' prerequisites.

Adding a model that subclasses TenantModel (or any model with a dealer FK) makes these tests
check it; they fail until it has: a non-null dealer FK, RLS enabled AND forced, the four tenant
policies without subqueries, dealer_id first in every unique key (Citus), and a default manager
that raises without a tenant scope.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from django.apps import apps
from django.db import connection, models
from django_scopes.exceptions import ScopeError

from dealers.models import Dealer
from dms.tenancy.context import as_dealer, as_dealers
from dms.tenancy.models import TenantModel
from dms.tenancy.rls import rls_statements

from . import catalog


def label(model: type[models.Model]) -> str:
    return model._meta.label


ALL_MODELS = apps.get_models(include_auto_created=True)
TENANT_MODELS = sorted((m for m in ALL_MODELS if issubclass(m, TenantModel)), key=label)
# Proxies share their concrete model's table: check each table once.
TENANT_TABLES = sorted({m._meta.db_table for m in TENANT_MODELS if not m._meta.proxy})

# Models that reference a dealer but are deliberately NOT RLS tenant tables. Each needs a reason;
# anything else with a dealer FK must subclass TenantModel.
NOT_TENANT_WITH_DEALER_FK: dict[str, str] = {
    "dealers.Membership": (
        "network directory: authentication reads a user's memberships before any tenant scope "
        "exists; every read goes through dealers.selectors, which filter by the caller's rights"
    ),
    "audit.AuditEntry": (
        "dealer is nullable: logins and HQ actions belong to no dealer; the table is append-only "
        "and read only through the audit views (HQ admin, dealer admin for the own dealer)"
    ),
    "bulletins.Bulletin_target_dealers": (
        "HQ reference data: which dealers an HQ bulletin is meant for, written only by HQ "
        "services; it holds no dealer's data (each dealer's reading record is the tenant table "
        "bulletins.BulletinRecipient) and is never shown to dealer staff"
    ),
    "bulletins.BulletinTally": (
        "network projection (DESIGN.md): per bulletin and dealer, how many staff it reaches, "
        "opened and acknowledged it; counts only, no person, written only by bulletins.services "
        "in the transaction of the reading records it counts (tests/bulletins/test_tally.py "
        "pins its columns)"
    ),
    "bulletins.CampaignVehicle": (
        "HQ reference data with a network projection (DESIGN.md): an affected VIN of an HQ "
        "campaign, the dealer responsible for it (from HQ's import) and which dealer completed "
        "the work — no customer, person, price or note; written by bulletins.campaigns only, "
        "read one exact VIN at a time (campaign_selectors.open_campaigns_for_vin) or as counts"
    ),
    "inventory.Allocation": (
        "HQ data (DESIGN.md, vehicle stock): which dealer HQ allocated a vehicle to, written only "
        "by HQ logistics through inventory.vehicles.services; at most one active allocation per "
        "VIN is a unique key a tenant table could not hold (Citus: it would have to include "
        "dealer_id). No customer, price or note of the dealer; dealers read their own stock rows "
        "(the tenant table inventory.StockVehicle), never this table"
    ),
    "inventory.VehicleWarranty": (
        "network projection (DESIGN.md): a delivered VIN's warranty start and delivering dealer, "
        "for every dealer's workshop — no customer, person, price or note; written only by "
        "inventory.vehicles.services.deliver (tests/inventory/test_vehicle_stock.py pins its "
        "columns)"
    ),
    "bulletins.Promotion_target_dealers": (
        "HQ reference data: which dealers an HQ promotion is offered to, written only by HQ "
        "services (bulletins.promotions); it holds no dealer's data"
    ),
    "inventory.PartAvailability": (
        "network projection (DESIGN.md): which dealer has a part available, as a band (1, 2–5, "
        "more than 5) — no quantity, cost, customer or note; written only by "
        "inventory.stock.services in the transaction of the balance it mirrors, read one exact "
        "part at a time through inventory.stock.selectors.network_availability (audited); "
        "tests/inventory/test_stock_services.py pins its columns"
    ),
    "security.UnlockApproval": (
        "directory-level dual-control record about user accounts, read and written before/"
        "outside a tenant scope by the unlock flow"
    ),
}
# Non-tenant models allowed to point at a tenant row (a leak path for RLS): none so far.
NOT_TENANT_WITH_TENANT_FK: dict[str, str] = {}


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_tenant_models_are_found() -> None:
    labels = {label(m) for m in TENANT_MODELS}
    assert "dealers.StaffAbsence" in labels


@pytest.mark.parametrize("model", TENANT_MODELS, ids=label)
def test_dealer_fk_is_non_null(model: type[models.Model]) -> None:
    field = model._meta.get_field("dealer")
    assert isinstance(field, models.ForeignKey), f"{label(model)}.dealer is not a ForeignKey"
    assert field.related_model is Dealer, f"{label(model)}.dealer does not point at Dealer"
    assert field.null is False, f"{label(model)}.dealer is nullable"
    assert field.column == "dealer_id", f"{label(model)}.dealer column is {field.column}"


def _dealer_fks(model: type[models.Model]) -> Iterator[models.Field[Any, Any]]:
    for field in model._meta.get_fields(include_hidden=True):
        is_fk = field.concrete and (field.many_to_one or field.one_to_one)
        if is_fk and field.related_model is Dealer:
            yield field  # type: ignore[misc]


def test_every_model_with_a_dealer_fk_is_a_tenant_model() -> None:
    problems = []
    for model in ALL_MODELS:
        if issubclass(model, TenantModel):
            continue
        reason = NOT_TENANT_WITH_DEALER_FK.get(label(model))
        for field in _dealer_fks(model):
            if not reason:
                problems.append(
                    f"{label(model)}.{field.name} points at Dealer but {label(model)} is not a "
                    "TenantModel (subclass dms.tenancy.models.TenantModel, or add it with a "
                    "reason to NOT_TENANT_WITH_DEALER_FK)"
                )
        for field in model._meta.concrete_fields:
            target = field.related_model if field.is_relation else None
            if (
                isinstance(target, type)
                and issubclass(target, TenantModel)
                and label(model) not in NOT_TENANT_WITH_TENANT_FK
            ):
                problems.append(
                    f"{label(model)}.{field.name} points at tenant model {label(target)} from a "
                    "non-tenant table (its rows would escape RLS)"
                )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("model", TENANT_MODELS, ids=label)
def test_many_to_many_through_tables_are_tenant_models(model: type[models.Model]) -> None:
    problems = []
    for field in model._meta.many_to_many:
        through = field.remote_field.through  # type: ignore[union-attr]
        if not (isinstance(through, type) and issubclass(through, TenantModel)):
            problems.append(
                f"{label(model)}.{field.name}: through table {through._meta.db_table} has no "
                "dealer_id; declare an explicit through model that subclasses TenantModel"
            )
    assert not problems, "\n".join(problems)


def test_allow_lists_name_existing_models() -> None:
    labels = {label(m) for m in ALL_MODELS}
    stale = sorted((set(NOT_TENANT_WITH_DEALER_FK) | set(NOT_TENANT_WITH_TENANT_FK)) - labels)
    assert not stale, f"allow-list entries for models that no longer exist: {stale}"
    for name in NOT_TENANT_WITH_DEALER_FK:
        model = apps.get_model(name)
        assert list(_dealer_fks(model)), f"{name} is allow-listed but has no dealer FK any more"


@pytest.mark.django_db
@pytest.mark.parametrize("table", TENANT_TABLES)
def test_table_has_forced_rls_policies_and_dealer_first_keys(table: str) -> None:
    problems = catalog.table_problems(_fetch, table) + catalog.ownership_problems(_fetch, table)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("model", TENANT_MODELS, ids=label)
def test_managers_raise_without_scope(model: type[models.Model]) -> None:
    # No database access needed: django-scopes refuses before any SQL is built.
    for manager in (model._default_manager, model._base_manager):
        with pytest.raises(ScopeError):
            manager.count()
        with pytest.raises(ScopeError):
            list(manager.all())
        with pytest.raises(ScopeError):
            manager.filter(pk=1).exists()
        with pytest.raises(ScopeError):
            manager.get(pk=1)
    assert model._default_manager is model.objects  # type: ignore[attr-defined]


@pytest.mark.parametrize("model", TENANT_MODELS, ids=label)
def test_managers_filter_by_the_scope(model: type[models.Model]) -> None:
    column = f'"{model._meta.db_table}"."dealer_id"'
    with as_dealer(7):
        for manager in (model._default_manager, model._base_manager):
            assert f"{column} = 7" in str(manager.all().query)
    with as_dealers([7, 8]):
        assert f"{column} IN (7, 8)" in str(model._default_manager.all().query)


# --- the checks above must be able to fail: feed them broken tables ------------------------------


def _owner_fetch(conn: Any) -> catalog.Fetch:
    def fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return conn.execute(sql, params).fetchall()

    return fetch


@pytest.fixture
def scratch(owner_connection: Any) -> Iterator[Any]:
    """Temporary tables in an owner transaction that is always rolled back."""
    with owner_connection.transaction(force_rollback=True):
        yield owner_connection


def test_checks_accept_the_rls_helper_output(scratch: Any) -> None:
    scratch.execute(
        "CREATE TEMP TABLE good (id bigserial, dealer_id bigint NOT NULL, code text,"
        " PRIMARY KEY (dealer_id, id), UNIQUE (dealer_id, code))"
    )
    for statement in rls_statements("good"):
        scratch.execute(statement)
    assert catalog.table_problems(_owner_fetch(scratch), "good") == []


def test_checks_catch_a_table_without_rls_and_with_a_global_unique_key(scratch: Any) -> None:
    scratch.execute(
        "CREATE TEMP TABLE bad (id bigserial PRIMARY KEY, dealer_id bigint NOT NULL,"
        " code text UNIQUE)"
    )
    problems = "\n".join(catalog.table_problems(_owner_fetch(scratch), "bad"))
    for expected in (
        "not enabled",
        "not forced",
        "no SELECT policy",
        "no INSERT policy",
        "no UPDATE policy",
        "no DELETE policy",
        "bad_code_key does not start with dealer_id",
        "bad_pkey does not start with dealer_id",
        "primary key is (id), not (dealer_id, id)",
    ):
        assert expected in problems


def test_checks_catch_loose_policies_and_subqueries(scratch: Any) -> None:
    scratch.execute(
        "CREATE TEMP TABLE loose (id bigserial PRIMARY KEY, dealer_id bigint NOT NULL,"
        " UNIQUE (dealer_id, id))"
    )
    good = rls_statements("loose")
    for statement in good[:2]:  # ENABLE + FORCE
        scratch.execute(statement)
    ids = "string_to_array(current_setting('app.dealer_ids', true), ',')::bigint[]"
    scratch.execute(f"CREATE POLICY s ON loose FOR SELECT USING (dealer_id = ANY({ids}) OR true)")
    scratch.execute(
        f"CREATE POLICY i ON loose FOR INSERT WITH CHECK (dealer_id = ANY({ids}))"  # read ids
    )
    scratch.execute("CREATE POLICY u ON loose FOR UPDATE USING (dealer_id IN (SELECT 1))")
    scratch.execute("CREATE POLICY d ON loose FOR DELETE USING (true)")
    problems = "\n".join(catalog.table_problems(_owner_fetch(scratch), "loose"))
    assert "SELECT policy s (qual) does not limit dealer_id" in problems
    assert "INSERT policy i (check) does not limit dealer_id to app.write_dealer_ids" in problems
    assert "policy u contains a subquery" in problems
    assert "DELETE policy d (qual) does not limit" in problems
    assert "not enabled" not in problems


def test_ownership_check_flags_the_owner(scratch: Any) -> None:
    scratch.execute("CREATE TEMP TABLE owned (id bigserial PRIMARY KEY)")
    assert catalog.ownership_problems(_owner_fetch(scratch), "owned")  # we are its owner
