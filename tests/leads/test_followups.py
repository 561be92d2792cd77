"""Follow-ups: cadence planning, events, completing and rescheduling, and the reminder task:
idempotent (no duplicate reminder) and crash-safe (a worker killed mid-run loses nothing)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from dms.celery import app as celery_app
from dms.tenancy.context import as_dealer
from leads import tasks
from leads.models import FollowUp, Lead, LeadSettings, Notification, TimelineEvent
from leads.services import followups
from leads.services import leads as svc
from tests.factories import DealerFactory, FollowUpFactory
from tests.leads._funnel import (  # noqa: F401
    Shop,
    other_shop_fixture,
    shop_fixture,
)

pytestmark = pytest.mark.django_db


def _due_follow_ups(shop: Shop, n: int, *, minutes_ago: int = 10) -> list[FollowUp]:
    lead = shop.lead(shop.alice)
    due = timezone.now() - dt.timedelta(minutes=minutes_ago)
    with as_dealer(shop.dealer):
        return [
            FollowUpFactory(lead=shop.lead(shop.alice if i % 2 else shop.bob), due_at=due)
            if i
            else FollowUpFactory(lead=lead, due_at=due)
            for i in range(n)
        ]


# --- reminders -----------------------------------------------------------------------------------


def test_reminder_task_twice_creates_no_duplicate(shop: Shop):
    due = _due_follow_ups(shop, 5)
    with as_dealer(shop.dealer):
        future = FollowUpFactory(
            lead=shop.lead(shop.alice), due_at=timezone.now() + dt.timedelta(hours=2)
        )
    assert tasks.send_follow_up_reminders(dealer_id=shop.dealer.pk) == 5
    assert tasks.send_follow_up_reminders(dealer_id=shop.dealer.pk) == 0
    with as_dealer(shop.dealer):
        assert Notification.objects.filter(kind="follow_up").count() == 5
        for f in due:
            assert Notification.objects.filter(follow_up=f, user=f.owner).count() == 1
        assert not Notification.objects.filter(follow_up=future).exists()
        # even with reminded_at reset (a lost update), the unique index refuses a second one
        FollowUp.objects.update(reminded_at=None)
    tasks.send_follow_up_reminders(dealer_id=shop.dealer.pk)
    with as_dealer(shop.dealer):
        assert Notification.objects.filter(kind="follow_up").count() == 5


def test_worker_killed_mid_run_loses_nothing_and_duplicates_nothing(shop: Shop, monkeypatch):
    due = _due_follow_ups(shop, 7)
    real = followups._remind_batch
    calls = {"n": 0}

    def dies_on_second_batch(batch, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            real(batch, **kwargs)  # wrote the batch's rows, then the worker dies
            raise SystemExit("worker killed")
        return real(batch, **kwargs)

    monkeypatch.setattr(followups, "_remind_batch", dies_on_second_batch)
    with as_dealer(shop.dealer), pytest.raises(SystemExit):
        followups.send_due_reminders(dealer_id=shop.dealer.pk, batch_size=3)
    with as_dealer(shop.dealer):
        # the first batch committed; the dying batch rolled back entirely
        assert Notification.objects.filter(kind="follow_up").count() == 3
        assert FollowUp.objects.filter(reminded_at__isnull=False).count() == 3
    monkeypatch.setattr(followups, "_remind_batch", real)
    with as_dealer(shop.dealer):
        assert followups.send_due_reminders(dealer_id=shop.dealer.pk, batch_size=3) == 4
        for f in due:
            assert Notification.objects.filter(follow_up=f).count() == 1
        assert FollowUp.objects.filter(reminded_at__isnull=True).count() == 0


def test_email_reminders_when_the_dealer_wants_them(shop: Shop):
    with as_dealer(shop.dealer):
        LeadSettings.objects.create(dealer=shop.dealer, email_reminders=True)
    _due_follow_ups(shop, 2)
    tasks.send_follow_up_reminders(dealer_id=shop.dealer.pk)
    tasks.send_follow_up_reminders(dealer_id=shop.dealer.pk)
    assert len(mail.outbox) == 2
    with as_dealer(shop.dealer):
        assert Notification.objects.filter(emailed_at__isnull=False).count() == 2


def test_dispatch_enqueues_one_task_per_active_dealer_after_commit(
    shop: Shop, other_shop: Shop, django_capture_on_commit_callbacks
):
    DealerFactory(is_active=False)
    _due_follow_ups(shop, 1)
    _due_follow_ups(other_shop, 2)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        count = tasks.dispatch_follow_up_reminders()
    assert len(callbacks) == count
    from dealers.models import Dealer

    assert count == Dealer.objects.filter(is_active=True).count()
    celery_app.conf.task_always_eager = True
    try:
        for callback in callbacks:
            callback()
    finally:
        celery_app.conf.task_always_eager = False
    with as_dealer(shop.dealer):
        assert Notification.objects.filter(kind="follow_up").count() == 1
    with as_dealer(other_shop.dealer):
        assert Notification.objects.filter(kind="follow_up").count() == 2


def test_per_dealer_task_needs_a_dealer_id():
    with pytest.raises(TypeError):
        tasks.send_follow_up_reminders()


# --- planning ------------------------------------------------------------------------------------


def test_nightly_plan_adds_missing_cadence_follow_ups_once(shop: Shop):
    now = timezone.now()
    graded = shop.lead(shop.alice, grade="A", first_response_at=now, last_activity_at=now)
    ungraded = shop.lead(shop.bob, first_response_at=now, last_activity_at=now)
    unanswered = shop.lead(shop.bob)  # first response pending: its own follow-up
    ordered = shop.lead(shop.bob, grade="O", first_response_at=now, last_activity_at=now)
    result = tasks.plan_day(dealer_id=shop.dealer.pk)
    assert result["planned"] == 2
    assert tasks.plan_day(dealer_id=shop.dealer.pk)["planned"] == 0
    with as_dealer(shop.dealer):
        assert FollowUp.objects.get(lead=graded).due_at == now + dt.timedelta(days=3)
        assert FollowUp.objects.get(lead=ungraded).due_at == now + dt.timedelta(days=14)
        assert not FollowUp.objects.filter(lead__in=[unanswered, ordered]).exists()


def test_nightly_plan_pools_stale_leads(shop: Shop):
    old = timezone.now() - dt.timedelta(days=45)
    stale = shop.lead(shop.alice, first_response_at=old, last_activity_at=old)
    assert tasks.plan_day(dealer_id=shop.dealer.pk)["pooled"] == 1
    with as_dealer(shop.dealer):
        stale.refresh_from_db()
        assert stale.in_pool
        assert not FollowUp.objects.filter(lead=stale, done_at__isnull=True).exists()


# --- completing and rescheduling -------------------------------------------------------------------


def test_complete_follow_up_logs_outcome_and_plans_next(shop: Shop):
    now = timezone.now()
    lead = shop.lead(shop.alice, grade="H", first_response_at=now, last_activity_at=now)
    with as_dealer(shop.dealer):
        fu = followups.plan_cadence_follow_up(lead=lead)
        with pytest.raises(ValidationError):
            followups.complete_follow_up(follow_up=fu, actor=shop.alice, result="maybe")
        fu.refresh_from_db()
        assert fu.done_at is None
        followups.complete_follow_up(
            follow_up=fu, actor=shop.alice, result="appointment", note="Comes Saturday"
        )
        fu.refresh_from_db()
        assert fu.done_at and fu.result == "appointment"
        assert TimelineEvent.objects.filter(
            lead=lead, kind="call", summary__contains="Comes Saturday"
        ).exists()
        nxt = FollowUp.objects.get(lead=lead, kind="cadence", done_at__isnull=True)
        assert nxt.due_at - fu.done_at == dt.timedelta(days=2)
        with pytest.raises(ValidationError, match="already done"):
            followups.complete_follow_up(follow_up=fu, actor=shop.alice, result="reached")


def test_reschedule_needs_reason_and_future_time_and_rearms_reminder(shop: Shop):
    [fu] = _due_follow_ups(shop, 1)
    tasks.send_follow_up_reminders(dealer_id=shop.dealer.pk)
    with as_dealer(shop.dealer):
        fu.refresh_from_db()
        before = fu.due_at
        tomorrow = timezone.now() + dt.timedelta(days=1)
        with pytest.raises(ValidationError) as err:
            followups.reschedule_follow_up(follow_up=fu, actor=fu.owner, due_at=tomorrow, reason="")
        assert "reason" in err.value.message_dict
        with pytest.raises(ValidationError) as err:
            followups.reschedule_follow_up(
                follow_up=fu,
                actor=fu.owner,
                due_at=timezone.now() - dt.timedelta(hours=1),
                reason="x",
            )
        assert "due_at" in err.value.message_dict
        fu.refresh_from_db()
        assert fu.due_at == before and fu.reminded_at is not None
        followups.reschedule_follow_up(
            follow_up=fu, actor=fu.owner, due_at=tomorrow, reason="Customer abroad"
        )
        fu.refresh_from_db()
        assert (fu.due_at, fu.rescheduled_from, fu.reminded_at) == (tomorrow, before, None)
        assert not Notification.objects.filter(follow_up=fu).exists()
        assert TimelineEvent.objects.filter(kind="follow_up_rescheduled").count() == 1
    # due again tomorrow: reminded again exactly once
    later = tomorrow + dt.timedelta(minutes=1)
    with as_dealer(shop.dealer):
        followups.send_due_reminders(dealer_id=shop.dealer.pk, now=later)
        followups.send_due_reminders(dealer_id=shop.dealer.pk, now=later)
        assert Notification.objects.filter(follow_up=fu).count() == 1


def test_call_back_cannot_be_planned_twice_or_in_the_past(shop: Shop):
    lead = shop.lead(shop.alice)
    with as_dealer(shop.dealer):
        with pytest.raises(ValidationError) as err:
            followups.create_follow_up(
                lead=lead, actor=shop.alice, due_at=timezone.now() - dt.timedelta(days=1)
            )
        assert "due_at" in err.value.message_dict
        followups.create_follow_up(
            lead=lead, actor=shop.alice, due_at=timezone.now() + dt.timedelta(days=1)
        )
        with pytest.raises(ValidationError, match="already an open"):
            followups.create_follow_up(
                lead=lead, actor=shop.alice, due_at=timezone.now() + dt.timedelta(days=2)
            )
        assert FollowUp.objects.filter(lead=lead, kind="callback").count() == 1


def test_reminders_of_one_dealer_never_touch_another(shop: Shop, other_shop: Shop):
    _due_follow_ups(other_shop, 2)
    assert tasks.send_follow_up_reminders(dealer_id=shop.dealer.pk) == 0
    with as_dealer(other_shop.dealer):
        assert FollowUp.objects.filter(reminded_at__isnull=True).count() == 2


def test_delivered_lead_gets_after_delivery_calls_owned_by_consultant(shop: Shop):
    lead = shop.lead(shop.alice)
    with as_dealer(shop.dealer):
        svc.mark_won(lead=lead, actor=shop.alice)
        assert set(
            FollowUp.objects.filter(lead=lead, kind="after_delivery").values_list(
                "owner", flat=True
            )
        ) == {shop.alice.pk}
        assert Lead.objects.get(pk=lead.pk).credited_to == shop.alice
