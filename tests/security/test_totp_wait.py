"""After a wrong authenticator code the login says how long to wait, in words and in the
reader's language (issue 13, item 9). django-otp refuses the next code for 1, 2, 4, 8 ...
seconds after wrong ones in a row and said only "please try again soon", in English."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from dms.security.forms import wait_in_words
from tests.factories import TEST_PASSWORD, staff
from tests.security.conftest import (
    add_totp,
    logged_in,
    make_dealer,
    post_credentials,
    post_token,
    totp_now,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 11, 9, 0, 0, tzinfo=dt.UTC)


def other_than(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_wrong_code_says_how_long_to_wait_and_a_hurried_one_too() -> None:
    user = staff(make_dealer(), "dealer_admin", username="greta")
    device = add_totp(user)
    client = Client()
    with time_machine.travel(NOW, tick=False) as clock:
        post_credentials(client, "greta", TEST_PASSWORD)
        bad = other_than(totp_now(device))

        first = post_token(client, bad).content.decode()
        assert "Invalid token" in first
        assert "Wait 1 second before you enter the next code." in first

        hurried = post_token(client, bad).content.decode()  # within that second
        assert "Too many wrong codes in a row. Wait 1 second, then enter the current code." in (
            hurried
        )
        assert "try again soon" not in hurried

        clock.shift(dt.timedelta(seconds=2))
        second = post_token(client, bad).content.decode()  # two wrong in a row: 2 seconds
        assert "Wait 2 seconds before you enter the next code." in second

        clock.shift(dt.timedelta(seconds=3))
        assert post_token(client, totp_now(device)).status_code == 302
        assert logged_in(client)


def test_a_long_wait_is_said_in_minutes() -> None:
    user = staff(make_dealer(), "dealer_admin", username="hanna")
    device = add_totp(user)
    client = Client()
    with time_machine.travel(NOW, tick=False):
        post_credentials(client, "hanna", TEST_PASSWORD)
        device.throttling_failure_count = 8  # 2**7 = 128 seconds
        device.throttling_failure_timestamp = NOW
        device.save()
        page = post_token(client, totp_now(device)).content.decode()
    assert "Wait 3 minutes, then enter the current code." in page
    assert not logged_in(client)


def test_the_wait_is_said_in_the_readers_language() -> None:
    user = staff(make_dealer(), "dealer_admin", username="kenji")
    device = add_totp(user)
    client = Client(HTTP_ACCEPT_LANGUAGE="ja")
    with time_machine.travel(NOW, tick=False):
        post_credentials(client, "kenji", TEST_PASSWORD)
        bad = other_than(totp_now(device))
        post_token(client, bad)
        hurried = post_token(client, bad).content.decode()
    with translation.override("ja"):
        expected = wait_in_words(1)
    assert expected in hurried and "秒" in expected
    assert "Too many wrong codes" not in hurried and "try again soon" not in hurried


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0.2, "1 second"),
        (1, "1 second"),
        (8, "8 seconds"),
        (119, "119 seconds"),
        (128, "3 minutes"),
        (3600, "60 minutes"),
        (4 * 3600, "4 hours"),
    ],
)
def test_wait_in_words(seconds: float, words: str) -> None:
    assert wait_in_words(seconds) == words
