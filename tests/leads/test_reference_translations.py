"""HQ's default reference texts (lead sources, lost reasons, playbook steps and their guidance,
grades) are stored in English and shown in the reader's language; a text HQ typed itself is
shown as typed in every language; what is stored and what the API returns never change."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from dms.tenancy.context import as_dealer
from leads.forms.funnel import clear_choice_cache
from leads.models import Grade, LeadSource, LostReason
from leads.reference import messages
from leads.reference.messages import DEFAULT_TEXTS, hq_text
from leads.services import leads as svc
from leads.services.customers import register_contact
from leads.services.reference import REFERENCE_DIR
from sales.models import PlaybookStep
from tests.api.support import session_client
from tests.leads._funnel import (  # noqa: F401
    Shop,
    other_shop_fixture,
    shop_fixture,
    signed_in_fixture,
)
from tests.ui.helpers import text_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_reset():
    """Pages activate the reader's language in this thread; later tests expect the default."""
    yield
    translation.deactivate()


JA = {
    "web": "ウェブサイトのフォーム",
    "walk_in": "ショールーム来店",
    "phone": "電話での問い合わせ",
    "price": "価格・値引きに合意できず",
    "needs_analysis": "ニーズ分析：用途、予算、支払方法、下取り、決定者",
    "needs_guidance": "車をお見せする前にオープンな質問をします",
}
ZH = {
    "web": "网站表单",
    "price": "价格或优惠未被接受",
    "needs_analysis": "需求分析：用途、预算、付款方式、置换、决策人",
    "needs_guidance": "在展示任何车辆之前先提开放式问题",
}
EN = {
    "web": "Website form",
    "walk_in": "Showroom walk-in",
    "price": "Price or discount not accepted",
    "needs_analysis": "Needs analysis: use, budget, payment, trade-in, decision makers",
    "needs_guidance": "Ask open questions before you show any car",
}


def json_texts() -> set[str]:
    """Every name, guidance and meaning anywhere in HQ's reference files (all but the demo
    brand's catalogue, whose model and option names are product names)."""
    texts: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("name", "guidance", "meaning") and isinstance(value, str) and value:
                    texts.add(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for name in ("lead_sources", "lost_reasons", "stages", "grades"):
        walk(json.loads((REFERENCE_DIR / f"{name}.json").read_text(encoding="utf-8")))
    return texts


def as_user(user: Any, language: str) -> Any:
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])
    return session_client(user)


# --- the list of default texts and its catalogues ------------------------------------------------


def test_every_reference_text_is_listed_for_translation() -> None:
    texts = json_texts()
    assert len(texts) > 50
    assert texts - DEFAULT_TEXTS == set(), "add these texts to leads/reference/messages.py"
    assert DEFAULT_TEXTS - texts == set(), "no longer in the JSON files: remove from messages.py"


def test_listed_texts_are_literals_that_makemessages_extracts() -> None:
    """makemessages only sees gettext_noop("literal") calls: every listed text must be one."""
    tree = ast.parse(Path(messages.__file__).read_text(encoding="utf-8"))
    literals = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "gettext_noop":
            (arg,) = node.args
            assert isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            literals.add(arg.value)
    assert literals == DEFAULT_TEXTS


@pytest.mark.parametrize("language", ["ja", "zh-hans"])
def test_every_default_text_has_a_translation(language: str) -> None:
    with translation.override(language):
        untranslated = sorted(t for t in DEFAULT_TEXTS if hq_text(t) == t)
    assert untranslated == []


def test_custom_and_empty_texts_stay_as_typed() -> None:
    with translation.override("ja"):
        assert hq_text("Website form") == JA["web"]
        assert hq_text("Website form (new)") == "Website form (new)"
        assert hq_text("website form") == "website form"  # not HQ's default text
        assert hq_text("") == ""
        assert hq_text(None) == ""
    with translation.override("en"):
        assert hq_text("Website form") == "Website form"


