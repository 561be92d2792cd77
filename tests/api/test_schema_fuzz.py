"""Schema-driven fuzz test of the whole API (issue 11): schemathesis generates requests for
every operation of the OpenAPI schema (valid and invalid data), sends them to the Django app
(WSGI, real PostgreSQL, the same transaction as the test), and checks each answer: never a 5xx,
a status code the schema declares for the operation, the declared content type, and a body that
matches the declared schema (including the error bodies).

Deterministic: Hypothesis is derandomized (examples depend only on the schema and this file)
and every example is rolled back to a savepoint, so examples neither see each other's writes
nor depend on order. Path ids are real rows of the caller's dealer part of the time (else the
fuzzer would only ever meet 404s), another dealer's rows or random numbers the rest.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.urls import Resolver404, resolve
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.specs.openapi import checks as openapi_checks

from dealers import services as dealer_services
from dealers.models import Membership
from dms.audit.services import record
from dms.tenancy.context import as_dealer
from sales import services as sales_services
from tests.factories import (
    FollowUpFactory,
    RegionFactory,
    TestDriveFactory,
    VisitFactory,
    hq_user,
    staff,
)
from tests.sales.conftest import Showroom, make_showroom

pytestmark = pytest.mark.django_db

# Examples per operation and generation mode (valid data, invalid data).
EXAMPLES = {"dealer": 8, "hq": 3}

CHECKS = [
    schemathesis.checks.not_a_server_error,  # type: ignore[attr-defined]
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]


def routed(case: Any) -> bool:
    """Whether the generated path reaches an API view at all. Invalid path parameters (ids
    such as "1.5e-3", which the router's pattern refuses) get Django's plain 404 page before any
    API code runs: for those only "no 5xx" is checked."""
    try:
        resolve(case.formatted_path)
    except Resolver404:
        return False
    return True


def checks_for(case: Any) -> list[Any]:
    return CHECKS if routed(case) else CHECKS[:1]


def api_schema() -> dict[str, Any]:
    """The schema as `/api/schema/` serves it (JSON round trip: lazy strings, decimals...)."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))  # type: ignore[no-any-return]


@dataclass
class World:
    """Rows of every API resource for the caller's dealer (ids by path) and another dealer."""

    ids: dict[str, list[int]] = field(default_factory=dict)
    foreign: dict[str, list[int]] = field(default_factory=dict)


def _rows(room: Showroom) -> dict[str, list[int]]:
    ids: dict[str, list[int]] = {}
    with as_dealer(room.dealer):
        open_lead = room.lead(stage="quote")
        quote = room.quote(open_lead, discount="500")
        accepted_lead = room.lead(stage="quote")
        accepted = room.quote(accepted_lead)
        sales_services.send_quote(quote=accepted, actor=room.alice)
        sales_services.accept_quote(quote=accepted, actor=room.alice)
        order = sales_services.create_order(
            quote=accepted, actor=room.alice, deposit_required=Decimal("2000")
        ).obj
        sales_services.record_payment(
            order=order, actor=room.alice, kind="deposit", amount=Decimal("500")
        )
        drive = TestDriveFactory(lead=open_lead, vehicle=room.car)
        follow_up = FollowUpFactory(
            lead=open_lead, due_at=dt.datetime(2026, 5, 4, 9, tzinfo=dt.UTC)
        )
        visit = VisitFactory(customer=open_lead.customer, served_by=room.alice, lead=open_lead)
        absence = dealer_services.create_absence(
            dealer=room.dealer,
            membership=Membership.objects.get(user=room.bob),
            starts_on=dt.date(2026, 3, 2),
            ends_on=dt.date(2026, 3, 6),
            reason="leave",
            actor=None,
        )
    audit = record(action="export", actor=room.manager, dealer=room.dealer, object_type="test")
    ids["leads"] = [open_lead.pk, accepted_lead.pk]
    ids["customers"] = [open_lead.customer_id, accepted_lead.customer_id]
    ids["quotes"] = [quote.pk, accepted.pk]
    ids["orders"] = [order.pk]
    ids["test-drives"] = [drive.pk]
    ids["demo-vehicles"] = [room.car.pk]
    ids["follow-ups"] = [follow_up.pk]
    ids["visits"] = [visit.pk]
    ids["absences"] = [absence.pk]
    ids["audit-entries"] = [audit.pk]
    return ids


@pytest.fixture
def world() -> tuple[World, Showroom]:
    north = RegionFactory(code="fuzz-north")
    room = make_showroom(region=north)
    other = make_showroom(region=north)
    return World(ids=_rows(room), foreign=_rows(other)), room


@contextlib.contextmanager
def in_process_requests() -> Iterator[None]:
    """Like Django's test client: the WSGI handler must not close the test's connection (and
    with it the transaction holding the test data) at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@dataclass
class Tally:
    operations: int = 0
    examples: int = 0
    call_seconds: float = 0.0
    failed: int = 0
    failures: dict[str, str] = field(default_factory=dict)


def _runner(
    label: str, strategies: list[Any], examples: int, app: Any, headers: Any, tally: Tally
) -> Any:
    """A Hypothesis test sending `examples` cases of each mode of one operation; the first
    failure of the operation is kept (no shrinking: the report shows it as generated)."""

    @settings(
        max_examples=examples * 2,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies))
    def run(case: Any) -> None:
        tally.examples += 1
        with transaction.atomic():
            try:
                started = time.perf_counter()
                response = case.call(app=app, headers=headers)
                tally.call_seconds += time.perf_counter() - started
                case.validate_response(response, checks=checks_for(case), headers=headers)
            except (Exception, BaseExceptionGroup) as exc:  # collected, reported below
                tally.failed += 1
                tally.failures.setdefault(label, str(exc)[:3000])
            transaction.set_rollback(True)

    return run


def fuzz(user: Any, world: World, examples: int) -> Tally:
    schema = schemathesis.openapi.from_dict(api_schema())
    app = get_wsgi_application()
    token, _created = Token.objects.get_or_create(user=user)
    headers = {"Authorization": f"Token {token.key}"}
    tally = Tally()
    for result in schema.get_all_operations():
        operation = result.ok()
        tally.operations += 1
        resource = operation.path.split("/")[2]
        has_id = "{id}" in operation.path
        ids = world.ids.get(resource, []) + world.foreign.get(resource, [])
        strategies = []
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategies.append(operation.as_strategy(generation_mode=mode))
            if has_id and ids and mode is GenerationMode.POSITIVE:
                strategies += [
                    operation.as_strategy(generation_mode=mode, path_parameters={"id": pk})
                    for pk in world.ids.get(resource, [])
                ]
        run = _runner(operation.label, strategies, examples, app, headers, tally)
        run()
    return tally


def report(who: str, tally: Tally) -> None:
    print(
        f"\nschema fuzz as {who}: {tally.operations} operations, {tally.examples} examples"
        f" ({tally.call_seconds:.1f} s in requests)"
    )
    assert not tally.failures, "\n\n".join(f"{k}:\n{v}" for k, v in tally.failures.items())


def test_every_operation_as_a_dealer_manager(world: tuple[World, Showroom]) -> None:
    data, room = world
    manager = staff(room.dealer, "dealer_manager")
    with in_process_requests():
        tally = fuzz(manager, data, EXAMPLES["dealer"])
    report("dealer manager", tally)


def test_every_operation_as_an_hq_admin(world: tuple[World, Showroom]) -> None:
    data, room = world
    admin = hq_user("hq_admin", regions=[room.dealer.region])
    with in_process_requests():
        tally = fuzz(admin, data, EXAMPLES["hq"])
    report("HQ admin", tally)
