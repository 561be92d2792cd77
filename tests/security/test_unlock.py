"""Unlocking: an admin alone, or two distinct colleagues of the same dealer (dual control)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from dms.audit.models import AuditAction
from dms.security import services
from dms.security.models import UnlockApproval
from dms.security.selectors import is_locked
from tests.factories import TEST_PASSWORD, hq_user, staff
from tests.security.conftest import audit, logged_in, make_dealer, post_credentials, verified_client

pytestmark = pytest.mark.django_db

LOCKED = "/security/locked/"


def lock(username: str) -> None:
    for attempt in range(5):
        post_credentials(Client(), username, f"wrong-{attempt}")
    assert is_locked(username)


def can_log_in(username: str) -> bool:
    client = Client()
    post_credentials(client, username, TEST_PASSWORD)
    return logged_in(client)


def as_user(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def network() -> dict[str, Any]:
    a, b = make_dealer(name="Autohaus A"), make_dealer(name="Autohaus B")
    people = {
        "a": a,
        "b": b,
        "locked": staff(a, "consultant", username="lena", first_name="Lena", last_name="Lock"),
        "admin_a": staff(a, "dealer_admin", username="admin_a"),
        "admin_b": staff(b, "dealer_admin", username="admin_b"),
        "mgr1": staff(a, "sales_manager", username="mgr1"),
        "mgr2": staff(a, "dealer_manager", username="mgr2"),
        "mgr_b": staff(b, "sales_manager", username="mgr_b"),
        "consultant": staff(a, "consultant", username="colleague"),
    }
    lock("lena")
    return people


def test_dealer_admin_sees_and_unlocks_own_dealers_account(network: dict[str, Any]) -> None:
    client = verified_client(network["admin_a"])
    page = client.get(LOCKED)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Lena Lock" in body and f"/security/locked/{network['locked'].pk}/unlock/" in body

    response = client.post(f"/security/locked/{network['locked'].pk}/unlock/")

    assert response.status_code == 302 and response["Location"] == LOCKED
    assert not is_locked("lena") and can_log_in("lena")
    [entry] = audit(AuditAction.UNLOCK)
    assert entry.actor_id == network["admin_a"].pk and entry.dealer_id == network["a"].pk
    assert entry.object_id == str(network["locked"].pk) and entry.detail["mode"] == "admin"
    assert "No locked accounts" in client.get(LOCKED).content.decode()


def test_other_dealers_admin_cannot_see_or_unlock(network: dict[str, Any]) -> None:
    client = verified_client(network["admin_b"])
    assert "Lena" not in client.get(LOCKED).content.decode()

    response = client.post(f"/security/locked/{network['locked'].pk}/unlock/")

    assert response.status_code == 404
    assert is_locked("lena") and not audit(AuditAction.UNLOCK)


def test_hq_admin_unlocks_any_dealers_account_and_regional_manager_may_not(
    network: dict[str, Any],
) -> None:
    manager = verified_client(hq_user("hq_regional_manager", [network["a"].region]))
    assert manager.get(LOCKED).status_code == 403
    assert manager.post(f"/security/locked/{network['locked'].pk}/unlock/").status_code == 403

    admin = verified_client(hq_user("hq_admin"))
    assert "Lena Lock" in admin.get(LOCKED).content.decode()
    assert admin.post(f"/security/locked/{network['locked'].pk}/unlock/").status_code == 302
    assert not is_locked("lena")
    [entry] = audit(AuditAction.UNLOCK)
    assert entry.dealer_id == network["a"].pk and entry.detail["mode"] == "admin"


def test_role_without_unlock_right_gets_403_and_nothing_changes(network: dict[str, Any]) -> None:
    client = as_user(network["consultant"])
    assert client.get(LOCKED).status_code == 403
    assert client.post(f"/security/locked/{network['locked'].pk}/approve/").status_code == 403
    assert client.post(f"/security/locked/{network['locked'].pk}/unlock/").status_code == 403
    assert is_locked("lena") and not UnlockApproval.objects.exists()


def test_manager_may_only_approve_not_unlock_alone(network: dict[str, Any]) -> None:
    client = as_user(network["mgr1"])
    assert client.post(f"/security/locked/{network['locked'].pk}/unlock/").status_code == 403
    assert is_locked("lena")


def test_dual_control_needs_two_distinct_colleagues(network: dict[str, Any]) -> None:
    locked = network["locked"]
    first = as_user(network["mgr1"])
    page = first.get(LOCKED).content.decode()
    assert "Lena Lock" in page and f"/security/locked/{locked.pk}/approve/" in page

    response = first.post(f"/security/locked/{locked.pk}/approve/", follow=True)
    assert "A second colleague must approve" in response.content.decode()
    assert is_locked("lena")
    [requested] = audit(AuditAction.UNLOCK_REQUESTED)
    assert requested.actor_id == network["mgr1"].pk and requested.dealer_id == network["a"].pk

    # The same colleague approving again does not unlock.
    again = first.post(f"/security/locked/{locked.pk}/approve/", follow=True)
    assert "You have already approved" in again.content.decode()
    assert is_locked("lena") and UnlockApproval.objects.filter(used=False).count() == 1
    assert not audit(AuditAction.UNLOCK)

    # A second, distinct colleague completes it.
    second = as_user(network["mgr2"])
    done = second.post(f"/security/locked/{locked.pk}/approve/", follow=True)
    assert "is unlocked" in done.content.decode()
    assert not is_locked("lena") and can_log_in("lena")
    [unlock] = audit(AuditAction.UNLOCK)
    assert unlock.actor_id == network["mgr2"].pk and unlock.detail["mode"] == "dual_control"
    assert unlock.detail["approvers"] == sorted([network["mgr1"].pk, network["mgr2"].pk])
    assert not UnlockApproval.objects.filter(used=False).exists()


def test_other_dealers_colleague_cannot_approve(network: dict[str, Any]) -> None:
    as_user(network["mgr1"]).post(f"/security/locked/{network['locked'].pk}/approve/")

    response = as_user(network["mgr_b"]).post(f"/security/locked/{network['locked'].pk}/approve/")

    assert response.status_code == 404
    assert is_locked("lena")
    assert list(UnlockApproval.objects.values_list("approver_id", flat=True)) == [
        network["mgr1"].pk
    ]


def test_locked_user_cannot_approve_own_unlock(network: dict[str, Any]) -> None:
    a = network["a"]
    locked_manager = staff(a, "sales_manager", username="locked_mgr")
    client = as_user(locked_manager)  # a session from before the lockout
    lock("locked_mgr")
    as_user(network["mgr1"]).post(f"/security/locked/{locked_manager.pk}/approve/")

    response = client.post(f"/security/locked/{locked_manager.pk}/approve/")

    assert response.status_code == 403
    assert is_locked("locked_mgr")
    assert UnlockApproval.objects.filter(locked_user=locked_manager).count() == 1
    with pytest.raises(PermissionDenied):
        services.approve_unlock(user=locked_manager, approver=locked_manager, request=None)
    with pytest.raises(PermissionDenied):
        services.unlock_account(user=locked_manager, actor=locked_manager, request=None)
    assert is_locked("locked_mgr")


def test_approval_from_an_earlier_lockout_does_not_count(network: dict[str, Any]) -> None:
    locked = network["locked"]
    as_user(network["mgr1"]).post(f"/security/locked/{locked.pk}/approve/")
    services.unlock_account(user=locked, actor=network["admin_a"], request=None)
    lock("lena")

    as_user(network["mgr2"]).post(f"/security/locked/{locked.pk}/approve/")

    assert is_locked("lena")
    assert len(audit(AuditAction.UNLOCK_REQUESTED)) == 2


def test_account_that_is_not_locked_is_not_found(network: dict[str, Any]) -> None:
    client = verified_client(network["admin_a"])
    response = client.post(f"/security/locked/{network['mgr1'].pk}/unlock/")
    assert response.status_code == 404
    assert client.post("/security/locked/999999/unlock/").status_code == 404


def test_unlock_pages_refuse_get(network: dict[str, Any]) -> None:
    client = verified_client(network["admin_a"])
    assert client.get(f"/security/locked/{network['locked'].pk}/unlock/").status_code == 405
    assert is_locked("lena")