def test_models_keep_the_stored_english_text() -> None:
    step = PlaybookStep.objects.get(stage="visited", code="needs_analysis")
    with translation.override("ja"):
        assert step.display_name == JA["needs_analysis"]
        assert step.display_guidance.startswith(JA["needs_guidance"])
        assert step.name == EN["needs_analysis"]  # stored value untouched
        assert str(step) == EN["needs_analysis"]
        assert LeadSource.objects.get(code="web").display_name == JA["web"]
        assert LostReason.objects.get(code="price").display_name == JA["price"]
        hot = Grade.objects.get(code="H")
        assert (hot.display_name, hot.name) == ("購入間近", "Hot")
        assert hot.display_meaning.startswith("モデルと予算が決定済み")


# --- pages ---------------------------------------------------------------------------------------


def register(shop: Shop, source_code: str = "web") -> None:
    with as_dealer(shop.dealer):
        register_contact(
            dealer=shop.dealer,
            actor=shop.alice,
            kind="walk_in",
            source_code=source_code,
            name="Anna Schmidt",
            phone="030 1234567",
        )


@pytest.mark.parametrize(
    ("language", "words", "english_gone"),
    [("ja", JA, True), ("zh-hans", ZH, True), ("en", EN, False)],
)
def test_visitor_log_shows_sources_in_the_readers_language(
    shop: Shop, language: str, words: dict[str, str], english_gone: bool
) -> None:
    register(shop, "web")
    html = as_user(shop.alice, language).get(reverse("leads:visitor-log")).content.decode()
    assert f'<option value="web">{escape(words["web"])}</option>' in html
    assert words["web"] in text_of(html.split('data-testid="register-form"')[-1])
    assert ("Website form" not in html) is english_gone


def test_lead_list_pool_and_filter_follow_each_readers_language(shop: Shop) -> None:
    shop.lead(shop.alice, source=LeadSource.objects.get(code="web"))
    with as_dealer(shop.dealer):
        pooled = shop.lead(None, source=LeadSource.objects.get(code="walk_in"))
        pooled.in_pool = True
        pooled.save(update_fields=["in_pool"])
    clear_choice_cache()
    english = as_user(shop.manager, "en")
    japanese = as_user(shop.alice, "ja")

    # English first: the filter's cached choices must not stay English for the next reader
    html = english.get(reverse("leads:leads")).content.decode()
    assert f"<td>{EN['web']}</td>" in html
    assert f">{EN['web']}</option>" in html

    html = japanese.get(reverse("leads:leads")).content.decode()
    assert f"<td>{JA['web']}</td>" in html  # the Source column
    assert f">{JA['web']}</option>" in html and f">{JA['walk_in']}</option>" in html  # filter
    assert EN["web"] not in html
    filtered = japanese.get(
        reverse("leads:leads"),
        {"source": LeadSource.objects.get(code="web").pk, "status": "all"},
    ).content.decode()
    assert f"<td>{JA['web']}</td>" in filtered

    pool = japanese.get(reverse("leads:pool")).content.decode()
    assert JA["walk_in"] in text_of(pool) and EN["walk_in"] not in pool

    # and English again after Japanese filled nothing language-specific into the cache
    html = english.get(reverse("leads:leads")).content.decode()
    assert f">{EN['web']}</option>" in html and JA["web"] not in html


@pytest.mark.parametrize(("language", "words"), [("ja", JA), ("zh-hans", ZH), ("en", EN)])
def test_lead_detail_shows_playbook_and_source_in_the_readers_language(
    shop: Shop, language: str, words: dict[str, str]
) -> None:
    lead = shop.lead(shop.alice, source=LeadSource.objects.get(code="web"))
    html = (
        as_user(shop.alice, language)
        .get(reverse("leads:lead_detail", args=[lead.pk]))
        .content.decode()
    )
    text = text_of(html)
    assert words["needs_analysis"] in text  # a playbook step's title
    assert words["needs_guidance"] in text  # and its guidance
    assert words["web"] in text  # the source
    if language != "en":
        assert EN["needs_analysis"] not in text and EN["needs_guidance"] not in text
        assert EN["web"] not in text
    # the lost-request form offers HQ's reasons in the reader's language
    assert f">{escape(words['price'])}</option>" in html


