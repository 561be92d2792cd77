"""The nightly KPI rollup with other connections at work: two runs at once (the beat's task
redelivered while the first still runs) and a write committed while a run computes its day."""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.db.models import Sum

from dms.kpi import dirty
from dms.tenancy.context import as_dealer, as_dealers
from reports.models import MEASURES, KpiDay, KpiDirtyDay
from reports.rollup import services
from tests.factories import CustomerFactory, DealerFactory, VisitFactory, staff
from tests.leads._funnel import ensure_reference_data

from ._race import Race, kinds, point_after, racing

pytestmark = pytest.mark.django_db(transaction=True)

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
D1, D3, D4 = dt.date(2026, 3, 2), dt.date(2026, 3, 4), dt.date(2026, 3, 5)


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)


NIGHT = at(D4, 3)  # the nightly run of D4: yesterday is D3


@pytest.fixture(autouse=True)
def _night() -> Any:
    with time_machine.travel(NIGHT, tick=True):
        yield


def _dealer() -> tuple[Any, Any]:
    ensure_reference_data()
    dealer = DealerFactory(timezone="Europe/Berlin")
    return dealer, staff(dealer, "consultant", first_name="Alice", last_name="Able")


def _visit(dealer: Any, served_by: Any, when: dt.datetime) -> None:
    VisitFactory(customer=CustomerFactory(dealer=dealer), served_by=served_by, arrived_at=when)


def _snapshot(dealer: Any) -> list[tuple[Any, ...]]:
    fields = ["day", "consultant_id", "source_id", "vehicle_model_id", *MEASURES]
    with as_dealers([dealer.pk]):
        return list(KpiDay.objects.filter(dealer=dealer).order_by(*fields).values_list(*fields))


def _visits_on(dealer: Any, day: dt.date) -> int:
    with as_dealer(dealer):
        return KpiDay.objects.filter(dealer=dealer, day=day).aggregate(n=Sum("visits"))["n"] or 0


def _forget_marks(dealer: Any) -> None:
    with as_dealer(dealer):
        KpiDirtyDay.objects.filter(dealer=dealer).delete()


def _nightly(dealer: Any) -> Any:
    return lambda: services.nightly(now=NIGHT, dealer_ids=[dealer.pk], jobs=1).rows


def test_two_nightly_runs_at_once_give_the_facts_of_one(monkeypatch: pytest.MonkeyPatch) -> None:
    def scenario(race: Race) -> dict[str, Any]:
        dealer, alice = _dealer()
        with as_dealer(dealer):
            for when in (at(D1, 10), at(D3, 10), at(D3, 15)):
                _visit(dealer, alice, when)
        services.rollup([dealer.pk], D1, dt.date(2026, 3, 3), jobs=1)  # complete up to D3
        _forget_marks(dealer)  # nothing late: the night's work is D3
        # the day's old facts deleted, the new ones about to be inserted
        point_after(monkeypatch, services, "insert_days_sql", race)
        outcomes = race.run({"beat": _nightly(dealer), "redelivered": _nightly(dealer)})
        raced = _snapshot(dealer)
        services.nightly(now=NIGHT, dealer_ids=[dealer.pk], jobs=1)  # one run, alone
        return {"outcomes": outcomes, "raced": raced, "alone": _snapshot(dealer), "dealer": dealer}

    with racing() as race:
        held = scenario(race)
    monkeypatch.setattr(services, "_lock_facts", lambda *args: None)  # the lock removed
    with racing() as race:
        removed = scenario(race)

    assert kinds(held["outcomes"]) == ["ok", "ok"], held["outcomes"]
    assert held["raced"] == held["alone"] != []
    assert _visits_on(held["dealer"], D3) == 2
    # without the lock both insert the same day's facts: the second run fails on the key
    assert kinds(removed["outcomes"]) == ["error", "ok"], removed["outcomes"]
    assert "kpi_day_key" in next(o.value for o in removed["outcomes"].values() if not o.ok)


@pytest.mark.parametrize("marked", [True, False], ids=["day already marked", "day not marked"])
def test_a_write_during_the_nightly_run_is_counted_or_left_marked_never_lost(
    monkeypatch: pytest.MonkeyPatch, marked: bool
) -> None:
    """A walk-in of D1 is typed in late, in a transaction still open when the nightly run
    starts (the run sees nothing of it yet). D1 may already be marked by an earlier late entry
    (the write then finds its mark there) or not. The write marks its day holding the dealer's
    facts lock shared, the run takes it exclusively: without either lock the entry is missed."""

    def scenario(race: Race) -> dict[str, Any]:
        dealer, alice = _dealer()
        with as_dealer(dealer):
            _visit(dealer, alice, at(D1, 10))
        services.rollup([dealer.pk], D1, D3, jobs=1)  # complete up to D3
        _forget_marks(dealer)
        if marked:
            with as_dealer(dealer):
                _visit(dealer, alice, at(D1, 11))  # an earlier late entry: D1 is marked
        written = threading.Event()

        def late_entry() -> None:
            with as_dealer(dealer), transaction.atomic():
                _visit(dealer, alice, at(D1, 16))
                written.set()
                race.point()  # commit once the run is done or waits for this transaction

        def nightly() -> Any:
            assert written.wait(15)
            return _nightly(dealer)()

        outcomes = race.run({"late entry": late_entry, "nightly": nightly})
        return {
            "outcomes": outcomes,
            "counted": _visits_on(dealer, D1),
            "marked": D1 in services.dirty_days([dealer.pk]).get(dealer.pk, []),
        }

    expected = 3 if marked else 2
    with racing() as race:
        held = scenario(race)
    assert kinds(held["outcomes"]) == ["ok", "ok"], held["outcomes"]
    # the run waited for the open write and counted it
    assert (held["counted"], held["marked"]) == (expected, False)

    def unshared(days: Any) -> str:  # the marks without the write's shared lock
        return original(days).split("; ", 1)[1]

    original = dirty._marks_sql
    assert original([(1, D1)]).startswith("SELECT pg_advisory_xact_lock_shared(5003, 1); ")
    with monkeypatch.context() as patched:
        patched.setattr(dirty, "_marks_sql", unshared)  # the write's lock removed
        with racing() as race:
            writer_unlocked = scenario(race)
    monkeypatch.setattr(services, "_lock_facts", lambda *args: None)  # the run's lock removed
    with racing() as race:
        run_unlocked = scenario(race)
    for removed in (writer_unlocked, run_unlocked):
        assert kinds(removed["outcomes"]) == ["ok", "ok"], removed["outcomes"]
        assert removed["counted"] == expected - 1  # the run did not wait: it missed the entry
        # ... and only an unmarked day keeps the write's own mark: a marked day's write is lost
        assert removed["marked"] is not marked
