"""Error pages as in production (DEBUG off, issue 11): 403 and 404 inside the layout with a way
back, 400/500/CSRF as plain styled pages that need neither database nor request; never the URL
map, a traceback, SQL or an exception's text."""

from __future__ import annotations

from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client, override_settings

from tests.factories import TEST_PASSWORD, DealerFactory, staff
from tests.ui.helpers import text_of

TECHNICAL = (
    "Using the URLconf",
    "urlpatterns",
    "api/schema/",
    "Traceback",
    "RuntimeError",
    "secret-internal-detail",
    "SELECT",
    "DEBUG = True",
)


def assert_nothing_technical(body: str) -> None:
    for marker in TECHNICAL:
        assert marker not in body, marker


@pytest.fixture(autouse=True)
def production(settings: Any) -> None:
    settings.DEBUG = False


@pytest.mark.django_db
def test_404_is_the_styled_page_inside_the_layout(login: Any) -> None:
    user = staff(DealerFactory(), "consultant")
    response = login(user).get("/no-such-page/at/all/")
    assert response.status_code == 404
    body = response.content.decode()
    assert 'data-testid="error-page" data-status="404"' in body
    assert "Page not found" in text_of(body)
    assert 'class="navbar-brand' in body and "data-nav-item" in body  # the layout and its menu
    assert 'data-testid="error-back"' in body and 'href="/"' in body
    assert_nothing_technical(body)


@pytest.mark.django_db
def test_404_of_an_object_says_nothing_about_it(login: Any) -> None:
    user = staff(DealerFactory(), "consultant")
    response = login(user).get("/sales/customers/987654321/")
    assert response.status_code == 404
    body = response.content.decode()
    assert 'data-status="404"' in body and "matches the given query" not in body
    assert_nothing_technical(body)


@pytest.mark.django_db
def test_403_shows_the_layout_the_reason_and_a_link_back(login: Any) -> None:
    dealer = DealerFactory()
    consultant = staff(dealer, "consultant")
    colleague = staff(dealer, "consultant")
    response = login(consultant).get(f"/security/users/{colleague.pk}/")
    assert response.status_code == 403
    body = response.content.decode()
    assert 'data-testid="error-page" data-status="403"' in body
    assert "You may not open this page" in text_of(body)
    # The route's declaration refused it, before any user was looked up: it says who may.
    assert "it is for security admins." in text_of(body)
    assert 'class="navbar-brand' in body and 'data-testid="error-back"' in body
    assert "403 Forbidden" not in body
    assert_nothing_technical(body)


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="tests.ui.error_urls")
def test_500_is_the_styled_page_without_traceback(login: Any) -> None:
    user = staff(DealerFactory(), "consultant")
    client = login(user)
    client.raise_request_exception = False
    response = client.get("/test-broken/")
    assert response.status_code == 500
    body = response.content.decode()
    assert 'data-testid="error-page" data-status="500"' in body
    assert "Something went wrong" in text_of(body)
    assert 'href="/"' in body and "bootstrap.min.css" in body
    assert_nothing_technical(body)


def test_500_page_renders_without_database_or_request() -> None:
    """No django_db mark: any database query here fails the test; no request either."""
    body = render_to_string("500.html")
    assert 'data-status="500"' in body and "Back to the start page" in body


@pytest.mark.django_db
def test_expired_form_gets_a_plain_explanation_not_a_bare_403() -> None:
    staff(DealerFactory(), "consultant", username="carl")
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/account/login/",
        {
            "login_view-current_step": "auth",
            "auth-username": "carl",
            "auth-password": TEST_PASSWORD,
        },
    )
    assert response.status_code == 403
    body = response.content.decode()
    assert 'data-status="403"' in body and "This form has expired" in text_of(body)
    assert "CSRF" not in body
    assert_nothing_technical(body)
