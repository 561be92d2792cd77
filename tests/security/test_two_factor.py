"""TOTP two-factor: mandatory where the policy says, enrolment with the QR wizard, the login's
token step, hashed one-time backup codes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.hashers import check_password
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from dms.audit.models import AuditAction
from dms.security.backup_codes import normalise_code
from dms.security.models import BackupCodeDevice, HashedBackupCode
from tests.factories import TEST_PASSWORD, hq_user, staff
from tests.security.conftest import (
    add_totp,
    audit,
    logged_in,
    make_dealer,
    post_credentials,
    post_token,
    totp_now,
    verified_client,
)

pytestmark = pytest.mark.django_db

SETUP = "/account/two_factor/setup/"
BACKUP = "/account/two_factor/backup/tokens/"


def test_hq_admin_without_second_factor_is_sent_to_enrolment_before_any_page() -> None:
    admin = hq_user("hq_admin", username="hilde")
    client = Client()
    response = post_credentials(client, "hilde", TEST_PASSWORD)
    assert logged_in(client)  # password accepted, but the session is not verified

    for path in ("/", "/security/locked/", "/network/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(SETUP), path
    api = client.get("/api/me/")
    assert api.status_code == 403 and "second factor" in api.json()["detail"]
    # The enrolment pages themselves, logout, static files and the language switch stay open.
    assert client.get(SETUP).status_code == 200
    assert client.get("/security/logout/").status_code == 200
    assert not TOTPDevice.objects.filter(user=admin).exists()


@pytest.mark.parametrize(
    ("role", "require_2fa", "redirected"),
    [
        ("consultant", False, False),
        ("consultant", True, True),
        ("sales_manager", True, True),
        ("dealer_admin", False, True),
    ],
)
def test_dealer_policy(role: str, require_2fa: bool, redirected: bool) -> None:
    dealer = make_dealer(require_2fa=require_2fa)
    user = staff(dealer, role)
    client = Client()
    client.force_login(user)
    response = client.get("/security/password/")
    if redirected:
        assert response.status_code == 302 and response["Location"].startswith(SETUP)
    else:
        assert response.status_code == 200


def test_enrolment_with_qr_wizard_and_a_real_totp_code() -> None:
    admin = hq_user("hq_admin", username="hilde")
    client = Client()
    client.force_login(admin)

    page = client.get(SETUP)
    assert page.status_code == 200
    step = client.post(SETUP, {"setup_view-current_step": "welcome"})
    body = step.content.decode()
    assert 'name="generator-token"' in body and "/account/two_factor/qrcode/" in body
    qr = client.get("/account/two_factor/qrcode/")
    assert qr.status_code == 200 and qr["Content-Type"].startswith("image/svg+xml")

    key = client.session["wizard_setup_view"]["extra_data"]["keys"]["generator"]
    wrong = client.post(
        SETUP, {"setup_view-current_step": "generator", "generator-token": "000000"}
    )
    if totp(bytes.fromhex(key)) != 0:
        assert "Entered token is not valid" in wrong.content.decode()
        assert not TOTPDevice.objects.filter(user=admin).exists()
    code = f"{totp(bytes.fromhex(key)):06d}"
    done = client.post(SETUP, {"setup_view-current_step": "generator", "generator-token": code})

    assert done.status_code == 302 and done["Location"] == "/account/two_factor/setup/complete/"
    device = TOTPDevice.objects.get(user=admin, confirmed=True)
    assert device.key == key
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id  # verified now
    assert client.get("/security/locked/").status_code == 200  # no more redirect
    [entry] = audit(AuditAction.OTP_ENROLLED)
    assert entry.actor_id == admin.pk


def test_login_asks_for_the_token_and_accepts_only_a_valid_one() -> None:
    dealer = make_dealer()
    user = staff(dealer, "dealer_admin", username="greta")
    device = add_totp(user)
    client = Client()

    step = post_credentials(client, "greta", TEST_PASSWORD)
    assert step.status_code == 200 and 'name="token-otp_token"' in step.content.decode()
    assert not logged_in(client)  # not before the second factor

    good = totp_now(device)
    bad = f"{(int(good) + 1) % 1_000_000:06d}"
    refused = post_token(client, bad)
    assert "Invalid token" in refused.content.decode() and not logged_in(client)
    failures = audit(AuditAction.LOGIN_FAILED)
    assert failures and failures[-1].detail["reason"] == "second_factor"

    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    response = post_token(client, good)

    assert response.status_code == 302 and logged_in(client)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get("/security/locked/").status_code == 200
    [login] = audit(AuditAction.LOGIN)
    assert login.detail["second_factor"] == "otp_totp.TOTPDevice"


def _generate_codes(client: Client) -> list[str]:
    response = client.post(BACKUP)
    assert response.status_code == 200
    body = response.content.decode()
    codes = re.findall(r">([a-z2-9]{5}-[a-z2-9]{5})<", body)
    assert len(codes) == 10
    return codes


def test_backup_codes_are_shown_once_and_stored_hashed() -> None:
    user = staff(make_dealer(), "dealer_admin", username="greta")
    client = verified_client(user)

    codes = _generate_codes(client)

    rows = list(HashedBackupCode.objects.filter(user=user))
    assert len(rows) == 10
    stored = " ".join(row.code_hash for row in rows)
    for code in codes:
        assert code not in stored and normalise_code(code) not in stored
        assert any(check_password(normalise_code(code), row.code_hash) for row in rows)
    assert not StaticToken.objects.exists()  # django-otp's plain-text tokens are not used
    again = client.get(BACKUP).content.decode()
    assert "10 unused backup codes" in again and codes[0] not in again  # never shown again
    [entry] = audit(AuditAction.BACKUP_CODES)
    assert entry.actor_id == user.pk and entry.count == 10

    # A new set replaces the old one.
    newer = _generate_codes(client)
    assert HashedBackupCode.objects.filter(user=user).count() == 10
    assert not set(codes) & set(newer)


def test_backup_code_page_needs_a_verified_session() -> None:
    user = staff(make_dealer(), "consultant")
    client = Client()
    client.force_login(user)
    response = client.post(BACKUP)
    assert response.status_code == 302
    assert not HashedBackupCode.objects.exists()


def test_backup_code_logs_in_once() -> None:
    user = staff(make_dealer(), "dealer_admin", username="greta")
    codes = _generate_codes(verified_client(user))

    # In the token step instead of the app's code (upper case and spaces are fine).
    client = Client()
    post_credentials(client, "greta", TEST_PASSWORD)
    response = post_token(client, codes[0].upper().replace("-", " "))
    assert response.status_code == 302 and logged_in(client)
    assert client.get("/security/locked/").status_code == 200
    assert HashedBackupCode.objects.filter(user=user, used_at__isnull=False).count() == 1

    # The same code a second time: refused.
    second = Client()
    post_credentials(second, "greta", TEST_PASSWORD)
    refused = post_token(second, codes[0])
    assert "Invalid token" in refused.content.decode() and not logged_in(second)
    # (a failure throttles the next try for a moment, as for the authenticator code)
    third_try_blocked = post_token(second, codes[1])
    assert "Too many wrong codes in a row. Wait 1 second" in third_try_blocked.content.decode()
    BackupCodeDevice.objects.filter(user=user).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )

    # Another code through the "use a backup code" step works.
    third = Client()
    post_credentials(third, "greta", TEST_PASSWORD)
    backup_step = third.post(
        "/account/login/", {"login_view-current_step": "token", "wizard_goto_step": "backup"}
    )
    assert 'name="backup-otp_token"' in backup_step.content.decode()
    done = post_token(third, codes[1], step="backup")
    assert done.status_code == 302 and logged_in(third)
    assert HashedBackupCode.objects.filter(user=user, used_at__isnull=True).count() == 8


def test_session_with_a_device_but_not_verified_must_verify() -> None:
    """A session from before enrolment (or in another browser) must pass the second factor."""
    user = staff(make_dealer(), "consultant", username="carl")
    device = add_totp(user)
    client = Client()
    client.force_login(user)

    response = client.get("/security/password/")
    assert response.status_code == 302 and response["Location"].startswith("/security/verify/")
    refused = client.post("/security/verify/", {"otp_token": "12345"})
    assert "Invalid token" in refused.content.decode()
    ok = client.post("/security/verify/?next=/security/password/", {"otp_token": totp_now(device)})
    assert ok.status_code == 302 and ok["Location"] == "/security/password/"
    assert client.get("/security/password/").status_code == 200


def test_mandatory_second_factor_cannot_be_turned_off() -> None:
    user = staff(make_dealer(), "dealer_admin")
    client = verified_client(user)
    response = client.post("/account/two_factor/disable/", {"understand": "on"})
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=user).exists()
    assert not audit(AuditAction.OTP_RESET)


def test_voluntary_second_factor_can_be_turned_off() -> None:
    user: Any = staff(make_dealer(), "consultant")
    client = verified_client(user)
    _generate_codes(client)
    response = client.post("/account/two_factor/disable/", {"understand": "on"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not HashedBackupCode.objects.filter(user=user).exists()
    [entry] = audit(AuditAction.OTP_RESET)
    assert entry.actor_id == user.pk
