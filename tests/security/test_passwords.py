"""Password change page, history (no reuse of the last 5), maximum age and forced change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from dms.audit.models import AuditAction
from dms.security import services
from dms.security.models import PasswordHistory, UserSession
from tests.factories import TEST_PASSWORD, staff
from tests.security.conftest import audit, logged_in, make_dealer, post_credentials

pytestmark = pytest.mark.django_db

CHANGE = "/security/password/"
User = get_user_model()


def change(client: Client, old: str, new: str) -> Any:
    return client.post(
        CHANGE, {"old_password": old, "new_password1": new, "new_password2": new}, follow=True
    )


def login(username: str, password: str = TEST_PASSWORD) -> Client:
    client = Client()
    post_credentials(client, username, password)
    assert logged_in(client)
    return client


def test_change_password_keeps_this_session_ends_the_others_and_is_audited() -> None:
    user = staff(make_dealer(), "consultant", username="carl")
    client, other = login("carl"), login("carl")
    Token.objects.create(user=user)
    before = timezone.now()

    response = change(client, TEST_PASSWORD, "a-brand-new-passphrase-7")

    assert "Your password has been changed" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password("a-brand-new-passphrase-7")
    assert user.password_changed_at >= before and not user.must_change_password
    assert logged_in(client) and client.get(CHANGE).status_code == 200
    assert other.get(CHANGE).status_code == 302  # the other browser is logged out
    assert UserSession.objects.filter(user=user).count() == 1
    assert UserSession.objects.get(user=user).session_key == client.session.session_key
    assert not Token.objects.filter(user=user).exists()
    [entry] = audit(AuditAction.PASSWORD_CHANGE)
    assert entry.actor_id == user.pk


def test_recent_password_is_refused_with_a_clear_message_and_nothing_changes() -> None:
    user = staff(make_dealer(), "consultant", username="carl")
    client = login("carl")
    change(client, TEST_PASSWORD, "first-new-passphrase-1")
    user.refresh_from_db()
    hash_before = user.password

    response = change(client, "first-new-passphrase-1", TEST_PASSWORD)

    assert response.status_code == 200
    assert "You used this password recently" in response.content.decode()
    user.refresh_from_db()
    assert user.password == hash_before
    assert len(audit(AuditAction.PASSWORD_CHANGE)) == 1


def test_only_the_last_five_passwords_are_remembered() -> None:
    user = staff(make_dealer(), "consultant", username="carl")
    client = login("carl")
    current = TEST_PASSWORD
    for n in range(1, 6):
        response = change(client, current, f"rotating-passphrase-{n}x")
        assert "Your password has been changed" in response.content.decode(), n
        current = f"rotating-passphrase-{n}x"
    assert PasswordHistory.objects.filter(user=user).count() == 5
    # The first one is six passwords back now: allowed again; the second is not.
    refused = change(client, current, "rotating-passphrase-2x")
    assert "You used this password recently" in refused.content.decode()
    allowed = change(client, current, TEST_PASSWORD)
    assert "Your password has been changed" in allowed.content.decode()


def test_wrong_old_password_or_weak_new_password_is_refused() -> None:
    user = staff(make_dealer(), "consultant", username="carl")
    client = login("carl")
    wrong_old = change(client, "not-my-password", "another-good-passphrase")
    assert "Your old password was entered incorrectly" in wrong_old.content.decode()
    weak = change(client, TEST_PASSWORD, "short")
    assert "too short" in weak.content.decode()
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)
    assert not audit(AuditAction.PASSWORD_CHANGE)


def test_password_older_than_max_age_forces_a_change_at_next_request(settings: Any) -> None:
    settings.DMS_PASSWORD_MAX_AGE_DAYS = 90
    user = staff(make_dealer(), "consultant", username="carl")
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - timedelta(days=91))
    client = login("carl")

    response = client.get("/network/")
    assert response.status_code == 302 and response["Location"] == CHANGE
    assert client.get("/api/me/").status_code == 403
    page = client.get(CHANGE).content.decode()
    assert "more than 90 days old" in page

    change(client, TEST_PASSWORD, "a-fresh-passphrase-2026")
    response = client.get("/security/locked/")
    assert response.status_code == 403  # the page itself answers now (consultant: no right)


def test_max_age_zero_turns_the_rule_off(settings: Any) -> None:
    settings.DMS_PASSWORD_MAX_AGE_DAYS = 0
    user = staff(make_dealer(), "consultant", username="carl")
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - timedelta(days=400))
    client = login("carl")
    assert "more than" not in client.get(CHANGE).content.decode()
    assert client.get("/security/logout/").status_code == 200
    response = client.get("/account/two_factor/")
    assert response.status_code == 200


def test_forced_change_by_admin_redirects_and_blocks_api_tokens() -> None:
    user = staff(make_dealer(), "consultant", username="carl")
    admin = staff(make_dealer(), "dealer_admin")
    token = Token.objects.create(user=user)
    client = login("carl")

    services.force_password_change(user=user, actor=admin, request=None)

    assert client.get("/account/two_factor/")["Location"] == CHANGE
    assert "An administrator asked you" in client.get(CHANGE).content.decode()
    api = Client().get("/api/me/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.status_code in {401, 403}
    [entry] = audit(AuditAction.PASSWORD_FORCE)
    assert entry.actor_id == admin.pk and entry.object_id == str(user.pk)


def test_every_new_password_is_kept_in_history_including_admin_resets() -> None:
    user = staff(make_dealer(), "consultant")
    user.set_password("set-by-an-admin-9876")
    user.save()
    latest = PasswordHistory.objects.filter(user=user).first()
    assert latest is not None and latest.password == user.password
    user.refresh_from_db()
    assert user.password_changed_at is not None


def test_login_warns_a_week_before_the_password_expires(settings: Any) -> None:
    settings.DMS_PASSWORD_MAX_AGE_DAYS = 90
    user = staff(make_dealer(), "consultant", username="carl")
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - timedelta(days=85))
    client = Client()
    assert post_credentials(client, "carl", TEST_PASSWORD).status_code == 302
    page = client.get(CHANGE).content.decode()  # the first page after login shows it
    assert "Your password expires on" in page
    assert "more than 90 days old" not in page  # a warning, not yet forced
