"""The demo funnel history (manage.py seed_funnel, leads/demo.py) on a two-dealer network: every
page has something to show, the rows obey the funnel's rules, and the seed decides the data.

The seed's random generator is keyed by the dealer code and the history ends at "now": the dealers
get fixed codes and the clock is frozen, so what a test sees does not depend on the day it runs or
on how many dealers other tests created before it."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from io import StringIO
from typing import Any

import phonenumbers
import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone, translation

from bulletins.models import VehiclePrice
from dealers.models import Dealer
from dms.tenancy.context import as_dealer
from leads.demo import seed_funnel
from leads.models import (
    Customer,
    FollowUp,
    GradeChange,
    Lead,
    OwnershipClaim,
    Stage,
    StageChange,
    TimelineEvent,
    Visit,
)
from leads.selectors.approvals import approval_inbox
from leads.selectors.myday import my_day
from leads.services.normalize import normalize_phone
from sales.models import Order, Quote, QuoteLine
from sales.models import TestDrive as Drive
from sales.services import order_balance
from tests.factories import DealerFactory, staff
from tests.leads._funnel import ensure_reference_data

MONTHS = 3
LEADS_PER_MONTH = 35


# A Tuesday afternoon; the night the clocks go forward in Europe (a Sunday); New Year's Eve
# (already New Year in Berlin, not yet on the Azores).
TUESDAY = dt.datetime(2027, 3, 9, 13, 20, tzinfo=dt.UTC)
DST_SUNDAY = dt.datetime(2027, 3, 28, 1, 30, tzinfo=dt.UTC)
NEW_YEAR = dt.datetime(2027, 12, 31, 23, 50, tzinfo=dt.UTC)


def network() -> list[tuple[Dealer, list[Any]]]:
    """Two dealers in two markets, one of them west of UTC (the Azores), three consultants and a
    sales manager each. Fixed codes: the code keys the seed's random generator."""
    ensure_reference_data()
    result = []
    for code, country, tz in (("DE901", "DE", "Europe/Berlin"), ("PT902", "PT", "Atlantic/Azores")):
        dealer = DealerFactory(code=code, country=country, timezone=tz)
        consultants = [staff(dealer, "consultant") for _ in range(3)]
        staff(dealer, "sales_manager")
        result.append((dealer, consultants))
    return result


def seed(*args: str) -> str:
    out = StringIO()
    call_command(
        "seed_funnel",
        "--months",
        str(MONTHS),
        "--leads-per-month",
        str(LEADS_PER_MONTH),
        *args,
        stdout=out,
    )
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("now", [TUESDAY, DST_SUNDAY], ids=["tuesday", "dst"])
def test_every_page_has_something_and_the_rows_obey_the_rules(now: dt.datetime) -> None:
    with time_machine.travel(now, tick=False):
        _every_page_has_something_and_the_rows_obey_the_rules(now)


