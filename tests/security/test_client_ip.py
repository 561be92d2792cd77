"""The client IP behind a configured number of trusted reverse proxies (DMS_TRUSTED_PROXY_COUNT),
one helper for the login throttle, django-axes, the API throttles, the audit log and the session
list (issue 11: behind a proxy the per-IP login throttle had become global)."""

from __future__ import annotations

from typing import Any

import pytest
from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.test import Client, RequestFactory

from dms.audit.models import AuditAction
from dms.audit.services import client_ip as audit_client_ip
from dms.security.ip import client_ip
from dms.security.models import UserSession
from dms.security.throttling import ScopedRateThrottle, UserRateThrottle
from tests.factories import TEST_PASSWORD, staff
from tests.security.conftest import audit, logged_in, make_dealer, post_credentials

PROXY = "10.0.0.1"  # the reverse proxy: REMOTE_ADDR of every request that passed it
ATTACKER = "203.0.113.7"
SHOWROOM = "198.51.100.20"


def request_from(remote: str, forwarded: str | None = None) -> Any:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


# --- the helper ----------------------------------------------------------------------------------


def test_without_trusted_proxies_x_forwarded_for_is_ignored(settings: Any) -> None:
    settings.DMS_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_from(SHOWROOM)) == SHOWROOM
    assert client_ip(request_from(SHOWROOM, forwarded="1.2.3.4")) == SHOWROOM
    assert client_ip(request_from(SHOWROOM, forwarded="1.2.3.4, 5.6.7.8")) == SHOWROOM
    assert client_ip(None) is None


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (1, ATTACKER, ATTACKER),
        # The client wrote its own X-Forwarded-For: only the proxy's entry (right-most) counts.
        (1, f"6.6.6.6, {ATTACKER}", ATTACKER),
        (1, f"garbage, {ATTACKER}", ATTACKER),
        (1, f"{ATTACKER}:5555", ATTACKER),
        (1, "2001:db8::7", "2001:db8::7"),
        (1, "[2001:db8::7]:443", "2001:db8::7"),
        # Two proxies: the outer one wrote the client, the inner one the outer proxy.
        (2, f"6.6.6.6, {ATTACKER}, 10.0.0.9", ATTACKER),
        # Fewer entries than proxies (the request skipped the outer proxy): what the first saw.
        (2, ATTACKER, ATTACKER),
        # No usable entry: the proxy's own address, never a made-up one.
        (1, "", PROXY),
        (1, "not-an-ip", PROXY),
        (1, None, PROXY),
    ],
)
def test_behind_trusted_proxies_the_client_is_counted_from_the_right(
    settings: Any, count: int, forwarded: str | None, expected: str
) -> None:
    settings.DMS_TRUSTED_PROXY_COUNT = count
    assert client_ip(request_from(PROXY, forwarded)) == expected


def test_axes_the_api_throttles_and_the_audit_log_use_the_same_helper(settings: Any) -> None:
    settings.DMS_TRUSTED_PROXY_COUNT = 1
    request = request_from(PROXY, f"6.6.6.6, {ATTACKER}")
    assert django_settings.AXES_CLIENT_IP_CALLABLE == "dms.security.ip.client_ip"
    assert get_client_ip_address(request) == ATTACKER
    assert audit_client_ip(request) == ATTACKER
    assert UserRateThrottle().get_ident(request) == ATTACKER
    assert ScopedRateThrottle().get_ident(request) == ATTACKER
    assert (
        "dms.security.throttling.UserRateThrottle"
        in (django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"])
    )


# --- the login throttle, end to end --------------------------------------------------------------


def thirty_bad_logins(**extra: Any) -> None:
    assert django_settings.DMS_IP_THROTTLE_FAILURES == 30
    for attempt in range(30):
        post_credentials(Client(), f"guess-{attempt}", "not-the-password", **extra)


@pytest.mark.django_db
def test_behind_a_proxy_one_guessers_failures_do_not_block_another_client(settings: Any) -> None:
    settings.DMS_TRUSTED_PROXY_COUNT = 1
    carl = staff(make_dealer(), "consultant", username="carl")
    thirty_bad_logins(ip=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)

    # The guesser is throttled, even with the right password of a real account...
    blocked = Client()
    response = post_credentials(
        blocked, "carl", TEST_PASSWORD, ip=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER
    )
    assert "Too many failed logins from your network" in response.content.decode()
    assert not logged_in(blocked)
    # ...also when it adds a made-up address of its own in front of the proxy's entry...
    spoofing = Client()
    post_credentials(
        spoofing, "carl", TEST_PASSWORD, ip=PROXY, HTTP_X_FORWARDED_FOR=f"{SHOWROOM}, {ATTACKER}"
    )
    assert not logged_in(spoofing)

    # ...while a colleague in the showroom, through the same proxy, logs in.
    showroom = Client()
    response = post_credentials(
        showroom, "carl", TEST_PASSWORD, ip=PROXY, HTTP_X_FORWARDED_FOR=SHOWROOM
    )
    assert response.status_code == 302 and logged_in(showroom)
    # The records name the real clients, not the proxy.
    assert {e.ip for e in audit(AuditAction.LOGIN_FAILED)} == {ATTACKER}
    assert audit(AuditAction.LOGIN)[-1].ip == SHOWROOM
    assert UserSession.objects.get(user=carl).ip == SHOWROOM
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


@pytest.mark.django_db
def test_without_a_trusted_proxy_a_spoofed_header_does_not_escape_the_throttle(
    settings: Any,
) -> None:
    settings.DMS_TRUSTED_PROXY_COUNT = 0
    staff(make_dealer(), "consultant", username="carl")
    # Every guess claims another address; the throttle counts the real one.
    for attempt in range(30):
        post_credentials(
            Client(),
            f"guess-{attempt}",
            "not-the-password",
            ip=ATTACKER,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{attempt + 1}",
        )
    client = Client()
    response = post_credentials(
        client, "carl", TEST_PASSWORD, ip=ATTACKER, HTTP_X_FORWARDED_FOR=SHOWROOM
    )
    assert "Too many failed logins from your network" in response.content.decode()
    assert not logged_in(client)
    assert {e.ip for e in audit(AuditAction.LOGIN_FAILED)} == {ATTACKER}
    # Someone really elsewhere is not affected.
    other = Client()
    assert post_credentials(other, "carl", TEST_PASSWORD, ip=SHOWROOM).status_code == 302
