"""Timeline lines are stored as message and parameters and shown in the reader's language: a
Japanese colleague reads in Japanese what an English-speaking consultant did, and the reverse.
Notes stay as typed; lines stored as plain text before are shown as written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from dms.tenancy.context import as_dealer
from leads.models import TimelineEvent
from leads.services import followups
from leads.services import leads as svc
from leads.services.timeline import add_timeline_event
from tests.factories import CustomerFactory, FollowUpFactory
from tests.leads._funnel import Shop, shop_fixture, signed_in_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def timeline_of(client, lead) -> str:
    html = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()
    return html


def test_a_line_written_in_english_reads_in_japanese(shop: Shop, signed_in):
    with as_dealer(shop.dealer), override("en"):  # the consultant works in English
        lead = svc.open_lead(
            customer=CustomerFactory(dealer=shop.dealer),
            source="phone",
            actor=shop.alice,
            consultant=shop.alice,
        )
        svc.record_activity(lead=lead, actor=shop.alice, kind="call", summary="Called back")
        stored = list(TimelineEvent.objects.filter(lead=lead).values_list("summary", flat=True))
    assert "Stage: New → Contacted" in stored  # as written, in the writer's language
    assert "Lead opened (Inbound phone call)" in stored

    shop.manager.preferred_language = "ja"
    shop.manager.save(update_fields=["preferred_language"])
    html = timeline_of(signed_in(shop.manager), lead)

    assert "ステージ：新規 → 連絡済み" in html
    assert "リードを作成（" in html and "Inbound phone call" not in html
    assert "Stage: New" not in html


def test_a_japanese_writer_is_read_in_english(shop: Shop, signed_in):
    with as_dealer(shop.dealer):
        due = FollowUpFactory(lead=shop.lead(shop.alice), due_at=timezone.now())
        with override("ja"):
            followups.complete_follow_up(
                follow_up=due, actor=shop.alice, result="reached", note="Wants a quote"
            )
        [stored] = TimelineEvent.objects.filter(kind="call").values_list("summary", flat=True)
    assert "Wants a quote" in stored and "Reached" not in stored  # written in Japanese

    html = timeline_of(signed_in(shop.manager), due.lead)

    assert ": Reached — Wants a quote" in html  # the note as typed, after the translated line


def test_notes_and_old_lines_are_shown_as_written(shop: Shop, signed_in):
    lead = shop.lead(shop.alice)
    with as_dealer(shop.dealer):
        add_timeline_event(customer=lead.customer, lead=lead, kind="note", summary="Ruft zurück")
        old = add_timeline_event(
            customer=lead.customer, lead=lead, kind="stage", summary="Stage: New → Quote"
        )
        broken = add_timeline_event(
            customer=lead.customer, lead=lead, kind="stage", summary="kept as written"
        )
        TimelineEvent.objects.filter(pk=broken.pk).update(
            message="Stage: %(from)s → %(to)s", params={"from": {"$choice": "nope", "v": "x"}}
        )
        assert old.text == "Stage: New → Quote"
        broken.refresh_from_db()
        assert broken.text == "kept as written"  # parameters that no longer fit: as written

    shop.manager.preferred_language = "ja"
    shop.manager.save(update_fields=["preferred_language"])
    html = timeline_of(signed_in(shop.manager), lead)
    assert "Ruft zurück" in html and "Stage: New → Quote" in html


def test_moments_follow_the_readers_date_format(shop: Shop):
    from django.utils.formats import date_format

    lead = shop.lead(shop.alice)
    due = (timezone.now() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    with as_dealer(shop.dealer):
        followups.create_follow_up(lead=lead, actor=shop.alice, due_at=due)
        event = TimelineEvent.objects.get(lead=lead, kind="follow_up_planned")
    for language, start in (("en", "Follow-up planned for "), ("ja", "")):
        with override(language), timezone.override("Asia/Tokyo"):
            shown = date_format(timezone.localtime(due), "SHORT_DATETIME_FORMAT")
            assert event.text.startswith(start) and shown in event.text
    with override("ja"):
        assert "Follow-up planned" not in event.text


def test_a_handover_line_reads_in_the_readers_language():
    from dealers.handover import services
    from tests.handover._world import make_book

    book = make_book(n_customers=1, extras=False)
    with as_dealer(book.dealer), override("en"):
        batch = services.plan_batch(
            dealer=book.dealer, from_user=book.dora, actor=book.manager, targets=[book.eve]
        )
        services.apply_batch(batch=batch, actor=book.manager)
        event = TimelineEvent.objects.get(kind="handover")
    assert event.summary.endswith("from Dora Departing to Eve Early")
    with override("en"):
        assert event.text == event.summary
    with override("ja"):
        assert "Dora Departing" in event.text and " from " not in event.text


def test_every_named_choice_list_resolves():
    from django.db import models

    from leads.timeline_lines import CHOICES, Choice, Said, _choices

    for key in CHOICES:
        choices = _choices(key)
        assert issubclass(choices, models.TextChoices), key
        first = choices.values[0]
        with override("ja"):
            assert str(Said("%(x)s", {"x": Choice(key, first)})) == str(choices(first).label)


def test_a_visit_line_reads_in_the_readers_language(shop: Shop):
    from inventory.models import VehicleModel
    from leads.models import Visit
    from leads.services.visits import visit_summary

    with as_dealer(shop.dealer):
        model = VehicleModel.objects.order_by("pk").first()
    assert model is not None
    visit = Visit(
        kind=Visit.Kind.WALK_IN,
        vehicle_model=model,
        party_size=2,
        outcome=Visit.Outcome.TEST_DRIVE,
    )
    line = visit_summary(visit)
    with override("en"):
        assert str(line) == f"Walk-in, interested in {model.name}, party of 2, Test drive"
    lead = shop.lead(shop.alice)
    with as_dealer(shop.dealer), override("en"):
        event = add_timeline_event(customer=lead.customer, lead=lead, kind="visit", summary=line)
        event.refresh_from_db()
    with override("ja"):
        shown = event.text
    assert model.name in shown and "Walk-in" not in shown and "party of" not in shown