def _every_page_has_something_and_the_rows_obey_the_rules(now: dt.datetime) -> None:
    shops = network()
    output = seed("--seed", "7")
    assert "Funnel history seeded (seed 7) for 2 dealers" in output

    for dealer, consultants in shops:
        with as_dealer(dealer):
            leads = list(Lead.objects.select_related("source"))
            assert len(leads) >= MONTHS * LEADS_PER_MONTH * 0.6, dealer.code
            # Every stage of the funnel has leads, closed ones included.
            stages = Counter(lead.stage for lead in leads)
            assert set(stages) == set(Stage.values), (dealer.code, stages)

            # My day: every consultant has something overdue and something for tomorrow.
            for consultant in consultants:
                plan = my_day(user=consultant, dealer=dealer)
                assert not plan.is_empty
                assert plan.overdue, consultant.username
                assert plan.due_tomorrow or plan.test_drives_tomorrow, consultant.username

            # Approvals waiting for the sales manager: lost, discount, ownership claim.
            inbox = approval_inbox(dealer=dealer)
            assert inbox.lost and inbox.discounts and inbox.claims, dealer.code
            assert all(c.status == OwnershipClaim.Status.PENDING for c in inbox.claims)

            # Follow-ups: at most one open per lead and kind (after-delivery: per due time).
            open_rows = FollowUp.objects.filter(done_at__isnull=True)
            keys = Counter(
                (f.lead_id, f.kind, f.due_at if f.kind == FollowUp.Kind.AFTER_DELIVERY else None)
                for f in open_rows
            )
            assert keys and max(keys.values()) == 1
            assert open_rows.filter(kind=FollowUp.Kind.AFTER_DELIVERY).exists()
            # History: calls made, with their outcome on the follow-up and the timeline.
            assert FollowUp.objects.filter(done_at__isnull=False).exclude(result="").exists()
            assert TimelineEvent.objects.filter(kind="call").exists()
            # ... written as the services write them: a Japanese reader reads them in Japanese.
            stage_line = TimelineEvent.objects.filter(kind="stage").first()
            assert stage_line is not None and stage_line.summary.startswith("Stage: ")
            with translation.override("ja"):
                assert stage_line.text.startswith("ステージ：")
            # quote numbers name their lead (the history writer saves leads and quotes in bulk)
            assert TimelineEvent.objects.filter(kind="quote_created").exists()
            assert not TimelineEvent.objects.filter(summary__contains="QNone").exists()

            # Test drives: never two on one vehicle at once; past ones done with km, coming
            # ones booked.
            by_vehicle: dict[int, list[Drive]] = defaultdict(list)
            for drive in Drive.objects.filter(status__in=["booked", "out", "done"]):
                by_vehicle[drive.vehicle_id].append(drive)
            assert by_vehicle
            for drives in by_vehicle.values():
                drives.sort(key=lambda d: d.starts_at)
                for before, after in zip(drives, drives[1:], strict=False):
                    assert before.ends_at <= after.starts_at
            for drive in Drive.objects.all():
                if drive.status == Drive.Status.DONE:
                    assert drive.ends_at <= now
                    assert drive.km_out is not None and drive.km_in >= drive.km_out
                    assert drive.licence_checked_at and drive.consent_at
                else:
                    assert drive.status == Drive.Status.BOOKED
                    assert drive.starts_at > now - dt.timedelta(hours=2)
            assert Drive.objects.filter(status="booked", starts_at__gt=now).exists()

            # Stage and grade: each lead where its history says it is.
            last_stage: dict[int, str] = {}
            for change in StageChange.objects.order_by("changed_at", "id"):
                last_stage[change.lead_id] = change.to_stage
            last_grade: dict[int, str] = {}
            for grade in GradeChange.objects.order_by("changed_at", "id"):
                last_grade[grade.lead_id] = grade.to_grade
            for lead in leads:
                assert last_stage[lead.pk] == lead.stage, lead.pk
                assert last_grade.get(lead.pk, "") == lead.grade, lead.pk
                assert lead.is_open == (lead.closed_at is None)
                if lead.stage in (Stage.ORDER, Stage.DELIVERED):
                    assert lead.grade == "O"
                if lead.stage == Stage.DELIVERED:
                    assert not lead.is_open and lead.credited_to_id == lead.consultant_id

            # Orders: delivered ones paid in full; open ones with a balance and ready ones.
            orders = list(Order.objects.select_related("quote"))
            delivered = [o for o in orders if o.status == Order.Status.DELIVERED]
            open_orders = [o for o in orders if o.status == Order.Status.OPEN]
            assert delivered and open_orders
            assert all(order_balance(o) == 0 and o.vin for o in delivered)
            assert any(order_balance(o) > 0 for o in open_orders)
            assert any(order_balance(o) == 0 and o.vin for o in open_orders)

            # Quotes priced from the HQ price list.
            for quote in Quote.objects.select_related("trim", "price_version")[:50]:
                prices = {
                    (i.kind, i.code): i.price
                    for i in VehiclePrice.objects.filter(version=quote.price_version)
                }
                assert quote.list_price == prices[("trim", quote.trim.code)]
                lines = list(QuoteLine.objects.filter(quote=quote))
                for line in lines:
                    assert line.price == prices[(line.kind, line.code)]
                assert quote.extras_total == sum((line.price for line in lines), 0)
                assert quote.total == quote.list_price + quote.extras_total - quote.discount

            # Customers from the dealer's country: valid phone numbers in E.164.
            for customer in Customer.objects.all():
                assert customer.phone == normalize_phone(customer.phone, dealer.country)
                number = phonenumbers.parse(customer.phone)
                assert phonenumbers.region_code_for_number(number) == dealer.country
                if customer.consent_phone_at:
                    assert customer.consent_phone_at <= now

            # The visitor log has entries on most working days of the last month.
            days = {
                timezone.localtime(v.arrived_at, _tz(dealer)).date()
                for v in Visit.objects.filter(arrived_at__gte=now - dt.timedelta(days=30))
            }
            today = timezone.localtime(now, _tz(dealer)).date()
            working = [
                today - dt.timedelta(days=n)
                for n in range(1, 29)
                if (today - dt.timedelta(days=n)).weekday() < 6
            ]
            assert sum(day in days for day in working) >= 0.7 * len(working)
            # Timeline lines for the customers, the visits among them.
            assert (
                TimelineEvent.objects.filter(kind="visit").count()
                >= Visit.objects.filter(kind="walk_in").count()
            )

    # Seeded dealers are left alone without --force.
    again = seed("--seed", "7")
    assert "Skipped" in again


def _tz(dealer: Dealer) -> Any:
    import zoneinfo

    return zoneinfo.ZoneInfo(dealer.timezone)


