"""The KPI pack PDF of one dealer's month, downloaded through the page's link and read back."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dms.audit.models import AuditAction, AuditEntry
from tests.factories import staff

from .conftest import MONTH, YEAR, pdf_pages, pdf_text

pytestmark = pytest.mark.django_db


def _url(dealer, **query):
    url = reverse("reports:export_kpi_pdf", args=[dealer.pk])
    params = {"year": YEAR, "month": MONTH, **query}
    return url + "?" + "&".join(f"{k}={v}" for k, v in params.items())


def test_dealer_manager_downloads_the_pack_and_it_holds_the_figures(facts, login):
    client = login(facts.manager)
    response = client.get(_url(facts.a))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="kpi-pack-DA01-2026-03.pdf"'
    content = response.content
    pages = pdf_pages(content)
    assert 6 <= pages <= 10
    text = pdf_text(content)
    assert "Alpha Motors" in text and "DA01" in text and "March 2026" in text
    assert "Figures as of" in text and "10 Mar 2026" in text
    # Orders in March: 37 against the current plan (v2) of 50 = 74.0 %; v1's 999 is not used.
    orders = next(line for line in text.splitlines() if line.strip().startswith("Orders   "))
    assert orders.split()[1:4] == ["37", "50", "74.0"]
    assert "999" not in text
    # YTD orders: 11 + 37 = 48 against 20 + 50 = 70 -> 68.6 %.
    assert "48" in orders.split() and "70" in orders.split() and "68.6" in orders.split()
    # Leaderboard: Alice (30 orders) above Bob (7); her split target 30/35.
    assert text.index("Alice Adams") < text.index("Bob Brown")
    assert "Orders 30/35" in text
    # Funnel and follow-up compliance (36 of 40 due on time = 90.0 %).
    assert "Sales funnel" in text and "90.0 %" in text and "36 of 40 due" in text
    # Another dealer's names never appear.
    assert "Beta Cars" not in text and "Carol" not in text

    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.actor == facts.manager
    assert entry.dealer_id == facts.a.pk
    assert entry.object_type == "reports.KpiPack"
    assert entry.object_id == "DA01/2026-03"
    assert entry.count == pages
    assert entry.detail == {"format": "pdf", "document": "kpi_pack", "month": "2026-03"}


def test_regional_manager_gets_packs_of_their_region_only(facts, login):
    client = login(facts.regional)
    assert client.get(_url(facts.b)).status_code == 200
    # C is in the South: not found, as for a dealer that does not exist.
    assert client.get(_url(facts.c)).status_code == 404
    assert client.get(reverse("reports:export_kpi_pdf", args=[999999])).status_code == 404
    exports = AuditEntry.objects.filter(action=AuditAction.EXPORT)
    assert list(exports.values_list("dealer_id", flat=True)) == [facts.b.pk]


def test_other_dealers_pack_is_not_found_and_roles_without_kpis_are_refused(facts, login):
    assert login(facts.manager).get(_url(facts.b)).status_code == 404
    # A consultant has no KPI rights: refused before any lookup (403 alike for every id).
    consultant = login(facts.alice)
    assert consultant.get(_url(facts.a)).status_code == 403
    assert consultant.get(_url(facts.b)).status_code == 403
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"month": 13}, "The month must be between 1 and 12."),
        ({"year": "20x6"}, "Year and month must be whole numbers."),
        ({"year": 1999}, "The year must be between 2000 and 2100."),
    ],
)
def test_bad_period_is_explained_and_nothing_is_exported(facts, login, query, message):
    client = login(facts.manager)
    response = client.get(_url(facts.a, **query), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[0][0].startswith(reverse("reports:export_list"))
    assert message in response.content.decode()
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_pack_of_a_month_without_facts_or_plan_still_renders(net, login):
    client = login(net.manager)
    response = client.get(_url(net.a, year=2025, month=7))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "July 2025" in text and "no plan for this year" in text
    assert "No consultant activity this month." in text
    assert "No plan for this period" in text and "No data" not in text


def test_large_dealer_stays_within_ten_pages(facts, login):
    # 60 consultants with facts: the table lists 40, the rest are counted (and in the CSV).
    import datetime as dt

    from tests.reports.dashboards.facts import add_facts

    for i in range(60):
        person = staff(
            facts.a, "consultant", username=f"c{i:02d}", first_name="C", last_name=f"{i:02d}"
        )
        add_facts(facts.a, dt.date(2026, 3, 8), consultant=person, leads_new=1 + i % 5)
    response = login(facts.manager).get(_url(facts.a))
    assert response.status_code == 200
    assert pdf_pages(response.content) <= 10
    assert "and 22 more consultants" in pdf_text(response.content)
