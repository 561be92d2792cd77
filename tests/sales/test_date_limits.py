"""Dates bounded where a person would bound them, per dealer: test drives within the showroom's
opening hours and booking horizon, expected delivery within the dealer's horizon, enforced by
the services (HTML and API alike) with a message naming the limit, shown on the form's field.
Time is frozen: the dealer's "today" is a fixed Wednesday."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from dms.tenancy.context import as_dealer
from sales import services
from sales.models import Order, Quote, TestDrive
from tests.factories import signed_in_client
from tests.sales.conftest import Showroom, make_showroom, quote_spec

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 11, 9, 0, tzinfo=dt.UTC)  # Wednesday, 10:00 in Berlin
TODAY = dt.date(2026, 3, 11)


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def room(frozen: None) -> Showroom:
    return make_showroom()


def drives(room: Showroom) -> int:
    with as_dealer(room.dealer):
        return TestDrive.objects.count()


# --- test drives ---------------------------------------------------------------------------------


def test_a_test_drive_from_2330_to_0030_is_refused_naming_the_opening_hours(room: Showroom) -> None:
    lead = room.lead()
    with pytest.raises(ValidationError) as exc:
        room.drive(lead, room.at(room.tomorrow, 23, 30), minutes=60)
    assert exc.value.message_dict["starts_at"] == [
        "Test drives start and end within the showroom's opening hours (08:00–20:00)."
    ]
    assert drives(room) == 0


def test_a_test_drive_ending_after_closing_is_refused(room: Showroom) -> None:
    with pytest.raises(ValidationError, match="opening hours"):
        room.drive(room.lead(), room.at(room.tomorrow, 19, 30), minutes=60)
    assert drives(room) == 0


def test_a_test_drive_inside_the_hours_is_booked(room: Showroom) -> None:
    drive = room.drive(room.lead(), room.at(room.tomorrow, 19), minutes=60)
    assert drive.pk is not None and drives(room) == 1


def test_the_opening_hours_are_the_dealers_own(room: Showroom) -> None:
    room.dealer.showroom_opens_at = dt.time(6, 0)
    room.dealer.showroom_closes_at = dt.time(23, 0)
    room.dealer.save()
    room.car.dealer = room.dealer  # the booking reads the vehicle's dealer
    drive = room.drive(room.lead(), room.at(room.tomorrow, 21, 30), minutes=60)
    assert drive.pk is not None


def test_a_test_drive_beyond_the_booking_horizon_is_refused(room: Showroom) -> None:
    lead = room.lead()
    last = TODAY + dt.timedelta(days=90)
    room.drive(lead, room.at(last, 10))  # the last day is still bookable
    with pytest.raises(ValidationError) as exc:
        room.drive(room.lead(), room.at(last + dt.timedelta(days=1), 10))
    assert exc.value.message_dict["starts_at"] == [
        "A test drive can be booked at most 90 days ahead (until 06/09/2026)."
    ]
    with pytest.raises(ValidationError, match="at most 90 days ahead"):
        room.drive(room.lead(), room.at(dt.date(2099, 1, 1), 10))
    assert drives(room) == 1


def test_booking_form_shows_the_limits_on_the_fields(room: Showroom) -> None:
    client = signed_in_client(room.alice)
    lead = room.lead()
    url = reverse("sales:testdrive_create", args=[lead.pk])
    body = {"vehicle": room.car.pk, "day": str(room.tomorrow), "duration": "60"}
    late = client.post(url, {**body, "start_time": "23:30"}, follow=True)
    assert late.redirect_chain[-1] == (f"{url}#booking", 303)  # back to the form's page
    assert late.context["form"].errors["start_time"] == [
        "Test drives start and end within the showroom's opening hours (08:00–20:00)."
    ]
    far = client.post(url, {**body, "day": "2099-01-01", "start_time": "10:00"}, follow=True)
    assert far.redirect_chain[-1][1] == 303
    assert "Enter a date between" in far.context["form"].errors["day"][0]
    horizon = client.post(url, {**body, "day": "2026-07-01", "start_time": "10:00"}, follow=True)
    assert horizon.context["form"].errors["day"] == [
        "A test drive can be booked at most 90 days ahead (until 06/09/2026)."
    ]
    assert drives(room) == 0


# --- expected delivery ---------------------------------------------------------------------------


def accepted_quote(room: Showroom) -> Quote:
    lead = room.lead(stage="quote")
    with as_dealer(room.dealer):
        quote = services.create_quote(lead=lead, actor=room.alice, spec=quote_spec())
        services.send_quote(quote=quote, actor=room.alice)
        services.accept_quote(quote=quote, actor=room.alice)
    return quote


def test_an_expected_delivery_in_2290_is_refused_naming_the_limit(room: Showroom) -> None:
    quote = accepted_quote(room)
    with as_dealer(room.dealer), pytest.raises(ValidationError) as exc:
        services.create_order(
            quote=quote,
            actor=room.alice,
            deposit_required=Decimal("1000"),
            expected_delivery=dt.date(2290, 1, 1),
        )
    assert exc.value.message_dict["expected_delivery"] == [
        "The expected delivery can be at most 730 days ahead (until 03/10/2028)."
    ]
    with as_dealer(room.dealer):
        assert not Order.objects.exists()


def test_expected_delivery_limit_is_the_dealers_and_applies_to_changes(room: Showroom) -> None:
    room.dealer.delivery_days_ahead = 30
    room.dealer.save()
    quote = accepted_quote(room)
    with as_dealer(room.dealer):
        order = services.create_order(
            quote=quote,
            actor=room.alice,
            deposit_required=Decimal("1000"),
            expected_delivery=TODAY + dt.timedelta(days=30),
        ).obj
        with pytest.raises(ValidationError, match="at most 30 days ahead"):
            services.update_order(
                order=order, actor=room.alice, expected_delivery=dt.date(2026, 5, 1), vin=""
            )
        with pytest.raises(ValidationError, match="cannot be in the past"):
            services.update_order(
                order=order, actor=room.alice, expected_delivery=dt.date(2026, 3, 10), vin=""
            )
        order.refresh_from_db()
    assert order.expected_delivery == TODAY + dt.timedelta(days=30)


def test_order_details_form_shows_the_delivery_limit_on_the_field(room: Showroom) -> None:
    quote = accepted_quote(room)
    with as_dealer(room.dealer):
        order = services.create_order(
            quote=quote, actor=room.alice, deposit_required=Decimal("1000")
        ).obj
    client = signed_in_client(room.alice)
    url = reverse("sales:order_details", args=[order.pk])
    response = client.post(url, {"expected_delivery": "2029-01-01", "vin": ""}, follow=True)
    assert response.redirect_chain[-1] == (
        reverse("sales:order_detail", args=[order.pk]) + "#details-form",
        303,
    )
    assert response.content.decode().count("The expected delivery can be at most 730 days") == 1
    with as_dealer(room.dealer):
        order.refresh_from_db()
    assert order.expected_delivery is None


# --- bad query strings on the showroom pages -----------------------------------------------------


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "9999-12-30", "2026-02-30"])
def test_test_drive_day_pages_take_any_day_without_crashing(room: Showroom, day: str) -> None:
    client = signed_in_client(room.manager)
    response = client.get(reverse("sales:test_drives"), {"day": day})
    assert response.status_code == 200
    assert response.context["day"] == TODAY  # out of range: today's plan


# --- the settings: HQ's dealer form ---------------------------------------------------------------


def dealer_body(room: Showroom, **overrides: str) -> dict[str, str]:
    dealer = room.dealer
    body = {
        "code": dealer.code,
        "name": dealer.name,
        "legal_name": dealer.legal_name,
        "region": str(dealer.region_id),
        "country": "DE",
        "timezone": "Europe/Berlin",
        "is_active": "on",
    }
    return {**body, **overrides}


def test_hq_admin_sees_and_changes_the_dealers_limits(room: Showroom) -> None:
    from tests.factories import hq_user

    client = signed_in_client(hq_user("hq_admin"))
    url = reverse("dealers:dealer-edit", args=[room.dealer.pk])
    page = client.get(url).content.decode()
    for label in (
        "Showroom opens at",
        "Test drives bookable (days ahead)",
        "Visits can be entered",
    ):
        assert label in page
    response = client.post(
        url,
        dealer_body(
            room,
            showroom_opens_at="07:30",
            showroom_closes_at="21:00",
            test_drive_days_ahead="30",
            follow_up_days_ahead="60",
            visit_days_back="2",
            delivery_days_ahead="400",
        ),
    )
    assert response.status_code == 302
    room.dealer.refresh_from_db()
    assert (room.dealer.showroom_opens_at, room.dealer.showroom_closes_at) == (
        dt.time(7, 30),
        dt.time(21, 0),
    )
    assert (
        room.dealer.test_drive_days_ahead,
        room.dealer.follow_up_days_ahead,
        room.dealer.visit_days_back,
        room.dealer.delivery_days_ahead,
    ) == (30, 60, 2, 400)
    # left out (an older client of the form): the values stay as they are
    assert client.post(url, dealer_body(room)).status_code == 302
    room.dealer.refresh_from_db()
    assert room.dealer.test_drive_days_ahead == 30


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"showroom_opens_at": "20:00", "showroom_closes_at": "08:00"},
            "must open before it closes",
        ),
        ({"test_drive_days_ahead": "0"}, "greater than or equal to 1"),
        ({"follow_up_days_ahead": "100000"}, "less than or equal to 730"),
        ({"visit_days_back": "-1"}, "greater than or equal to 0"),
        ({"showroom_opens_at": "25:00"}, "Enter a valid time"),
    ],
)
def test_bad_limits_are_refused_and_nothing_changes(
    room: Showroom, overrides: dict[str, str], message: str
) -> None:
    from tests.factories import hq_user

    client = signed_in_client(hq_user("hq_admin"))
    url = reverse("dealers:dealer-edit", args=[room.dealer.pk])
    response = client.post(url, dealer_body(room, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    room.dealer.refresh_from_db()
    assert (room.dealer.showroom_opens_at, room.dealer.test_drive_days_ahead) == (
        dt.time(8, 0),
        90,
    )
