"""The base layout: assets from static/vendor (no CDN), CSP-safe markup, user menu, logout."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import DealerFactory, hq_user, staff

from .helpers import text_of

pytestmark = pytest.mark.django_db


def test_page_loads_vendor_assets_locally_and_has_no_inline_script_or_style(login):
    html = login(staff(DealerFactory(), "dealer_manager")).get("/").content.decode()
    for asset in (
        "/static/vendor/bootstrap/bootstrap.min.css",
        "/static/vendor/bootstrap/bootstrap.bundle.min.js",
        "/static/vendor/htmx/htmx.min.js",
        "/static/js/app.js",
        "/static/css/app.css",
    ):
        assert asset in html
    assert "//cdn" not in html and "https://" not in html
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None, "inline script"
    assert re.search(r"\sstyle=", html) is None, "inline style attribute"
    assert re.search(r"\son[a-z]+=", html) is None, "inline event handler"
    assert '<meta name="csrf-token"' in html


def test_vendor_files_exist():
    root = Path(settings.BASE_DIR) / "static"
    for path in (
        "vendor/bootstrap/bootstrap.min.css",
        "vendor/bootstrap/bootstrap.bundle.min.js",
        "vendor/bootstrap-icons/bootstrap-icons.min.css",
        "vendor/bootstrap-icons/fonts/bootstrap-icons.woff2",
        "vendor/htmx/htmx.min.js",
        "vendor/tom-select/tom-select.complete.min.js",
        "vendor/flatpickr/flatpickr.min.js",
        "vendor/chart.js/chart.umd.min.js",
        "js/app.js",
        "css/app.css",
    ):
        assert (root / path).stat().st_size > 0, path
    assert "htmx.org 2." in (root / "vendor/VERSIONS.txt").read_text()


def test_user_menu_shows_name_role_and_logout(login):
    user = staff(DealerFactory(code="M100"), "sales_manager", first_name="Mia", last_name="Meyer")
    html = login(user).get("/").content.decode()
    text = text_of(html)
    assert "Mia Meyer" in text and "Sales manager · M100" in text
    assert 'action="/security/logout/"' in html
    assert "Log out" in text
    assert "Django admin" not in text


def test_logout_from_user_menu_ends_session(login):
    client = login(staff(DealerFactory(), "consultant"))
    response = client.post("/security/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/account/login/"
    assert client.get("/")["Location"] == "/account/login/?next=/"


def test_hq_regional_top_bar_shows_role_not_a_dealer(login):
    html = login(hq_user("hq_regional_manager")).get("/").content.decode()
    assert 'data-testid="hq-role"' in html
    assert 'data-testid="current-dealer"' not in html
    assert 'data-testid="dealer-switcher"' not in html
    assert "HQ regional manager" in text_of(html)


def test_notifications_bell_slot_for_dealer_staff_only(login):
    staff_html = login(staff(DealerFactory(), "consultant")).get("/").content.decode()
    assert 'data-testid="notifications-slot"' in staff_html
    assert (
        'hx-trigger="load"' in staff_html
    )  # loaded once: no polling that would defeat the idle timeout
    hq_html = login(hq_user("hq_admin")).get("/").content.decode()
    assert 'data-testid="notifications-slot"' not in hq_html


def test_favicon_ico_points_at_the_static_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("/img/favicon.svg")
