"""Payments, delivery and quote versions with two connections at once. Each test races twice:
with the service's row locks (the business rule holds) and with every select_for_update turned
into a plain read (the rule breaks: proof that the test depends on the lock)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from dealers.clock import dealer_today
from dms.tenancy.context import as_dealer
from leads.models import FollowUp, Lead, Stage, TimelineEvent
from sales import services
from sales.models import Order, Payment, Quote
from sales.services import orders as order_services
from sales.services import quotes as quote_services
from tests.sales.conftest import Showroom, make_showroom, quote_spec

from ._race import Outcome, Race, kinds, point_after, racing, with_and_without_locks

pytestmark = pytest.mark.django_db(transaction=True)

VIN = "WAUZZZ8V0KA123456"


def _order(room: Showroom, *, paid: str, ready: bool = False) -> Order:
    """An open order of an Aurora 3 Core (EUR 21,490.00) with `paid` received as deposit."""
    lead = room.lead(stage=Stage.QUOTE)
    quote = room.quote(lead)
    with as_dealer(room.dealer):
        services.send_quote(quote=quote, actor=room.alice)
        services.accept_quote(quote=quote, actor=room.alice)
        order = services.create_order(
            quote=quote,
            actor=room.alice,
            deposit_required=Decimal("2000"),
            deposit_paid=Decimal(paid),
            expected_delivery=dealer_today(room.dealer) + dt.timedelta(days=7),
            vin=VIN,
        ).obj
        if ready:
            services.set_checklist(
                order=order, actor=room.alice, done=["pdi_done", "documents", "handover_prep"]
            )
    return order


def _in_dealer(room: Showroom, work: Callable[[], Any]) -> Callable[[], Any]:
    def call() -> Any:
        with as_dealer(room.dealer):
            return work()

    return call


def _refused(outcomes: dict[str, Outcome]) -> list[str]:
    [refused] = [o for o in outcomes.values() if o.kind == "refused"]
    return refused.messages


def test_two_payments_that_together_exceed_the_balance_one_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def scenario(race: Race) -> tuple[dict[str, Outcome], Decimal, int]:
        room = make_showroom()
        order = _order(room, paid="2000")  # open balance: EUR 19,490.00
        point_after(monkeypatch, order_services, "order_balance", race)

        def pay(actor: Any) -> Callable[[], Any]:
            return _in_dealer(
                room,
                lambda: (
                    services.record_payment(
                        order=Order.objects.get(pk=order.pk),
                        actor=actor,
                        kind="balance",
                        amount="15000",
                    ).obj.pk
                ),
            )

        outcomes = race.run({"alice": pay(room.alice), "maria": pay(room.manager)})
        with as_dealer(room.dealer):
            paid = services.order_paid(Order.objects.get(pk=order.pk))
            return outcomes, paid, Payment.objects.filter(order=order).count()

    (outcomes, paid, payments), (unlocked, overpaid, _n) = with_and_without_locks(
        monkeypatch, scenario
    )

    assert kinds(outcomes) == ["ok", "refused"], outcomes
    assert _refused(outcomes) == ["This is more than the open balance (EUR 4,490.00)."]
    assert paid == Decimal("17000.00") and payments == 2  # the deposit and one balance payment
    # without the lock both read the same balance: the EUR 21,490.00 car is overpaid
    assert kinds(unlocked) == ["ok", "ok"] and overpaid == Decimal("32000.00"), unlocked


def test_two_deliveries_of_one_order_hand_the_car_over_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def scenario(race: Race) -> tuple[dict[str, Outcome], Order, Any, int, int]:
        room = make_showroom()
        order = _order(room, paid="21490", ready=True)
        point_after(monkeypatch, order_services, "delivery_blockers", race)

        def deliver(actor: Any) -> Callable[[], Any]:
            return _in_dealer(
                room,
                lambda: (
                    services.deliver_order(
                        order=Order.objects.get(pk=order.pk), actor=actor
                    ).delivered_by_id
                ),
            )

        outcomes = race.run({"alice": deliver(room.alice), "maria": deliver(room.manager)})
        with as_dealer(room.dealer):
            order.refresh_from_db()
            lines = TimelineEvent.objects.filter(lead=order.lead_id, kind="delivered").count()
            calls = FollowUp.objects.filter(
                lead=order.lead_id, kind=FollowUp.Kind.AFTER_DELIVERY
            ).count()
        return outcomes, order, room, lines, calls

    (outcomes, order, room, lines, calls), unlocked = with_and_without_locks(monkeypatch, scenario)

    assert kinds(outcomes) == ["ok", "refused"], outcomes
    assert _refused(outcomes) == ["This order is “Delivered”."]
    [winner] = [o.value for o in outcomes.values() if o.ok]
    assert order.status == Order.Status.DELIVERED and order.delivered_by_id == winner
    assert winner in {room.alice.pk, room.manager.pk}
    assert lines == 1 and calls == 2  # one handover; the 3- and 30-day calls once each
    # without the lock both hand the car over: two timeline lines, every call planned twice
    assert kinds(unlocked[0]) == ["ok", "ok"], unlocked[0]
    assert unlocked[3:] == (2, 4)


def test_two_revisions_of_a_sent_quote_one_new_version_the_other_is_told_to_reload(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def scenario(race: Race) -> tuple[dict[str, Outcome], Quote, list[Quote]]:
        room = make_showroom()
        lead = room.lead(stage=Stage.QUOTE)
        quote = room.quote(lead)
        with as_dealer(room.dealer):
            services.send_quote(quote=quote, actor=room.alice)
        point_after(monkeypatch, quote_services, "_next_version", race)

        def revise(actor: Any, discount: str) -> Callable[[], Any]:
            return _in_dealer(
                room,
                lambda: (
                    services.update_quote(
                        quote=Quote.objects.get(pk=quote.pk),
                        actor=actor,
                        spec=quote_spec(discount=discount),
                    ).version
                ),
            )

        outcomes = race.run(
            {"alice": revise(room.alice, "100"), "maria": revise(room.manager, "200")}
        )
        with as_dealer(room.dealer):
            return outcomes, quote, list(Quote.objects.filter(lead=lead).order_by("version"))

    (outcomes, quote, rows), (unlocked, _q, _rows) = with_and_without_locks(monkeypatch, scenario)

    assert kinds(outcomes) == ["ok", "refused"], outcomes
    assert _refused(outcomes) == ["This quote changed meanwhile: reload the page."]
    assert [o.value for o in outcomes.values() if o.ok] == [2]
    assert [(q.version, q.status) for q in rows] == [(1, "superseded"), (2, "draft")]
    assert rows[1].supersedes_id == quote.pk
    # without the lock both branch from version 1 and collide on number 2: a server error
    assert kinds(unlocked) == ["error", "ok"], unlocked
    assert "quote_version_unique" in next(o.value for o in unlocked.values() if not o.ok)


def test_two_new_quotes_of_one_lead_at_once_get_distinct_versions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def scenario(race: Race) -> tuple[dict[str, Outcome], list[int]]:
        room = make_showroom()
        lead = room.lead(stage=Stage.QUOTE)
        point_after(monkeypatch, quote_services, "_next_version", race)

        def create(actor: Any, trim: str) -> Callable[[], Any]:
            return _in_dealer(
                room,
                lambda: (
                    services.create_quote(
                        lead=Lead.objects.get(pk=lead.pk), actor=actor, spec=quote_spec(trim=trim)
                    ).version
                ),
            )

        outcomes = race.run(
            {"alice": create(room.alice, "A3-CORE"), "maria": create(room.manager, "X4-AWD")}
        )
        with as_dealer(room.dealer):
            versions = Quote.objects.filter(lead=lead).values_list("version", flat=True)
            return outcomes, sorted(versions)

    (outcomes, versions), (unlocked, unlocked_versions) = with_and_without_locks(
        monkeypatch, scenario
    )

    assert kinds(outcomes) == ["ok", "ok"], outcomes
    assert sorted(o.value for o in outcomes.values()) == versions == [1, 2]
    # without the lock both number their quote 1: the second fails on the unique version
    assert kinds(unlocked) == ["error", "ok"] and unlocked_versions == [1], unlocked


def test_a_refund_racing_the_delivery_never_leaves_a_delivered_car_unpaid(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The delivery holds the order's lock (it found nothing open); a refund started meanwhile
    waits for it and must then see the delivered order, not the open one it read before.
    (Before the status was checked again under the lock, the refund went through: checked by
    removing that check.)"""
    room = make_showroom()
    order = _order(room, paid="21490", ready=True)
    delivering = threading.Event()
    original = services.delivery_blockers

    with racing() as race:

        def blockers_then_wait(order: Order) -> list[str]:
            found = original(order)
            delivering.set()
            race.point()  # until the refund waits for the order's lock
            return found

        monkeypatch.setattr(order_services, "delivery_blockers", blockers_then_wait)

        def deliver() -> Any:
            return services.deliver_order(order=Order.objects.get(pk=order.pk), actor=room.alice)

        def refund() -> Any:
            current = Order.objects.get(pk=order.pk)  # still open
            assert delivering.wait(15)
            return services.record_payment(
                order=current, actor=room.manager, kind="refund", amount="1000"
            )

        outcomes = race.run(
            {"delivery": _in_dealer(room, deliver), "refund": _in_dealer(room, refund)}
        )

    assert outcomes["delivery"].ok, outcomes
    assert outcomes["refund"].kind == "refused", outcomes
    assert outcomes["refund"].messages == ["This order is “Delivered”: it cannot change."]
    with as_dealer(room.dealer):
        order.refresh_from_db()
        assert order.status == Order.Status.DELIVERED
        assert services.order_balance(order) == Decimal("0.00")
        assert not Payment.objects.filter(order=order, kind="refund").exists()
