"""CSV of the KPI tables: the numbers are the facts', the scope is the dashboards', every
download is audited."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from dms.audit.models import AuditAction, AuditEntry

from .conftest import MONTH, YEAR

pytestmark = pytest.mark.django_db


def _dealer_url(dealer, table, **query):
    params = {"table": table, "year": YEAR, "month": MONTH, **query}
    return (
        reverse("reports:export_dealer_csv", args=[dealer.pk])
        + "?"
        + "&".join(f"{k}={v}" for k, v in params.items())
    )


def _network_url(**query):
    params = {"table": "network", "year": YEAR, "month": MONTH, **query}
    return (
        reverse("reports:export_network_csv")
        + "?"
        + "&".join(f"{k}={v}" for k, v in params.items())
    )


def _rows(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def _exports():
    return AuditEntry.objects.filter(action=AuditAction.EXPORT)


def test_summary_matches_the_facts_and_plan(facts, login):
    response = login(facts.manager).get(_dealer_url(facts.a, "summary"))
    assert 'filename="kpi-summary-DA01-2026-03.csv"' in response["Content-Disposition"]
    rows = {r["metric"]: r for r in _rows(response)}
    assert list(rows) == ["leads", "test_drives", "orders", "deliveries"]
    orders = rows["orders"]
    assert (orders["dealer"], orders["month"]) == ("DA01", "2026-03")
    assert (orders["mtd_actual"], orders["mtd_plan"], orders["mtd_attainment_pct"]) == (
        "37",
        "50",
        "74.0",
    )
    assert (orders["ytd_actual"], orders["ytd_plan"], orders["ytd_attainment_pct"]) == (
        "48",
        "70",
        "68.6",
    )
    leads = rows["leads"]
    assert (leads["mtd_actual"], leads["mtd_plan"], leads["mtd_attainment_pct"]) == (
        "96",
        "120",
        "80.0",
    )
    deliveries = rows["deliveries"]
    assert (deliveries["mtd_actual"], deliveries["mtd_plan"]) == ("4", "0")
    assert deliveries["mtd_attainment_pct"] == "" and deliveries["mtd_status"] == "none"

    entry = _exports().get()
    assert (entry.actor, entry.dealer_id, entry.count) == (facts.manager, facts.a.pk, 4)
    assert entry.object_type == "reports.KpiTable"
    assert entry.detail == {"format": "csv", "table": "summary", "month": "2026-03"}


def test_leaderboard_funnel_and_trend(facts, login):
    client = login(facts.sales_manager)
    board = _rows(client.get(_dealer_url(facts.a, "leaderboard")))
    assert [(r["rank"], r["consultant"], r["orders"], r["leads"]) for r in board] == [
        ("1", "Alice Adams", "30", "80"),
        ("2", "Bob Brown", "7", "16"),
    ]
    alice = board[0]
    assert (alice["orders_target"], alice["orders_target_attainment_pct"]) == ("35", "85.7")
    assert (alice["followups_due"], alice["followups_on_time"]) == ("40", "36")
    assert alice["followups_on_time_pct"] == "90.0"

    assert (alice["reached_order_pct"], board[1]["reached_order_pct"]) == ("30.0", "0.0")

    funnel = _rows(client.get(_dealer_url(facts.a, "funnel")))
    cohort = {r["stage"]: r for r in funnel if r["part"] == "cohort"}
    activity = {r["stage"]: r for r in funnel if r["part"] == "activity"}
    assert (cohort["new"]["leads"], cohort["new"]["share_of_opened_pct"]) == ("96", "100.0")
    assert (cohort["contacted"]["leads"], cohort["contacted"]["share_of_opened_pct"]) == (
        "60",
        "62.5",
    )
    assert (cohort["order"]["leads"], cohort["order"]["share_of_opened_pct"]) == ("24", "25.0")
    # the month's stage entries are counts: no share (37 entered Order: 38.5 % of nothing)
    assert (activity["contacted"]["leads"], activity["order"]["leads"]) == ("60", "37")
    assert {r["share_of_opened_pct"] for r in activity.values()} == {""}

    trend = _rows(client.get(_dealer_url(facts.a, "trend")))
    assert [r["month"] for r in trend][0] == "2025-04" and trend[-1]["month"] == "2026-03"
    by_month = {r["month"]: r for r in trend}
    assert (by_month["2026-01"]["orders_actual"], by_month["2026-01"]["orders_plan"]) == (
        "11",
        "20",
    )
    assert (by_month["2026-03"]["orders_actual"], by_month["2026-03"]["orders_plan"]) == (
        "37",
        "50",
    )
    assert _exports().count() == 3


def test_network_table_of_a_regional_manager_holds_their_region_only(facts, login):
    client = login(facts.regional)
    rows = _rows(client.get(_network_url()))
    dealers = [r for r in rows if r["row"] == "dealer"]
    assert [(r["rank"], r["dealer"], r["orders_mtd_actual"]) for r in dealers] == [
        ("1", "DA01", "37"),  # 74.0 % of plan
        ("2", "DB02", "5"),  # 50.0 %
    ]
    assert [r["name"] for r in rows if r["row"] != "dealer"] == ["North", "All dealers"]
    total = rows[-1]
    assert (total["orders_mtd_actual"], total["orders_mtd_plan"]) == ("42", "60")
    assert "DC03" not in "".join(r["dealer"] for r in rows)
    entry = _exports().get()
    assert entry.dealer_id is None and entry.count == 2

    # A region outside the scope is not found; the HQ admin sees every region.
    assert client.get(_network_url(region=facts.south.pk)).status_code == 404
    admin_rows = _rows(login(facts.hq_admin).get(_network_url(region=facts.south.pk)))
    assert [r["dealer"] for r in admin_rows if r["row"] == "dealer"] == ["DC03"]


def test_other_dealers_tables_are_not_found(facts, login):
    manager = login(facts.manager)
    assert manager.get(_dealer_url(facts.b, "summary")).status_code == 404
    # The network table is for HQ: a dealer manager is refused whatever the query.
    assert manager.get(_network_url()).status_code == 403
    assert login(facts.regional).get(_dealer_url(facts.c, "leaderboard")).status_code == 404
    assert not _exports().exists()


def test_unknown_table_is_explained_and_nothing_is_exported(facts, login):
    response = login(facts.manager).get(_dealer_url(facts.a, "salaries"), follow=True)
    assert "Unknown table; nothing was exported." in response.content.decode()
    assert not _exports().exists()


def test_cells_cannot_smuggle_spreadsheet_formulas(facts, login):
    facts.bob.first_name, facts.bob.last_name = '=HYPERLINK("x")', "Brown"
    facts.bob.save()
    board = _rows(login(facts.manager).get(_dealer_url(facts.a, "leaderboard")))
    assert board[1]["consultant"] == '\'=HYPERLINK("x") Brown'
