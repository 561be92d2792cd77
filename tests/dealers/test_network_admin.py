"""HQ network administration: regions (with their regional managers), dealers, users and roles.
HQ admins only; every change audited; bad input changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from dealers.models import Dealer, Membership, Region
from dealers.selectors import access_for, regions_for
from dms.audit.models import AuditAction, AuditEntry
from tests.api.support import session_client, table_html
from tests.factories import DealerFactory, RegionFactory, hq_user, staff

pytestmark = pytest.mark.django_db
User = get_user_model()


def dealer_form(region: Region, **overrides: Any) -> dict[str, Any]:
    data = {
        "code": "D9001",
        "name": "Autohaus Süd",
        "legal_name": "Autohaus Süd GmbH",
        "region": region.pk,
        "group": "",
        "street": "Hauptstr. 1",
        "postal_code": "80331",
        "city": "München",
        "country": "de",
        "timezone": "Europe/Berlin",
        "is_active": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def admin() -> Any:
    return hq_user("hq_admin", username="hq.admin")


def test_hq_admin_creates_a_dealer_audited(admin: Any) -> None:
    region = RegionFactory()
    client = session_client(admin)
    response = client.post("/network/dealers/new/", dealer_form(region))
    assert response.status_code == 302
    dealer = Dealer.objects.get(code="D9001")
    assert (dealer.country, dealer.timezone, dealer.region) == ("DE", "Europe/Berlin", region)
    entry = AuditEntry.objects.get(action=AuditAction.DEALER_CHANGE, dealer=dealer)
    assert entry.actor == admin and entry.detail["change"] == "dealer_created"
    assert "D9001" in table_html(client.get("/network/dealers/?q=9001"))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "Select a valid choice"),
        ({"country": "Germany"}, "at most 2 characters"),
        ({"country": "1X"}, "two-letter country code"),
        ({"code": ""}, "This field is required"),
    ],
)
def test_invalid_dealer_is_refused_and_nothing_created(
    admin: Any, overrides: dict[str, Any], message: str
) -> None:
    region = RegionFactory()
    client = session_client(admin)
    dealers, audit = Dealer.objects.count(), AuditEntry.objects.count()
    response = client.post("/network/dealers/new/", dealer_form(region, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert (Dealer.objects.count(), AuditEntry.objects.count()) == (dealers, audit)


def test_duplicate_dealer_code_is_refused(admin: Any) -> None:
    existing = DealerFactory(code="D9001")
    response = session_client(admin).post("/network/dealers/new/", dealer_form(existing.region))
    assert "already exists" in response.content.decode()
    assert Dealer.objects.filter(code="D9001").count() == 1


def test_hq_admin_deactivates_a_dealer_audited(admin: Any) -> None:
    dealer = DealerFactory()
    worker = staff(dealer, "consultant")
    data = dealer_form(
        dealer.region,
        code=dealer.code,
        name=dealer.name,
        legal_name=dealer.legal_name,
        is_active=None,
    )
    response = session_client(admin).post(f"/network/dealers/{dealer.pk}/edit/", data)
    assert response.status_code == 302
    dealer.refresh_from_db()
    assert not dealer.is_active
    entry = AuditEntry.objects.filter(action=AuditAction.DEALER_CHANGE, dealer=dealer).latest("id")
    assert entry.detail["change"] == "dealer_deactivated"
    assert entry.detail["changed"]["is_active"] == ["True", "False"]
    assert access_for(worker).dealer is None  # its staff can no longer work in it


def test_regions_and_regional_managers(admin: Any) -> None:
    manager = hq_user("hq_regional_manager", username="rm.north")
    other = hq_user("hq_regional_manager", username="rm.south")
    client = session_client(admin)
    response = client.post(
        "/network/regions/new/", {"code": "north", "name": "North", "managers": [manager.pk]}
    )
    assert response.status_code == 302
    north = Region.objects.get(code="north")
    dealer = DealerFactory(region=north)
    assert list(regions_for(manager)) == [north]
    assert access_for(manager).dealer_ids == (dealer.pk,)
    grant = AuditEntry.objects.get(action=AuditAction.PERMISSION_CHANGE)
    assert grant.detail["granted"] == ["rm.north"] and grant.actor == admin

    assert manager.get_full_name() in table_html(client.get("/network/regions/"))
    page = client.get(f"/network/regions/{north.pk}/edit/").content.decode()
    assert f'value="{manager.pk}"' in page and "checked" in page

    client.post(
        f"/network/regions/{north.pk}/edit/",
        {"code": "north", "name": "North", "managers": [other.pk]},
    )
    assert list(regions_for(manager)) == [] and list(regions_for(other)) == [north]
    change = AuditEntry.objects.filter(action=AuditAction.PERMISSION_CHANGE).latest("id")
    assert change.detail["granted"] == ["rm.south"] and change.detail["revoked"] == ["rm.north"]


def test_only_regional_managers_can_be_given_a_region(admin: Any) -> None:
    region = RegionFactory(code="east")
    consultant = staff(DealerFactory(), "consultant")
    response = session_client(admin).post(
        f"/network/regions/{region.pk}/edit/",
        {"code": "east", "name": "East", "managers": [consultant.pk]},
    )
    assert "Select a valid choice" in response.content.decode()
    assert list(regions_for(consultant)) == []


def test_duplicate_region_code_is_refused(admin: Any) -> None:
    RegionFactory(code="west")
    response = session_client(admin).post("/network/regions/new/", {"code": "west", "name": "W"})
    assert "already exists" in response.content.decode()
    assert Region.objects.filter(code="west").count() == 1


def test_users_list_create_and_roles(admin: Any) -> None:
    dealer = DealerFactory(code="D0777")
    staff(dealer, "parts_clerk", username="parts.paul")
    client = session_client(admin)
    listing = table_html(client.get("/network/users/?role=parts_clerk"))
    assert "parts.paul" in listing and "D0777" in listing and "hq.admin" not in listing

    response = client.post(
        "/network/users/new/",
        {
            "username": "new.rm",
            "first_name": "Rita",
            "last_name": "Region",
            "email": "rita@example.com",
            "password": "another-long-passphrase-9",
            "hq_role": "hq_regional_manager",
        },
    )
    assert response.status_code == 302
    rita = User.objects.get(username="new.rm")
    assert rita.hq_role == "hq_regional_manager" and rita.must_change_password
    assert AuditEntry.objects.filter(
        action=AuditAction.ROLE_CHANGE, object_id=str(rita.pk)
    ).exists()

    # A dealer-staff account gets a role at a dealer from its page.
    client.post(
        "/network/users/new/",
        {
            "username": "new.staff",
            "first_name": "S",
            "last_name": "T",
            "email": "s@example.com",
            "password": "another-long-passphrase-9",
            "hq_role": "",
        },
    )
    person = User.objects.get(username="new.staff")
    response = client.post(
        f"/network/users/{person.pk}/",
        {"action": "add_membership", "dealer": dealer.pk, "role": "technician"},
    )
    assert response.status_code == 302
    assert Membership.objects.get(user=person).role == "technician"
    again = client.post(
        f"/network/users/{person.pk}/",
        {"action": "add_membership", "dealer": dealer.pk, "role": "consultant"},
    )
    assert again.status_code == 400 and "already works at this dealer" in again.content.decode()
    assert Membership.objects.get(user=person).role == "technician"

    # HQ admins change any dealer's memberships.
    membership = Membership.objects.get(user=person)
    client.post(
        f"/network/staff/{membership.pk}/edit/", {"role": "service_advisor", "is_active": "on"}
    )
    membership.refresh_from_db()
    assert membership.role == "service_advisor"


def test_changing_a_users_hq_role_and_disabling_is_audited(admin: Any) -> None:
    region = RegionFactory()
    rm = hq_user("hq_regional_manager", regions=[region])
    Token.objects.create(user=rm)
    response = session_client(admin).post(
        f"/network/users/{rm.pk}/",
        {
            "action": "edit",
            "first_name": "R",
            "last_name": "M",
            "email": "rm@example.com",
            "hq_role": "",
            "is_active": "",
        },
    )
    assert response.status_code == 302
    rm.refresh_from_db()
    assert rm.hq_role == "" and not rm.is_active
    assert not Token.objects.filter(user=rm).exists()
    actions = set(AuditEntry.objects.filter(object_id=str(rm.pk)).values_list("action", flat=True))
    assert {
        AuditAction.ROLE_CHANGE,
        AuditAction.USER_CHANGE,
        AuditAction.PERMISSION_CHANGE,
    } <= actions
    assert list(regions_for(rm)) == []


def test_admin_cannot_remove_their_own_rights(admin: Any) -> None:
    response = session_client(admin).post(
        f"/network/users/{admin.pk}/",
        {
            "action": "edit",
            "first_name": "",
            "last_name": "",
            "email": "",
            "hq_role": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 400
    assert "cannot change your own role" in response.content.decode()
    admin.refresh_from_db()
    assert admin.hq_role == "hq_admin"


def test_network_pages_are_for_hq_admins_only() -> None:
    dealer = DealerFactory()
    region = dealer.region
    before = (Dealer.objects.count(), Region.objects.count(), User.objects.count())
    people = [
        hq_user("hq_regional_manager", regions=[region]),
        staff(dealer, "dealer_admin"),
        staff(dealer, "dealer_manager"),
        staff(dealer, "consultant"),
    ]
    after_people = (before[0], before[1], before[2] + len(people))
    for user in people:
        client = session_client(user)
        for url in (
            "/network/regions/",
            "/network/regions/new/",
            f"/network/regions/{region.pk}/edit/",
            "/network/dealers/",
            "/network/dealers/new/",
            f"/network/dealers/{dealer.pk}/edit/",
            "/network/users/",
            "/network/users/new/",
            f"/network/users/{user.pk}/",
        ):
            assert client.get(url).status_code == 403, (user, url)
        assert client.post("/network/dealers/new/", dealer_form(region)).status_code == 403
        assert client.post("/network/regions/new/", {"code": "x", "name": "X"}).status_code == 403
    assert (Dealer.objects.count(), Region.objects.count(), User.objects.count()) == after_people
