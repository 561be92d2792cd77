"""Reminders before the deadline and escalation after it, through the beat task, with frozen
time: each goes out once per person and round, never to who has acknowledged."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import time_machine

from bulletins import services, tasks
from dms.tenancy.context import as_dealer, as_dealers
from leads.models import Notification

from .conftest import NOW, Network, make_bulletin

pytestmark = pytest.mark.django_db

DEADLINE = NOW + dt.timedelta(days=5)


def sent(net: Network) -> Counter[tuple[str, str, str]]:
    """(kind, dealer code, username) → how many notifications."""
    codes = {d.pk: c for c, d in net.dealers.items()}
    with as_dealers(net.dealers.values()):
        rows = Notification.objects.filter(kind__startswith="bulletin_").values_list(
            "kind", "dealer_id", "user__username"
        )
        return Counter((kind, codes[d], u) for kind, d, u in rows)


def run_beat(net: Network) -> None:
    """What beat does: the per-dealer task for every active dealer (called directly)."""
    for code in "ABCD":
        tasks.send_ack_reminders(dealer_id=net.dealers[code].pk)


def test_reminder_48_hours_before_then_escalation_each_once(
    network: Network, frozen: time_machine.Coordinates
) -> None:
    bulletin = make_bulletin(
        network,
        title="Brake recall",
        category="recall",
        dealers=[network.dealers["A"]],
        roles=["service_advisor", "parts_clerk"],
        requires_ack=True,
        ack_deadline=DEADLINE,
    )
    with as_dealer(network.dealers["A"]):
        services.acknowledge(user=network.who("A", "parts_clerk"), bulletin=bulletin)

    frozen.move_to(DEADLINE - dt.timedelta(hours=49))  # not yet
    run_beat(network)
    assert sent(network) == Counter()

    frozen.move_to(DEADLINE - dt.timedelta(hours=47))
    run_beat(network)
    run_beat(network)  # beat again: nobody twice
    assert sent(network) == Counter({("bulletin_ack_due", "A", "a_service_advisor"): 1})
    with as_dealer(network.dealers["A"]):
        text = Notification.objects.get(kind="bulletin_ack_due").text
    assert "Brake recall" in text

    frozen.move_to(DEADLINE + dt.timedelta(minutes=1))
    run_beat(network)
    run_beat(network)
    assert sent(network) == Counter(
        {
            ("bulletin_ack_due", "A", "a_service_advisor"): 1,
            ("bulletin_ack_overdue", "A", "a_service_advisor"): 1,
            ("bulletin_ack_escalated", "A", "a_dealer_manager"): 1,
        }
    )
    with as_dealer(network.dealers["A"]):
        escalation = Notification.objects.get(kind="bulletin_ack_escalated")
    assert "A Service Advisor" in escalation.text and "Brake recall" in escalation.text


def test_a_reacknowledgement_round_reminds_again_and_withdrawal_stops_it(
    network: Network, frozen: time_machine.Coordinates
) -> None:
    bulletin = make_bulletin(
        network,
        dealers=[network.dealers["B"]],
        roles=["consultant"],
        requires_ack=True,
        ack_deadline=DEADLINE,
    )
    frozen.move_to(DEADLINE - dt.timedelta(hours=1))
    run_beat(network)
    with as_dealer(network.dealers["B"]):
        services.acknowledge(user=network.who("B", "consultant"), bulletin=bulletin)
    services.revise(
        bulletin=bulletin,
        actor=network.admin,
        title="v2",
        body="new",
        requires_reack=True,
        ack_deadline=DEADLINE + dt.timedelta(days=1),
    )
    run_beat(network)
    assert sent(network) == Counter({("bulletin_ack_due", "B", "b_consultant"): 2})
    services.withdraw(bulletin=bulletin, actor=network.admin)
    frozen.move_to(DEADLINE + dt.timedelta(days=2))
    run_beat(network)
    assert sent(network)[("bulletin_ack_overdue", "B", "b_consultant")] == 0


def test_without_a_dealer_manager_the_escalation_goes_to_the_dealer_admin(
    network: Network, frozen: time_machine.Coordinates
) -> None:
    from dealers.models import Membership
    from tests.factories import staff

    Membership.objects.filter(user=network.who("D", "dealer_manager")).update(is_active=False)
    staff(network.dealers["D"], "dealer_admin", username="d_admin")
    make_bulletin(
        network,
        dealers=[network.dealers["D"]],
        roles=["technician", "parts_clerk"],
        requires_ack=True,
        ack_deadline=DEADLINE,
    )
    frozen.move_to(DEADLINE + dt.timedelta(hours=1))
    run_beat(network)
    assert sent(network) == Counter(
        {
            ("bulletin_ack_overdue", "D", "d_parts_clerk"): 1,
            ("bulletin_ack_escalated", "D", "d_admin"): 1,
        }
    )


def test_the_beat_entry_enqueues_one_task_per_active_dealer_after_commit(
    network: Network, django_capture_on_commit_callbacks: object
) -> None:
    assert tasks.dispatch_ack_reminders() == 0  # nothing asks for acknowledgement yet
    make_bulletin(network, requires_ack=True, ack_deadline=DEADLINE)
    with pytest.MonkeyPatch.context() as patch:
        queued: list[int] = []
        patch.setattr(
            tasks.send_ack_reminders, "delay", lambda *, dealer_id: queued.append(dealer_id)
        )
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            assert tasks.dispatch_ack_reminders() == 4
    assert sorted(queued) == sorted(network.dealers[c].pk for c in "ABCD")


def test_the_schedule_is_registered() -> None:
    from dms.celery import app

    entry = app.conf.beat_schedule["bulletins-ack-reminders"]
    assert entry["task"] == tasks.dispatch_ack_reminders.name
    assert tasks.send_ack_reminders.name in app.tasks  # autodiscovered by the worker