def snapshot(dealers: list[Dealer]) -> dict[str, Any]:
    """Everything but ids and timestamps."""
    result: dict[str, Any] = {}
    for dealer in dealers:
        with as_dealer(dealer):
            result[dealer.code] = {
                "customers": sorted(
                    Customer.objects.values_list(
                        "first_name", "last_name", "phone", "email", "city"
                    )
                ),
                "leads": sorted(
                    Lead.objects.values_list(
                        "customer__phone",
                        "stage",
                        "grade",
                        "source__code",
                        "consultant__username",
                        "is_open",
                        "in_pool",
                        "lost_reason__code",
                        "vehicle_model__code",
                    )
                ),
                "visits": sorted(
                    Visit.objects.values_list("customer__phone", "kind", "outcome", "party_size")
                ),
                "drives": sorted(
                    Drive.objects.values_list("customer__phone", "status", "vehicle__vin")
                ),
                "quotes": sorted(
                    Quote.objects.values_list("lead__customer__phone", "version", "status", "total")
                ),
                "orders": sorted(Order.objects.values_list("customer__phone", "status", "total")),
                "follow_ups": sorted(
                    FollowUp.objects.values_list("lead__customer__phone", "kind", "result")
                ),
                "timeline": Counter(TimelineEvent.objects.values_list("kind", flat=True)),
            }
    return result


@pytest.mark.django_db
@time_machine.travel(TUESDAY, tick=False)
def test_the_same_seed_gives_the_same_data() -> None:
    dealers = [dealer for dealer, _ in network()]
    now = timezone.now()
    options = {"months": MONTHS, "leads_per_month": LEADS_PER_MONTH, "dealers": dealers}
    seed_funnel(seed=11, now=now, **options)
    first = snapshot(dealers)
    result = seed_funnel(seed=11, now=now, force=True, **options)
    assert sorted(result.seeded) == sorted(d.code for d in dealers)
    assert snapshot(dealers) == first
    seed_funnel(seed=12, now=now, force=True, **options)
    assert snapshot(dealers) != first


@pytest.mark.django_db
def test_bad_options_are_refused_and_change_nothing() -> None:
    network()
    with pytest.raises(CommandError, match="at least 1"):
        seed("--months", "0")
    with pytest.raises(CommandError, match="Unknown dealer"):
        seed("--dealer", "NOPE1")
    for dealer in Dealer.objects.all():
        with as_dealer(dealer):
            assert not Customer.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("now", [TUESDAY, DST_SUNDAY, NEW_YEAR], ids=["tuesday", "dst", "new-year"])
def test_a_tiny_history_still_fills_every_stage(now: dt.datetime) -> None:
    """Two leads a month for one month: chance alone leaves most stages empty; the seeder makes
    a lead end in each missing one (test drive and quote twice: today's ready order takes one)."""
    dealers = [dealer for dealer, _ in network()]
    with time_machine.travel(now, tick=False):
        result = seed_funnel(seed=3, now=now, months=1, leads_per_month=2, dealers=dealers)
    assert sorted(result.seeded) == ["DE901", "PT902"]
    for dealer in dealers:
        with as_dealer(dealer):
            stages = Counter(Lead.objects.values_list("stage", flat=True))
            assert set(stages) == set(Stage.values), (dealer.code, stages)
            assert stages[Stage.TEST_DRIVE] >= 1 and stages[Stage.QUOTE] >= 1
            # the made-to-order leads are real history: a delivered order paid in full whose
            # 30-day call is still ahead, an open order with a balance, a lost lead approved
            delivered = Order.objects.get(lead__stage=Stage.DELIVERED)
            assert delivered.status == Order.Status.DELIVERED and order_balance(delivered) == 0
            assert delivered.delivered_at is not None and delivered.delivered_at < now
            assert FollowUp.objects.filter(
                kind=FollowUp.Kind.AFTER_DELIVERY, done_at__isnull=True, due_at__gt=now
            ).exists()
            assert any(order_balance(o) > 0 for o in Order.objects.filter(status=Order.Status.OPEN))
            lost = Lead.objects.filter(stage=Stage.LOST).first()
            assert lost is not None and not lost.is_open and lost.lost_reason_id is not None
            # nothing of it lies in the future
            assert not Lead.objects.filter(created_at__gt=now).exists()
            assert not StageChange.objects.filter(changed_at__gt=now).exists()


@pytest.mark.django_db
def test_a_faker_number_of_another_country_is_not_taken() -> None:
    """de_DE Faker writes numbers such as "00352 478667": phonenumbers reads the 00 as an
    international call (+352, Luxembourg). The seeder skips them for a German dealer."""
    from leads.demo import DealerSeeder

    dealer, _consultants = network()[0]
    with as_dealer(dealer):
        seeder = DealerSeeder(dealer, seed=1, index=0, months=1, leads_per_month=1, now=TUESDAY)
    typed = iter(["00352 478667", "00532 499752", "030 12345678"])
    seeder.fake.phone_number = lambda: next(typed)  # type: ignore[method-assign]
    seeder.rng.random = lambda: 0.99  # type: ignore[method-assign]  # Faker's numbers, not examples
    assert seeder.phone() == "+493012345678"
