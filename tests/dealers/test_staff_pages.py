"""/network/staff/: the current dealer's staff directory; dealer admins add staff, change roles
and deactivate — their own dealer only, every change audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from dealers.models import Membership
from dms.audit.models import AuditAction, AuditEntry
from tests.api.support import session_client, table_html
from tests.factories import DealerFactory, hq_user, staff

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def net() -> dict[str, Any]:
    a, b = DealerFactory(), DealerFactory()
    return {
        "a": a,
        "b": b,
        "admin": staff(a, "dealer_admin", first_name="Ada", last_name="Admin"),
        "anna": staff(a, "consultant", first_name="Anna", last_name="Berg"),
        "tom": staff(a, "technician", first_name="Tom", last_name="Tech"),
        "pia": staff(a, "parts_clerk", first_name="Pia", last_name="Parts"),
        "max": staff(a, "sales_manager", first_name="Max", last_name="Manager"),
        "bob": staff(b, "consultant", first_name="Bob", last_name="Other"),
    }


def memberships() -> list[tuple[Any, ...]]:
    return list(
        Membership.objects.order_by("pk").values_list(
            "pk", "user_id", "dealer_id", "role", "is_active"
        )
    )


def test_staff_directory_is_for_managers_and_admins(net: dict[str, Any]) -> None:
    """Names, usernames and e-mails of all staff: not for technicians, parts clerks or
    consultants (issue 11), who get 403 and see no one; managers and admins read it."""
    for who in ("tom", "pia", "anna"):
        response = session_client(net[who]).get("/network/staff/")
        assert response.status_code == 403, who
        assert b"Ada Admin" not in response.content
    for who in ("max", "admin"):
        assert "Ada Admin" in table_html(session_client(net[who]).get("/network/staff/")), who


def test_staff_list_shows_own_dealer_and_filters_by_role(net: dict[str, Any]) -> None:
    client = session_client(net["max"])  # a manager reads the directory
    table = table_html(client.get("/network/staff/"))
    assert "Anna Berg" in table and "Tom Tech" in table and "Ada Admin" in table
    assert "Bob Other" not in table
    page = client.get("/network/staff/").content.decode()
    assert 'data-testid="staff-add"' not in page and "/network/staff/" in page
    technicians = table_html(client.get("/network/staff/?role=technician"))
    assert "Tom Tech" in technicians and "Anna Berg" not in technicians
    assert "Anna Berg" in table_html(client.get("/network/staff/?q=berg"))


def test_dealer_admin_adds_a_colleague(net: dict[str, Any]) -> None:
    client = session_client(net["admin"])
    assert 'data-testid="staff-add"' in client.get("/network/staff/").content.decode()
    response = client.post(
        "/network/staff/new/",
        {
            "username": "new.colleague",
            "first_name": "Nina",
            "last_name": "Neu",
            "email": "nina@example.com",
            "password": "a-long-initial-passphrase-7",
            "role": "consultant",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="new.colleague")
    assert user.must_change_password and user.check_password("a-long-initial-passphrase-7")
    membership = Membership.objects.get(user=user)
    assert (membership.dealer, membership.role, membership.is_active) == (
        net["a"],
        "consultant",
        True,
    )
    entry = AuditEntry.objects.get(action=AuditAction.ROLE_CHANGE, object_id=str(membership.pk))
    assert entry.actor == net["admin"] and entry.dealer == net["a"]
    assert entry.detail["role"] == ["", "consultant"]


INITIAL_PASSPHRASE = "a-long-initial-passphrase-7"


def colleague_form(
    username: str, *, password: str = INITIAL_PASSPHRASE, role: str = "consultant"
) -> dict[str, str]:
    """The new-colleague form filled in, but for what a test varies."""
    return {
        "username": username,
        "first_name": "X",
        "last_name": "Y",
        "email": "x@example.com",
        "password": password,
        "role": role,
    }


def test_adding_staff_with_bad_input_changes_nothing(net: dict[str, Any]) -> None:
    client = session_client(net["admin"])
    users, members, audit = User.objects.count(), memberships(), AuditEntry.objects.count()
    assert client.get("/network/staff/new/").status_code == 200
    taken = client.post("/network/staff/new/", colleague_form(net["bob"].username))
    assert "This username is already taken." in taken.content.decode()
    weak = client.post("/network/staff/new/", colleague_form("weakling", password="12345"))
    assert "too short" in weak.content.decode()
    bad_role = client.post("/network/staff/new/", colleague_form("someone", role="ceo"))
    assert "Select a valid choice" in bad_role.content.decode()
    assert (User.objects.count(), memberships(), AuditEntry.objects.count()) == (
        users,
        members,
        audit,
    )


def test_dealer_admin_changes_a_role_and_deactivates_audited(net: dict[str, Any]) -> None:
    client = session_client(net["admin"])
    anna = Membership.objects.get(user=net["anna"])
    response = client.post(
        f"/network/staff/{anna.pk}/edit/", {"role": "sales_manager", "is_active": "on"}
    )
    assert response.status_code == 302
    anna.refresh_from_db()
    assert anna.role == "sales_manager"
    entry = AuditEntry.objects.filter(action=AuditAction.ROLE_CHANGE).latest("id")
    assert entry.detail["role"] == ["consultant", "sales_manager"]
    assert (entry.actor, entry.dealer, entry.object_id) == (net["admin"], net["a"], str(anna.pk))

    client.post(f"/network/staff/{anna.pk}/edit/", {"role": "sales_manager"})  # unticked
    anna.refresh_from_db()
    assert not anna.is_active
    assert (
        AuditEntry.objects.filter(action=AuditAction.ROLE_CHANGE).latest("id").detail["change"]
        == "deactivated"
    )


def test_dealer_admin_cannot_demote_themselves(net: dict[str, Any]) -> None:
    own = Membership.objects.get(user=net["admin"])
    before = memberships()
    response = session_client(net["admin"]).post(
        f"/network/staff/{own.pk}/edit/", {"role": "consultant", "is_active": "on"}
    )
    assert response.status_code == 200
    assert "cannot change your own role" in response.content.decode()
    assert memberships() == before


def test_dealer_admin_cannot_manage_another_dealers_staff(net: dict[str, Any]) -> None:
    bob = Membership.objects.get(user=net["bob"])
    client = session_client(net["admin"])
    before, audit = memberships(), AuditEntry.objects.count()
    assert client.get(f"/network/staff/{bob.pk}/edit/").status_code == 404
    assert (
        client.post(
            f"/network/staff/{bob.pk}/edit/", {"role": "dealer_admin", "is_active": "on"}
        ).status_code
        == 404
    )
    assert memberships() == before and AuditEntry.objects.count() == audit


def test_other_roles_may_not_manage_staff(net: dict[str, Any]) -> None:
    anna = Membership.objects.get(user=net["anna"])
    people = (
        net["anna"],
        staff(net["a"], "dealer_manager"),
        hq_user("hq_regional_manager", regions=[net["a"].region]),
    )
    before = memberships()
    for user in people:
        client = session_client(user)
        assert client.get("/network/staff/new/").status_code == 403
        assert (
            client.post(
                f"/network/staff/{anna.pk}/edit/", {"role": "dealer_admin", "is_active": "on"}
            ).status_code
            == 403
        )
    assert memberships() == before
