"""Words a person reads (issue 13, item 9): the stage a walk-in reaches, the registration's
message, the customer card's links to its leads, and notifications and system notes in the
reader's language (kind labels included), whatever language the writer used."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from dms.tenancy.context import as_dealer
from leads.models import FollowUp, Lead, Notification, Stage, StageChange
from leads.services import leads as lead_services
from leads.services.customers import register_contact
from leads.services.routing import notify
from leads.views.notifications import KIND_LABELS
from sales.models import LeadStep
from tests.factories import FollowUpFactory, signed_in_client
from tests.leads._funnel import Shop, make_shop

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def shop() -> Shop:
    return make_shop()


def register(shop: Shop, actor: Any, **kwargs: Any) -> Any:
    data = {
        "kind": "walk_in",
        "source_code": "walk_in",
        "name": "Anna Schmidt",
        "phone": "030 1234567",
    }
    data.update(kwargs)
    with as_dealer(shop.dealer):
        return register_contact(dealer=shop.dealer, actor=actor, **data)


# --- the stage a contact reaches ----------------------------------------------------------------


def test_a_walk_in_served_in_person_reaches_visited(shop: Shop) -> None:
    result = register(shop, shop.alice)
    with as_dealer(shop.dealer):
        lead = Lead.objects.get(pk=result.lead.pk)
        assert lead.stage == Stage.VISITED
        moves = list(StageChange.objects.filter(lead=lead).values_list("to_stage", flat=True))
        assert moves == ["new", "contacted", "visited"]  # every stage on the way is counted
        steps = set(LeadStep.objects.filter(lead=lead).values_list("step__code", flat=True))
        assert {"first_contact_logged", "greeting"} <= steps
        assert "needs_analysis" not in steps  # still to do: not recorded on the consultant's behalf


def test_a_call_reaches_contacted_and_a_later_walk_in_visited(shop: Shop) -> None:
    first = register(shop, shop.alice, kind="phone", source_code="phone")
    with as_dealer(shop.dealer):
        assert Lead.objects.get(pk=first.lead.pk).stage == Stage.CONTACTED
    register(shop, shop.alice)  # the caller comes to the showroom
    with as_dealer(shop.dealer):
        assert Lead.objects.get(pk=first.lead.pk).stage == Stage.VISITED


def test_a_walk_in_never_moves_a_lead_back(shop: Shop) -> None:
    lead = shop.lead(shop.alice, stage=Stage.TEST_DRIVE)
    register(shop, shop.alice, phone=str(lead.customer.phone), name=lead.customer.display_name)
    with as_dealer(shop.dealer):
        assert Lead.objects.get(pk=lead.pk).stage == Stage.TEST_DRIVE


# --- the registration's message ------------------------------------------------------------------


def post_registration(client: Any, **data: Any) -> str:
    from tests.leads.test_visits_register import form_data

    response = client.post(reverse("leads:visit-register"), form_data(**data), follow=True)
    return response.content.decode()


def test_lead_continued_is_said_only_when_a_lead_went_on(shop: Shop) -> None:
    client = signed_in_client(shop.alice)
    assert "registered as a new customer" in post_registration(client)
    again = post_registration(client, kind="phone", source="phone")
    assert "(existing customer, lead continued)" in again
    with as_dealer(shop.dealer):
        lead = Lead.objects.get()
        lead_services.mark_dormant(lead=lead, actor=shop.alice, reason="moved away")
    back = post_registration(client)
    assert "(existing customer, new lead opened)" in back
    assert "lead continued" not in back
    with as_dealer(shop.dealer):
        assert Lead.objects.filter(is_open=True).count() == 1


# --- the customer card's leads ---------------------------------------------------------------


def test_the_cards_lead_rows_link_to_the_leads_the_reader_may_open(shop: Shop) -> None:
    mine = register(shop, shop.alice).lead
    with as_dealer(shop.dealer):
        customer = mine.customer
        theirs = lead_services.open_lead(
            customer=customer, source="phone", actor=shop.manager, consultant=shop.bob
        )
    card = reverse("leads:customer-detail", args=[customer.pk])
    html = signed_in_client(shop.alice).get(card).content.decode()
    assert f'href="{reverse("leads:lead_detail", args=[mine.pk])}"' in html
    assert reverse("leads:lead_detail", args=[theirs.pk]) not in html  # Bob's: no link (404)

    managers = signed_in_client(shop.manager).get(card).content.decode()
    for lead in (mine, theirs):
        assert f'data-testid="lead-link-{lead.pk}"' in managers
    # The link opens the lead.
    page = signed_in_client(shop.alice).get(reverse("leads:lead_detail", args=[mine.pk]))
    assert page.status_code == 200


# --- notifications and notes in the reader's language ------------------------------------------


def notification_kinds_in_the_code() -> set[str]:
    """Every `kind=` a notification is written with (services call notify / notify_user /
    Notification(...) with a literal kind)."""
    kinds = set()
    call = re.compile(r"(?:notify|notify_user|_notify|Notification)\((.*?)\n\s*\)", re.S)
    for path in REPO.glob("*/**/*.py"):
        relative = path.relative_to(REPO).as_posix()
        if relative.startswith((".venv/", "tests/", "var/")) or "/migrations/" in relative:
            continue
        for body in call.findall(path.read_text(encoding="utf-8")):
            kinds.update(re.findall(r'\bkind="([a-z_]+)"', body))
    return kinds


def test_every_notification_kind_has_a_label_in_every_language() -> None:
    kinds = notification_kinds_in_the_code()
    assert {"handover", "claim_decided", "follow_up", "approval"} <= kinds, kinds
    assert sorted(kinds - set(KIND_LABELS)) == []
    for kind in kinds:
        with override("en"):
            english = str(KIND_LABELS[kind])
        for language in ("ja", "zh-hans"):
            with override(language):
                assert str(KIND_LABELS[kind]) != english, (language, kind)


def test_a_notification_is_read_in_the_language_the_reader_reads_now(shop: Shop) -> None:
    lead = shop.lead(shop.alice)
    with as_dealer(shop.dealer), override("en"):  # written by an English-speaking process
        notify(
            user_ids=[shop.alice.pk],
            dealer_id=shop.dealer.pk,
            kind="assigned",
            text=lambda: _("Lead handed to you: %(lead)s") % {"lead": lead.customer},
            lead=lead,
        )
        claim_note = Notification(
            dealer_id=shop.dealer.pk, user=shop.alice, kind="claim_decided", text="written before"
        )
        claim_note.save()
    client = signed_in_client(shop.alice)
    english = client.get(reverse("leads:notifications")).content.decode()
    assert "Lead handed to you" in english and "Claim decided" in english

    shop.alice.preferred_language = "ja"  # she switches to Japanese afterwards
    shop.alice.save(update_fields=["preferred_language"])
    japanese = client.get(reverse("leads:notifications")).content.decode()
    assert "Lead handed to you" not in japanese
    assert "リードが引き継がれました" in japanese
    assert "claim decided" not in japanese.lower()
    assert "written before" in japanese  # a row written before keeps its text
    shop.alice.preferred_language = "zh-hans"
    shop.alice.save(update_fields=["preferred_language"])
    chinese = client.get(reverse("leads:notifications")).content.decode()
    assert "Lead handed to you" not in chinese and "Claim decided" not in chinese


def test_covered_by_is_read_in_the_readers_language(shop: Shop) -> None:
    lead = shop.lead(shop.alice)
    with as_dealer(shop.dealer), override("en"):
        follow_up = FollowUpFactory(lead=lead, kind=FollowUp.Kind.CADENCE)
        lead_services.record_activity(lead=lead, actor=shop.alice, kind="call", summary="Rang")
        done = FollowUp.objects.get(pk=follow_up.pk)
    assert done.note == "Covered by: Rang"
    shop.alice.preferred_language = "ja"
    shop.alice.save(update_fields=["preferred_language"])
    page = signed_in_client(shop.alice).get(reverse("leads:lead_detail", args=[lead.pk]))
    html = page.content.decode()
    assert "Covered by" not in html
    assert "次の活動で対応済み：Rang" in html
