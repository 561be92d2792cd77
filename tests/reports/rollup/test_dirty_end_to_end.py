"""Late and backdated changes made through the real services, then the nightly run: the facts
equal a full recompute. The days are marked by the code (dms.kpi.dirty), not by triggers:
with the marks dropped the same night leaves the facts wrong, so the test rests on them.

The dealer is in Los Angeles (UTC-8 in January): most events are in the evening, already the
next day in UTC. January 2027:
- Mon 11 19:30 Alice: walk-in, new customer Rui, X4 -> lead L1, 1 visit
- Tue 12 18:30 Alice: test drive of L1, back 19:30; Wed 13 20:00 quote sent; Thu 14 accepted;
  Fri 15 17:00 ordered; Mon 25 paid in full, checklist done
- Wed 20 21:00 Bob: call from Ana, new customer -> lead L2
- Thu 21 20:30 web lead L3 for Bob (first response due)
The first nightly run (Wed 27, 04:00) computes the history up to Tue 26. On Wed 27, late:
- the delivery of L1's car, made on Tue 26 at 21:30, is recorded (backdated: its day, the lead's
  stage change and credit);
- Ana's walk-in of Thu 21 at 19:00 is typed into the visitor log, for an A3 (L2 gets its model:
  L2's earlier days move model);
- Bob logs the call he made to L3 on Fri 22 at 09:00 (first response, follow-up done on time);
- L3 is given to Alice by the sales manager.
The second nightly run (Thu 28, 04:00) recomputes Wed 27 and the marked days.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from dealers.models import Dealer
from dms.kpi import dirty
from dms.tenancy.context import as_dealer
from inventory.models import Trim, VehicleModel
from leads.models import Lead, Visit
from leads.services.customers import register_contact
from leads.services.leads import reassign_lead, receive_lead, record_activity
from reports.models import MEASURES, KpiDay, KpiFunnelMonth, KpiMonth
from reports.rollup import services
from reports.rollup.selectors import rolled_through
from sales import services as sales
from tests.factories import DealerFactory, staff
from tests.leads._funnel import ensure_reference_data

pytestmark = pytest.mark.django_db

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
LAST_HISTORY_DAY = dt.date(2027, 1, 26)


def la(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2027, 1, day, hour, minute, tzinfo=LA)


def clock(moment: dt.datetime) -> Any:
    return time_machine.travel(moment, tick=False)


def night(day: int) -> dt.datetime:
    return la(day, 4)


def facts(dealer: Dealer) -> list[tuple[Any, ...]]:
    keys = ["day", "consultant_id", "source_id", "vehicle_model_id"]
    with as_dealer(dealer):
        days = KpiDay.objects.order_by(*keys).values_list(*keys, *MEASURES)
        months = KpiMonth.objects.order_by("month", "vehicle_model_id").values_list(
            "month", "vehicle_model_id", *MEASURES
        )
        funnel = KpiFunnelMonth.objects.order_by(
            "month", "consultant_id", "source_id", "vehicle_model_id"
        ).values_list("month", "consultant_id", "source_id", "vehicle_model_id", "stage_new")
        return [("day", *r) for r in days] + [("month", *r) for r in months] + list(funnel)


def _history(dealer: Dealer, manager: Any, alice: Any, bob: Any) -> Any:
    x4 = VehicleModel.objects.get(code="X4")
    with clock(la(4, 9)):
        car = sales.create_demo_vehicle(
            dealer=dealer,
            actor=manager,
            vehicle_model=x4,
            trim=Trim.objects.get(code="X4-AWD"),
            vin="AURX4DEMA00000011",
            plate="LA-01-01",
            odometer_km=1200,
        )
    with clock(la(11, 19, 30)):
        lead = register_contact(
            dealer=dealer,
            actor=alice,
            kind=Visit.Kind.WALK_IN,
            source_code="walk_in",
            first_name="Rui",
            last_name="Medeiros",
            phone="+351 912 345 678",
            vehicle_model=x4,
            outcome=Visit.Outcome.INFO,
        ).lead
    with clock(la(12, 18, 30)):
        drive = sales.book_test_drive(
            lead=lead, vehicle=car, starts_at=la(12, 18, 30), ends_at=la(12, 19, 30), actor=alice
        )
        sales.check_out_test_drive(
            test_drive=drive,
            actor=alice,
            licence_number="PT-12345678",
            licence_checked=True,
            consent=True,
            km_out=1200,
            walk_around=True,
        )
    with clock(la(12, 19, 30)):
        sales.check_in_test_drive(test_drive=drive, actor=alice, km_in=1232, outcome="Good")
    with clock(la(13, 20)):
        quote = sales.create_quote(
            lead=lead, actor=alice, spec=sales.QuoteSpec(trim=Trim.objects.get(code="X4-AWD"))
        )
        sales.send_quote(quote=quote, actor=alice)
    with clock(la(14, 16)):
        sales.accept_quote(quote=quote, actor=alice)
    with clock(la(15, 17)):
        deposit = Decimal("2000.00")
        order = sales.create_order(
            quote=quote,
            actor=alice,
            deposit_required=deposit,
            expected_delivery=dt.date(2027, 1, 29),
            vin="AURX4CUST0000001A",
            deposit_paid=deposit,
        ).obj
    with clock(la(20, 21)):
        register_contact(
            dealer=dealer,
            actor=bob,
            kind=Visit.Kind.PHONE,
            source_code="phone",
            first_name="Ana",
            last_name="Furtado",
            phone="+351 913 456 789",
            outcome=Visit.Outcome.INFO,
        )
    with clock(la(21, 20, 30)):
        receive_lead(
            dealer=dealer,
            actor=manager,
            source="web",
            consultant=bob,
            contact={"first_name": "Tiago", "last_name": "Nunes", "email": "tiago@example.com"},
            vehicle_model=VehicleModel.objects.get(code="E1"),
        )
    with clock(la(25, 10)):
        sales.record_payment(
            order=order, actor=alice, kind="balance", amount=sales.order_balance(order)
        )
        sales.set_checklist(order=order, actor=manager, done=[c for c, _l in sales.CHECKLIST_ITEMS])
    return order


def _late_changes(dealer: Dealer, manager: Any, alice: Any, bob: Any, order: Any) -> None:
    with clock(la(27, 10)):
        sales.deliver_order(order=order, actor=alice, at=la(26, 21, 30))
    with clock(la(27, 11)):
        register_contact(
            dealer=dealer,
            actor=bob,
            kind=Visit.Kind.WALK_IN,
            source_code="walk_in",
            first_name="Ana",
            last_name="Furtado",
            phone="+351 913 456 789",
            vehicle_model=VehicleModel.objects.get(code="A3"),
            arrived_at=la(21, 19),
            outcome=Visit.Outcome.INFO,
        )
    web = Lead.objects.get(source__code="web")
    with clock(la(27, 12)):
        record_activity(lead=web, actor=bob, kind="call", summary="Called back", at=la(22, 9))
    with clock(la(27, 13)):
        reassign_lead(lead=Lead.objects.get(pk=web.pk), to=alice, actor=manager, reason="leave")


@pytest.mark.parametrize("marks", ["kept", "dropped"])
def test_nightly_after_late_changes_equals_a_full_recompute(
    monkeypatch: pytest.MonkeyPatch, marks: str
) -> None:
    ensure_reference_data()
    dealer = DealerFactory(code="LA01", country="PT", timezone="America/Los_Angeles")
    manager = staff(dealer, "sales_manager")
    alice = staff(dealer, "consultant", first_name="Alice")
    bob = staff(dealer, "consultant", first_name="Bob")
    with as_dealer(dealer):
        order = _history(dealer, manager, alice, bob)
    with clock(night(27)):  # the first run: the whole history (its marks stay) ...
        services.nightly(dealer_ids=[dealer.pk])
        services.nightly(dealer_ids=[dealer.pk])  # ... for the next run: none left
    assert services.dirty_days([dealer.pk]) == {}
    assert rolled_through(dealer_id=dealer.pk) == LAST_HISTORY_DAY
    before = facts(dealer)

    with monkeypatch.context() as patched:
        if marks == "dropped":
            patched.setattr(dirty, "_write", lambda *args: 0)
        with as_dealer(dealer):
            _late_changes(dealer, manager, alice, bob, order)
    marked = services.dirty_days([dealer.pk]).get(dealer.pk, [])
    with clock(night(28)):
        run = services.nightly(dealer_ids=[dealer.pk])
    nightly = facts(dealer)

    first = dt.date(2027, 1, 11)
    with clock(night(28)):
        services.rollup([dealer.pk], first, dt.date(2027, 1, 27))  # everything recomputed
    recomputed = facts(dealer)

    def history(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [r for r in rows if r[0] == "day" and r[1] <= LAST_HISTORY_DAY]

    # the late changes moved the facts of days of the history
    assert history(recomputed) != history(before)
    if marks == "kept":
        # the delivery day, the late walk-in, L2's earlier call (its model), L3's call
        assert {dt.date(2027, 1, d) for d in (20, 21, 22, 26)} <= set(marked)
        past = {day for day in marked if day <= dt.date(2027, 1, 27)}  # (not the calls to come)
        assert run.dealer_days == len(past | {dt.date(2027, 1, 27)})
        assert nightly == recomputed
    else:
        assert marked == []
        assert nightly != recomputed  # the marks are what brings the old days up to date
        # (the cohort measures of an opening day follow its leads' stage changes on the days the
        # run recomputes, marked or not: compared without them)
        assert without_cohorts(history(nightly)) == without_cohorts(history(before))


def without_cohorts(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    keep = [i for i, m in enumerate(MEASURES, start=5) if not m.startswith("cohort_")]
    return [(*r[:5], *(r[i] for i in keep)) for r in rows]


def test_the_end_to_end_story_counts_where_expected() -> None:
    """The premise: the late changes land on the days the docstring says (facts recomputed)."""
    ensure_reference_data()
    dealer = DealerFactory(code="LA02", country="PT", timezone="America/Los_Angeles")
    manager = staff(dealer, "sales_manager")
    alice = staff(dealer, "consultant", first_name="Alice")
    bob = staff(dealer, "consultant", first_name="Bob")
    with as_dealer(dealer):
        order = _history(dealer, manager, alice, bob)
        _late_changes(dealer, manager, alice, bob, order)
    services.rollup([dealer.pk], dt.date(2027, 1, 11), dt.date(2027, 1, 27))
    with as_dealer(dealer):
        rows = KpiDay.objects.filter(dealer=dealer)

        def on(day: int, measure: str) -> int:
            return sum(getattr(r, measure) for r in rows.filter(day=dt.date(2027, 1, day)))

        total: Callable[[str], int] = lambda m: sum(getattr(r, m) for r in rows)  # noqa: E731
        assert on(26, "deliveries") == 1 and on(27, "deliveries") == 0
        assert on(21, "visits") == 1 and on(11, "visits") == 1
        assert on(22, "first_responses") == 1
        assert on(12, "test_drives") == 1 and on(13, "quotes") == 1 and on(15, "orders") == 1
        assert total("leads_new") == 3 and total("calls") == 1
        a3 = VehicleModel.objects.get(code="A3")
        assert rows.filter(day=dt.date(2027, 1, 20), leads_new=1).get().vehicle_model == a3
