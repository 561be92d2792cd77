"""The idle deadline slides with use, but an unchanged session is written at most once per
DMS_SESSION_RENEW_SECONDS: the idle timeout is SESSION_COOKIE_AGE after the last request, up to
that much earlier, never later."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import TEST_PASSWORD, staff
from tests.security.conftest import logged_in, make_dealer, post_credentials

pytestmark = pytest.mark.django_db

PAGE = "/account/two_factor/"


def login(username: str) -> Client:
    staff(make_dealer(), "consultant", username=username)
    client = Client()
    post_credentials(client, username, TEST_PASSWORD)
    assert logged_in(client)
    return client


def expire_date(client: Client) -> Any:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def set_last_renewal(client: Client, seconds_ago: int, settings: Any) -> Any:
    """Pretend the session row was last written `seconds_ago` seconds ago."""
    when = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - seconds_ago)
    Session.objects.filter(session_key=client.session.session_key).update(expire_date=when)
    return when


def session_writes(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PAGE).status_code == 200
    return sum(q["sql"].startswith('UPDATE "django_session"') for q in queries.captured_queries)


def test_a_session_renewed_within_the_granularity_is_not_written_again(settings: Any) -> None:
    client = login("ruth")
    before = set_last_renewal(client, settings.DMS_SESSION_RENEW_SECONDS - 20, settings)

    assert session_writes(client) == 0
    assert expire_date(client) == before


def test_a_session_renewed_longer_ago_slides_to_the_full_idle_timeout(settings: Any) -> None:
    client = login("rolf")
    set_last_renewal(client, settings.DMS_SESSION_RENEW_SECONDS + 5, settings)

    assert session_writes(client) == 1
    renewed = expire_date(client)
    full = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert full - timedelta(seconds=5) < renewed <= full


def test_the_idle_deadline_never_moves_past_the_idle_timeout(settings: Any) -> None:
    client = login("rosa")
    for _ in range(3):
        assert client.get(PAGE).status_code == 200
        assert expire_date(client) <= timezone.now() + timedelta(
            seconds=settings.SESSION_COOKIE_AGE
        )


def test_a_changed_session_is_always_saved(settings: Any) -> None:
    client = login("rena")
    session = client.session
    del session["dms_login_at"]  # a session from before the absolute lifetime: it gets one now
    session.save()
    before = set_last_renewal(client, 1, settings)

    assert session_writes(client) == 1
    assert expire_date(client) > before
    assert isinstance(client.session.get("dms_login_at"), int)


def test_an_idle_session_still_ends(settings: Any) -> None:
    client = login("rudi")
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/account/login/")
