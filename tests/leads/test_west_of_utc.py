"""A dealer west of UTC (the Azores, UTC-1 in winter) late in its evening, when UTC is already
on the next day: "today" on every page is the dealer's day, not UTC's.

The clock is frozen at 23:30 on Tuesday 12 January 2027 on the Azores = 00:30 on Wednesday
13 January in UTC. Code that takes UTC's date (or Django's default zone, UTC) for the dealer's
"today" puts this evening's work on Wednesday; these tests catch it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator

import pytest
import time_machine
from django.urls import reverse

from dealers.clock import dealer_today
from dms.tenancy.context import as_dealer
from leads.models import Notification, Visit
from leads.selectors.activity import activity_report
from leads.selectors.myday import my_day
from leads.services import leads as svc
from leads.services.customers import register_contact
from leads.services.followups import send_due_reminders
from tests.factories import FollowUpFactory
from tests.leads._funnel import Shop, make_shop, signed_in_fixture  # noqa: F401
from tests.ui.helpers import text_of

pytestmark = pytest.mark.django_db

AZORES = zoneinfo.ZoneInfo("Atlantic/Azores")
LATE = dt.datetime(2027, 1, 12, 23, 30, tzinfo=AZORES)
TUESDAY = dt.date(2027, 1, 12)


def azores(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2027, 1, day, hour, minute, tzinfo=AZORES)


@pytest.fixture(name="west")
def west_fixture(db: None) -> Iterator[Shop]:
    assert LATE.astimezone(dt.UTC).date() == dt.date(2027, 1, 13)  # the premise
    with time_machine.travel(LATE, tick=False):
        yield make_shop(country="PT", timezone="Atlantic/Azores")


def test_the_dealers_today_is_its_own_date(west: Shop) -> None:
    assert dealer_today(west.dealer) == TUESDAY


def test_my_day_sorts_the_evening_into_today_and_tomorrow(west: Shop, signed_in) -> None:
    with as_dealer(west.dealer):
        overdue = FollowUpFactory(lead=west.lead(west.alice), due_at=azores(12, 22))
        tonight = FollowUpFactory(lead=west.lead(west.alice), due_at=azores(12, 23, 50))
        tomorrow = FollowUpFactory(lead=west.lead(west.alice), due_at=azores(13, 10))
        # 00:30 UTC on the 14th is still the 13th on the Azores: tomorrow, not the day after
        tomorrow_night = FollowUpFactory(lead=west.lead(west.alice), due_at=azores(13, 23, 30))
        later = FollowUpFactory(lead=west.lead(west.alice), due_at=azores(14, 10))
        plan = my_day(user=west.alice, dealer=west.dealer)
    assert plan.overdue == [overdue]
    assert plan.due_today == [tonight]
    assert sorted(f.pk for f in plan.due_tomorrow) == sorted([tomorrow.pk, tomorrow_night.pk])
    assert later not in plan.overdue + plan.due_today + plan.due_tomorrow

    page = signed_in(west.alice).get(reverse("leads:my_day"))
    assert page.status_code == 200
    text = text_of(page.content.decode())
    assert "23:50" in text  # due times in the dealer's zone, not UTC's 00:50
    assert "00:50" not in text


def test_the_visitor_log_of_today_holds_this_evenings_visit(west: Shop, signed_in) -> None:
    with as_dealer(west.dealer):
        result = register_contact(
            dealer=west.dealer,
            actor=west.alice,
            kind=Visit.Kind.WALK_IN,
            source_code="walk_in",
            name="Rui Medeiros",
            phone="+351 912 345 678",
            arrived_at=azores(12, 23, 10),
        )
    client = signed_in(west.alice)
    today = text_of(client.get(reverse("leads:visitor-log")).content.decode())
    assert "Rui Medeiros" in today and "23:10" in today
    explicit = client.get(reverse("leads:visitor-log"), {"date": "2027-01-12"})
    assert "Rui Medeiros" in text_of(explicit.content.decode())
    utc_day = client.get(reverse("leads:visitor-log"), {"date": "2027-01-13"})
    assert "Rui Medeiros" not in text_of(utc_day.content.decode())
    # the register form offers the dealer's time of day as the arrival
    assert 'value="2027-01-12T23:30"' in client.get(reverse("leads:visitor-log")).content.decode()
    # editing the visit goes back to the log of its (local) day
    response = client.post(
        reverse("leads:visit-edit", args=[result.visit.pk]),
        {"left_at": "2027-01-12T23:25", "outcome": Visit.Outcome.INFO},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?date=2027-01-12")
    with as_dealer(west.dealer):
        result.visit.refresh_from_db()
    assert result.visit.left_at == azores(12, 23, 25)


def test_the_activity_report_counts_this_evening_today(west: Shop, signed_in) -> None:
    lead = west.lead(west.alice)
    with as_dealer(west.dealer):
        svc.record_activity(lead=lead, actor=west.alice, kind="call", summary="Evening call")
        report = activity_report(dealer=west.dealer, day=TUESDAY)
        next_day = activity_report(dealer=west.dealer, day=TUESDAY + dt.timedelta(days=1))
    assert {r.user_id: r.figures["calls"] for r in report.rows}[west.alice.pk] == 1
    assert next_day.total.figures["calls"] == 0
    page = signed_in(west.manager).get(reverse("leads:activity"))
    assert page.status_code == 200
    assert f'data-user="{west.alice.pk}"' in page.content.decode()


def test_the_reminder_names_the_due_time_in_the_dealers_zone(west: Shop) -> None:
    with as_dealer(west.dealer):
        FollowUpFactory(lead=west.lead(west.alice), due_at=azores(12, 23, 20))
        assert send_due_reminders(dealer_id=west.dealer.pk) >= 1
        notes = list(Notification.objects.filter(user=west.alice))
    assert notes
    text = " ".join(n.text for n in notes)
    # the dealer's date and time (UTC says 13 January, 00:20)
    assert "12 Jan 2027, 23:20" in text and "13 Jan" not in text, text
