"""The visitor log: registering walk-ins and calls (match or create the customer, open or
continue the lead), the day list per dealer in its own time zone, leave time and outcome later,
and what a colleague's registration reveals (only who serves the customer)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from dms.tenancy.context import as_dealer
from inventory.models import VehicleModel
from leads.models import (
    Customer,
    CustomerModelInterest,
    Lead,
    Notification,
    TimelineEvent,
    Visit,
)
from leads.services.customers import register_contact
from tests.api.support import session_client
from tests.factories import hq_user
from tests.leads._funnel import Shop, make_shop
from tests.ui.helpers import text_of

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def shop() -> Shop:
    return make_shop()


@pytest.fixture
def other_shop() -> Shop:
    return make_shop()


def register(shop: Shop, actor: Any, **kwargs: Any) -> Any:
    data = {
        "kind": "walk_in",
        "source_code": "walk_in",
        "name": "Anna Schmidt",
        "phone": "030 1234567",
    }
    data.update(kwargs)
    with as_dealer(shop.dealer):
        return register_contact(dealer=shop.dealer, actor=actor, **data)


def form_data(**kwargs: Any) -> dict[str, Any]:
    now = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo("Europe/Berlin"))
    data = {
        "kind": "walk_in",
        "name": "Anna Schmidt",
        "phone": "030 1234567",
        "email": "",
        "source": "walk_in",
        "vehicle_model": "",
        "party_size": "2",
        "arrived_at": now.strftime("%Y-%m-%dT%H:%M"),
        "left_at": "",
    }
    data.update(kwargs)
    return data


# --- the service ---------------------------------------------------------------------------------


def test_new_contact_creates_customer_lead_visit_and_timeline(shop: Shop) -> None:
    model = VehicleModel.objects.order_by("pk").first()
    result = register(shop, shop.alice, vehicle_model=model, party_size=3, email="Anna@Example.com")
    assert result.conflict is None and result.created_customer
    with as_dealer(shop.dealer):
        customer = Customer.objects.get()
        assert (customer.first_name, customer.last_name) == ("Anna", "Schmidt")
        assert customer.phone == "+49301234567"
        assert customer.email == "anna@example.com"
        assert customer.owner == shop.alice and customer.owner_since is not None
        lead = Lead.objects.get()
        assert lead.customer == customer and lead.consultant == shop.alice
        assert lead.vehicle_model == model and lead.first_response_at is not None
        visit = Visit.objects.get()
        assert (visit.served_by, visit.lead, visit.party_size) == (shop.alice, lead, 3)
        assert CustomerModelInterest.objects.filter(customer=customer, vehicle_model=model).exists()
        kinds = set(TimelineEvent.objects.filter(customer=customer).values_list("kind", flat=True))
        assert {"lead_opened", "visit"} <= kinds


def test_existing_own_customer_continues_the_open_lead(shop: Shop) -> None:
    first = register(shop, shop.alice)
    second = register(shop, shop.alice, kind="phone", source_code="phone", phone="+49301234567")
    assert second.conflict is None and not second.created_customer
    assert second.customer.pk == first.customer.pk
    assert second.lead.pk == first.lead.pk
    with as_dealer(shop.dealer):
        assert Lead.objects.count() == 1
        assert Visit.objects.count() == 2
        assert TimelineEvent.objects.filter(kind="call").count() == 1


def test_existing_customer_gets_missing_details_but_nothing_overwritten(shop: Shop) -> None:
    register(shop, shop.alice, name="Anna Schmidt")
    register(shop, shop.alice, name="Someone Else", email="anna@example.com")
    with as_dealer(shop.dealer):
        customer = Customer.objects.get()
        assert customer.last_name == "Schmidt"
        assert customer.email == "anna@example.com"


def test_colleague_gets_only_the_conflict_info(shop: Shop) -> None:
    first = register(shop, shop.alice, email="anna@example.com")
    with as_dealer(shop.dealer):
        before = (Lead.objects.count(), Visit.objects.count())
    result = register(shop, shop.bob, name="Anna S.", phone="0049 30 1234567")
    assert result.customer is None and result.lead is None and result.visit is None
    conflict = result.conflict
    assert conflict is not None
    assert conflict.owner_name == "Alice Able"
    assert conflict.since == first.customer.owner_since
    assert conflict.stage == "Visited"  # a walk-in served in person
    assert set(vars(conflict)) == {"owner_name", "since", "stage", "claim_token"}
    with as_dealer(shop.dealer):
        assert (Lead.objects.count(), Visit.objects.count()) == before
        customer = Customer.objects.get()
        assert customer.owner == shop.alice  # ownership never moves silently
        assert customer.first_name == "Anna"
        # Alice learns her customer got in touch with a colleague.
        note = Notification.objects.get(user=shop.alice, kind="customer_contact")
        assert "Bob Baker" in note.text


def test_conflict_by_email_alone(shop: Shop) -> None:
    register(shop, shop.alice, email="anna@example.com")
    result = register(shop, shop.bob, phone="", email=" ANNA@example.com")
    assert result.conflict is not None and result.customer is None


def test_manager_registers_a_consultants_customer_without_moving_it(shop: Shop) -> None:
    first = register(shop, shop.alice)
    result = register(shop, shop.manager, kind="phone", source_code="phone")
    assert result.conflict is None
    assert result.customer.pk == first.customer.pk
    assert result.lead.pk == first.lead.pk
    assert result.visit.served_by == shop.manager
    with as_dealer(shop.dealer):
        assert Customer.objects.get().owner == shop.alice


def test_unowned_customer_is_taken_by_whoever_serves_them(shop: Shop) -> None:
    with as_dealer(shop.dealer):
        Customer.objects.create(dealer=shop.dealer, last_name="Pool", phone="+49301234567")
    result = register(shop, shop.bob)
    assert result.conflict is None
    with as_dealer(shop.dealer):
        customer = Customer.objects.get()
        assert customer.owner == shop.bob
        assert TimelineEvent.objects.filter(customer=customer, kind="ownership").exists()


def test_same_phone_at_another_dealer_is_another_customer(shop: Shop, other_shop: Shop) -> None:
    register(shop, shop.alice)
    result = register(other_shop, other_shop.bob)
    assert result.conflict is None and result.created_customer
    with as_dealer(shop.dealer):
        assert Customer.objects.get().owner == shop.alice


def test_leave_before_arrival_is_refused(shop: Shop) -> None:
    from django.core.exceptions import ValidationError

    now = timezone.now()
    with pytest.raises(ValidationError) as exc:
        register(shop, shop.alice, arrived_at=now, left_at=now - dt.timedelta(minutes=5))
    assert "left_at" in exc.value.message_dict
    with as_dealer(shop.dealer):
        assert Customer.objects.count() == 0


# --- the page ------------------------------------------------------------------------------------


def test_visitor_log_page_shows_form_and_todays_visits(shop: Shop) -> None:
    register(shop, shop.alice)
    client = session_client(shop.alice)
    response = client.get(reverse("leads:visitor-log"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="register-form"' in html
    assert "Anna Schmidt" in text_of(html)
    assert "still here" in text_of(html)


def test_htmx_registration_returns_the_panel_and_refreshes_the_list(shop: Shop) -> None:
    client = session_client(shop.alice)
    response = client.post(reverse("leads:visit-register"), form_data(), **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="register-success"' in html
    assert "visitsChanged" in response["HX-Trigger"]
    with as_dealer(shop.dealer):
        customer = Customer.objects.get()
        assert reverse("leads:customer-detail", args=[customer.pk]) in html
        assert Visit.objects.get().party_size == 2


# The arrival dates below must lie within the dealer's 7 days back: the day after them.
@time_machine.travel(dt.datetime(2026, 3, 3, 12, 0, tzinfo=dt.UTC), tick=False)
def test_leave_time_on_the_arrival_day(shop: Shop) -> None:
    client = session_client(shop.alice)
    data = form_data(arrived_at="2026-03-02T10:15", left_at="09:00")
    response = client.post(reverse("leads:visit-register"), data, **HX)
    assert "must be after the arrival" in text_of(response.content.decode())
    with as_dealer(shop.dealer):
        assert Visit.objects.count() == 0
    response = client.post(reverse("leads:visit-register"), {**data, "left_at": "10:55"}, **HX)
    assert 'data-testid="register-success"' in response.content.decode()
    with as_dealer(shop.dealer):
        visit = Visit.objects.get()
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    assert visit.arrived_at == dt.datetime(2026, 3, 2, 10, 15, tzinfo=berlin)
    assert visit.left_at == dt.datetime(2026, 3, 2, 10, 55, tzinfo=berlin)


def test_plain_post_registration_redirects(shop: Shop) -> None:
    client = session_client(shop.alice)
    response = client.post(reverse("leads:visit-register"), form_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("leads:visitor-log")


def test_page_shows_errors_and_creates_nothing(shop: Shop) -> None:
    client = session_client(shop.alice)
    response = client.post(reverse("leads:visit-register"), form_data(phone="12"), **HX)
    assert response.status_code == 200
    assert "is not a valid phone number" in text_of(response.content.decode())
    with as_dealer(shop.dealer):
        assert Customer.objects.count() == 0 and Visit.objects.count() == 0


def test_colleague_page_shows_only_who_serves_the_customer(shop: Shop) -> None:
    register(
        shop,
        shop.alice,
        email="anna.secret@example.com",
        name="Anna Secretname",
    )
    with as_dealer(shop.dealer):
        customer = Customer.objects.get()
        Customer.objects.filter(pk=customer.pk).update(
            street="Geheimweg 7", city="Potsdam", trade_in="Golf 2015"
        )
    client = session_client(shop.bob)
    response = client.post(
        reverse("leads:visit-register"), form_data(name="Anna", phone="+49 30 123 4567"), **HX
    )
    assert response.status_code == 200
    html = response.content.decode()
    text = text_of(html)
    assert "Already served by Alice Able since" in text
    assert 'data-testid="claim-form"' in html
    for secret in (
        "Secretname",
        "anna.secret",
        "Geheimweg",
        "Potsdam",
        "Golf 2015",
        "+49301234567",
    ):
        assert secret not in html
    assert reverse("leads:customer-detail", args=[customer.pk]) not in html
    with as_dealer(shop.dealer):
        assert Visit.objects.filter(served_by=shop.bob).count() == 0


def test_consultant_sees_own_visits_manager_sees_all(shop: Shop) -> None:
    register(shop, shop.alice, name="Anna Alicecustomer")
    register(shop, shop.bob, name="Bert Bobcustomer", phone="030 7654321")
    alice_page = text_of(
        session_client(shop.alice).get(reverse("leads:visitor-log")).content.decode()
    )
    assert "Alicecustomer" in alice_page and "Bobcustomer" not in alice_page
    manager_page = text_of(
        session_client(shop.manager).get(reverse("leads:visitor-log")).content.decode()
    )
    assert "Alicecustomer" in manager_page and "Bobcustomer" in manager_page
    assert "Served by" in manager_page


@time_machine.travel(dt.datetime(2026, 3, 3, 12, 0, tzinfo=dt.UTC), tick=False)
def test_day_list_uses_the_dealers_time_zone() -> None:
    shop = make_shop(timezone="Asia/Tokyo")
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    # 23:30 UTC on 1 March is 08:30 on 2 March in Tokyo.
    arrived = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)
    register(shop, shop.alice, arrived_at=arrived)
    client = session_client(shop.alice)
    page_2nd = text_of(
        client.get(reverse("leads:visitor-log") + "?date=2026-03-02").content.decode()
    )
    page_1st = text_of(
        client.get(reverse("leads:visitor-log") + "?date=2026-03-01").content.decode()
    )
    assert "Anna Schmidt" in page_2nd and "08:30" in page_2nd
    assert "Anna Schmidt" not in page_1st
    assert arrived.astimezone(tokyo).date() == dt.date(2026, 3, 2)


def test_bad_date_falls_back_to_today(shop: Shop) -> None:
    response = session_client(shop.alice).get(reverse("leads:visitor-log") + "?date=31-31-2026")
    assert response.status_code == 200
    assert "That is not a date" in text_of(response.content.decode())


def test_hq_cannot_open_the_visitor_log(shop: Shop) -> None:
    rm = hq_user("hq_regional_manager", regions=[shop.dealer.region])
    assert session_client(rm).get(reverse("leads:visitor-log")).status_code == 403
    assert session_client(rm).post(reverse("leads:visit-register"), form_data()).status_code == 403


# --- leave time and outcome later ----------------------------------------------------------------


def test_consultant_sets_leave_time_and_outcome_later(shop: Shop) -> None:
    arrived = timezone.now() - dt.timedelta(minutes=50)
    result = register(shop, shop.alice, arrived_at=arrived)
    visit = result.visit
    client = session_client(shop.alice)
    left_local = timezone.localtime(
        arrived + dt.timedelta(minutes=40), zoneinfo.ZoneInfo("Europe/Berlin")
    )
    response = client.post(
        reverse("leads:visit-edit", args=[visit.pk]),
        {
            "left_at": left_local.strftime("%Y-%m-%dT%H:%M"),
            "outcome": "test_drive",
            "note": "Liked it",
        },
        **HX,
    )
    assert response.status_code == 200
    assert 'data-testid="visit-row"' in response.content.decode()
    with as_dealer(shop.dealer):
        visit.refresh_from_db()
    assert visit.outcome == "test_drive" and visit.note == "Liked it"
    assert visit.left_at is not None
    assert 39 <= (visit.left_at - visit.arrived_at).total_seconds() / 60 <= 41
    assert "min" in text_of(response.content.decode())


def test_leave_time_before_arrival_changes_nothing(shop: Shop) -> None:
    arrived = timezone.now() - dt.timedelta(minutes=10)
    visit = register(shop, shop.alice, arrived_at=arrived).visit
    before = (arrived - dt.timedelta(hours=2)).astimezone(zoneinfo.ZoneInfo("Europe/Berlin"))
    response = session_client(shop.alice).post(
        reverse("leads:visit-edit", args=[visit.pk]),
        {"left_at": before.strftime("%Y-%m-%dT%H:%M"), "outcome": "info"},
        **HX,
    )
    assert response.status_code == 200
    assert "must be after the arrival" in text_of(response.content.decode())
    with as_dealer(shop.dealer):
        visit.refresh_from_db()
    assert visit.left_at is None and visit.outcome == ""


def test_left_now_button(shop: Shop) -> None:
    visit = register(shop, shop.alice, arrived_at=timezone.now() - dt.timedelta(minutes=5)).visit
    response = session_client(shop.alice).post(reverse("leads:visit-left", args=[visit.pk]), **HX)
    assert response.status_code == 200
    with as_dealer(shop.dealer):
        visit.refresh_from_db()
    assert visit.left_at is not None


def test_colleagues_and_other_dealers_visits_are_not_found(shop: Shop, other_shop: Shop) -> None:
    visit = register(shop, shop.alice).visit
    foreign = register(other_shop, other_shop.alice).visit
    bob = session_client(shop.bob)
    for url in (
        reverse("leads:visit-edit", args=[visit.pk]),
        reverse("leads:visit-edit", args=[foreign.pk]),
    ):
        assert bob.get(url, **HX).status_code == 404
        assert bob.post(url, {"outcome": "order"}, **HX).status_code == 404
    assert bob.post(reverse("leads:visit-left", args=[foreign.pk])).status_code == 404
    with as_dealer(other_shop.dealer):
        foreign.refresh_from_db()
    assert foreign.outcome == "" and foreign.left_at is None
    # The manager may correct a consultant's visit.
    manager = session_client(shop.manager)
    assert (
        manager.post(
            reverse("leads:visit-edit", args=[visit.pk]), {"outcome": "info"}, **HX
        ).status_code
        == 200
    )


def test_visitor_log_query_count_does_not_grow(shop: Shop) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = session_client(shop.manager)
    url = reverse("leads:visitor-log")
    register(shop, shop.alice)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(8):
        register(shop, shop.bob if i % 2 else shop.alice, name=f"Kunde {i}", phone=f"030 765432{i}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.content.decode().count('data-testid="visit-row"') == 9
    assert len(many) == len(few)
