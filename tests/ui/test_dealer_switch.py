"""Dealer switcher: only to dealers the user actively belongs to; anything else is 404."""

from __future__ import annotations

import pytest
from django.test import Client

from dealers.models import Membership
from dms.tenancy.middleware import SESSION_DEALER_KEY
from tests.factories import DealerFactory, MembershipFactory, hq_user, staff

from .helpers import text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_dealer_user():
    first = DealerFactory(code="A001", name="Alpha Motors")
    second = DealerFactory(code="B001", name="Beta Cars")
    user = staff(first, "consultant")
    MembershipFactory(user=user, dealer=second, role="sales_manager")
    return user, first, second


def test_switcher_lists_other_dealers_and_switches(login, two_dealer_user):
    user, first, second = two_dealer_user
    client = login(user)
    html = client.get("/").content.decode()
    assert 'data-testid="dealer-switcher"' in html
    assert f'name="dealer" value="{second.pk}"' in html
    assert "A001" in text_of(html) and "Sales consultant" in text_of(html)

    response = client.post("/switch-dealer/", {"dealer": second.pk}, follow=True)

    assert response.redirect_chain == [("/", 302)]
    assert client.session[SESSION_DEALER_KEY] == second.pk
    text = text_of(response.content.decode())
    assert "You are now working in B001 Beta Cars." in text  # message as a Bootstrap alert
    assert 'class="alert alert-success' in response.content.decode()
    # Now working as sales manager at B001: the manager entries appear.
    assert "Funnel" in text and "Sales manager" in text


def test_single_dealer_user_gets_no_switcher(login):
    html = login(staff(DealerFactory(), "consultant")).get("/").content.decode()
    assert 'data-testid="dealer-switcher"' not in html


@pytest.mark.parametrize(
    "case", ["foreign", "inactive_membership", "inactive_dealer", "missing", "garbage", "empty"]
)
def test_switch_refused_with_404_and_session_unchanged(login, two_dealer_user, case):
    user, first, second = two_dealer_user
    client = login(user)
    client.post("/switch-dealer/", {"dealer": first.pk})
    assert client.session[SESSION_DEALER_KEY] == first.pk
    if case == "foreign":
        target = DealerFactory().pk
    elif case == "inactive_membership":
        Membership.objects.filter(user=user, dealer=second).update(is_active=False)
        target = second.pk
    elif case == "inactive_dealer":
        type(second).objects.filter(pk=second.pk).update(is_active=False)
        target = second.pk
    elif case == "missing":
        target = 999_999_999
    elif case == "garbage":
        target = "1 OR 1=1"
    else:
        target = ""

    response = client.post("/switch-dealer/", {"dealer": target})

    assert response.status_code == 404
    assert client.session[SESSION_DEALER_KEY] == first.pk
    assert "A001" in text_of(client.get("/").content.decode())


def test_hq_user_cannot_switch_into_a_dealer(login):
    dealer = DealerFactory()
    client = login(hq_user("hq_admin"))
    response = client.post("/switch-dealer/", {"dealer": dealer.pk})
    assert response.status_code == 404
    assert SESSION_DEALER_KEY not in client.session


def test_switch_requires_post_and_csrf(login, two_dealer_user):
    user, first, second = two_dealer_user
    client = login(user)
    assert client.get("/switch-dealer/", {"dealer": second.pk}).status_code == 405
    strict = login(user, client=Client(enforce_csrf_checks=True))
    assert strict.post("/switch-dealer/", {"dealer": second.pk}).status_code == 403
    assert SESSION_DEALER_KEY not in strict.session


def test_switch_requires_login(client):
    dealer = DealerFactory()
    response = client.post("/switch-dealer/", {"dealer": dealer.pk})
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")
