"""The Django admin is for HQ admins only (staff, HQ role hq_admin, second factor verified)."""

from __future__ import annotations

import pytest

from tests.factories import DealerFactory, hq_user, staff

from .helpers import text_of

pytestmark = pytest.mark.django_db


def _dealer_admin():
    return staff(DealerFactory(), "dealer_admin", is_staff=True)


def _consultant():
    return staff(DealerFactory(), "consultant", is_staff=True)


@pytest.mark.parametrize(
    "make_user",
    [
        pytest.param(_dealer_admin, id="dealer_admin"),
        pytest.param(_consultant, id="consultant"),
        pytest.param(lambda: hq_user("hq_regional_manager", is_staff=True), id="regional_manager"),
        pytest.param(lambda: hq_user("hq_admin", is_staff=False), id="hq_admin_not_staff"),
        pytest.param(lambda: hq_user("", is_staff=True, is_superuser=True), id="superuser_no_hq"),
    ],
)
def test_admin_refuses_everyone_but_hq_admins(login, make_user):
    client = login(make_user())
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    text = text_of(response.content.decode())
    assert "HQ admins only" in text
    assert "Site administration" not in text
    # The admin's own password form is never offered.
    assert 'name="password"' not in response.content.decode()


def test_hq_admin_enters_admin(login):
    client = login(hq_user("hq_admin", is_staff=True))
    response = client.get("/admin/")
    assert response.status_code == 200
    text = text_of(response.content.decode())
    assert "Aurora DMS administration" in text and "HQ administration" in text


def test_hq_admin_without_second_factor_does_not_enter(login):
    client = login(hq_user("hq_admin", is_staff=True), verified=False)
    response = client.get("/admin/", follow=True)
    # To the login's token step or, when the security middleware gets there first, to enrolment.
    assert response.redirect_chain[-1][0].startswith(("/account/login/", "/account/two_factor/"))
    assert "Aurora DMS administration" not in text_of(response.content.decode())


def test_anonymous_gets_project_login_not_admin_login(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/account/login/?next=/admin/")
    assert client.get("/admin/login/")["Location"].startswith("/account/login/")


def test_admin_password_change_uses_project_password_page(login):
    client = login(hq_user("hq_admin", is_staff=True))
    response = client.get("/admin/password_change/")
    assert response.status_code == 302
    assert response["Location"] == "/security/password/"
