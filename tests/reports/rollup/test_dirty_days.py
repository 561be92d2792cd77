"""Every write to a table the KPI facts read marks the dealer's local days it moves (no database
trigger does it any more: dms.kpi.dirty).

The dealer is in Los Angeles (UTC-8 in February): an event at 20:00 there is 04:00 UTC the next
day, so a mark on the UTC day would be a day off. The clock is frozen on Friday 20 February 2026
(the services and the auto_now columns stamp it); the events are placed on earlier days.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from dms.kpi import dirty
from dms.tenancy.context import as_dealer
from inventory.models import Trim, VehicleModel
from leads.models import FollowUp, Lead, LeadSource, StageChange, Visit
from reports.models import KpiDirtyDay
from sales.models import Order, Quote
from sales.models import TestDrive as Drive
from tests.factories import (
    CustomerFactory,
    DealerFactory,
    DemoVehicleFactory,
    FollowUpFactory,
    LeadFactory,
    OrderFactory,
    QuoteFactory,
    VisitFactory,
    staff,
)
from tests.leads._funnel import ensure_reference_data

pytestmark = pytest.mark.django_db

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
NOW = dt.datetime(2026, 2, 20, 12, 0, tzinfo=LA)


def la(day: int, hour: int = 20, minute: int = 0) -> dt.datetime:
    """A moment of February 2026 in Los Angeles; 20:00 (the default) is the next day in UTC."""
    return dt.datetime(2026, 2, day, hour, minute, tzinfo=LA)


def feb(*days: int) -> set[dt.date]:
    return {dt.date(2026, 2, d) for d in days}


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@dataclass
class Shop:
    dealer: Any
    alice: Any
    bob: Any
    lead: Lead


@pytest.fixture(name="shop")
def shop_fixture() -> Iterator[Shop]:
    ensure_reference_data()
    dealer = DealerFactory(timezone="America/Los_Angeles")
    alice = staff(dealer, "consultant", first_name="Alice")
    bob = staff(dealer, "consultant", first_name="Bob")
    with as_dealer(dealer):
        lead = LeadFactory(customer=CustomerFactory(dealer=dealer, owner=alice), consultant=alice)
        yield Shop(dealer, alice, bob, lead)


def marks(shop: Shop) -> set[dt.date]:
    return set(KpiDirtyDay.objects.filter(dealer=shop.dealer).values_list("day", flat=True))


def clear(shop: Shop) -> None:
    KpiDirtyDay.objects.filter(dealer=shop.dealer).delete()


def marked_by(shop: Shop, write: Any) -> set[dt.date]:
    """The days marked by `write()` alone."""
    clear(shop)
    write()
    return marks(shop)


def _follow_up(shop: Shop, due: dt.datetime, **extra: Any) -> FollowUp:
    # (after-delivery calls: a lead may have several open at once)
    return FollowUpFactory(
        lead=shop.lead, owner=shop.alice, due_at=due, kind="after_delivery", **extra
    )


# --- one model, every write path -----------------------------------------------------------------


def test_save_of_a_new_row_marks_its_local_day(shop: Shop) -> None:
    assert marked_by(shop, lambda: _follow_up(shop, la(2))) == feb(2)  # 04:00 UTC on 3 February
    assert la(2).astimezone(dt.UTC).date() == dt.date(2026, 2, 3)


def test_save_of_a_change_marks_the_old_and_the_new_day(shop: Shop) -> None:
    follow_up = _follow_up(shop, la(2))

    def move() -> None:
        follow_up.due_at = la(5)
        follow_up.save()

    assert marked_by(shop, move) == feb(2, 5)

    def owner() -> None:  # a column the facts read, not a day: the row's day
        follow_up.owner = shop.bob
        follow_up.save(update_fields=["owner"])

    assert marked_by(shop, owner) == feb(5)


def test_save_compares_with_the_row_in_the_database_not_with_the_object(shop: Shop) -> None:
    """An object loaded before another write moved the row: the day the row is on now is
    marked, not the one the object remembers."""
    follow_up = _follow_up(shop, la(2))
    FollowUp.objects.filter(pk=follow_up.pk).update(due_at=la(3))  # behind the object's back

    def stale() -> None:
        follow_up.due_at = la(6)
        follow_up.save(update_fields=["due_at"])

    assert marked_by(shop, stale) == feb(3, 6)


def test_a_change_of_columns_the_facts_do_not_read_marks_nothing(shop: Shop) -> None:
    follow_up = _follow_up(shop, la(2))

    def unread() -> None:
        follow_up.note = "called, no answer"
        follow_up.reminded_at = la(1)
        follow_up.save()  # every column written, none the facts read changed

    assert marked_by(shop, unread) == set()
    clear(shop)
    with CaptureQueriesContext(connection) as queries:
        FollowUp.objects.filter(pk=follow_up.pk).update(reminded_at=la(2))
        follow_up.save(update_fields=["note", "reminded_at"])
        Lead.objects.filter(pk=shop.lead.pk).update(grade="A", last_activity_at=la(3))
    # nothing but the three UPDATEs themselves: no read, no lock, no mark
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["UPDATE"] * 3
    assert marks(shop) == set()


def test_delete_marks_the_day_of_the_row_as_it_is_in_the_database(shop: Shop) -> None:
    follow_up = _follow_up(shop, la(2))
    FollowUp.objects.filter(pk=follow_up.pk).update(due_at=la(4))  # the object still says 2
    assert marked_by(shop, follow_up.delete) == feb(2, 4)  # one day too many is harmless


def test_queryset_update_marks_old_and_new_days(shop: Shop) -> None:
    first, second = _follow_up(shop, la(2)), _follow_up(shop, la(3))
    rows = FollowUp.objects.filter(pk__in=[first.pk, second.pk])
    # An expression, not one value: the new days can only come from the rows as written. Each
    # row two days on, as constants per row: `F("due_at") + timedelta` would be the same update,
    # but Citus refuses it (timestamptz + interval is STABLE: it depends on the time zone).
    later = models.Case(
        models.When(pk=first.pk, then=models.Value(la(4))),
        models.When(pk=second.pk, then=models.Value(la(5))),
        output_field=models.DateTimeField(),
    )
    assert marked_by(shop, lambda: rows.update(due_at=later)) == feb(2, 3, 4, 5)
    assert marked_by(shop, lambda: rows.update(owner=shop.bob)) == feb(4, 5)
    # a filter on a column the update changes: the rows read before are the rows written
    assert marked_by(
        shop, lambda: FollowUp.objects.filter(owner=shop.bob).update(done_at=la(6))
    ) == feb(4, 5)
    assert marked_by(shop, lambda: FollowUp.objects.filter(pk=-1).update(due_at=la(9))) == set()


def test_queryset_delete_marks_every_deleted_row(shop: Shop) -> None:
    _follow_up(shop, la(2))
    _follow_up(shop, la(7))
    assert marked_by(shop, FollowUp.objects.filter(lead=shop.lead).delete) == feb(2, 7)
    assert not FollowUp.objects.exists()


def test_bulk_create_and_bulk_update(shop: Shop) -> None:
    def create() -> list[FollowUp]:
        return FollowUp.objects.bulk_create(
            FollowUp(
                dealer=shop.dealer,
                lead=shop.lead,
                customer=shop.lead.customer,
                owner=shop.alice,
                kind="after_delivery",
                due_at=due,
            )
            for due in (la(2), la(3, 9))
        )

    assert marked_by(shop, create) == feb(2, 3)
    made = list(FollowUp.objects.order_by("due_at"))
    made[0].due_at = la(8)
    made[1].note = "unread by the facts"

    assert marked_by(shop, lambda: FollowUp.objects.bulk_update(made, ["due_at", "note"])) == (
        feb(2, 8)  # the second row did not change a column the facts read
    )
    assert marked_by(shop, lambda: FollowUp.objects.bulk_update(made, ["note"])) == set()
    with pytest.raises(NotImplementedError):
        FollowUp.objects.bulk_create(
            [made[0]], update_conflicts=True, update_fields=["due_at"], unique_fields=["id"]
        )


def test_related_manager_writes_are_marked(shop: Shop) -> None:
    def create() -> None:
        shop.lead.stage_changes.create(
            dealer=shop.dealer, from_stage="new", to_stage="contacted", consultant=shop.alice
        )

    assert marked_by(shop, create) == feb(20)  # stamped now
    assert marked_by(shop, lambda: shop.lead.stage_changes.update(changed_at=la(4))) == feb(4, 20)


# --- every source table: its days and the columns it is watched on ------------------------------


def test_every_source_marks_each_of_its_day_columns(shop: Shop) -> None:
    lead, alice = shop.lead, shop.alice
    car = DemoVehicleFactory(dealer=shop.dealer)
    assert marked_by(
        shop, lambda: VisitFactory(customer=lead.customer, served_by=alice, arrived_at=la(1))
    ) == feb(1)
    assert marked_by(
        shop,
        lambda: Drive.objects.create(
            dealer=shop.dealer,
            lead=lead,
            customer=lead.customer,
            vehicle=car,
            consultant=alice,
            starts_at=la(2, 18),
            ends_at=la(2, 19),
            returned_at=la(3, 21),  # came back a day late: both days (the facts read the return)
            status="done",
        ),
    ) == feb(2, 3)
    quote = QuoteFactory(lead=lead, created_by=alice)
    assert marked_by(shop, lambda: Quote.objects.filter(pk=quote.pk).update(sent_at=la(4))) == (
        feb(4)
    )
    assert marked_by(
        shop,
        lambda: OrderFactory(
            quote=quote, consultant=alice, ordered_at=la(5), delivered_at=la(6), status="delivered"
        ),
    ) == feb(5, 6)
    assert marked_by(shop, lambda: Order.objects.filter(lead=lead).update(ordered_at=la(7))) == feb(
        5, 6, 7
    )  # every day the row is on, old and new
    # the lead itself: its first response
    assert marked_by(
        shop, lambda: Lead.objects.filter(pk=lead.pk).update(first_response_at=la(8))
    ) == feb(8)
    assert marked_by(
        shop, lambda: Lead.objects.filter(pk=lead.pk).update(created_at=la(1, 7))
    ) == feb(8)  # the minutes to the first response changed


@pytest.mark.parametrize(
    ("model", "unread"),
    [
        (Visit, {"left_at": la(1, 23), "note": "x"}),
        (Drive, {"km_out": 10, "licence_number": "X"}),
        (Quote, {"status": "accepted", "accepted_at": la(9)}),
        (Order, {"vin": "AURX4CUST0000001A", "expected_delivery": dt.date(2026, 3, 1)}),
        (StageChange, {"changed_by": None}),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else "",
)
def test_columns_the_facts_do_not_read_mark_nothing(
    shop: Shop, model: type[models.Model], unread: dict[str, Any]
) -> None:
    lead = shop.lead
    quote = QuoteFactory(lead=lead, created_by=shop.alice, sent_at=la(4))
    OrderFactory(quote=quote, consultant=shop.alice, ordered_at=la(5))
    VisitFactory(customer=lead.customer, lead=lead, served_by=shop.alice, arrived_at=la(1))
    Drive.objects.create(
        dealer=shop.dealer,
        lead=lead,
        customer=lead.customer,
        vehicle=DemoVehicleFactory(dealer=shop.dealer),
        consultant=shop.alice,
        starts_at=la(2, 18),
        ends_at=la(2, 19),
    )
    lead.stage_changes.create(dealer=shop.dealer, to_stage="new")
    columns = {getattr(model._meta.get_field(name), "attname", name) for name in unread}
    assert not columns & dirty.source_of(model).relevant
    assert marked_by(shop, lambda: model.objects.filter(lead=lead).update(**unread)) == set()
    row = model.objects.filter(lead=lead).first()
    assert row is not None
    for name, value in unread.items():
        setattr(row, name, value)
    assert marked_by(shop, row.save) == set()


# --- dependants: other rows' days ----------------------------------------------------------------


def _history(shop: Shop) -> dict[str, set[dt.date]]:
    """A lead with a stage change on the 2nd and 9th, a follow-up due on the 3rd, a quote sent on
    the 4th, a test drive done on the 5th, an order on the 6th delivered on the 7th, first
    answered on the 8th."""
    lead, alice = shop.lead, shop.alice
    for stage, day in (("new", 2), ("contacted", 9)):
        change = lead.stage_changes.create(dealer=shop.dealer, to_stage=stage, consultant=alice)
        StageChange.objects.filter(pk=change.pk).update(changed_at=la(day))
    _follow_up(shop, la(3))
    quote = QuoteFactory(lead=lead, created_by=alice, sent_at=la(4), status="accepted")
    Drive.objects.create(
        dealer=shop.dealer,
        lead=lead,
        customer=lead.customer,
        vehicle=DemoVehicleFactory(dealer=shop.dealer),
        consultant=alice,
        starts_at=la(5, 10),
        ends_at=la(5, 11),
        returned_at=la(5, 21),
        status="done",
    )
    OrderFactory(
        quote=quote, consultant=alice, ordered_at=la(6), delivered_at=la(7), status="delivered"
    )
    Lead.objects.filter(pk=lead.pk).update(first_response_at=la(8))
    lead.refresh_from_db()
    return {
        "stages": feb(2, 9),
        "follow-up": feb(3),
        "quote": feb(4),
        "test drive": feb(5),  # back at 21:00: 05:00 UTC on the 6th
        "order": feb(6, 7),
        "first response": feb(8),
    }


def test_a_lead_changing_source_marks_every_day_it_has_a_fact_on(shop: Shop) -> None:
    days = _history(shop)
    lead = shop.lead
    lead.source = LeadSource.objects.get(code="web")
    assert marked_by(shop, lead.save) == set().union(*days.values()) == feb(2, 3, 4, 5, 6, 7, 8, 9)


def test_a_lead_changing_model_or_credit_marks_the_days_that_read_them(shop: Shop) -> None:
    days = _history(shop)
    lead = shop.lead

    def model() -> None:
        Lead.objects.filter(pk=lead.pk).update(vehicle_model=VehicleModel.objects.get(code="X4"))

    assert marked_by(shop, model) == days["stages"] | days["follow-up"] | days["first response"]

    def credit() -> None:
        lead.credited_to = shop.bob
        lead.save(update_fields=["credited_to"])

    assert marked_by(shop, credit) == feb(7)  # the delivery


def test_a_lead_changing_consultant_marks_a_first_response_only_without_an_opening(
    shop: Shop,
) -> None:
    _history(shop)
    lead = shop.lead
    assert marked_by(shop, lambda: Lead.objects.filter(pk=lead.pk).update(consultant=shop.bob)) == (
        set()  # credited to the opening stage change's consultant
    )
    StageChange.objects.filter(lead=lead).update(from_stage="x")  # no opening stage change
    assert marked_by(
        shop, lambda: Lead.objects.filter(pk=lead.pk).update(consultant=shop.alice)
    ) == feb(8)


def test_a_stage_change_into_order_or_opening_marks_the_days_it_credits(shop: Shop) -> None:
    days = _history(shop)
    lead = shop.lead

    def ordered() -> None:  # typed in today: the order of the 6th is credited from it
        lead.stage_changes.create(dealer=shop.dealer, from_stage="quote", to_stage="order")

    assert marked_by(shop, ordered) == feb(20) | feb(6)
    opening = StageChange.objects.get(lead=lead, to_stage="new")
    opening.consultant = shop.bob
    assert marked_by(shop, opening.save) == feb(2) | days["first response"]


def test_a_quote_changing_trim_marks_its_orders(shop: Shop) -> None:
    _history(shop)
    quote = Quote.objects.get(lead=shop.lead)
    quote.trim = Trim.objects.get(code="X4-AWD")
    assert marked_by(shop, quote.save) == feb(4, 6, 7)


def test_deleting_a_lead_marks_what_the_delete_cascades_to(shop: Shop) -> None:
    lead = shop.lead
    for stage, day in (("new", 2), ("contacted", 9)):
        change = lead.stage_changes.create(dealer=shop.dealer, to_stage=stage)
        StageChange.objects.filter(pk=change.pk).update(changed_at=la(day))
    _follow_up(shop, la(3))
    Lead.objects.filter(pk=lead.pk).update(first_response_at=la(8))
    assert marked_by(shop, Lead.objects.filter(pk=lead.pk).delete) == feb(2, 3, 8, 9)
    assert not StageChange.objects.exists() and not FollowUp.objects.exists()


# --- raw SQL writers -----------------------------------------------------------------------------


def test_raw_sql_writers_mark_through_the_service(shop: Shop) -> None:
    def raw() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE leads_followup SET due_at = %s WHERE dealer_id = %s RETURNING due_at",
                [la(11), shop.dealer.pk],
            )
        dirty.mark_times([(shop.dealer.pk, la(3)), (shop.dealer.pk, la(11))])

    _follow_up(shop, la(3))
    assert marked_by(shop, raw) == feb(3, 11)
    assert marked_by(shop, lambda: dirty.mark_days([(shop.dealer.pk, dt.date(2026, 1, 5))])) == {
        dt.date(2026, 1, 5)
    }
    row = {"id": None, "dealer_id": shop.dealer.pk, "arrived_at": la(12)}
    assert marked_by(shop, lambda: dirty.mark_rows(Visit, [row])) == feb(12)


def test_the_demo_seeder_marks_its_raw_inserts(shop: Shop) -> None:
    from leads.demo import _Row, insert_rows

    def seed() -> None:
        insert_rows(
            [
                _Row(
                    Visit,
                    dealer=shop.dealer,
                    customer=shop.lead.customer,
                    served_by=shop.alice,
                    source=LeadSource.objects.get(code="walk_in"),
                    kind="walk_in",
                    arrived_at=la(day),
                )
                for day in (13, 14)
            ]
        )

    assert marked_by(shop, seed) == feb(13, 14)


# --- structure -----------------------------------------------------------------------------------


def test_the_sources_are_the_tables_the_facts_read_and_all_mark_in_code() -> None:
    from django.apps import apps

    from reports.rollup import services

    sql = services.insert_days_sql(True)
    for label, source in dirty.SOURCES.items():
        model = apps.get_model(label)
        assert issubclass(model, dirty.KpiSource), label
        columns = {f.attname for f in model._meta.concrete_fields}
        assert set(source.columns) <= columns, (label, set(source.columns) - columns)
        with as_dealer(1):  # the scoped manager and its related managers mark
            assert isinstance(model.objects.all(), dirty.KpiSourceQuerySet), label
    tenant_tables = {
        m._meta.db_table
        for m in apps.get_models()
        if any(f.name == "dealer" for f in m._meta.fields) and m._meta.app_label != "reports"
    }
    read = {table for table in tenant_tables if f" {table} " in sql}
    sources = {apps.get_model(label)._meta.db_table for label in dirty.SOURCES}
    # a demo car's model is read too, but fixed when the car is created (sales services)
    assert read == sources | {"sales_demovehicle"}


def test_no_trigger_is_left_on_the_source_tables() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger"
            " WHERE NOT tgisinternal AND tgname LIKE 'kpi%%'"
        )
        assert cursor.fetchall() == []
        cursor.execute("SELECT proname FROM pg_proc WHERE proname LIKE 'kpi_mark%%'")
        assert cursor.fetchall() == []
