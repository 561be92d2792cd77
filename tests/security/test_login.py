"""Login page, per-account lockout (django-axes) and per-IP throttling."""

from __future__ import annotations

import pytest
from axes.exceptions import AxesBackendRequestParameterRequired
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.test import Client, RequestFactory

from dms.audit.models import AuditAction
from dms.security.models import UserSession
from dms.security.selectors import is_locked
from tests.factories import TEST_PASSWORD, staff
from tests.security.conftest import LOGIN_URL, audit, logged_in, make_dealer, post_credentials

pytestmark = pytest.mark.django_db


def test_login_page_renders_the_form() -> None:
    response = Client().get(LOGIN_URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="auth-username"' in body and 'name="auth-password"' in body
    assert "csrfmiddlewaretoken" in body


def test_wrong_password_gets_a_clear_message_and_no_session() -> None:
    dealer = make_dealer()
    user = staff(dealer, "consultant", username="carl")
    client = Client()

    response = post_credentials(client, "carl", "wrong-password-123")

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert not logged_in(client)
    [entry] = audit(AuditAction.LOGIN_FAILED)
    assert entry.detail == {"username": "carl", "reason": "bad_credentials"}
    assert entry.object_id == str(user.pk) and entry.dealer_id == dealer.pk
    assert entry.ip == "10.0.0.1"


def test_unknown_username_gets_the_same_message() -> None:
    response = post_credentials(Client(), "nobody-here", "whatever-password")
    assert "Please enter a correct username and password" in response.content.decode()
    [entry] = audit(AuditAction.LOGIN_FAILED)
    assert entry.object_id == "" and entry.detail["username"] == "nobody-here"


def test_successful_login_gets_a_new_session_key_and_is_recorded() -> None:
    dealer = make_dealer()
    user = staff(dealer, "consultant", username="carl")
    client = Client()
    client.get(LOGIN_URL)
    client.session.save()
    before = client.session.session_key
    assert before

    response = post_credentials(client, "carl", TEST_PASSWORD)

    assert response.status_code == 302 and response["Location"] == "/"
    after = client.session.session_key
    assert logged_in(client) and after != before
    assert UserSession.objects.filter(user=user, session_key=after, ip="10.0.0.1").exists()
    assert isinstance(client.session["dms_login_at"], int)
    [entry] = audit(AuditAction.LOGIN)
    assert entry.actor_id == user.pk and entry.dealer_id == dealer.pk


def test_five_failures_lock_the_account_and_the_sixth_correct_password_is_refused() -> None:
    dealer = make_dealer()
    user = staff(dealer, "consultant", username="lena")
    client = Client()

    for attempt in range(1, 5):
        response = post_credentials(client, "lena", f"wrong-guess-{attempt}")
        assert response.status_code == 200, attempt
    fifth = post_credentials(client, "lena", "wrong-guess-5")
    assert fifth.status_code == 403
    assert "Account locked" in fifth.content.decode()
    assert "dealer admin" in fifth.content.decode()  # says what to do

    sixth = post_credentials(client, "lena", TEST_PASSWORD)

    assert sixth.status_code == 403 and "Account locked" in sixth.content.decode()
    assert not logged_in(client)
    assert is_locked("lena")
    [lockout] = audit(AuditAction.LOCKOUT)
    assert lockout.object_id == str(user.pk) and lockout.dealer_id == dealer.pk
    failures = audit(AuditAction.LOGIN_FAILED)
    assert [f.detail["reason"] for f in failures] == ["bad_credentials"] * 5 + ["locked"]
    # The attempts axes keeps never hold the typed passwords.
    stored = " ".join(AccessAttempt.objects.values_list("post_data", flat=True))
    assert "wrong-guess" not in stored and TEST_PASSWORD not in stored


def test_lockout_is_per_account_colleagues_on_the_same_ip_still_log_in() -> None:
    dealer = make_dealer()
    staff(dealer, "consultant", username="lena")
    staff(dealer, "consultant", username="tom")
    for attempt in range(5):
        post_credentials(Client(), "lena", f"wrong-{attempt}")

    colleague = Client()
    response = post_credentials(colleague, "tom", TEST_PASSWORD)

    assert response.status_code == 302 and logged_in(colleague)
    assert is_locked("lena") and not is_locked("tom")


def test_success_before_the_limit_resets_the_failure_count() -> None:
    staff(make_dealer(), "consultant", username="lena")
    for attempt in range(4):
        post_credentials(Client(), "lena", f"wrong-{attempt}")
    assert post_credentials(Client(), "lena", TEST_PASSWORD).status_code == 302
    for attempt in range(4):
        post_credentials(Client(), "lena", f"wrong-again-{attempt}")
    assert not is_locked("lena")


def test_per_ip_throttle_stops_guessing_many_accounts_from_one_address(settings) -> None:
    settings.DMS_IP_THROTTLE_FAILURES = 3
    dealer = make_dealer()
    for name in ("ann", "ben", "cem", "dan"):
        staff(dealer, "consultant", username=name)
    attacker = "203.0.113.7"
    for name in ("ann", "ben", "cem"):
        post_credentials(Client(), name, "guess-123456", ip=attacker)

    # Even the right password is refused from the throttled address, before it is checked...
    client = Client()
    response = post_credentials(client, "dan", TEST_PASSWORD, ip=attacker)
    assert response.status_code == 200
    assert "Too many failed logins from your network" in response.content.decode()
    assert not logged_in(client)
    # ...so the refused attempts do not count against (lock) the targeted account,
    assert not AccessAttempt.objects.filter(username="dan").exists()
    for _ in range(6):
        post_credentials(Client(), "dan", "guess-again-1", ip=attacker)
    assert not is_locked("dan")
    # ...and dan, from the showroom's own address, logs in normally.
    own = Client()
    assert post_credentials(own, "dan", TEST_PASSWORD, ip="198.51.100.20").status_code == 302
    assert logged_in(own)
    throttled = [e for e in audit(AuditAction.LOGIN_FAILED) if e.detail["reason"] == "ip_throttled"]
    assert len(throttled) == 7 and {e.ip for e in throttled} == {attacker}


def test_one_person_cannot_lock_out_a_showroom_sharing_one_ip(settings) -> None:
    """The per-account limit is lower than the per-IP one: failures on one account from the
    shared address lock that account only; colleagues behind the same address log in."""
    assert settings.DMS_IP_THROTTLE_FAILURES > settings.AXES_FAILURE_LIMIT
    dealer = make_dealer()
    staff(dealer, "consultant", username="lena")
    colleagues = [staff(dealer, "consultant", username=f"c{i}") for i in range(3)]
    showroom = "192.0.2.10"
    for attempt in range(5):
        post_credentials(Client(), "lena", f"wrong-{attempt}", ip=showroom)
    for colleague in colleagues:
        client = Client()
        assert (
            post_credentials(client, colleague.username, TEST_PASSWORD, ip=showroom).status_code
            == 302
        )


def test_authenticate_without_a_request_is_refused() -> None:
    """AxesBackend comes first: a code path that forgets the request cannot bypass the lockout."""
    staff(make_dealer(), "consultant", username="carl")
    with pytest.raises(AxesBackendRequestParameterRequired):
        authenticate(username="carl", password=TEST_PASSWORD)
    request = RequestFactory().post(LOGIN_URL)
    assert authenticate(request, username="carl", password=TEST_PASSWORD) is not None
