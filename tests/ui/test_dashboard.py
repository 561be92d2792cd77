"""The landing dashboard and navigation per role: what each role sees, and what it must not."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dealers.models import Membership, StaffAbsence
from dms.tenancy.context import as_dealer
from tests.factories import DealerFactory, RegionFactory, UserFactory, hq_user, staff

from .helpers import nav_items, text_of

pytestmark = pytest.mark.django_db

SALES = {"my_day", "visitor_log", "customers", "leads", "test_drives", "quotes", "orders"}
MANAGEMENT = {"funnel", "approvals", "team", "absences", "handover"}
SERVICE = {"appointments", "repair_orders"}
PARTS = {"parts_stock", "parts_orders"}
CATALOGUE = {"catalogue"}  # parts clerks, the workshop and HQ
PRICES = {"prices"}  # every dealer role looks up HQ's prices; managers and admins set labour rates
REPORTS = {"plans", "exports"}  # KPI dashboards: "kpi_dashboard" (dealer), "network_kpis" (HQ)
HQ_FOLLOWED = {"campaigns", "promotions"}  # HQ admins write them, regional managers follow them
HQ_ALL = {"network_kpis", "dealers", "regions", "users", "bulletins"} | REPORTS | HQ_FOLLOWED
ADMIN = {"security", "audit_log"}
# Vehicle stock (issue 15): the dealer's sales staff and managers, HQ's readers.
VEHICLES_DEALER = {"vehicle_stock"}
VEHICLES_MANAGER = {"vehicle_stock", "vehicle_ageing"}
VEHICLES_HQ = {"vehicles", "allocation", "vehicle_ageing_hq"}
EVERY = (
    {"dashboard", "bulletins_inbox", "kpi_dashboard"}
    | SALES
    | MANAGEMENT
    | SERVICE
    | PARTS
    | CATALOGUE
    | PRICES
    | {"labour_rates", "price_lists", "imports"}
    | HQ_ALL
    | ADMIN
    | VEHICLES_MANAGER
    | VEHICLES_HQ
)

# "security" is the locked-accounts page: admins unlock alone, colleagues holding the unlock
# right approve there (dual control).
EXPECTED = {
    "consultant": {"dashboard", "bulletins_inbox"} | SALES | PRICES | VEHICLES_DEALER,
    "sales_manager": {"dashboard", "bulletins_inbox", "kpi_dashboard"}
    | PRICES
    | SALES
    | MANAGEMENT
    | REPORTS
    | VEHICLES_MANAGER
    | {"security"},
    "dealer_manager": {"dashboard", "bulletins_inbox", "kpi_dashboard", "labour_rates"}
    | {"parts_stock"}
    | PRICES
    | SALES
    | MANAGEMENT
    | REPORTS
    | VEHICLES_MANAGER
    | {"security"},
    "service_advisor": {"dashboard", "bulletins_inbox", "parts_stock"}
    | SERVICE
    | CATALOGUE
    | PRICES
    | {"security"},
    "technician": {"dashboard", "bulletins_inbox", "parts_stock"} | SERVICE | CATALOGUE | PRICES,
    "parts_clerk": {"dashboard", "bulletins_inbox"} | PARTS | CATALOGUE | PRICES,
    "dealer_admin": {"dashboard", "bulletins_inbox", "team", "absences", "handover", "labour_rates"}
    | PRICES
    | ADMIN,
    "hq_regional_manager": {"dashboard", "network_kpis", "bulletins"}
    | REPORTS
    | HQ_FOLLOWED
    | CATALOGUE
    | VEHICLES_HQ,
    "hq_admin": {"dashboard", "price_lists", "imports"} | HQ_ALL | CATALOGUE | ADMIN | VEHICLES_HQ,
}


@pytest.mark.parametrize("role", sorted(r for r in EXPECTED if not r.startswith("hq_")))
def test_dealer_role_navigation_and_dealer_in_top_bar(role, login):
    dealer = DealerFactory(code="BER01", name="Autohaus Spree")
    user = staff(dealer, role, first_name="Kim", last_name="Lang")

    response = login(user).get("/")

    assert response.status_code == 200
    html = response.content.decode()
    items = nav_items(html)
    assert set(items) == EXPECTED[role]
    assert not (EVERY - EXPECTED[role]) & set(items)
    text = text_of(html)
    assert "Aurora DMS" in text
    assert "BER01" in text and "Autohaus Spree" in text
    assert "Welcome, Kim Lang" in text
    assert str(Membership.objects.get(user=user).get_role_display()) in text


def test_service_advisor_sees_coming_modules_disabled_with_explanation(login):
    dealer = DealerFactory()
    response = login(staff(dealer, "service_advisor")).get("/")
    html = response.content.decode()
    items = nav_items(html)
    appointments = items["appointments"]
    assert appointments["link"] is False and appointments["disabled"] is True
    assert appointments["href"] is None
    assert appointments["title"] == "Coming soon: Workshop appointments and capacity."
    assert items["dashboard"]["link"] is True and items["dashboard"]["href"] == "/"
    text = text_of(html)
    assert "Coming: Appointments" in text and "Coming: Repair orders" in text
    assert "Coming: Parts stock" not in text and "Coming: Network" not in text


def test_consultant_gets_links_to_built_modules(login):
    html = login(staff(DealerFactory(), "consultant")).get("/").content.decode()
    items = nav_items(html)
    for key in SALES:
        assert items[key]["link"] is True and items[key]["href"].startswith("/"), key
    assert items["customers"]["href"] == "/sales/customers/"
    text = text_of(html)
    assert "Your modules" in text and "My day" in text
    assert "Coming to your workspace" not in text  # every sales module is built


def test_manager_dashboard_shows_team_absences_and_leavers_of_own_dealer_only(login):
    dealer = DealerFactory(timezone="Europe/Berlin")
    other = DealerFactory()
    manager = staff(dealer, "sales_manager")
    away = staff(dealer, "consultant", first_name="Ana", last_name="Absent")
    leaver = staff(dealer, "consultant", first_name="Leo", last_name="Leaving")
    staff(dealer, "consultant", first_name="Carl", last_name="Present")
    staff(other, "consultant", first_name="Olga", last_name="Otherdealer")
    today = timezone.now().date()
    Membership.objects.filter(user=leaver).update(leaving_on=today + dt.timedelta(days=10))
    with as_dealer(dealer):
        StaffAbsence.objects.create(
            dealer=dealer,
            membership=Membership.objects.get(user=away),
            starts_on=today - dt.timedelta(days=1),
            ends_on=today + dt.timedelta(days=2),
            reason="sick",
        )

    text = text_of(login(manager).get("/").content.decode())

    assert "Team today" in text
    assert "3 / 4" in text  # manager + leaver + Carl present, of 4 active staff
    assert "Ana Absent · Sickness" in text
    assert "Leaving within 30 days" in text and "Leo Leaving" in text
    assert "Staff by role" in text and "Sales consultant 3" in text
    assert "Otherdealer" not in text


def test_consultant_sees_own_upcoming_absence(login):
    dealer = DealerFactory()
    user = staff(dealer, "consultant")
    today = timezone.now().date()
    with as_dealer(dealer):
        StaffAbsence.objects.create(
            dealer=dealer,
            membership=Membership.objects.get(user=user),
            starts_on=today + dt.timedelta(days=20),
            ends_on=today + dt.timedelta(days=24),
            reason="training",
        )
    text = text_of(login(user).get("/").content.decode())
    assert "Your absences" in text and "Training" in text
    # A consultant gets no staff overview.
    assert "Staff by role" not in text and "Leaving within 30 days" not in text


def test_regional_manager_sees_own_regions_and_their_dealers_only(login):
    north, south, east = (
        RegionFactory(name="North"),
        RegionFactory(name="South"),
        RegionFactory(name="East"),
    )
    for _ in range(3):
        DealerFactory(region=north)
    DealerFactory(region=south, is_active=False)
    DealerFactory(region=east)
    manager = hq_user("hq_regional_manager", [north, south], first_name="Rita", last_name="Reg")

    response = login(manager).get("/")

    html = response.content.decode()
    assert set(nav_items(html)) == EXPECTED["hq_regional_manager"]
    text = text_of(html)
    assert "HQ regional manager" in text
    assert "North, South" in text  # top bar: their regions
    assert "Dealers per region" in text
    assert "North 3 3" in text and "South 1 0" in text
    assert "East" not in text
    assert "Dealers in your regions 4" in text
    assert "Network performance" in text  # the KPI module, built now (reports)
    assert "My day" not in text and "Audit log" not in text


def test_regional_manager_without_region_is_told_so(login):
    text = text_of(login(hq_user("hq_regional_manager")).get("/").content.decode())
    assert "No region is assigned to you yet" in text


def test_hq_admin_sees_whole_network_and_admin_entries(login):
    north = RegionFactory(name="North")
    dealer = DealerFactory(region=north, code="N001", name="Nordauto")
    DealerFactory(region=RegionFactory(name="West"), code="W001", name="Westauto")
    staff(dealer, "dealer_admin")
    staff(dealer, "consultant")
    admin = hq_user("hq_admin", is_staff=True, first_name="Hanna", last_name="Admin")

    html = login(admin).get("/").content.decode()

    items = nav_items(html)
    assert set(items) == EXPECTED["hq_admin"]
    assert items["dealers"]["href"] == "/network/dealers/"
    assert items["audit_log"]["href"] == "/audit/"
    text = text_of(html)
    assert "HQ admin" in text and "Whole network" in text
    assert "North 1 1" in text and "West 1 1" in text
    assert "Active dealers 2" in text
    assert "Dealer staff 2" in text
    assert "Active dealers without a dealer admin W001 · Westauto" in text
    assert "N001 · Nordauto" not in text
    assert "Django admin" in text
    assert "My day" not in text


def test_user_without_any_role_gets_clear_no_access_page(login):
    user = UserFactory(first_name="Nora", last_name="Nobody")
    response = login(user).get("/")
    assert response.status_code == 403
    html = response.content.decode()
    text = text_of(html)
    assert "No access assigned" in text
    assert "Nora Nobody" in text
    assert "contact your dealer admin or the HQ admin" in text
    assert nav_items(html) == {}


def test_inactive_membership_counts_as_no_access(login):
    dealer = DealerFactory()
    user = staff(dealer, "consultant")
    Membership.objects.filter(user=user).update(is_active=False)
    response = login(user).get("/")
    assert response.status_code == 403
    assert "No access assigned" in text_of(response.content.decode())


def test_anonymous_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/account/login/?next=/"


def test_dashboard_entry_is_marked_current(login):
    html = login(staff(DealerFactory(), "consultant")).get("/").content.decode()
    assert 'href="/" data-nav-item="dashboard" aria-current="page"' in html


@pytest.mark.parametrize("role", ["sales_manager", "hq_admin", "hq_regional_manager"])
def test_dashboard_query_count_does_not_grow_with_staff(login, role):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    region = RegionFactory()
    dealer = DealerFactory(region=region)
    user = hq_user(role, [region]) if role.startswith("hq_") else staff(dealer, role)
    client = login(user)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/").status_code == 200
        return len(ctx.captured_queries)

    count()  # warm-up: the first request of a session may write session state
    few = count()
    today = timezone.now().date()
    for i in range(15):
        member = staff(DealerFactory(region=region) if i % 3 else dealer, "consultant")
        if i % 2:
            membership = Membership.objects.get(user=member)
            with as_dealer(membership.dealer):
                StaffAbsence.objects.create(
                    dealer=membership.dealer,
                    membership=membership,
                    starts_on=today,
                    ends_on=today,
                    reason="leave",
                )
    assert count() == few


def test_django_admin_link_is_a_page_action_for_staff_only(login):
    admin = hq_user("hq_admin")
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    html = login(admin).get("/").content.decode()
    actions = html.split('class="page-actions', 1)[1].split("</div>", 1)[0]
    assert 'data-testid="open-django-admin"' in actions
    assert html.count("Open Django admin") == 1  # no longer inside the dealers card
    plain = hq_user("hq_admin")
    assert "open-django-admin" not in login(plain).get("/").content.decode()
