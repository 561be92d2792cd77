"""Dual-control unlock approvals and the lockout counter with parallel connections."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client

from dms.audit.models import AuditAction, AuditEntry
from dms.security import services
from dms.security.models import UnlockApproval
from dms.security.selectors import is_locked
from tests.factories import TEST_PASSWORD, staff
from tests.security.conftest import (  # noqa: F401 - private_cache: an autouse fixture
    logged_in,
    make_dealer,
    post_credentials,
    private_cache,
)

from ._race import Race, kinds, point_before, with_and_without_locks

pytestmark = pytest.mark.django_db(transaction=True)


def _lock_out(username: str) -> None:
    for attempt in range(int(settings.AXES_FAILURE_LIMIT)):
        post_credentials(Client(), username, f"wrong-{attempt}")
    assert is_locked(username)


def _approve(user: Any, approver: Any) -> Callable[[], Any]:
    return lambda: services.approve_unlock(user=user, approver=approver, request=None).value


def test_two_colleagues_approving_an_unlock_at_once_unlock_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def scenario(race: Race) -> dict[str, Any]:
        dealer = make_dealer()
        locked = staff(dealer, "consultant")
        first, second = staff(dealer, "sales_manager"), staff(dealer, "dealer_manager")
        _lock_out(locked.username)
        # each approval is written and the approvals counted; the outcome not yet recorded
        point_before(monkeypatch, services, "_unlock", race)
        point_before(monkeypatch, services, "record", race)

        outcomes = race.run({"first": _approve(locked, first), "second": _approve(locked, second)})
        return {
            "outcomes": outcomes,
            "locked": is_locked(locked.username),
            "unlocks": AuditEntry.objects.filter(action=AuditAction.UNLOCK, dealer=dealer),
            "username": locked.username,
            "approvers": sorted([first.pk, second.pk]),
        }

    held, removed = with_and_without_locks(monkeypatch, scenario)

    assert kinds(held["outcomes"]) == ["ok", "ok"], held["outcomes"]
    assert sorted(o.value for o in held["outcomes"].values()) == ["approved", "unlocked"]
    assert not held["locked"]
    [unlock] = held["unlocks"]
    assert (
        unlock.detail["mode"] == "dual_control" and unlock.detail["approvers"] == held["approvers"]
    )
    client = Client()
    post_credentials(client, held["username"], TEST_PASSWORD)
    assert logged_in(client)
    # without the lock each counts only its own approval: two colleagues approved, still locked
    assert [o.value for o in removed["outcomes"].values()] == ["approved", "approved"]
    assert removed["locked"] and not removed["unlocks"].exists()


def test_one_colleague_approving_twice_at_once_counts_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def scenario(race: Race) -> dict[str, Any]:
        dealer = make_dealer()
        locked, colleague = staff(dealer, "consultant"), staff(dealer, "sales_manager")
        _lock_out(locked.username)
        # this colleague's approval was looked for (none yet) and is about to be written
        point_before(monkeypatch, UnlockApproval, "save", race)

        outcomes = race.run(
            {"tab-1": _approve(locked, colleague), "tab-2": _approve(locked, colleague)}
        )
        return {
            "outcomes": outcomes,
            "locked": is_locked(locked.username),
            "approvals": UnlockApproval.objects.filter(locked_user=locked).count(),
        }

    held, removed = with_and_without_locks(monkeypatch, scenario)

    assert kinds(held["outcomes"]) == ["ok", "refused"], held["outcomes"]
    [refused] = [o for o in held["outcomes"].values() if o.kind == "refused"]
    assert refused.messages == [
        "You have already approved this unlock. A second colleague must approve it."
    ]
    assert held["locked"] and held["approvals"] == 1
    # without the lock both pass the "already approved" check; the unique index fails the second
    assert kinds(removed["outcomes"]) == ["error", "ok"], removed["outcomes"]


def test_parallel_wrong_passwords_count_each_and_lock_at_the_limit() -> None:
    """Five wrong passwords for one account at the same moment (five connections, released
    together by a barrier): each counts, the account locks at the limit of five."""
    dealer = make_dealer()
    user = staff(dealer, "consultant")
    limit = int(settings.AXES_FAILURE_LIMIT)
    barrier = threading.Barrier(limit, timeout=30)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def attempt(n: int) -> None:
        from django.db import connections

        try:
            client = Client()
            barrier.wait()
            statuses.append(post_credentials(client, user.username, f"wrong-{n}").status_code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(limit)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert not errors and len(statuses) == limit and all(s < 500 for s in statuses), errors
    assert (
        sum(
            AccessAttempt.objects.filter(username=user.username).values_list(
                "failures_since_start", flat=True
            )
        )
        == limit
    )
    assert services.ip_failure_count("10.0.0.1") == limit  # the per-IP throttle counted each
    assert is_locked(user.username)
    client = Client()
    post_credentials(client, user.username, TEST_PASSWORD)
    assert not logged_in(client)  # the right password no longer helps: locked
