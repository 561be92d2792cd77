"""Dedupe under concurrency, with two real database connections (one per thread): the partial
unique constraint on (dealer, phone) decides, the losing registration re-reads and continues with
the customer the first one created (or gets only the conflict info if it belongs to a colleague).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, connections

from dms.tenancy.context import as_dealer
from leads.models import Customer, Lead, Visit
from leads.services import customers as customer_services
from leads.services.customers import RegistrationResult, register_contact
from tests.leads._funnel import Shop, make_shop

pytestmark = pytest.mark.django_db(transaction=True)


def run_concurrently(
    shop: Shop, calls: list[tuple[Any, str]], monkeypatch: pytest.MonkeyPatch
) -> tuple[list[RegistrationResult | None], list[BaseException], list[str]]:
    """Each call (actor, phone spelling) registers in its own thread and connection. Both threads
    first look for a match and find none, then both INSERT: a real race, made certain by a
    barrier after the first look-up of each thread."""
    barrier = threading.Barrier(len(calls), timeout=30)
    local = threading.local()
    original: Callable[..., Any] = customer_services._lock_match

    def racing_lock_match(identity: Any) -> Any:
        lookups.append(threading.get_ident())
        found = original(identity)
        if not getattr(local, "raced", False):
            local.raced = True
            barrier.wait()
        return found

    monkeypatch.setattr(customer_services, "_lock_match", racing_lock_match)
    lookups: list[int] = []
    results: list[RegistrationResult | None] = [None] * len(calls)
    errors: list[BaseException] = []
    db_users: list[str] = []

    def worker(index: int, actor: Any, phone: str) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_user")
                db_users.append(cursor.fetchone()[0])
            with as_dealer(shop.dealer):
                results[index] = register_contact(
                    dealer=shop.dealer,
                    actor=actor,
                    kind="walk_in",
                    source_code="walk_in",
                    name="Anna Schmidt",
                    phone=phone,
                )
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            errors.append(exc)
            barrier.abort()
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=worker, args=(i, actor, phone))
        for i, (actor, phone) in enumerate(calls)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    # Two first look-ups (both found nothing) + one re-read after the losing INSERT.
    assert len(lookups) == len(calls) + 1
    return results, errors, db_users


def test_same_consultant_twice_at_once_gives_one_customer(monkeypatch: pytest.MonkeyPatch) -> None:
    shop = make_shop()
    results, errors, users = run_concurrently(
        shop, [(shop.alice, "030 1234567"), (shop.alice, "+49 30 1234567")], monkeypatch
    )
    assert errors == []
    assert users == [settings.APP_DB_USER] * 2  # the runtime role, RLS applies
    assert all(r is not None and r.conflict is None for r in results)
    assert results[0].customer.pk == results[1].customer.pk  # type: ignore[union-attr]
    assert sorted(r.created_customer for r in results) == [False, True]  # type: ignore[union-attr]
    with as_dealer(shop.dealer):
        assert Customer.objects.count() == 1
        assert Lead.objects.count() == 1  # the second continued the first one's lead
        assert Visit.objects.count() == 2


def test_two_colleagues_at_once_one_wins_the_other_sees_the_conflict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shop = make_shop()
    results, errors, _users = run_concurrently(
        shop, [(shop.alice, "030 1234567"), (shop.bob, "0049301234567")], monkeypatch
    )
    assert errors == []
    winners = [r for r in results if r is not None and r.conflict is None]
    losers = [r for r in results if r is not None and r.conflict is not None]
    assert len(winners) == 1 and len(losers) == 1
    winner = winners[0].customer
    assert winner is not None
    loser = losers[0]
    assert loser.customer is None and loser.lead is None and loser.visit is None
    assert loser.conflict is not None
    assert loser.conflict.owner_name in {"Alice Able", "Bob Baker"}
    with as_dealer(shop.dealer):
        assert Customer.objects.count() == 1
        customer = Customer.objects.get()
        assert customer.owner_id == winner.owner_id
        assert Lead.objects.count() == 1
        assert Visit.objects.count() == 1
