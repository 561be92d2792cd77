"""Shared fixtures of the funnel tests (leads, routing, follow-ups, my day, funnel, approvals).
Import the fixtures you use into the test module:
`from tests.leads._funnel import shop_fixture  # noqa: F401` (pytest finds them by `name`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from dealers.models import Dealer
from dms.tenancy.context import as_dealer
from leads.models import Grade, Lead
from tests.factories import CustomerFactory, DealerFactory, LeadFactory, staff


def ensure_reference_data() -> None:
    """The leads data migration loads HQ defaults; transactional tests elsewhere may have
    truncated them, so load them again when missing (idempotent)."""
    if not Grade.objects.exists():
        from leads.forms.funnel import clear_choice_cache
        from leads.services.reference import load_reference_data

        load_reference_data(apps)
        clear_choice_cache()


@dataclass
class Shop:
    dealer: Dealer
    manager: Any
    alice: Any  # consultant
    bob: Any  # consultant

    def lead(self, consultant: Any = None, **kwargs: Any) -> Lead:
        with as_dealer(self.dealer):
            customer = CustomerFactory(dealer=self.dealer, owner=consultant)
            lead: Lead = LeadFactory(customer=customer, consultant=consultant, **kwargs)
            return lead


def make_shop(**dealer_kwargs: Any) -> Shop:
    ensure_reference_data()
    dealer = DealerFactory(**dealer_kwargs)
    return Shop(
        dealer=dealer,
        manager=staff(dealer, "sales_manager", first_name="Maria", last_name="Manager"),
        alice=staff(dealer, "consultant", first_name="Alice", last_name="Able"),
        bob=staff(dealer, "consultant", first_name="Bob", last_name="Baker"),
    )


@pytest.fixture(name="shop")
def shop_fixture(db: Any) -> Shop:
    return make_shop()


@pytest.fixture(name="other_shop")
def other_shop_fixture(db: Any) -> Shop:
    return make_shop()


@pytest.fixture(name="signed_in")
def signed_in_fixture() -> Callable[..., Client]:
    """A client signed in as `user` with a verified second factor."""

    def _login(user: Any) -> Client:
        client = Client()
        client.force_login(user)
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return _login


class _SqlCounter:
    """Counts the SQL statements of a block, leaving out SAVEPOINT / RELEASE / ROLLBACK TO:
    those are the test's transaction wrapping ATOMIC_REQUESTS (BEGIN/COMMIT in production,
    which Django does not log either)."""

    def __init__(self, limit: int) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        self.limit = limit
        self.context = CaptureQueriesContext(connection)

    def __enter__(self) -> _SqlCounter:
        self.context.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.context.__exit__(*exc)
        if exc[0] is not None:
            return
        statements = [
            q["sql"]
            for q in self.context.captured_queries
            if not q["sql"].lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))
        ]
        self.count = len(statements)
        if self.count > self.limit:
            pytest.fail(
                f"{self.count} SQL statements, expected at most {self.limit}:\n\n"
                + "\n\n".join(s[:300] for s in statements)
            )


@pytest.fixture(name="max_sql")
def max_sql_fixture() -> Callable[[int], _SqlCounter]:
    """`with max_sql(8): client.get(url)` — the whole request, middleware included."""
    return _SqlCounter
