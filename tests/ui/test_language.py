"""Language switcher: en / zh-hans / ja through Django's set_language, CSRF-protected."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import DealerFactory, staff

from .helpers import nav_items, text_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "html_lang", "dashboard", "customers", "role"),
    [
        ("ja", "ja", "ダッシュボード", "顧客", "セールスコンサルタント"),
        ("zh-hans", "zh-hans", "仪表板", "客户", "销售顾问"),
        ("en", "en", "Dashboard", "Customers", "Sales consultant"),
    ],
)
def test_switching_language_translates_the_page(
    login, language, html_lang, dashboard, customers, role
):
    client = login(staff(DealerFactory(), "consultant"))
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page
    assert "Language" in text_of(page)

    response = client.post("/i18n/setlang/", {"language": language, "next": "/"}, follow=True)

    assert response.redirect_chain[-1][0] == "/"
    html = response.content.decode()
    assert f'<html lang="{html_lang}">' in html
    assert f"<title>{dashboard} · Aurora DMS</title>" in html
    text = text_of(html)
    assert customers in text and role in text
    assert "Welcome" not in text or language == "en"


def test_coming_soon_tooltip_is_translated(login):
    client = login(staff(DealerFactory(), "service_advisor"))
    client.post("/i18n/setlang/", {"language": "ja", "next": "/"})
    html = client.get("/").content.decode()
    assert nav_items(html)["appointments"]["title"] == "近日公開: 工場の入庫予約と作業能力。"
    assert "近日公開：入庫予約" in text_of(html)


def test_language_switcher_lists_languages_in_their_own_names(login):
    html = login(staff(DealerFactory(), "consultant")).get("/").content.decode()
    text = text_of(html)
    for name in ("English", "简体中文", "日本語"):
        assert name in text
    assert 'action="/i18n/setlang/"' in html


def test_language_switch_needs_csrf_token(login):
    user = staff(DealerFactory(), "consultant")
    client = login(user, client=Client(enforce_csrf_checks=True))
    response = client.post("/i18n/setlang/", {"language": "ja", "next": "/"})
    assert response.status_code == 403
    assert '<html lang="en">' in client.get("/").content.decode()


def test_unknown_language_leaves_page_in_english(login):
    client = login(staff(DealerFactory(), "consultant"))
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert '<html lang="en">' in client.get("/").content.decode()


def test_login_page_follows_browser_language(client):
    response = client.get("/account/login/", HTTP_ACCEPT_LANGUAGE="ja")
    assert '<html lang="ja">' in response.content.decode()
