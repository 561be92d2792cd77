"""Security operations on another user's account (/security/users/<pk>/): unlock, force a
password change, reset the second factor (with re-verification of the admin), end one or all
sessions — each audited; scoped to the admin's dealer (HQ admin: everyone)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from dms.audit.models import AuditAction
from dms.security import services
from dms.security.models import HashedBackupCode, UserSession
from dms.security.selectors import is_locked
from tests.factories import TEST_PASSWORD, hq_user, staff
from tests.security.conftest import (
    add_totp,
    audit,
    logged_in,
    make_dealer,
    post_credentials,
    totp_now,
    verified_client,
)

pytestmark = pytest.mark.django_db

DASHBOARD = "/account/two_factor/"


def page(user: Any) -> str:
    return f"/security/users/{user.pk}/"


def login(username: str, ua: str = "Browser") -> Client:
    client = Client(HTTP_USER_AGENT=ua)
    post_credentials(client, username, TEST_PASSWORD)
    assert logged_in(client)
    return client


def session_alive(client: Client) -> bool:
    """The client's next request is not sent to the login page (it may be sent to verify a
    second factor enrolled meanwhile)."""
    response = client.get(DASHBOARD)
    return response.status_code == 200 or not response["Location"].startswith("/account/login/")


def lock(username: str) -> None:
    for attempt in range(5):
        post_credentials(Client(), username, f"wrong-{attempt}")
    assert is_locked(username)


@pytest.fixture
def net() -> dict[str, Any]:
    a, b = make_dealer(name="Autohaus A"), make_dealer(name="Autohaus B")
    people: dict[str, Any] = {
        "a": a,
        "b": b,
        "carl": staff(a, "consultant", username="carl", first_name="Carl", last_name="Sales"),
        "admin_a": staff(a, "dealer_admin", username="admin_a"),
        "admin_b": staff(b, "dealer_admin", username="admin_b"),
        "colleague": staff(a, "consultant", username="colleague"),
        "hq": hq_user("hq_admin", username="hq"),
    }
    return people


def enrol(user: Any) -> None:
    """Authenticator app and 10 backup codes (after any password-only logins of the tests)."""
    add_totp(user)
    services.generate_backup_codes(user=user, request=None)


def admin_device(admin: Any) -> TOTPDevice:
    return TOTPDevice.objects.get(user=admin, name="default")


def second_factor_of(user: Any) -> tuple[int, int]:
    return (
        TOTPDevice.objects.filter(user=user).count(),
        HashedBackupCode.objects.filter(user=user).count(),
    )


# --- the page ----------------------------------------------------------------------------------


def test_page_shows_lock_2fa_password_sessions_and_token(net: dict[str, Any]) -> None:
    carl = net["carl"]
    login("carl", ua="Firefox on the showroom tablet")
    Token.objects.create(user=carl)
    enrol(carl)
    lock("carl")
    client = verified_client(net["admin_a"])

    response = client.get(page(carl))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Carl Sales" in body and "Locked" in body
    assert "confirmed" in body  # TOTP device
    assert 'data-testid="backup-codes-left">10<' in body
    assert "Firefox on the showroom tablet" in body and "10.0.0.1" in body
    assert "No API token." not in body and "issued" in body
    assert 'name="action" value="reset_2fa"' in body


def test_staff_change_page_and_hq_user_page_link_to_it(net: dict[str, Any]) -> None:
    from dealers.models import Membership

    membership = Membership.objects.get(user=net["carl"])
    admin = verified_client(net["admin_a"])
    body = admin.get(f"/network/staff/{membership.pk}/edit/").content.decode()
    assert page(net["carl"]) in body
    hq = verified_client(net["hq"])
    assert page(net["carl"]) in hq.get(f"/network/users/{net['carl'].pk}/").content.decode()


def test_consultant_gets_403_and_nothing_changes(net: dict[str, Any]) -> None:
    client = verified_client(net["colleague"])
    assert client.get(page(net["carl"])).status_code == 403
    assert client.post(page(net["carl"]), {"action": "force_password"}).status_code == 403
    assert client.post(page(net["carl"]), {"action": "end_all"}).status_code == 403
    net["carl"].refresh_from_db()
    assert not net["carl"].must_change_password
    assert not audit(AuditAction.PASSWORD_FORCE)


def test_other_dealers_admin_gets_404_and_nothing_changes(net: dict[str, Any]) -> None:
    carl = net["carl"]
    victim = login("carl")
    enrol(carl)
    lock("carl")
    client = verified_client(net["admin_b"])
    device = admin_device(net["admin_b"])

    assert client.get(page(carl)).status_code == 404
    for data in (
        {"action": "unlock"},
        {"action": "force_password"},
        {"action": "end_all"},
        {"action": "end_session", "session": UserSession.objects.get(user=carl).pk},
        {"action": "reset_2fa", "password": TEST_PASSWORD, "otp_token": totp_now(device)},
    ):
        assert client.post(page(carl), data).status_code == 404, data

    carl.refresh_from_db()
    assert is_locked("carl") and not carl.must_change_password
    assert second_factor_of(carl) == (1, 10)
    assert session_alive(victim)
    assert not audit(AuditAction.PASSWORD_FORCE) and not audit(AuditAction.OTP_RESET)
    assert not audit(AuditAction.SESSION_END) and not audit(AuditAction.UNLOCK)


def test_dealer_admin_cannot_reach_hq_accounts(net: dict[str, Any]) -> None:
    client = verified_client(net["admin_a"])
    assert client.get(page(net["hq"])).status_code == 404
    assert client.get("/security/users/999999/").status_code == 404


def test_hq_admin_reaches_every_dealers_user(net: dict[str, Any]) -> None:
    client = verified_client(net["hq"])
    assert client.get(page(net["carl"])).status_code == 200
    assert client.get(page(net["admin_b"])).status_code == 200


# --- actions -----------------------------------------------------------------------------------


def test_unlock_is_audited_and_the_user_can_log_in_again(net: dict[str, Any]) -> None:
    lock("carl")
    client = verified_client(net["admin_a"])

    response = client.post(page(net["carl"]), {"action": "unlock"}, follow=True)

    assert "is unlocked" in response.content.decode()
    assert not is_locked("carl")
    login("carl")
    [entry] = audit(AuditAction.UNLOCK)
    assert entry.actor_id == net["admin_a"].pk and entry.dealer_id == net["a"].pk


def test_force_password_change_is_audited_and_applies_at_next_request(
    net: dict[str, Any],
) -> None:
    victim = login("carl")
    client = verified_client(net["admin_a"])

    response = client.post(page(net["carl"]), {"action": "force_password"}, follow=True)

    assert "must choose a new password" in response.content.decode()
    net["carl"].refresh_from_db()
    assert net["carl"].must_change_password
    [entry] = audit(AuditAction.PASSWORD_FORCE)
    assert entry.actor_id == net["admin_a"].pk and entry.object_id == str(net["carl"].pk)
    assert victim.get(DASHBOARD)["Location"] == "/security/password/"


def test_reset_second_factor_with_password_and_totp(net: dict[str, Any]) -> None:
    carl = net["carl"]
    enrol(carl)
    client = verified_client(net["admin_a"])
    code = totp_now(admin_device(net["admin_a"]))

    response = client.post(
        page(carl),
        {"action": "reset_2fa", "password": TEST_PASSWORD, "otp_token": code},
        follow=True,
    )

    assert "is reset" in response.content.decode()
    assert second_factor_of(carl) == (0, 0)
    [entry] = audit(AuditAction.OTP_RESET)
    assert entry.actor_id == net["admin_a"].pk and entry.object_id == str(carl.pk)
    assert not audit(AuditAction.ACCESS_DENIED)


def test_reset_second_factor_with_the_admins_backup_code(net: dict[str, Any]) -> None:
    admin = net["admin_a"]
    enrol(net["carl"])
    client = verified_client(admin)
    codes = services.generate_backup_codes(user=admin, request=None)

    response = client.post(
        page(net["carl"]),
        {"action": "reset_2fa", "password": TEST_PASSWORD, "otp_token": codes[0]},
    )

    assert response.status_code == 302
    assert second_factor_of(net["carl"]) == (0, 0)
    assert HashedBackupCode.objects.filter(user=admin, used_at__isnull=True).count() == 9


@pytest.mark.parametrize(
    ("password", "use_code", "code"),
    [
        ("wrong-password-123", True, ""),
        (TEST_PASSWORD, False, "000000"),
        (TEST_PASSWORD, False, "abcde-fghjk"),
        (TEST_PASSWORD, False, ""),
        ("", True, ""),
    ],
)
def test_failed_reverification_changes_nothing_and_is_audited(
    net: dict[str, Any], password: str, use_code: bool, code: str
) -> None:
    carl = net["carl"]
    enrol(carl)
    client = verified_client(net["admin_a"])
    if use_code:
        code = totp_now(admin_device(net["admin_a"]))

    response = client.post(
        page(carl), {"action": "reset_2fa", "password": password, "otp_token": code}
    )

    assert response.status_code == 400
    assert "Confirmation failed" in response.content.decode()
    assert second_factor_of(carl) == (1, 10)
    assert not audit(AuditAction.OTP_RESET)
    [entry] = audit(AuditAction.ACCESS_DENIED)
    assert entry.actor_id == net["admin_a"].pk and entry.object_id == str(carl.pk)
    assert entry.detail["operation"] == "otp_reset"
    assert entry.detail["reason"].startswith("reverification_failed")


def test_reverification_is_throttled_after_five_failures(net: dict[str, Any]) -> None:
    enrol(net["carl"])
    client = verified_client(net["admin_a"])
    for _ in range(5):
        client.post(
            page(net["carl"]),
            {"action": "reset_2fa", "password": "nope-nope-nope", "otp_token": "123456"},
        )
    code = totp_now(admin_device(net["admin_a"]))
    response = client.post(
        page(net["carl"]), {"action": "reset_2fa", "password": TEST_PASSWORD, "otp_token": code}
    )
    assert response.status_code == 400 and "Too many failed confirmations" in (
        response.content.decode()
    )
    assert second_factor_of(net["carl"]) == (1, 10)
    assert len(audit(AuditAction.ACCESS_DENIED)) == 6


def test_admin_cannot_reset_own_second_factor_here(net: dict[str, Any]) -> None:
    admin = net["hq"]
    client = verified_client(admin)
    assert "account security" in client.get(page(admin)).content.decode()
    code = totp_now(admin_device(admin))

    response = client.post(
        page(admin),
        {"action": "reset_2fa", "password": TEST_PASSWORD, "otp_token": code},
        follow=True,
    )

    assert "cannot reset your own second factor" in response.content.decode()
    assert TOTPDevice.objects.filter(user=admin).count() == 1
    assert not audit(AuditAction.OTP_RESET)
    with pytest.raises(PermissionDenied):
        services.admin_reset_second_factor(
            user=admin, actor=admin, password=TEST_PASSWORD, code=code, request=None
        )


def test_end_one_session_logs_that_client_out_only(net: dict[str, Any]) -> None:
    carl = net["carl"]
    tablet = login("carl", ua="Tablet")
    desk = login("carl", ua="Desk")
    tablet_row = UserSession.objects.get(user=carl, user_agent="Tablet")
    client = verified_client(net["admin_a"])

    response = client.post(
        page(carl), {"action": "end_session", "session": tablet_row.pk}, follow=True
    )

    assert "The session has ended." in response.content.decode()
    assert not session_alive(tablet)
    assert session_alive(desk)
    assert not Session.objects.filter(session_key=tablet_row.session_key).exists()
    [entry] = audit(AuditAction.SESSION_END)
    assert entry.actor_id == net["admin_a"].pk and entry.detail["reason"] == "admin"


def test_end_session_of_another_user_by_id_changes_nothing(net: dict[str, Any]) -> None:
    other = login("colleague")
    row = UserSession.objects.get(user=net["colleague"])
    client = verified_client(net["admin_a"])

    response = client.post(page(net["carl"]), {"action": "end_session", "session": row.pk})

    assert response.status_code == 302
    assert session_alive(other)
    assert not audit(AuditAction.SESSION_END)


def test_end_all_sessions_and_tokens(net: dict[str, Any]) -> None:
    carl = net["carl"]
    first, second = login("carl", ua="One"), login("carl", ua="Two")
    Token.objects.create(user=carl)
    client = verified_client(net["admin_a"])

    response = client.post(page(carl), {"action": "end_all"}, follow=True)

    assert "Ended 3 sessions and API tokens" in response.content.decode()
    for victim in (first, second):
        assert not session_alive(victim)
    assert not Token.objects.filter(user=carl).exists()
    assert not UserSession.objects.filter(user=carl).exists()
    [entry] = audit(AuditAction.SESSION_END)
    assert entry.count == 3 and entry.actor_id == net["admin_a"].pk
    assert client.get(page(carl)).status_code == 200  # the admin stays logged in


def test_empty_or_unknown_action_changes_nothing(net: dict[str, Any]) -> None:
    victim = login("carl")
    enrol(net["carl"])
    client = verified_client(net["hq"])
    for data in ({}, {"action": "delete_everything"}):
        response = client.post(page(net["carl"]), data, follow=True)
        assert "Choose an action." in response.content.decode()
    net["carl"].refresh_from_db()
    assert not net["carl"].must_change_password
    assert session_alive(victim)
    assert second_factor_of(net["carl"]) == (1, 10)
