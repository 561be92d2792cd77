"""Two reminder workers over the same due follow-ups (the beat's task delivered twice, or a
slow worker's message redelivered while it still runs): every reminder is sent once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from dms.tenancy.context import as_dealer
from leads import tasks
from leads.models import FollowUp, LeadSettings, Notification
from leads.services import followups
from tests.factories import FollowUpFactory, LeadFactory
from tests.leads._funnel import make_shop

from ._race import Race, point_before, with_and_without_locks

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_reminder_workers_send_each_reminder_once(
    monkeypatch: pytest.MonkeyPatch, mailoutbox: list[Any]
) -> None:
    def scenario(race: Race) -> dict[str, Any]:
        shop = make_shop()
        with as_dealer(shop.dealer):
            LeadSettings.objects.create(dealer=shop.dealer, email_reminders=True)
            due = [
                FollowUpFactory(
                    lead=LeadFactory(customer__dealer=shop.dealer, consultant=consultant),
                    due_at=timezone.now() - dt.timedelta(minutes=minutes),
                )
                for consultant, minutes in ((shop.alice, 5), (shop.alice, 50), (shop.bob, 20))
            ]
        mailoutbox.clear()
        # a batch of due follow-ups taken; its reminders not yet written
        point_before(monkeypatch, followups, "_remind_batch", race)

        def worker() -> Any:
            return tasks.send_follow_up_reminders(dealer_id=shop.dealer.pk)

        outcomes = race.run({"worker-1": worker, "worker-2": worker})
        with as_dealer(shop.dealer):
            reminders = sorted(
                Notification.objects.filter(kind="follow_up").values_list("follow_up_id", "user_id")
            )
            unreminded = FollowUp.objects.filter(reminded_at__isnull=True).count()
        return {
            "counts": sorted(o.value for o in outcomes.values()),
            "reminders": reminders,
            "expected": sorted((f.pk, f.owner_id) for f in due),
            "mails": sorted(m.to[0] for m in mailoutbox),
            "addresses": sorted([shop.alice.email, shop.alice.email, shop.bob.email]),
            "unreminded": unreminded,
        }

    held, removed = with_and_without_locks(monkeypatch, scenario)

    assert held["counts"] == [0, 3]  # one worker took the batch, the other found it taken
    assert held["reminders"] == held["expected"]  # each follow-up reminded once, to its owner
    assert held["mails"] == held["addresses"] and held["unreminded"] == 0
    # Without the row locks both workers take the whole batch; the unique index (follow-up,
    # user) and the e-mail stamp still keep every reminder single: a second guard, not the lock.
    assert removed["counts"] == [3, 3]
    assert removed["reminders"] == removed["expected"]
    assert removed["mails"] == removed["addresses"]
