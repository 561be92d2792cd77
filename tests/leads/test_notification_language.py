"""Notifications and reminder emails are written in each reader's own language
(User.preferred_language), not in the language of the person or task that caused them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from django.utils.translation import override

from dms.tenancy.context import as_dealer
from leads import tasks
from leads.models import LeadSettings, Notification
from leads.services import leads as svc
from tests.factories import CustomerFactory, FollowUpFactory, staff
from tests.handover._world import make_book
from tests.leads._funnel import Shop, shop_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def speaks(user: Any, language: str) -> None:
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])


def notes_of(shop: Shop, user: Any, kind: str) -> list[str]:
    with as_dealer(shop.dealer):
        return list(
            Notification.objects.filter(user=user, kind=kind).values_list("text", flat=True)
        )


def test_a_routed_lead_is_announced_in_the_consultants_language(shop: Shop):
    speaks(shop.alice, "ja")
    with as_dealer(shop.dealer), override("en"):  # the web form's visitor reads English
        lead = svc.open_lead(customer=CustomerFactory(dealer=shop.dealer), source="web", actor=None)
    assert lead.consultant == shop.alice

    [text] = notes_of(shop, shop.alice, "assigned")

    assert text.startswith("新しいリードが割り当てられました：")
    assert "New lead" not in text


def test_one_event_reaches_each_manager_in_their_own_language(shop: Shop):
    second = staff(shop.dealer, "sales_manager", first_name="Zhao", last_name="Li")
    speaks(shop.manager, "ja")
    speaks(second, "zh-hans")
    third = staff(shop.dealer, "sales_manager", first_name="Eve", last_name="English")
    lead = shop.lead(shop.alice)

    with as_dealer(shop.dealer), override("en"):
        svc.request_lost(lead=lead, actor=shop.alice, reason="price")

    [ja] = notes_of(shop, shop.manager, "approval")
    [zh] = notes_of(shop, second, "approval")
    [en] = notes_of(shop, third, "approval")
    assert "失注として完了するよう申請しています" in ja
    assert "申请将" in zh and "作为战败关闭" in zh
    assert "asks to close" in en  # no language of their own: the requester's
    assert "Alice Able" in ja and "Alice Able" in zh and "Alice Able" in en


def test_the_decision_reaches_the_requester_in_their_language(shop: Shop):
    speaks(shop.alice, "zh-hans")
    lead = shop.lead(shop.alice)
    with as_dealer(shop.dealer):
        svc.request_lost(lead=lead, actor=shop.alice, reason="price")
    with as_dealer(shop.dealer), override("ja"):  # the manager works in Japanese
        svc.decide_lost(lead=lead, actor=shop.manager, approve=False, note="call again")

    [text] = notes_of(shop, shop.alice, "decision")

    assert "Maria Manager" in text and text.endswith(": call again")
    assert not any("\u3040" <= ch <= "\u30ff" for ch in text)  # no Japanese kana
    assert "Lost request rejected" not in text  # Chinese, not English


def test_reminders_and_their_emails_follow_the_owner(shop: Shop):
    speaks(shop.alice, "ja")
    with as_dealer(shop.dealer):
        LeadSettings.objects.create(dealer=shop.dealer, email_reminders=True)
        due = timezone.now() - dt.timedelta(minutes=5)
        FollowUpFactory(lead=shop.lead(shop.alice), due_at=due)
        FollowUpFactory(lead=shop.lead(shop.bob), due_at=due)
    shop.alice.email, shop.bob.email = "alice@example.com", "bob@example.com"
    shop.alice.save(update_fields=["email"])
    shop.bob.save(update_fields=["email"])

    assert tasks.send_follow_up_reminders(dealer_id=shop.dealer.pk) == 2

    [alice_text] = notes_of(shop, shop.alice, "follow_up")
    [bob_text] = notes_of(shop, shop.bob, "follow_up")
    assert "（期限 " in alice_text
    assert " due " in bob_text
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects == {
        "alice@example.com": "フォローアップ期限",
        "bob@example.com": "Follow-up due",
    }


def test_a_handover_is_announced_in_each_receivers_language():
    from dealers.handover import services

    book = make_book(n_customers=2)
    speaks(book.eve, "ja")
    with as_dealer(book.dealer):
        batch = services.plan_batch(
            dealer=book.dealer,
            from_user=book.dora,
            actor=book.manager,
            targets=[book.eve, book.finn],
        )
        services.apply_batch(batch=batch, actor=book.manager)
        texts = dict(Notification.objects.filter(kind="handover").values_list("user_id", "text"))

    assert "Dora Departing" in texts[book.eve.pk] and "customer" not in texts[book.eve.pk]
    assert "1 customer of Dora Departing is now yours" in texts[book.finn.pk]


def test_an_unsupported_stored_language_falls_back_to_the_active_one(shop: Shop):
    speaks(shop.alice, "xx")
    with as_dealer(shop.dealer), override("en"):
        svc.open_lead(customer=CustomerFactory(dealer=shop.dealer), source="web", actor=None)
    [text] = notes_of(shop, shop.alice, "assigned")
    assert text.startswith("New lead for you:")


def test_reminders_give_the_due_time_in_the_dealers_time_zone(shop: Shop):
    import zoneinfo

    from django.utils.formats import date_format

    shop.dealer.timezone = "Asia/Tokyo"
    shop.dealer.save(update_fields=["timezone"])
    due = (timezone.now() - dt.timedelta(minutes=5)).replace(second=0, microsecond=0)
    with as_dealer(shop.dealer):
        FollowUpFactory(lead=shop.lead(shop.alice), due_at=due)
    with override("en"):  # the worker: English, UTC
        tasks.send_follow_up_reminders(dealer_id=shop.dealer.pk)
        tokyo = date_format(
            due.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo")), "SHORT_DATETIME_FORMAT"
        )
    [text] = notes_of(shop, shop.alice, "follow_up")
    assert f"due {tokyo}:" in text