def test_lost_reason_in_the_readers_language_on_detail_and_approvals_inbox(shop: Shop) -> None:
    lead = shop.lead(shop.alice)
    with as_dealer(shop.dealer):
        svc.request_lost(lead=lead, actor=shop.alice, reason="price")
    manager = as_user(shop.manager, "ja")
    inbox = text_of(manager.get(reverse("leads:approvals")).content.decode())
    assert JA["price"] in inbox and EN["price"] not in inbox
    detail = text_of(manager.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode())
    assert JA["price"] in detail

    manager = as_user(shop.manager, "en")
    inbox = text_of(manager.get(reverse("leads:approvals")).content.decode())
    assert EN["price"] in inbox and JA["price"] not in inbox


def test_playbook_gate_error_names_the_steps_in_the_readers_language(shop: Shop) -> None:
    lead = shop.lead(shop.alice)
    client = as_user(shop.alice, "ja")
    response = client.post(
        reverse("leads:lead_action", args=[lead.pk, "stage"]), {"stage": "visited"}, follow=True
    )
    assert response.redirect_chain[-1][1] == 303  # back to the lead's page
    text = text_of(response.content.decode())
    assert f"プレイブックで次の手順が必要です：{JA['needs_analysis']}" in text
    assert EN["needs_analysis"] not in text
    with as_dealer(shop.dealer):
        lead.refresh_from_db()
    assert lead.stage == "new"  # nothing changed


def test_funnel_by_source_rows_in_the_readers_language(shop: Shop) -> None:
    lead = shop.lead(shop.alice, source=LeadSource.objects.get(code="web"))
    with as_dealer(shop.dealer):
        svc.record_activity(lead=lead, actor=shop.alice, kind="call", summary="First call")
    params = {"by": "source", "period": "30"}
    japanese = as_user(shop.manager, "ja").get(reverse("leads:funnel"), params)
    assert JA["web"] in text_of(japanese.content.decode())
    assert EN["web"] not in japanese.content.decode()


def test_source_renamed_by_hq_is_shown_as_typed_in_every_language(
    shop: Shop, other_shop: Shop
) -> None:
    custom = "Autohaus-Website (Formular 2)"
    web = LeadSource.objects.get(code="web")
    web.name = custom
    web.save(update_fields=["name"])
    clear_choice_cache()
    lead = shop.lead(shop.alice, source=web)
    register(shop, "web")
    for language in ("ja", "zh-hans", "en"):
        client = as_user(shop.alice, language)
        log = client.get(reverse("leads:visitor-log")).content.decode()
        assert f'<option value="web">{escape(custom)}</option>' in log
        leads = client.get(reverse("leads:leads")).content.decode()
        assert f"<td>{escape(custom)}</td>" in leads and f">{escape(custom)}</option>" in leads
        detail = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()
        assert custom in text_of(detail)
    # the other sources are still HQ's defaults, translated
    assert JA["phone"] in as_user(shop.alice, "ja").get(reverse("leads:leads")).content.decode()
    # another dealer's reader sees the same HQ text (reference data is shared), not the lead
    other = as_user(other_shop.alice, "ja")
    assert other.get(reverse("leads:lead_detail", args=[lead.pk])).status_code == 404


def test_stored_values_and_api_do_not_change_with_the_language(shop: Shop) -> None:
    lead = shop.lead(shop.alice, source=LeadSource.objects.get(code="web"))
    with as_dealer(shop.dealer):
        svc.request_lost(lead=lead, actor=shop.alice, reason="price")
    client = as_user(shop.alice, "ja")
    client.get(reverse("leads:lead_detail", args=[lead.pk]))
    row = client.get(f"/api/leads/{lead.pk}/").json()
    assert (row["source"], row["lost_reason"]) == ("web", "price")
    assert LeadSource.objects.get(code="web").name == "Website form"
    assert LostReason.objects.get(code="price").name == "Price or discount not accepted"
    guidance = PlaybookStep.objects.get(code="needs_analysis").guidance
    assert guidance.startswith("Ask open questions")


def test_source_choices_are_sorted_in_the_readers_language() -> None:
    from django.utils.translation import override

    from leads.reference.messages import by_label

    pairs = [(1, "Website form"), (2, "Showroom walk-in"), (3, "A source HQ typed")]
    with override("en"):
        assert [v for v, _ in by_label(pairs)] == [3, 2, 1]
    with override("ja"):
        labels = [label for _, label in by_label(pairs)]
        assert labels == sorted(labels, key=str.casefold)
        assert "Website form" not in labels and "A source HQ typed" in labels
