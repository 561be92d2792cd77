"""PATCH /api/absences/{id}/ racing a DELETE of the same absence (issue 11): with two real
connections, the PATCH waits for the deleting transaction and then answers 404, not 500."""

from __future__ import annotations

import datetime
import threading
import time
from typing import Any

import pytest
from django.db import connections

from dealers import services
from dealers.models import Membership, StaffAbsence
from dms.tenancy.context import as_dealer
from tests.api.support import token_client
from tests.conftest import owner_connect
from tests.factories import DealerFactory, staff

pytestmark = pytest.mark.django_db(transaction=True)


def wait_until_blocked(owner: Any, *, timeout: float = 20.0) -> None:
    """Until some other backend of this database waits for a row lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = owner.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
        if row and row[0]:
            return
        time.sleep(0.05)
    raise AssertionError("the PATCH never waited for the deleting transaction")


def test_patch_waiting_for_a_concurrent_delete_answers_404() -> None:
    dealer = DealerFactory()
    manager = staff(dealer, "dealer_manager")
    consultant = staff(dealer, "consultant")
    membership = Membership.objects.get(user=consultant)
    with as_dealer(dealer):
        absence = services.create_absence(
            dealer=dealer,
            membership=membership,
            starts_on=datetime.date(2026, 3, 2),
            ends_on=datetime.date(2026, 3, 6),
            reason="leave",
            actor=None,
        )
    client = token_client(manager)
    answers: list[Any] = []

    def patch() -> None:
        try:
            answers.append(
                client.patch(f"/api/absences/{absence.pk}/", {"note": "late"}, format="json")
            )
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            answers.append(exc)
        finally:
            connections.close_all()

    with owner_connect() as deleting, owner_connect() as watcher:
        deleting.autocommit = False
        deleting.execute("DELETE FROM dealers_staffabsence WHERE id = %s", [absence.pk])
        thread = threading.Thread(target=patch)
        thread.start()
        wait_until_blocked(watcher)
        deleting.commit()
        thread.join(timeout=30)
    assert not thread.is_alive()
    [answer] = answers
    assert not isinstance(answer, BaseException), answer
    assert answer.status_code == 404, answer.content
    with as_dealer(dealer):
        assert not StaffAbsence.objects.filter(pk=absence.pk).exists()
