"""POST /api/auth/token/: tokens only after a verified login."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from dms.audit.models import AuditAction
from tests.factories import hq_user, staff
from tests.security.conftest import audit, make_dealer, verified_client

pytestmark = pytest.mark.django_db

URL = "/api/auth/token/"


def test_unverified_session_gets_no_token_when_2fa_applies() -> None:
    admin = hq_user("hq_admin")
    client = Client()
    client.force_login(admin)  # password only

    response = client.post(URL)

    assert response.status_code == 403
    assert "second factor" in response.json()["detail"]
    assert not Token.objects.filter(user=admin).exists()
    assert not audit(AuditAction.TOKEN_ISSUED)


def test_verified_session_gets_a_working_token_and_it_is_audited() -> None:
    dealer = make_dealer()
    admin = staff(dealer, "dealer_admin")
    client = verified_client(admin)

    response = client.post(URL)

    assert response.status_code == 201
    key = response.json()["token"]
    assert Token.objects.get(user=admin).key == key
    me = Client().get("/api/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert me.status_code == 200
    [entry] = audit(AuditAction.TOKEN_ISSUED)
    assert entry.actor_id == admin.pk and entry.dealer_id == dealer.pk

    # A second request replaces the token.
    newer = client.post(URL).json()["token"]
    assert newer != key
    assert list(Token.objects.filter(user=admin).values_list("key", flat=True)) == [newer]
    old = Client().get("/api/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert old.status_code in {401, 403} and "Invalid token" in old.json()["detail"]


def test_staff_without_2fa_policy_gets_a_token_from_a_password_session() -> None:
    user = staff(make_dealer(require_2fa=False), "consultant")
    client = Client()
    client.force_login(user)
    assert client.post(URL).status_code == 201


def test_no_token_for_anonymous_callers_or_from_a_token() -> None:
    assert Client().post(URL).status_code in {401, 403}
    user = staff(make_dealer(), "consultant")
    token = Token.objects.create(user=user)
    response = Client().post(URL, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code in {401, 403}
    assert Token.objects.get(user=user).key == token.key


def test_get_is_not_allowed() -> None:
    user = staff(make_dealer(), "consultant")
    client = Client()
    client.force_login(user)
    assert client.get(URL).status_code == 405
    assert not Token.objects.exists()


def test_token_expires_after_the_maximum_age(settings) -> None:
    import datetime as dt

    from django.utils import timezone

    user = staff(make_dealer(require_2fa=False), "consultant")
    token = Token.objects.create(user=user)
    settings.DMS_API_TOKEN_MAX_AGE_DAYS = 30
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - dt.timedelta(days=29))
    assert Client().get("/api/me/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200

    Token.objects.filter(pk=token.pk).update(created=timezone.now() - dt.timedelta(days=31))
    expired = Client().get("/api/me/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]

    settings.DMS_API_TOKEN_MAX_AGE_DAYS = 0  # no expiry
    assert Client().get("/api/me/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
