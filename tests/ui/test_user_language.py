"""A user's own language (User.preferred_language) wins over the browser's for their pages, and
the language switcher stores the choice on the user (it follows them to another device)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import DealerFactory, staff

pytestmark = pytest.mark.django_db


def test_preferred_language_wins_over_the_browser(login):
    user = staff(DealerFactory(), "consultant")
    user.preferred_language = "ja"
    user.save(update_fields=["preferred_language"])
    client = login(user)

    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<html lang="ja">' in html
    assert "ダッシュボード" in html


def test_without_a_preference_the_browser_decides(login):
    client = login(staff(DealerFactory(), "consultant"))
    assert (
        '<html lang="zh-hans">' in client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    )
    assert '<html lang="en">' in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_switching_language_is_remembered_on_the_next_device(login):
    user = staff(DealerFactory(), "consultant")
    colleague = staff(user.memberships.get().dealer, "consultant")
    login(user).post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})

    user.refresh_from_db()
    assert user.preferred_language == "zh-hans"
    other_device = login(user, client=Client())
    assert '<html lang="zh-hans">' in other_device.get("/").content.decode()
    colleague.refresh_from_db()
    assert colleague.preferred_language == ""
    assert '<html lang="en">' in login(colleague).get("/").content.decode()


def test_switching_back_replaces_the_preference(login):
    user = staff(DealerFactory(), "consultant")
    user.preferred_language = "ja"
    user.save(update_fields=["preferred_language"])
    client = login(user)

    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    user.refresh_from_db()
    assert user.preferred_language == "en"
    assert '<html lang="en">' in client.get("/").content.decode()


def test_unknown_language_changes_nothing(login):
    user = staff(DealerFactory(), "consultant")
    user.preferred_language = "ja"
    user.save(update_fields=["preferred_language"])
    client = login(user)

    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})

    user.refresh_from_db()
    assert user.preferred_language == "ja"
    assert '<html lang="ja">' in client.get("/").content.decode()


def test_switch_without_csrf_token_changes_nothing(login):
    user = staff(DealerFactory(), "consultant")
    client = login(user, client=Client(enforce_csrf_checks=True))

    assert client.post("/i18n/setlang/", {"language": "ja", "next": "/"}).status_code == 403

    user.refresh_from_db()
    assert user.preferred_language == ""


def test_login_page_still_follows_the_browser(client):
    html = client.get("/account/login/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert '<html lang="ja">' in html


def test_the_users_language_ends_with_the_request(login):
    from django.utils import translation

    user = staff(DealerFactory(), "consultant")
    user.preferred_language = "ja"
    user.save(update_fields=["preferred_language"])
    with translation.override("en"):
        response = login(user).get("/")
        assert response["Content-Language"] == "ja"
        assert translation.get_language() == "en"  # nothing later in this thread reads Japanese


def test_switch_before_the_second_factor_does_not_touch_the_account():
    """The switcher's URL is open before the second factor (it sets a cookie); storing the
    choice on the account waits until the user is through the security checks."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = staff(DealerFactory(), "consultant")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    client.force_login(user)  # password only: the second factor is not verified yet

    response = client.post("/i18n/setlang/", {"language": "ja", "next": "/"})

    assert response.status_code == 302
    assert response.cookies["django_language"].value == "ja"
    user.refresh_from_db()
    assert user.preferred_language == ""
