"""Every time a person reads is on the dealer's clock (issue 13, item 1): a notification's
"respond by" and My day's due time of the same lead agree; the account security page, the
planner, HQ's audit log and a regional manager's pages show times in the dealer's (or HQ's own)
zone, the zone named where a row's dealer is not in the reader's.

The dealers are in Warsaw and Lisbon in winter (UTC+1 and UTC+0); HQ's own zone is the importer's
(settings.DMS_IMPORTER_TIME_ZONE, Europe/Berlin)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dms.audit.models import AuditAction
from dms.audit.services import record
from dms.tenancy.context import as_dealer
from dms.tenancy.middleware import SESSION_DEALER_KEY
from leads.models import Lead, Notification
from leads.services import leads as svc
from reports.models import PlanVersion
from tests.factories import (
    CustomerFactory,
    DealerFactory,
    RegionFactory,
    TestDriveFactory,
    hq_user,
    signed_in_client,
)
from tests.leads._funnel import Shop, make_shop, signed_in_fixture  # noqa: F401
from tests.reports.dashboards.facts import plan

pytestmark = pytest.mark.django_db

WARSAW = zoneinfo.ZoneInfo("Europe/Warsaw")
# Tuesday 12 January 2027, 09:20 UTC: 10:20 in Warsaw, opening hours.
MORNING = dt.datetime(2027, 1, 12, 9, 20, tzinfo=dt.UTC)


@pytest.fixture(name="warsaw")
def warsaw_fixture(db: Any) -> Shop:
    return make_shop(timezone="Europe/Warsaw")


def _text(html: bytes) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.decode()))


@time_machine.travel(MORNING, tick=False)
def test_respond_by_in_the_notification_is_my_days_due_time(
    warsaw: Shop, signed_in: Callable[..., Client]
) -> None:
    with as_dealer(warsaw.dealer):
        lead: Lead = svc.open_lead(
            customer=CustomerFactory(dealer=warsaw.dealer, last_name="Zielinski"),
            source="web",
            actor=None,
        )
    due = timezone.localtime(lead.first_response_due, WARSAW).strftime("%H:%M")
    utc_due = lead.first_response_due.astimezone(dt.UTC).strftime("%H:%M")
    assert due != utc_due  # the test means something only where the clocks differ
    client = signed_in(lead.consultant)

    notes = _text(client.get(reverse("leads:notifications")).content)
    assert f"respond by {due}" in notes
    assert utc_due not in notes
    assert "10:20" in notes  # the notification's own time, on Warsaw's clock
    assert "p.m" not in notes and "a.m" not in notes

    my_day = client.get(reverse("leads:my_day")).content.decode()
    row = next(li for li in my_day.split("<li") if "Zielinski" in li)
    assert due in _text(row.encode())
    with as_dealer(warsaw.dealer):
        assert Notification.objects.filter(user=lead.consultant, kind="assigned").count() == 1


@time_machine.travel(MORNING, tick=False)
def test_the_account_security_page_is_on_the_dealers_clock(warsaw: Shop) -> None:
    client = signed_in_client(warsaw.alice)  # a session that began at 10:20 in Warsaw
    page = _text(client.get("/account/two_factor/").content)
    assert "12 Jan 2027, 10:20" in page
    assert "09:20" not in page
    assert "p.m" not in page and "a.m" not in page


@time_machine.travel(MORNING, tick=False)
def test_a_booking_in_another_year_shows_its_year_in_the_planner(warsaw: Shop) -> None:
    lead = warsaw.lead(warsaw.alice)
    with as_dealer(warsaw.dealer):
        TestDriveFactory(
            lead=lead,
            starts_at=dt.datetime(2099, 1, 1, 9, 0, tzinfo=WARSAW),
            ends_at=dt.datetime(2099, 1, 1, 10, 0, tzinfo=WARSAW),
        )
    client = signed_in_client(warsaw.alice)
    page = _text(client.get(reverse("sales:test_drives")).content)
    assert "Thu 1 Jan 2099, 09:00" in page


@time_machine.travel(MORNING, tick=False)
def test_hq_audit_log_shows_each_dealers_rows_on_its_clock_and_names_the_zone() -> None:
    warsaw = DealerFactory(code="PL901", timezone="Europe/Warsaw")
    berlin = DealerFactory(code="DE901", timezone="Europe/Berlin")
    lisbon = DealerFactory(code="PT901", timezone="Europe/Lisbon")
    for dealer in (warsaw, berlin, lisbon):
        record(action=AuditAction.LOGIN_FAILED, dealer=dealer, detail={"who": dealer.code})
    client = signed_in_client(hq_user("hq_admin", username="hq-clock"))
    html = client.get("/audit/").content.decode()
    rows = {
        code: _text(row.encode())
        for row in html.split("<tr")
        for code in ("PL901", "DE901", "PT901")
        if f'"who": "{code}"' in row.replace("&quot;", '"')
    }
    assert "12 Jan, 10:20:00 Europe/Warsaw" in rows["PL901"]
    assert "12 Jan, 10:20:00" in rows["DE901"] and "Europe/" not in rows["DE901"]
    assert "12 Jan, 09:20:00 Europe/Lisbon" in rows["PT901"]


@time_machine.travel(MORNING, tick=False)
def test_a_regional_managers_pages_are_in_hqs_zone_and_a_dealers_when_viewing_it() -> None:
    north = RegionFactory(code="clock-north", name="Clock North")
    lisbon = DealerFactory(code="PT902", timezone="Europe/Lisbon", region=north)
    manager = hq_user("hq_regional_manager", [north], username="rm-clock")
    version = PlanVersion.objects.create(year=2027, number=1, note="Budget", filename="plan.csv")
    plan(lisbon, version, "orders", {1: 3})  # in the manager's scope
    client = signed_in_client(manager)

    plans = _text(client.get(reverse("reports:plan_list")).content)
    assert "12 Jan 2027, 10:20" in plans  # HQ's own clock: Berlin
    assert "p.m" not in plans and "a.m" not in plans
    security = _text(client.get("/account/two_factor/").content)
    assert "12 Jan 2027, 10:20" in security

    session = client.session
    session[SESSION_DEALER_KEY] = lisbon.pk  # viewing one dealer: its clock, zone named
    session.save()
    viewing = client.get("/account/two_factor/").content.decode()
    assert 'data-testid="times-zone"' in viewing and "Europe/Lisbon" in viewing
    assert "12 Jan 2027, 09:20" in _text(viewing.encode())


@time_machine.travel(MORNING, tick=False)
def test_hq_users_list_shows_each_last_login_on_its_dealers_clock(warsaw: Shop) -> None:
    lisbon = make_shop(timezone="Europe/Lisbon", code="PT903")
    for user in (warsaw.alice, lisbon.alice):
        user.last_login = MORNING
        user.save(update_fields=["last_login"])
    client = signed_in_client(hq_user("hq_admin", username="hq-users-clock"))
    html = client.get("/network/users/", {"q": "Alice"}).content.decode()
    rows = {
        user.username: _text(next(r for r in html.split("<tr") if user.username in r).encode())
        for user in (warsaw.alice, lisbon.alice)
    }
    assert "12 Jan, 10:20 Europe/Warsaw" in rows[warsaw.alice.username]
    assert "12 Jan, 09:20 Europe/Lisbon" in rows[lisbon.alice.username]


@time_machine.travel(MORNING, tick=False)
def test_the_handover_says_when_it_was_applied_on_the_dealers_clock() -> None:
    from dealers.handover import services as handover
    from tests.handover._world import make_book

    book = make_book()
    book.dealer.timezone = "Europe/Warsaw"
    book.dealer.save(update_fields=["timezone"])
    with as_dealer(book.dealer):
        batch = handover.plan_batch(
            dealer=book.dealer, from_user=book.dora, actor=book.manager, targets=[book.eve]
        )
        handover.apply_batch(batch=batch, actor=book.manager)
    client = signed_in_client(book.manager)
    page = _text(client.get(reverse("dealers:handover:batch", args=[batch.pk])).content)
    assert "Applied 12 Jan 2027, 10:20." in page
