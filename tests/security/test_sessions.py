"""Sessions: idle timeout, absolute lifetime, logout, ending every session and token."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from dms.audit.models import AuditAction
from dms.security import services
from dms.security.models import UserSession
from tests.factories import TEST_PASSWORD, staff
from tests.security.conftest import audit, logged_in, make_dealer, post_credentials

pytestmark = pytest.mark.django_db

PAGE = "/account/two_factor/"  # any page for logged-in users (account security)


def login(username: str, **extra: Any) -> Client:
    client = Client()
    post_credentials(client, username, TEST_PASSWORD, **extra)
    assert logged_in(client)
    return client


def test_idle_timeout_is_renewed_by_each_request_and_ends_an_idle_session(settings: Any) -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.SESSION_SAVE_EVERY_REQUEST
    staff(make_dealer(), "consultant", username="carl")
    client = login("carl")
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + timedelta(minutes=1)
    )

    assert client.get(PAGE).status_code == 200
    renewed = Session.objects.get(session_key=key).expire_date
    assert renewed > timezone.now() + timedelta(minutes=29)

    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/account/login/")
    # The expired session is forgotten at the next login; only live sessions are listed.
    again = login("carl")
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [
        again.session.session_key
    ]


def test_absolute_lifetime_logs_out_even_an_active_session(settings: Any) -> None:
    user = staff(make_dealer(), "consultant", username="carl")
    client = login("carl")
    assert client.get(PAGE).status_code == 200
    session = client.session
    session["dms_login_at"] = int(time.time()) - settings.DMS_SESSION_ABSOLUTE_SECONDS - 5
    session.save()

    response = client.get(PAGE, follow=True)

    assert response.redirect_chain[0][0].startswith("/account/login/?next=")
    assert "maximum length of 12 hours" in response.content.decode()
    assert not logged_in(client)
    assert not UserSession.objects.filter(user=user).exists()
    [entry] = audit(AuditAction.LOGOUT)
    assert entry.detail == {"reason": "absolute_lifetime"} and entry.actor_id == user.pk


def test_session_younger_than_the_absolute_lifetime_stays(settings: Any) -> None:
    staff(make_dealer(), "consultant", username="carl")
    client = login("carl")
    session = client.session
    session["dms_login_at"] = int(time.time()) - settings.DMS_SESSION_ABSOLUTE_SECONDS + 60
    session.save()
    assert client.get(PAGE).status_code == 200


def test_logout_is_a_post_and_ends_the_session() -> None:
    user = staff(make_dealer(), "consultant", username="carl")
    client = login("carl")
    key = client.session.session_key

    confirm = client.get("/security/logout/")
    assert confirm.status_code == 200 and logged_in(client)  # GET only asks
    assert 'method="post"' in confirm.content.decode()
    response = client.post("/security/logout/", follow=True)

    assert response.redirect_chain[-1][0] == "/account/login/"
    assert "You have been logged out" in response.content.decode()
    assert not logged_in(client)
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(user=user).exists()
    assert audit(AuditAction.LOGOUT)[0].detail == {"reason": "logout"}


def test_disabling_an_account_ends_all_its_sessions_and_tokens() -> None:
    dealer = make_dealer()
    user = staff(dealer, "consultant", username="carl")
    colleague = staff(dealer, "consultant", username="tom")
    desk, tablet, other = login("carl"), login("carl", HTTP_USER_AGENT="Tablet"), login("tom")
    token = Token.objects.create(user=user)
    assert UserSession.objects.filter(user=user).count() == 2

    user.is_active = False
    user.save()

    assert not UserSession.objects.filter(user=user).exists()
    assert not Token.objects.filter(user=user).exists()
    for client in (desk, tablet):
        assert client.get(PAGE).status_code == 302
    assert Client().get("/api/me/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code in {
        401,
        403,
    }
    assert other.get(PAGE).status_code == 200  # a colleague is not affected
    assert UserSession.objects.filter(user=colleague).count() == 1
    [entry] = audit(AuditAction.SESSION_END)
    assert entry.object_id == str(user.pk) and entry.count == 3
    assert entry.detail == {"reason": "account_disabled", "sessions": 2, "tokens": 1}


def test_end_all_sessions_service_and_the_log_out_everywhere_button() -> None:
    user = staff(make_dealer(), "consultant", username="carl")
    here, elsewhere = login("carl"), login("carl")
    Token.objects.create(user=user)

    response = here.post("/security/sessions/end/", follow=True)

    assert "Ended 2 other sessions and API tokens" in response.content.decode()
    assert logged_in(here) and here.get(PAGE).status_code == 200
    assert elsewhere.get(PAGE).status_code == 302
    assert not Token.objects.filter(user=user).exists()

    admin = staff(make_dealer(), "dealer_admin")
    assert services.end_all_sessions(user=user, actor=admin, request=None) == 1
    assert here.get(PAGE).status_code == 302
    entries = audit(AuditAction.SESSION_END)
    assert [e.actor_id for e in entries] == [user.pk, admin.pk]
