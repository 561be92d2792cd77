"""Dates bounded where a person would bound them in the funnel: how far back a walk-in or call
may be entered and how far ahead a follow-up may be planned or moved (per dealer, enforced by
the services with a message naming the limit), and day pages that take any date in their query
string without crashing. Time is frozen: the dealer's "today" is a fixed Wednesday."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from dms.tenancy.context import as_dealer
from leads.models import FollowUp, Visit
from leads.services.customers import register_contact
from leads.services.followups import create_follow_up, reschedule_follow_up
from tests.factories import signed_in_client
from tests.leads._funnel import Shop, make_shop

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 3, 11, 9, 0, tzinfo=dt.UTC)  # Wednesday, 10:00 in Berlin
TODAY = dt.date(2026, 3, 11)


@pytest.fixture
def shop() -> Iterator[Shop]:
    with time_machine.travel(NOW, tick=False):
        yield make_shop()


def berlin(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=BERLIN)


def visits(shop: Shop) -> int:
    with as_dealer(shop.dealer):
        return Visit.objects.count()


# --- visits: how far back ------------------------------------------------------------------------


def register(shop: Shop, arrived_at: dt.datetime) -> Any:
    with as_dealer(shop.dealer):
        return register_contact(
            dealer=shop.dealer,
            actor=shop.alice,
            kind="walk_in",
            source_code="walk_in",
            name="Anna Schmidt",
            phone="030 1234567",
            arrived_at=arrived_at,
        )


def test_a_walk_in_backdated_to_2020_is_refused_naming_the_limit(shop: Shop) -> None:
    with pytest.raises(ValidationError) as exc:
        register(shop, berlin(dt.date(2020, 1, 6)))
    assert exc.value.message_dict["arrived_at"] == [
        "A visit can be entered at most 7 days back (from 03/04/2026)."
    ]
    assert visits(shop) == 0


def test_a_walk_in_within_the_limit_is_entered(shop: Shop) -> None:
    result = register(shop, berlin(TODAY - dt.timedelta(days=7), 9))
    assert result.visit is not None and visits(shop) == 1


def test_the_limit_is_the_dealers_own(shop: Shop) -> None:
    shop.dealer.visit_days_back = 0
    shop.dealer.save()
    with pytest.raises(ValidationError) as exc:
        register(shop, berlin(TODAY - dt.timedelta(days=1), 18))
    assert exc.value.message_dict["arrived_at"] == [
        "Only today's visits and calls can be entered (from 03/11/2026)."
    ]
    assert register(shop, berlin(TODAY, 8)).visit is not None


def test_visitor_log_form_shows_the_limit_on_the_field(shop: Shop) -> None:
    client = signed_in_client(shop.alice)
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            reverse("leads:visit-register"),
            {
                "kind": "walk_in",
                "name": "Anna Schmidt",
                "phone": "030 1234567",
                "source": "walk_in",
                "party_size": "1",
                "arrived_at": "2026-03-01T10:00",
            },
            follow=True,
        )
    assert response.redirect_chain[-1][1] == 303  # back to the visitor log, the form kept
    assert response.context["form"].errors["arrived_at"] == [
        "A visit can be entered at most 7 days back (from 03/04/2026)."
    ]
    assert visits(shop) == 0


# --- follow-ups: how far ahead -------------------------------------------------------------------


def test_a_follow_up_planned_for_2099_is_refused_naming_the_limit(shop: Shop) -> None:
    lead = shop.lead(consultant=shop.alice)
    with time_machine.travel(NOW, tick=False), as_dealer(shop.dealer):
        with pytest.raises(ValidationError) as exc:
            create_follow_up(lead=lead, actor=shop.alice, due_at=berlin(dt.date(2099, 1, 1)))
        assert exc.value.message_dict["due_at"] == [
            "A follow-up can be planned at most 180 days ahead (until 09/07/2026)."
        ]
        assert not FollowUp.objects.filter(kind=FollowUp.Kind.CALLBACK).exists()
        last = create_follow_up(
            lead=lead, actor=shop.alice, due_at=berlin(TODAY + dt.timedelta(days=180), 18)
        )
    assert last.pk is not None


def test_moving_a_follow_up_to_2099_is_refused_and_it_stays_due(shop: Shop) -> None:
    """A follow-up moved to 2099 hid from "overdue" and from the compliance figures."""
    lead = shop.lead(consultant=shop.alice)
    shop.dealer.follow_up_days_ahead = 30
    shop.dealer.save()
    with time_machine.travel(NOW, tick=False), as_dealer(shop.dealer):
        follow_up = create_follow_up(lead=lead, actor=shop.alice, due_at=berlin(TODAY, 15))
        with pytest.raises(ValidationError) as exc:
            reschedule_follow_up(
                follow_up=follow_up,
                actor=shop.alice,
                due_at=berlin(dt.date(2099, 12, 31)),
                reason="later",
            )
        assert exc.value.message_dict["due_at"] == [
            "A follow-up can be planned at most 30 days ahead (until 04/10/2026)."
        ]
        follow_up.refresh_from_db()
    assert follow_up.due_at == berlin(TODAY, 15)


def test_reschedule_form_shows_the_limit(shop: Shop) -> None:
    lead = shop.lead(consultant=shop.alice)
    client = signed_in_client(shop.alice)
    with time_machine.travel(NOW, tick=False):
        with as_dealer(shop.dealer):
            follow_up = create_follow_up(lead=lead, actor=shop.alice, due_at=berlin(TODAY, 15))
        url = reverse("leads:follow_up_action", args=[follow_up.pk, "reschedule"])
        response = client.post(
            url, {"due_at": "2026-12-01T10:00", "reason": "holiday"}, follow=True
        )
        assert response.redirect_chain[-1][1] == 303  # back to the lead, at that follow-up
        assert "at most 180 days ahead" in response.content.decode()
        response = client.post(
            url, {"due_at": "9999-12-31T23:59", "reason": "holiday"}, follow=True
        )
        assert response.redirect_chain[-1][1] == 303
        assert "Enter a date between" in response.content.decode()
    with as_dealer(shop.dealer):
        follow_up.refresh_from_db()
    assert follow_up.due_at == berlin(TODAY, 15)


# --- day pages with any date ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("9999-12-31", "Enter a date between 01/01/2000 and 03/15/2031. Showing today."),
        ("0001-01-01", "Enter a date between 01/01/2000 and 03/15/2031. Showing today."),
        ("9999-12-30", "Enter a date between 01/01/2000 and 03/15/2031. Showing today."),
        ("2026-02-30", "That is not a date. Showing today."),
        ("x\x00", "That is not a date. Showing today."),
    ],
)
def test_visitor_log_with_an_impossible_date_shows_today_with_a_message(
    shop: Shop, day: str, message: str
) -> None:
    client = signed_in_client(shop.manager)
    response = client.get(reverse("leads:visitor-log"), {"date": day})
    assert response.status_code == 200
    assert response.context["day"] == TODAY
    assert message in response.content.decode()


def test_visitor_log_next_day_link_from_the_last_allowed_day(shop: Shop) -> None:
    client = signed_in_client(shop.manager)
    with time_machine.travel(NOW, tick=False):
        last = TODAY + dt.timedelta(days=5 * 366)
        response = client.get(reverse("leads:visitor-log"), {"date": last.isoformat()})
        assert response.context["day"] == last
        after = client.get(
            reverse("leads:visitor-log"), {"date": str(response.context["next_day"])}
        )
    assert after.status_code == 200 and after.context["day"] == TODAY


def test_funnel_over_all_of_time_shows_a_bounded_period(shop: Shop) -> None:
    client = signed_in_client(shop.manager)
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("leads:funnel"), {"start": "0001-01-01", "end": "9999-12-31"})
    assert response.status_code == 200
    assert response.context["end"] == TODAY
    assert response.context["start"] == TODAY - dt.timedelta(days=29)
    assert "Enter a date between" in response.content.decode()
