"""A dealer admin manages the security of their dealer's CURRENT staff only (issue 11): once a
consultant left dealer A (membership deactivated) and works at dealer B, A's admin can neither
see nor touch their account any more: no page, no sessions, no token, no forced password change,
nothing written to B's audit log. B's admin still manages them; B's employment is never shown to
A's admin, even for someone who works at both."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from dealers import services as dealer_services
from dealers.models import Membership
from dms.audit.models import AuditAction, AuditEntry
from dms.security.models import UserSession
from dms.security.selectors import is_locked
from tests.factories import TEST_PASSWORD, staff
from tests.security.conftest import (
    logged_in,
    make_dealer,
    post_credentials,
    totp_now,
    verified_client,
)

pytestmark = pytest.mark.django_db


def page(user: Any) -> str:
    return f"/security/users/{user.pk}/"


@pytest.fixture
def moved() -> dict[str, Any]:
    """Carl worked at A, left (membership deactivated by A's admin), now works at B; he is logged
    in on a tablet at B and holds an API token."""
    a, b = make_dealer(name="Autohaus Alt"), make_dealer(name="Autohaus Neu")
    admin_a = staff(a, "dealer_admin", username="admin_alt")
    admin_b = staff(b, "dealer_admin", username="admin_neu")
    carl = staff(a, "consultant", username="carl", first_name="Carl", last_name="Moved")
    dealer_services.change_membership(
        membership=Membership.objects.get(user=carl, dealer=a),
        role="consultant",
        is_active=False,
        actor=admin_a,
    )
    dealer_services.add_membership(dealer=b, user=carl, role="consultant", actor=admin_b)
    tablet = Client(HTTP_USER_AGENT="Tablet at Neu")
    post_credentials(tablet, "carl", TEST_PASSWORD, ip="10.9.9.9")
    assert logged_in(tablet)
    Token.objects.create(user=carl)
    return {"a": a, "b": b, "admin_a": admin_a, "admin_b": admin_b, "carl": carl, "tablet": tablet}


def test_former_dealers_admin_gets_404_on_every_action_and_nothing_changes(
    moved: dict[str, Any],
) -> None:
    carl, admin_a = moved["carl"], moved["admin_a"]
    client = verified_client(admin_a)
    session = UserSession.objects.get(user=carl)
    before_audit = AuditEntry.objects.count()
    code = totp_now(TOTPDevice.objects.get(user=admin_a, name="default"))

    response = client.get(page(carl))
    assert response.status_code == 404
    assert "Neu" not in response.content.decode()
    for data in (
        {"action": "unlock"},
        {"action": "force_password"},
        {"action": "end_all"},
        {"action": "end_session", "session": session.pk},
        {"action": "reset_2fa", "password": TEST_PASSWORD, "otp_token": code},
        {"action": ""},
    ):
        assert client.post(page(carl), data).status_code == 404, data

    carl.refresh_from_db()
    assert not carl.must_change_password
    assert UserSession.objects.filter(pk=session.pk).exists()
    assert Token.objects.filter(user=carl).exists()
    assert moved["tablet"].get("/account/two_factor/").status_code == 200  # still logged in
    assert AuditEntry.objects.count() == before_audit  # nothing in A's or B's audit log


def test_current_dealers_admin_still_manages_them(moved: dict[str, Any]) -> None:
    carl, b = moved["carl"], moved["b"]
    client = verified_client(moved["admin_b"])

    body = client.get(page(carl)).content.decode()
    assert "Carl Moved" in body and "Tablet at Neu" in body
    assert b.name in body and moved["a"].name not in body

    response = client.post(page(carl), {"action": "force_password"})
    assert response.status_code == 302
    carl.refresh_from_db()
    assert carl.must_change_password
    entry = AuditEntry.objects.get(action=AuditAction.PASSWORD_FORCE)
    assert entry.actor_id == moved["admin_b"].pk and entry.dealer_id == b.pk

    client.post(page(carl), {"action": "end_all"})
    assert not UserSession.objects.filter(user=carl).exists()
    assert not Token.objects.filter(user=carl).exists()


def test_after_coming_back_the_old_dealers_admin_manages_them_again(
    moved: dict[str, Any],
) -> None:
    carl, a = moved["carl"], moved["a"]
    dealer_services.add_membership(dealer=a, user=carl, role="consultant", actor=moved["admin_a"])
    client = verified_client(moved["admin_a"])
    body = client.get(page(carl)).content.decode()
    assert "Carl Moved" in body
    # He works at both now: A's admin sees A only, not where else he works.
    assert a.name in body and moved["b"].name not in body


def test_lock_of_a_departed_user_is_not_the_old_dealers_to_lift(moved: dict[str, Any]) -> None:
    carl = moved["carl"]
    for attempt in range(5):
        post_credentials(Client(), "carl", f"wrong-{attempt}")
    assert is_locked("carl")
    client = verified_client(moved["admin_a"])
    assert client.post(page(carl), {"action": "unlock"}).status_code == 404, "X"
    assert client.post(f"/security/locked/{carl.pk}/unlock/").status_code == 404
    assert is_locked("carl")
    assert (
        verified_client(moved["admin_b"]).post(page(carl), {"action": "unlock"}).status_code == 302
    )
    assert not is_locked("carl")
