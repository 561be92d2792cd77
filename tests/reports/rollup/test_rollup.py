"""The KPI rollup against a hand-computed small network: two dealers, three consultants, a few
leads with stage changes, visits, test drives, quotes, orders (one backdated, one reassigned
after it was placed), follow-ups on time and late, first responses.

All events are in March 2026, Berlin time: D1 = Mon 2 March, D2 = Tue 3, D3 = Wed 4.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zoneinfo
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from dms.tenancy.context import as_dealer, as_dealers
from inventory.models import VehicleModel
from leads.models import Lead, LeadSource, StageChange
from reports.models import MEASURES, KpiDay, KpiMonth, KpiRun
from reports.rollup import services
from reports.rollup.selectors import rolled_through
from sales import models as sales_models
from sales.models import Order
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

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
D1, D2, D3 = dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 3, 4)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


@dataclass
class Network:
    a: Any
    b: Any
    alice: Any
    bob: Any
    carol: Any
    leads: dict[str, Lead]
    orders: dict[str, Order]


def _walk(lead: Lead, moves: list[tuple[str, dt.datetime]], consultant: Any) -> None:
    before = ""
    for stage, when in moves:
        change = StageChange.objects.create(
            dealer_id=lead.dealer_id,
            lead=lead,
            from_stage=before,
            to_stage=stage,
            consultant=consultant,
        )
        StageChange.objects.filter(pk=change.pk).update(changed_at=when)
        before = stage
    Lead.objects.filter(pk=lead.pk).update(stage=before)


def _lead(dealer: Any, consultant: Any, source: str, model: str | None, created: dt.datetime):
    lead = LeadFactory(
        customer=CustomerFactory(dealer=dealer, owner=consultant),
        consultant=consultant,
        source=LeadSource.objects.get(code=source),
        vehicle_model=VehicleModel.objects.get(code=model) if model else None,
    )
    Lead.objects.filter(pk=lead.pk).update(created_at=created)
    lead.refresh_from_db()
    return lead


@pytest.fixture(name="net")
def net_fixture(db: Any) -> Network:
    ensure_reference_data()
    a, b = DealerFactory(code="RA"), DealerFactory(code="RB")
    alice = staff(a, "consultant", first_name="Alice", last_name="Able")
    bob = staff(a, "consultant", first_name="Bob", last_name="Baker")
    carol = staff(b, "consultant", first_name="Carol", last_name="Clark")
    with as_dealer(a):
        car = DemoVehicleFactory(dealer=a)  # an Aurora X4
        # L1: Alice's phone lead for an X4, all the way to an order on D3 ...
        l1 = _lead(a, alice, "phone", "X4", at(D1, 9))
        _walk(
            l1,
            [
                ("new", at(D1, 9)),
                ("contacted", at(D1, 10)),
                ("visited", at(D2, 11)),
                ("test_drive", at(D2, 12)),
                ("quote", at(D2, 15)),
                ("order", at(D3, 10)),
            ],
            alice,
        )
        Lead.objects.filter(pk=l1.pk).update(first_response_at=at(D1, 10))
        sales_models.TestDrive.objects.create(
            dealer=a,
            lead=l1,
            customer=l1.customer,
            vehicle=car,
            consultant=alice,
            starts_at=at(D2, 11, 45),
            ends_at=at(D2, 12, 45),
            status="done",
            returned_at=at(D2, 12, 40),
        )
        # ... a test drive that did not happen counts nothing
        sales_models.TestDrive.objects.create(
            dealer=a,
            lead=l1,
            customer=l1.customer,
            vehicle=car,
            consultant=alice,
            starts_at=at(D2, 16),
            ends_at=at(D2, 17),
            status="cancelled",
        )
        q1 = QuoteFactory(lead=l1, created_by=alice, status="accepted", sent_at=at(D2, 15))
        o1 = OrderFactory(quote=q1, consultant=alice, ordered_at=at(D3, 10))
        # ... and then Alice leaves: the open lead and the open order go to Bob (as the
        # handover does). The order stays Alice's sale.
        Lead.objects.filter(pk=l1.pk).update(consultant=bob)
        Order.objects.filter(pk=o1.pk, status="open").update(consultant=bob)
        # L2: Bob's walk-in lead opened late in the evening of D1 (22:30 UTC), lost on D2
        l2 = _lead(a, bob, "walk_in", None, at(D1, 23, 30))
        _walk(
            l2,
            [("new", at(D1, 23, 30)), ("contacted", at(D2, 9)), ("lost", at(D2, 17))],
            bob,
        )
        Lead.objects.filter(pk=l2.pk).update(first_response_at=at(D2, 9))
        # L3: Alice's lead with an order entered on D3 but backdated to D1, delivered on D3
        l3 = _lead(a, alice, "phone", "X4", at(D1, 8))
        _walk(
            l3,
            [
                ("new", at(D1, 8)),
                ("order", at(D3, 11)),
                ("delivered", at(D3, 17)),
            ],
            alice,
        )
        q3 = QuoteFactory(lead=l3, created_by=alice, status="accepted")  # never sent
        o3 = OrderFactory(
            quote=q3,
            consultant=alice,
            ordered_at=at(D1, 16),
            status="delivered",
            delivered_at=at(D3, 17),
        )
        Lead.objects.filter(pk=l3.pk).update(credited_to=alice, is_open=False, closed_at=at(D3, 17))
        # visitor log
        VisitFactory(
            customer=l1.customer,
            lead=l1,
            served_by=alice,
            kind="walk_in",
            vehicle_model=VehicleModel.objects.get(code="X4"),
            arrived_at=at(D1, 11),
        )
        VisitFactory(
            customer=l2.customer,
            served_by=bob,
            kind="phone",
            source=LeadSource.objects.get(code="phone"),
            arrived_at=at(D1, 14),
        )
        VisitFactory(customer=l2.customer, served_by=bob, arrived_at=at(D2, 23, 50))
        # follow-ups due on D2: Alice one on time, one late; Bob one never done
        FollowUpFactory(lead=l1, owner=alice, due_at=at(D2, 10), done_at=at(D2, 9, 30))
        FollowUpFactory(lead=l1, owner=alice, kind="cadence", due_at=at(D2, 14), done_at=at(D2, 16))
        FollowUpFactory(lead=l2, owner=bob, due_at=at(D2, 12))
    with as_dealer(b):
        lb = _lead(b, carol, "phone", None, at(D1, 10))
        _walk(lb, [("new", at(D1, 10))], carol)
        VisitFactory(customer=lb.customer, served_by=carol, arrived_at=at(D1, 10))
    return Network(
        a=a,
        b=b,
        alice=alice,
        bob=bob,
        carol=carol,
        leads={"l1": l1, "l2": l2, "l3": l3, "lb": lb},
        orders={"o1": o1, "o3": o3},
    )


MAIN = [m for m in MEASURES if m != "first_response_minutes"]


def facts(dealer: Any) -> dict[tuple[dt.date, str], dict[str, int]]:
    """Non-zero measures per (day, consultant's first name) of a dealer."""
    with as_dealer(dealer):
        rows = (
            KpiDay.objects.filter(dealer=dealer)
            .values("day", "consultant__first_name")
            .annotate(**{m: Sum(m) for m in MEASURES})
        )
        out: dict[tuple[dt.date, str], dict[str, int]] = {}
        for row in rows:
            key = (row["day"], row["consultant__first_name"] or "-")
            out[key] = {m: row[m] for m in MEASURES if row[m]}
        return out


def snapshot(*dealers: Any, with_id: bool = False) -> list[tuple[Any, ...]]:
    fields = ["dealer_id", "day", "consultant_id", "source_id", "vehicle_model_id", *MEASURES]
    if with_id:
        fields.insert(0, "id")
    with as_dealers([d.pk for d in dealers]):
        days = list(KpiDay.objects.order_by(*fields[:6]).values_list(*fields))
        months = list(
            KpiMonth.objects.order_by("dealer_id", "month", "vehicle_model_id").values_list(
                "dealer_id", "month", "vehicle_model_id", *MEASURES
            )
        )
    return days + months


def test_numbers_of_the_hand_computed_network(net: Network):
    run = services.rollup([net.a.pk, net.b.pk], D1, D3)
    assert run.rows > 0 and run.finished_at is not None and run.dealer_days == 6
    got = facts(net.a)
    assert got == {
        (D1, "Alice"): {
            "stage_new": 2,
            "leads_new": 2,
            "stage_contacted": 1,
            "visits": 1,
            "orders": 1,  # L3's order, backdated to D1: counted on D1, Alice's
            "first_responses": 1,
            "first_response_minutes": 60,
            # the cohort of D1: L1 got as far as Order, L3 (straight to Order) was delivered
            "cohort_contacted": 2,
            "cohort_visited": 2,
            "cohort_test_drive": 2,
            "cohort_quote": 2,
            "cohort_order": 2,
            "cohort_delivered": 1,
        },
        # 23:30 Berlin is still D1; L2 was contacted, then lost
        (D1, "Bob"): {
            "stage_new": 1,
            "leads_new": 1,
            "calls": 1,
            "cohort_contacted": 1,
            "cohort_lost": 1,
        },
        (D2, "Alice"): {
            "stage_visited": 1,
            "stage_test_drive": 1,
            "stage_quote": 1,
            "test_drives": 1,
            "quotes": 1,
            "followups_due": 2,
            "followups_on_time": 1,
        },
        (D2, "Bob"): {
            "stage_contacted": 1,
            "stage_lost": 1,
            "lost": 1,
            "visits": 1,
            "followups_due": 1,
            "first_responses": 1,
            "first_response_minutes": 570,
        },
        # L1's order stays Alice's although lead and open order went to Bob afterwards
        (D3, "Alice"): {"stage_order": 2, "orders": 1, "stage_delivered": 1, "deliveries": 1},
    }
    assert facts(net.b) == {
        (D1, "Carol"): {"stage_new": 1, "leads_new": 1, "visits": 1},
    }
    with as_dealer(net.a):
        # dimensions: leads by source, test drives by the car's model, orders by the sold model
        by_source = dict(
            KpiDay.objects.filter(dealer=net.a, leads_new__gt=0)
            .values_list("source__code")
            .annotate(n=Sum("leads_new"))
        )
        assert by_source == {"phone": 2, "walk_in": 1}
        assert KpiDay.objects.get(test_drives=1).vehicle_model.code == "X4"
        assert {r.vehicle_model.code for r in KpiDay.objects.filter(orders=1)} == {"A3"}
        month = KpiMonth.objects.filter(dealer=net.a, month=dt.date(2026, 3, 1))
        totals = month.aggregate(**{m: Sum(m) for m in MAIN})
    assert totals["orders"] == 2 and totals["deliveries"] == 1 and totals["leads_new"] == 3
    assert totals["followups_due"] == 3 and totals["followups_on_time"] == 1


def test_rerun_gives_identical_rows(net: Network):
    services.rollup(None, D1, D3)
    first = snapshot(net.a, net.b)
    with_ids = snapshot(net.a, net.b, with_id=True)
    services.rollup(None, D1, D3)
    assert snapshot(net.a, net.b, with_id=True) == with_ids  # unchanged rows are not rewritten
    services.rollup([net.a.pk], D2, D2)  # a sub-range of one dealer
    assert snapshot(net.a, net.b) == first
    with as_dealer(net.a):  # a fact row nothing produces any more (its event was deleted)
        KpiDay.objects.create(dealer=net.a, day=D2, consultant=net.carol, visits=5)
        KpiDay.objects.filter(dealer=net.a, day=D1, consultant=net.alice).update(visits=9)
    services.rollup(None, D1, D3)
    assert snapshot(net.a, net.b) == first  # the row is gone, the changed one corrected
    services.rollup(None, D1, D3, chunk=1)  # other chunking
    assert snapshot(net.a, net.b) == first


def test_one_dealer_rerun_leaves_the_other_dealer_alone(net: Network):
    services.rollup(None, D1, D3)
    before_b = snapshot(net.b, with_id=True)
    with as_dealer(net.b):
        VisitFactory(customer=net.leads["lb"].customer, served_by=net.carol, arrived_at=at(D1, 12))
    services.rollup([net.a.pk], D1, D3)
    assert snapshot(net.b, with_id=True) == before_b  # not even rewritten
    services.rollup([net.b.pk], D1, D1)
    assert facts(net.b)[(D1, "Carol")]["visits"] == 2


def test_facts_are_invisible_and_unwritable_across_dealers(net: Network):
    from django.db import DatabaseError, connection, transaction

    services.rollup(None, D1, D3)
    with as_dealer(net.b):
        assert not KpiDay.objects.filter(dealer=net.a).exists()
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO reports_kpiday (dealer_id, day, "  # noqa: S608
                + ", ".join(MEASURES)
                + ") VALUES (%s, %s, "
                + ", ".join(["0"] * len(MEASURES))
                + ")",
                [net.a.pk, D1 - dt.timedelta(days=1)],
            )


def test_nightly_picks_up_a_backdated_change_on_an_old_day(net: Network):
    services.rollup(None, D1, D3)
    assert rolled_through() == D3
    now = at(D3 + dt.timedelta(days=1), 3)
    services.nightly(now=now)  # yesterday (D3) again; nothing else to do
    settled = snapshot(net.a, net.b)
    # Late entries: a walk-in of D1 typed into the visitor log today, and L3's order date
    # corrected from D1 to D2.
    with as_dealer(net.a):
        VisitFactory(customer=net.leads["l2"].customer, served_by=net.bob, arrived_at=at(D1, 15))
        Order.objects.filter(pk=net.orders["o3"].pk).update(ordered_at=at(D2, 9))
    # (the old and new order dates, and its delivery day: all days the row is on)
    assert services.dirty_days([net.a.pk])[net.a.pk] == [D1, D2, D3]
    run = services.nightly(now=now)
    assert run.kind == "nightly" and run.dealer_days == 2 + 2  # D3 for both + D1, D2 of A
    got = facts(net.a)
    assert got[(D1, "Bob")]["visits"] == 1
    assert "orders" not in got[(D1, "Alice")] and got[(D2, "Alice")]["orders"] == 1
    assert services.dirty_days([net.a.pk]) == {}
    again = snapshot(net.a, net.b)
    services.nightly(now=now)
    assert snapshot(net.a, net.b) == again != settled
    assert rolled_through() == D3


def test_beat_task_twice_changes_nothing(net: Network):
    from dms.celery import app
    from reports.rollup.tasks import kpi_rollup_nightly

    assert app.conf.beat_schedule["reports-kpi-rollup"]["task"] == kpi_rollup_nightly.name
    services.rollup(None, D1, D3)
    kpi_rollup_nightly()
    first = snapshot(net.a, net.b)
    runs = KpiRun.objects.count()
    kpi_rollup_nightly()
    assert snapshot(net.a, net.b) == first
    assert KpiRun.objects.count() == runs + 1


def test_command_with_progress_and_bad_input(net: Network):
    out = io.StringIO()
    call_command(
        "kpi_rollup",
        "--from",
        str(D1),
        "--to",
        str(D3),
        "--dealer",
        "RA",
        "--chunk",
        "1",
        stdout=out,
    )
    text = out.getvalue()
    assert "[##############################] 1/1 chunks (1 of 1 dealers)" in text
    assert "KPI rollup 2026-03-02..2026-03-04: 3 dealer-day(s)" in text
    assert facts(net.a)[(D3, "Alice")]["orders"] == 1
    assert facts(net.b) == {}  # only RA was asked for
    runs = KpiRun.objects.count()
    for bad in (
        ["--from", "2026-03-05", "--to", "2026-03-01"],
        ["--from", "yesterday"],
        ["--from", str(D1), "--dealer", "NOPE"],
        ["--from", str(D1), "--jobs", "0"],
        [],
    ):
        with pytest.raises(CommandError):
            call_command("kpi_rollup", *bad, stdout=io.StringIO())
    assert KpiRun.objects.count() == runs  # nothing was run


def test_stage_change_snapshot_is_written_by_the_services(net: Network):
    from leads.services.leads import open_lead, record_activity

    with as_dealer(net.a):
        lead = open_lead(
            customer=CustomerFactory(dealer=net.a),
            source="phone",
            actor=net.bob,
            consultant=net.alice,
        )
        record_activity(lead=lead, actor=net.alice, kind="call", summary="Called back")
        Lead.objects.filter(pk=lead.pk).update(consultant=net.bob)  # reassigned later
        changes = list(
            StageChange.objects.filter(lead=lead)
            .order_by("id")
            .values_list("to_stage", "consultant_id")
        )
    assert changes == [("new", net.alice.pk), ("contacted", net.alice.pk)]


def test_rolled_through_needs_a_complete_run(net: Network):
    assert rolled_through() is None
    services.rollup(None, D2, D3)  # does not start at the beginning of the history
    assert rolled_through() is None
    services.rollup(None, D1, D1)
    assert rolled_through() == D1
    services.rollup(None, D2, D3)  # continues without a gap
    assert rolled_through() == D3
    services.rollup([net.a.pk], D3 + dt.timedelta(days=1), D3 + dt.timedelta(days=2))
    assert rolled_through() == D3  # one dealer's run does not speak for the network
    assert rolled_through(dealer_id=net.a.pk) == D3 + dt.timedelta(days=2)
    with pytest.raises(ValueError):
        services.rollup(None, D3, D1)


def test_a_day_marked_long_ago_is_recomputed_without_reading_the_time_between(net: Network):
    services.rollup(None, D1 - dt.timedelta(days=40), D3)
    now = at(D3 + dt.timedelta(days=1), 3)
    services.nightly(now=now)
    old_day = D1 - dt.timedelta(days=30)
    with as_dealer(net.a):  # a walk-in of a month ago, typed in today
        VisitFactory(
            customer=net.leads["l2"].customer, served_by=net.bob, arrived_at=at(old_day, 11)
        )
    windows = services._windows(
        [(net.a.pk, old_day), (net.a.pk, D3), (net.b.pk, D3), (net.a.pk, D2)]
    )
    assert [[day for _, day in window] for window in windows] == [[old_day], [D2, D3, D3]]
    run = services.nightly(now=now)
    # D3 of both dealers + the old day (D1's cohort rows, of L1 and L3 that moved on D3, are
    # rewritten, not the day)
    assert run.dealer_days == 3 and run.start == old_day
    assert facts(net.a)[(old_day, "Bob")] == {"visits": 1}
    assert facts(net.a)[(D3, "Alice")]["orders"] == 1  # the rest is untouched


@pytest.mark.django_db(transaction=True)
def test_chunks_on_parallel_connections_give_the_same_rows(net: Network, monkeypatch: Any):
    """The ranged and the nightly run with two chunks at once (each on its own connection: the
    data is committed here, so they see it) write exactly what one connection writes."""
    import threading

    threads: set[str] = set()
    chunk_of = services._rollup_chunk

    def spy(*args: Any) -> tuple[int, int]:
        threads.add(threading.current_thread().name)
        return chunk_of(*args)

    monkeypatch.setattr(services, "_rollup_chunk", spy)
    services.rollup(None, D1, D3, chunk=1, jobs=1)
    expected = snapshot(net.a, net.b)
    assert facts(net.b) == {(D1, "Carol"): {"stage_new": 1, "leads_new": 1, "visits": 1}}
    with as_dealers([net.a.pk, net.b.pk], write=True):
        KpiDay.objects.all().delete()
        KpiMonth.objects.all().delete()
    threads.clear()
    run = services.rollup(None, D1, D3, chunk=1, jobs=2)
    assert snapshot(net.a, net.b) == expected
    assert threads and all(name.startswith("kpi-rollup") for name in threads)
    with as_dealers([net.a.pk, net.b.pk]):
        assert run.rows == KpiDay.objects.count() > 0
    facts_of_a = facts(net.a)
    with as_dealer(net.b):  # a late walk-in at B, then the nightly run on two connections
        VisitFactory(customer=net.leads["lb"].customer, served_by=net.carol, arrived_at=at(D1, 12))
    services.nightly(now=at(D3 + dt.timedelta(days=1), 3), chunk=1, jobs=2)
    assert facts(net.b)[(D1, "Carol")]["visits"] == 2
    assert facts(net.a) == facts_of_a


def test_a_second_order_after_a_reopen_is_credited_alike_whatever_the_range(net: Network):
    """Alice's order was cancelled and the lead lost; Bob reopened it and placed a new order on
    D3. The new order is Bob's in a run over D1..D3 as in a run over D3 alone."""
    with as_dealer(net.a):
        lead = _lead(net.a, net.alice, "phone", None, at(D1, 8))
        _walk(lead, [("new", at(D1, 8)), ("order", at(D1, 12)), ("lost", at(D1, 15))], net.alice)
        first = OrderFactory(
            quote=QuoteFactory(lead=lead, created_by=net.alice, status="accepted"),
            consultant=net.alice,
            ordered_at=at(D1, 12),
        )
        Order.objects.filter(pk=first.pk).update(status="cancelled")
        reopened = StageChange.objects.create(
            dealer_id=net.a.pk, lead=lead, from_stage="lost", to_stage="order", consultant=net.bob
        )
        StageChange.objects.filter(pk=reopened.pk).update(changed_at=at(D3, 9))
        OrderFactory(
            quote=QuoteFactory(lead=lead, created_by=net.bob, status="accepted"),
            consultant=net.bob,
            ordered_at=at(D3, 9),
        )
    services.rollup(None, D1, D3)
    assert facts(net.a)[(D3, "Bob")]["orders"] == 1
    assert facts(net.a)[(D3, "Alice")]["orders"] == 1  # L1's order, as before
    services.rollup(None, D3, D3)
    assert facts(net.a)[(D3, "Bob")]["orders"] == 1


def test_nightly_after_a_long_pause_catches_up_step_by_step(net: Network):
    services.rollup(None, D1, D3)
    now = at(D3 + dt.timedelta(days=101), 3)  # 100 days without a nightly run
    run = services.nightly(now=now)
    assert run.through == D3 + dt.timedelta(days=services.MAX_CATCH_UP_DAYS)
    assert rolled_through() == run.through  # not beyond what was computed
    run = services.nightly(now=now)
    assert run.through == D3 + dt.timedelta(days=100) == rolled_through()


def test_earliest_day_is_the_first_local_day_of_funnel_history(net: Network):
    assert services.earliest_day([net.a.pk, net.b.pk]) == D1
    with as_dealer(net.b):  # B's first lead, opened at 00:30 Berlin on D1: 23:30 UTC the day before
        first = StageChange.objects.get(lead=net.leads["lb"], to_stage="new")
        StageChange.objects.filter(pk=first.pk).update(changed_at=at(D1, 0, 30))
    assert services.earliest_day([net.b.pk]) == D1
    with as_dealer(net.b):
        StageChange.objects.filter(pk=first.pk).update(
            changed_at=at(D1, 0, 30) - dt.timedelta(hours=1)
        )
    assert services.earliest_day([net.a.pk, net.b.pk]) == D1 - dt.timedelta(days=1)
    assert services.earliest_day([]) is None
    assert services.earliest_day([DealerFactory().pk]) is None  # no history


def test_a_rerun_writes_the_differences_by_key_without_temporary_tables(net: Network):
    """Citus: no temporary table feeds a write, every write of the facts names its dealers."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.rollup(None, D1, D3)
    before = {row[1:7]: row[0] for row in snapshot(net.a, net.b, with_id=True)[:-2] if row[0]}
    with as_dealer(net.a):
        KpiDay.objects.create(dealer=net.a, day=D2, consultant=net.carol, visits=5)  # to delete
        VisitFactory(  # a new row (Carol never served at A) and a changed one (Alice on D1)
            customer=net.leads["l1"].customer, served_by=net.alice, arrived_at=at(D1, 16)
        )
        VisitFactory(customer=net.leads["l2"].customer, served_by=net.carol, arrived_at=at(D3, 9))
    with CaptureQueriesContext(connection) as queries:
        run = services.rollup(None, D1, D3)
    statements = [q["sql"] for q in queries.captured_queries]
    assert not [s for s in statements if "TEMP" in s.upper() or "LATERAL" in s.upper()]
    facts_write = re.compile(
        r"(INSERT INTO|UPDATE|DELETE FROM) reports_kpi(day|month|funnelmonth)\b"
    )
    writes = [s for s in statements if facts_write.search(s)]
    # every UPDATE / DELETE and INSERT ... SELECT names its dealers (an INSERT ... VALUES
    # carries each row's dealer)
    assert len(writes) >= 5, writes
    assert all("dealer_id = ANY(" in s for s in writes if " VALUES " not in s), writes
    after = snapshot(net.a, net.b, with_id=True)
    with as_dealers([net.a.pk, net.b.pk]):
        assert run.rows == KpiDay.objects.count()
    got = facts(net.a)
    assert got[(D1, "Alice")]["visits"] == 2 and got[(D3, "Carol")] == {"visits": 1}
    assert (D2, "Carol") not in got
    # every row that was there and still is keeps its id
    kept = {row[1:7]: row[0] for row in after if row[0] and row[1:7] in before}
    assert kept and all(before[key] == kept[key] for key in kept)
