"""One active account per e-mail address, case-insensitive (issue 11): the database refuses a
second one, and every page that creates or edits a user says so clearly and changes nothing.
Disabled accounts and blank addresses do not count."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from dealers.models import Membership
from dms.audit.models import AuditEntry
from tests.api.support import session_client
from tests.factories import DealerFactory, UserFactory, hq_user, staff

pytestmark = pytest.mark.django_db
User = get_user_model()

TAKEN = "Another active user already has this e-mail address."
PASSPHRASE = "a-long-initial-passphrase-7"


@pytest.fixture
def net() -> dict[str, Any]:
    a, b = DealerFactory(), DealerFactory()
    return {
        "a": a,
        "admin": staff(a, "dealer_admin"),
        # Someone at another dealer already uses the address.
        "bob": staff(b, "consultant", username="bob", email="Bob.Berg@Example.com"),
        "hq": hq_user("hq_admin"),
    }


def counts() -> tuple[int, int, int]:
    return User.objects.count(), Membership.objects.count(), AuditEntry.objects.count()


def new_colleague(email: str, username: str = "new.colleague") -> dict[str, str]:
    return {
        "username": username,
        "first_name": "Nina",
        "last_name": "Neu",
        "email": email,
        "password": PASSPHRASE,
        "role": "consultant",
    }


# --- the database ------------------------------------------------------------------------------


def test_database_refuses_a_second_active_account_with_the_address_in_any_case(
    net: dict[str, Any],
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="clone", email="bob.berg@example.COM")
    # A disabled account may keep the same address, and blank addresses never clash.
    User.objects.create(username="old.bob", email="bob.berg@example.com", is_active=False)
    User.objects.create(username="no.mail.1", email="")
    User.objects.create(username="no.mail.2", email="")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(username="old.bob").update(is_active=True)


# --- dealer admin: new colleague -----------------------------------------------------------------


def test_dealer_admin_cannot_add_staff_with_an_address_in_use(net: dict[str, Any]) -> None:
    client = session_client(net["admin"])
    before = counts()

    response = client.post("/network/staff/new/", new_colleague(" BOB.BERG@example.com "))

    assert response.status_code == 200
    body = response.content.decode()
    assert TAKEN in body
    assert counts() == before
    assert not User.objects.filter(username="new.colleague").exists()


def test_address_of_a_disabled_account_can_be_given_to_new_staff(net: dict[str, Any]) -> None:
    net["bob"].is_active = False
    net["bob"].save(update_fields=["is_active"])
    client = session_client(net["admin"])

    response = client.post("/network/staff/new/", new_colleague("bob.berg@example.com"))

    assert response.status_code == 302
    assert User.objects.get(username="new.colleague").email == "bob.berg@example.com"


# --- HQ admin: create and edit users --------------------------------------------------------------


def test_hq_admin_cannot_create_a_user_with_an_address_in_use(net: dict[str, Any]) -> None:
    client = session_client(net["hq"])
    before = counts()
    response = client.post(
        "/network/users/new/",
        {
            "username": "rita",
            "first_name": "Rita",
            "last_name": "Region",
            "email": "bob.berg@EXAMPLE.com",
            "password": PASSPHRASE,
            "hq_role": "hq_regional_manager",
        },
    )
    assert response.status_code == 200
    assert TAKEN in response.content.decode()
    assert counts() == before


def edit(user: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "action": "edit",
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "hq_role": user.hq_role,
        "is_active": "on" if user.is_active else "",
    }
    return {**data, **overrides}


def test_hq_admin_cannot_give_a_user_an_address_in_use(net: dict[str, Any]) -> None:
    carl = staff(net["a"], "consultant", username="carl", email="carl@example.com")
    client = session_client(net["hq"])
    before = counts()

    response = client.post(f"/network/users/{carl.pk}/", edit(carl, email="bob.berg@example.com"))

    assert response.status_code == 400
    assert TAKEN in response.content.decode()
    carl.refresh_from_db()
    assert carl.email == "carl@example.com"
    assert counts() == before
    # Keeping one's own address (another case) is no clash.
    response = client.post(f"/network/users/{carl.pk}/", edit(carl, email="CARL@example.com"))
    assert response.status_code == 302
    carl.refresh_from_db()
    assert carl.email == "CARL@example.com"


def test_re_enabling_an_account_whose_address_was_taken_meanwhile_is_refused(
    net: dict[str, Any],
) -> None:
    old = UserFactory(username="old.bob", email="bob.berg@example.com", is_active=False)
    client = session_client(net["hq"])

    response = client.post(f"/network/users/{old.pk}/", edit(old, is_active="on"))

    assert response.status_code == 400
    assert TAKEN in response.content.decode()
    old.refresh_from_db()
    assert not old.is_active


def test_services_refuse_it_too(net: dict[str, Any]) -> None:
    from django.core.exceptions import ValidationError

    from dealers import services

    with pytest.raises(ValidationError) as error:
        services.add_staff(
            dealer=net["a"],
            actor=net["admin"],
            **new_colleague("bob.berg@example.com"),
        )
    assert error.value.message_dict == {"email": [TAKEN]}
    assert not User.objects.filter(username="new.colleague").exists()
