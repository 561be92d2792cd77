"""The KPI dashboard's "New leads by source" names HQ's default sources in the reader's language
and a source HQ renamed exactly as typed."""

from __future__ import annotations

import pytest
from django.utils import translation

from leads.models import LeadSource
from tests.ui.helpers import text_of

from .facts import Network
from .test_pages import MARCH
from .test_selectors import orders_history

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_reset():
    """Pages activate the reader's language in this thread; later tests expect the default."""
    yield
    translation.deactivate()


def sources_card(net: Network, login, language: str) -> str:
    net.manager.preferred_language = language
    net.manager.save(update_fields=["preferred_language"])
    response = login(net.manager).get("/reports/" + MARCH)
    assert response.status_code == 200
    html = response.content.decode()
    card = html.split('data-testid="sources"', 1)[1].split("</section>", 1)[0]
    return text_of(card)


@pytest.mark.parametrize(
    ("language", "web", "phone"),
    [
        ("ja", "ウェブサイトのフォーム", "電話での問い合わせ"),
        ("zh-hans", "网站表单", "来电咨询"),
        ("en", "Website form", "Inbound phone call"),
    ],
)
def test_new_leads_by_source_in_the_readers_language(net: Network, login, language, web, phone):
    orders_history(net)
    card = sources_card(net, login, language)
    assert web in card and phone in card
    if language != "en":
        assert "Website form" not in card and "Inbound phone call" not in card


def test_source_renamed_by_hq_is_shown_as_typed(net: Network, login):
    orders_history(net)
    LeadSource.objects.filter(code="web").update(name="Web-Anfrage (Händlerseite)")
    card = sources_card(net, login, "ja")
    assert "Web-Anfrage (Händlerseite)" in card
    assert "電話での問い合わせ" in card  # the untouched default, translated
