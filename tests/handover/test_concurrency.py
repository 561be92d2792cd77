"""Two managers apply conflicting batches (same customers) at the same moment, each on its own
database connection: exactly one succeeds, the other is refused whole."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from dealers.handover import services
from dealers.models import ReassignmentBatch
from dms.tenancy.context import as_dealer
from leads.models import Customer, FollowUp

from ._world import make_book

pytestmark = pytest.mark.django_db(transaction=True)


def test_conflicting_batches_cannot_both_succeed(monkeypatch: pytest.MonkeyPatch) -> None:
    book = make_book(n_customers=6, extras=False)
    with as_dealer(book.dealer):
        to_eve = services.plan_batch(
            dealer=book.dealer, from_user=book.dora, actor=book.manager, targets=[book.eve]
        )
        to_finn = services.plan_batch(
            dealer=book.dealer, from_user=book.dora, actor=book.manager, targets=[book.finn]
        )
    barrier = threading.Barrier(2, timeout=30)
    original = services._receivers

    def racing_receivers(**kwargs: Any) -> Any:
        found = original(**kwargs)
        barrier.wait()  # both hold their batch lock and are about to lock the customers
        return found

    monkeypatch.setattr(services, "_receivers", racing_receivers)
    outcomes: dict[str, str] = {}

    def worker(name: str, batch: ReassignmentBatch) -> None:
        try:
            with as_dealer(book.dealer):
                services.apply_batch(batch=batch, actor=book.manager)
            outcomes[name] = "applied"
        except ValidationError as exc:
            outcomes[name] = "refused: " + " ".join(exc.messages)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion
            outcomes[name] = f"error: {exc!r}"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=("eve", to_eve)),
        threading.Thread(target=worker, args=("finn", to_finn)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(v.split(":")[0] for v in outcomes.values()) == ["applied", "refused"], outcomes
    winner = book.eve if outcomes["eve"] == "applied" else book.finn
    loser_batch = to_finn if winner is book.eve else to_eve
    assert "no longer held by Dora Departing" in next(
        v for v in outcomes.values() if v.startswith("refused")
    )
    with as_dealer(book.dealer):
        ids = [c.pk for c in book.customers]
        assert set(Customer.objects.filter(pk__in=ids).values_list("owner_id", flat=True)) == {
            winner.pk
        }
        assert set(
            FollowUp.objects.filter(customer_id__in=ids).values_list("owner_id", flat=True)
        ) == {winner.pk}
        loser_batch.refresh_from_db()
        assert loser_batch.status == "draft"
        assert ReassignmentBatch.objects.filter(status="applied").count() == 1
