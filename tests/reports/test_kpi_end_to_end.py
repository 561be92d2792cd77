"""KPI figures from the events to the pages: leads opened, walk-ins and calls registered, a test
drive, a quote sent, an order and a delivery made through the services at frozen times, then the
nightly rollup (the beat task itself), then /reports/, the CSV and the PDF export. Every expected
figure is counted by hand below.

The dealer under test is on the Azores (UTC-1 in winter), west of UTC: its delivery at 23:30 on
Sunday 31 January is already 1 February in UTC, and so is the web lead that arrives at 23:45.
Both belong to January. The control dealer is in Berlin (UTC+1): its web lead at 00:20 on
1 February is still 31 January in UTC, and belongs to February.

January 2027, Azores dealer "KW01" (Alice and Bob, consultants):
- Mon 11 Jan 10:00  Alice: walk-in, new customer, X4        -> lead L1 opened, 1 visit
- Tue 12 Jan 10:30  Alice: test drive of L1 out; back 11:30  -> 1 test drive
- Wed 13 Jan 15:00  Alice: quote of L1 sent                  -> 1 quote
- Fri 15 Jan 11:00  Alice: L1 ordered (quote accepted Thu 14) -> 1 order
- Wed 20 Jan 12:00  Bob:   phone call, new customer           -> lead L2 opened, 1 call
- Sun 31 Jan 23:30  Alice: L1 delivered                       -> 1 delivery (January!)
- Sun 31 Jan 23:45  web lead for Bob                          -> lead L3 opened (January!)
- Mon  1 Feb 09:15  Bob calls L3 back                         -> first response, February
January: leads 3 (Alice 1, Bob 2), 1 visit, 1 call, 1 test drive, 1 quote, 1 order,
1 delivery; first responses 2 (L1 and L2 answered on the spot). February: leads 0, first
response 1 (L3, 9 h 30 min after it arrived).
Berlin dealer "KE01": web leads at 23:50 on 31 January (January) and 00:20 on 1 February
(February).
The nightly rollup runs on Tuesday 2 February at 05:00 UTC: figures as of 1 February.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from dealers.models import Dealer
from dms.tenancy.context import as_dealer
from inventory.models import Trim, VehicleModel
from leads.models import FollowUp, Lead, Visit
from leads.services.customers import register_contact
from leads.services.followups import complete_follow_up
from leads.services.leads import receive_lead
from reports.models import KpiDay, KpiMonth
from reports.rollup.selectors import rolled_through
from reports.rollup.tasks import kpi_rollup_nightly
from sales import services as sales
from sales.models import Order
from tests.factories import DealerFactory, RegionFactory, hq_user, signed_in_client, staff
from tests.leads._funnel import ensure_reference_data
from tests.reports.exports.conftest import pdf_text
from tests.ui.helpers import text_of

pytestmark = pytest.mark.django_db

AZORES = zoneinfo.ZoneInfo("Atlantic/Azores")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
JANUARY = {"year": 2027, "month": 1}
FEBRUARY = {"year": 2027, "month": 2}


def azores(day: int, hour: int, minute: int = 0, month: int = 1) -> dt.datetime:
    return dt.datetime(2027, month, day, hour, minute, tzinfo=AZORES)


def berlin(day: int, hour: int, minute: int = 0, month: int = 1) -> dt.datetime:
    return dt.datetime(2027, month, day, hour, minute, tzinfo=BERLIN)


def clock(moment: dt.datetime) -> Any:
    """The services stamp the current time: stop the clock at the event."""
    return time_machine.travel(moment, tick=False)


@dataclass
class Story:
    west: Dealer
    east: Dealer
    manager: Any  # the Azores dealer's manager
    alice: Any
    bob: Any
    erik: Any  # the Berlin dealer's consultant
    regional: Any
    order: Order


def _web_lead(dealer: Dealer, actor: Any, consultant: Any, first: str, last: str) -> Lead:
    return receive_lead(
        dealer=dealer,
        actor=actor,
        source="web",
        consultant=consultant,
        contact={
            "first_name": first,
            "last_name": last,
            "email": f"{first}.{last}@example.com".lower(),
        },
        vehicle_model=VehicleModel.objects.get(code="E1"),
    )


def _build() -> Story:
    ensure_reference_data()
    region = RegionFactory(code="ke-west", name="West")
    west = DealerFactory(
        code="KW01", name="Atlantico Motores", country="PT", timezone="Atlantic/Azores"
    )
    east = DealerFactory(code="KE01", name="Ostwind Autohaus", region=region)
    Dealer.objects.filter(pk=west.pk).update(region=region)
    west.refresh_from_db()
    manager = staff(west, "sales_manager", first_name="Marta", last_name="Manager")
    alice = staff(west, "consultant", first_name="Alice", last_name="Azevedo")
    bob = staff(west, "consultant", first_name="Bob", last_name="Borges")
    erik = staff(east, "consultant", first_name="Erik", last_name="Eastman")
    regional = hq_user("hq_regional_manager", regions=[region])
    x4 = VehicleModel.objects.get(code="X4")

    with as_dealer(west):
        with clock(azores(4, 9)):
            car = sales.create_demo_vehicle(
                dealer=west,
                actor=manager,
                vehicle_model=x4,
                trim=Trim.objects.get(code="X4-AWD"),
                vin="AURX4DEMA00000011",
                plate="AZ-01-01",
                odometer_km=1200,
            )
        with clock(azores(11, 10)):
            walk_in = register_contact(
                dealer=west,
                actor=alice,
                kind=Visit.Kind.WALK_IN,
                source_code="walk_in",
                first_name="Rui",
                last_name="Medeiros",
                phone="+351 912 345 678",
                vehicle_model=x4,
                outcome=Visit.Outcome.INFO,
            )
        lead = walk_in.lead
        assert lead is not None
        with clock(azores(12, 10)):
            drive = sales.book_test_drive(
                lead=lead,
                vehicle=car,
                starts_at=azores(12, 10, 30),
                ends_at=azores(12, 11, 30),
                actor=alice,
            )
        with clock(azores(12, 10, 30)):
            sales.check_out_test_drive(
                test_drive=drive,
                actor=alice,
                licence_number="PT-12345678",
                licence_checked=True,
                consent=True,
                km_out=1200,
                walk_around=True,
            )
        with clock(azores(12, 11, 30)):
            sales.check_in_test_drive(
                test_drive=drive, actor=alice, km_in=1232, outcome="Very positive"
            )
        with clock(azores(13, 15)):
            quote = sales.create_quote(
                lead=lead,
                actor=alice,
                spec=sales.QuoteSpec(trim=Trim.objects.get(code="X4-AWD")),
            )
            sales.send_quote(quote=quote, actor=alice)
        with clock(azores(14, 16)):
            sales.accept_quote(quote=quote, actor=alice)
        with clock(azores(15, 11)):
            deposit = Decimal("2000.00")
            order = sales.create_order(
                quote=quote,
                actor=alice,
                deposit_required=deposit,
                expected_delivery=dt.date(2027, 1, 31),
                vin="AURX4CUST0000001A",
                deposit_paid=deposit,
            ).obj
        with clock(azores(20, 12)):
            register_contact(
                dealer=west,
                actor=bob,
                kind=Visit.Kind.PHONE,
                source_code="phone",
                first_name="Ana",
                last_name="Furtado",
                phone="+351 913 456 789",
                vehicle_model=VehicleModel.objects.get(code="A3"),
                outcome=Visit.Outcome.INFO,
            )
        with clock(azores(29, 10)):
            sales.record_payment(
                order=order, actor=alice, kind="balance", amount=sales.order_balance(order)
            )
            sales.set_checklist(
                order=order, actor=manager, done=[c for c, _l in sales.CHECKLIST_ITEMS]
            )
        with clock(azores(31, 23, 30)):
            sales.deliver_order(order=order, actor=alice)
        with clock(azores(31, 23, 45)):
            late = _web_lead(west, manager, bob, "Tiago", "Nunes")
        with clock(azores(1, 9, 15, month=2)):
            first = FollowUp.objects.get(lead=late, kind=FollowUp.Kind.FIRST_RESPONSE)
            complete_follow_up(follow_up=first, actor=bob, result=FollowUp.Result.REACHED)

    east_manager = staff(east, "sales_manager")
    with as_dealer(east):
        with clock(berlin(31, 23, 50)):
            _web_lead(east, east_manager, erik, "Jan", "Januar")
        with clock(berlin(1, 0, 20, month=2)):
            _web_lead(east, east_manager, erik, "Feb", "Februar")

    with clock(dt.datetime(2027, 2, 2, 5, 0, tzinfo=dt.UTC)):
        kpi_rollup_nightly()
    return Story(west, east, manager, alice, bob, erik, regional, order)


@pytest.fixture(name="story")
def story_fixture(db: Any) -> Story:
    return _build()


@pytest.fixture(name="after_rollup")
def after_rollup_fixture() -> Iterator[None]:
    """The pages are read the morning after the rollup (the period picker offers years around
    the current one)."""
    with time_machine.travel(dt.datetime(2027, 2, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


def by_testid(html: str, name: str) -> str:
    match = re.search(rf'data-testid="{re.escape(name)}"[^>]*>(.*?)</(?!i>)', html, re.S)
    assert match, f"no element {name}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(1))).strip()


def section_text(html: str, name: str) -> str:
    match = re.search(
        rf'<section[^>]*data-testid="{re.escape(name)}"[^>]*>(.*?)</section>', html, re.S
    )
    assert match, f"no section {name}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def _csv(client: Client, url: str, **query: Any) -> list[dict[str, str]]:
    response = client.get(url, query)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_services_wrote_the_events_at_the_frozen_times(story: Story) -> None:
    """The premise of the hand count: every event is where the story puts it."""
    with as_dealer(story.west):
        order = Order.objects.get(pk=story.order.pk)
        assert order.status == Order.Status.DELIVERED
        assert order.delivered_at == azores(31, 23, 30)
        assert order.delivered_at.astimezone(dt.UTC).date() == dt.date(2027, 2, 1)
        assert order.ordered_at == azores(15, 11)
        assert Lead.objects.count() == 3
        assert sorted(Visit.objects.values_list("kind", flat=True)) == ["phone", "walk_in"]


def test_the_rollup_puts_each_event_on_the_dealers_local_day(story: Story) -> None:
    with as_dealer(story.west):
        days = KpiDay.objects.filter(dealer=story.west)

        def on(day: dt.date, measure: str) -> int:
            return sum(getattr(row, measure) for row in days.filter(day=day))

        jan31, feb1 = dt.date(2027, 1, 31), dt.date(2027, 2, 1)
        assert on(jan31, "deliveries") == 1 and on(feb1, "deliveries") == 0
        assert on(jan31, "leads_new") == 1 and on(feb1, "leads_new") == 0
        assert on(dt.date(2027, 1, 12), "test_drives") == 1
        assert on(dt.date(2027, 1, 13), "quotes") == 1
        assert on(dt.date(2027, 1, 15), "orders") == 1
        assert on(feb1, "first_responses") == 1
        assert on(feb1, "first_response_minutes") == 9 * 60 + 30
        month = dict.fromkeys(("leads_new", "visits", "calls", "deliveries"), 0)
        for row in KpiMonth.objects.filter(dealer=story.west, month=dt.date(2027, 1, 1)):
            for measure in month:
                month[measure] += getattr(row, measure)
        assert month == {"leads_new": 3, "visits": 1, "calls": 1, "deliveries": 1}
    with as_dealer(story.east):
        berlin_days = dict(
            KpiDay.objects.filter(dealer=story.east, leads_new__gt=0).values_list(
                "day", "leads_new"
            )
        )
        assert berlin_days == {dt.date(2027, 1, 31): 1, dt.date(2027, 2, 1): 1}
    assert rolled_through() == dt.date(2027, 2, 1)


def test_the_dashboard_shows_the_hand_counted_january(story: Story, after_rollup: None) -> None:
    client = signed_in_client(story.manager)
    response = client.get("/reports/", JANUARY)
    assert response.status_code == 200
    html = response.content.decode()
    assert by_testid(html, "mtd-actual-leads") == "3"
    assert by_testid(html, "mtd-actual-test_drives") == "1"
    assert by_testid(html, "mtd-actual-orders") == "1"
    assert by_testid(html, "mtd-actual-deliveries") == "1"
    text = text_of(html)
    assert "January 2027" in text
    assert "Alice Azevedo" in text and "Bob Borges" in text
    assert "Erik Eastman" not in text and "Ostwind" not in text
    # the leaderboard ranks Alice (1 order) above Bob (none)
    board = re.findall(r'<tr data-consultant="(\d+)"', html)
    assert board == [str(story.alice.pk), str(story.bob.pk)]


def test_the_dashboard_shows_the_hand_counted_february(story: Story, after_rollup: None) -> None:
    html = signed_in_client(story.manager).get("/reports/", FEBRUARY).content.decode()
    assert by_testid(html, "mtd-actual-leads") == "0"
    assert by_testid(html, "mtd-actual-deliveries") == "0"
    # L3 answered 570 minutes after it came in; the year so far: (0 + 0 + 570) / 3 = 190
    assert section_text(html, "first-response") == (
        "First response 570 min average over 1 new lead Year to date: 190 min"
    )


def test_the_first_responses_of_january_were_on_the_spot(story: Story, after_rollup: None) -> None:
    html = signed_in_client(story.manager).get("/reports/", JANUARY).content.decode()
    assert section_text(html, "first-response") == (
        "First response 0 min average over 2 new leads Year to date: 0 min"
    )


def test_the_csv_tables_hold_the_same_figures(story: Story, after_rollup: None) -> None:
    client = signed_in_client(story.manager)
    url = reverse("reports:export_dealer_csv", args=[story.west.pk])
    summary = {r["metric"]: r for r in _csv(client, url, table="summary", **JANUARY)}
    assert {m: r["mtd_actual"] for m, r in summary.items()} == {
        "leads": "3",
        "test_drives": "1",
        "orders": "1",
        "deliveries": "1",
    }
    assert summary["orders"]["dealer"] == "KW01" and summary["orders"]["month"] == "2027-01"

    board = _csv(client, url, table="leaderboard", **JANUARY)
    assert [(r["consultant"], r["orders"], r["leads"]) for r in board] == [
        ("Alice Azevedo", "1", "1"),
        ("Bob Borges", "0", "2"),
    ]

    rows = _csv(client, url, table="funnel", **JANUARY)
    table = {(r["part"], r["stage"]): (r["leads"], r["share_of_opened_pct"]) for r in rows}
    # January's cohort: L1, L2, L3 opened; all contacted by the rollup (L3 on 1 February); L1
    # went on to the delivery (past Visited: a stage it skipped still counts as reached)
    assert [table["cohort", s] for s in ("new", "contacted", "visited", "delivered")] == [
        ("3", "100.0"),
        ("3", "100.0"),
        ("1", "33.3"),
        ("1", "33.3"),
    ]
    assert table["outcome", "open"] == ("2", "66.7")
    # January's activity: counts without shares (L3's contact was in February)
    assert [table["activity", s] for s in ("new", "contacted", "test_drive", "delivered")] == [
        ("3", ""),
        ("2", ""),
        ("1", ""),
        ("1", ""),
    ]

    february = {r["metric"]: r for r in _csv(client, url, table="summary", **FEBRUARY)}
    assert february["leads"]["mtd_actual"] == "0"
    assert february["deliveries"]["mtd_actual"] == "0"


def test_the_network_csv_buckets_each_dealer_in_its_own_zone(
    story: Story, after_rollup: None
) -> None:
    client = signed_in_client(story.regional)
    url = reverse("reports:export_network_csv")
    january = _csv(client, url, table="network", **JANUARY)
    rows = {r["dealer"]: r for r in january if r["row"] == "dealer"}
    assert set(rows) == {"KW01", "KE01"}
    assert rows["KW01"]["leads_mtd_actual"] == "3" and rows["KE01"]["leads_mtd_actual"] == "1"
    assert rows["KW01"]["deliveries_mtd_actual"] == "1"
    assert rows["KE01"]["deliveries_mtd_actual"] == "0"
    total = next(r for r in january if r["row"] == "total")
    assert total["leads_mtd_actual"] == "4"
    february = {
        r["dealer"]: r
        for r in _csv(client, url, table="network", **FEBRUARY)
        if r["row"] == "dealer"
    }
    assert february["KW01"]["leads_mtd_actual"] == "0"
    assert february["KE01"]["leads_mtd_actual"] == "1"


def test_the_pdf_pack_holds_the_same_figures(story: Story, after_rollup: None) -> None:
    client = signed_in_client(story.manager)
    url = reverse("reports:export_kpi_pdf", args=[story.west.pk])
    response = client.get(url, JANUARY)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Atlantico Motores" in text and "January 2027" in text
    assert "Figures as of" in text and "1 Feb 2027" in text

    def figures(label: str) -> list[str]:
        line = next(row for row in text.splitlines() if row.strip().startswith(label + "   "))
        return line.split()

    assert figures("Leads")[1] == "3"
    assert figures("Orders")[1] == "1"
    assert figures("Deliveries")[1] == "1"
    assert text.index("Alice Azevedo") < text.index("Bob Borges")
    assert "Erik" not in text and "Ostwind" not in text
