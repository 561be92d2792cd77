"""dealer_kpis / network_kpis against hand-computed facts and plans.

The facts cover 2026-01-01 .. 2026-03-10 (the last fact day is the "as of" date): March is 10/31
covered, so March's pro-rata plan is plan × 10/31.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from dms.tenancy.context import as_dealer, as_dealers
from reports.dashboards.selectors import (
    AMBER,
    GREEN,
    NO_STATUS,
    RED,
    dealer_kpis,
    network_kpis,
    rag_status,
)

from .facts import Network, add_facts, plan, plan_version, rolled_through, source, split

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 3, 10)
MARCH = 10 / 31


def orders_history(net: Network) -> None:
    old = plan_version(2026, 1)
    current = plan_version(2026, 2)
    # Version 1 is superseded: its numbers must not count anywhere.
    plan(net.a, old, "orders", {1: 100, 2: 100, 3: 100})
    # A: orders Jan 4, Feb 4, Mar 6 + 4 (two models), Apr 12 (after the period).
    plan(net.a, current, "orders", {1: 4, 2: 4, 3: 6, 4: 12}, vehicle_model="X4")
    plan(net.a, current, "orders", {3: 4}, vehicle_model="A3")
    plan(net.a, current, "leads", {3: 40})
    # B: orders 10 in March, none before. C: orders 20 in March.
    plan(net.b, current, "orders", {3: 10})
    plan(net.c, current, "orders", {3: 20})
    web, phone = source("web"), source("phone")
    # A: Jan 5 orders, Feb 3, March 4 (alice 3, bob 1) and 12 leads (web 9, phone 3).
    # March's cohort: of Alice's 9 leads 8 contacted, 6 visited, 4 test drives, 3 quotes,
    # 2 orders, 1 delivered, 2 lost, 1 dormant; of Bob's 3 all contacted, 1 visited, 1 lost.
    add_facts(net.a, dt.date(2026, 1, 15), consultant=net.alice, orders=5, leads_new=7)
    add_facts(net.a, dt.date(2026, 2, 3), consultant=net.bob, orders=3)
    add_facts(
        net.a,
        dt.date(2026, 3, 2),
        consultant=net.alice,
        source=web,
        orders=3,
        leads_new=9,
        cohort_contacted=8,
        cohort_visited=6,
        cohort_test_drive=4,
        cohort_quote=3,
        cohort_order=2,
        cohort_delivered=1,
        cohort_lost=2,
        cohort_dormant=1,
        test_drives=4,
        deliveries=2,
        followups_due=8,
        followups_on_time=6,
        first_responses=4,
        first_response_minutes=100,
    )
    add_facts(
        net.a,
        AS_OF,
        consultant=net.bob,
        source=phone,
        orders=1,
        leads_new=3,
        cohort_contacted=3,
        cohort_visited=1,
        cohort_lost=1,
        followups_due=2,
        followups_on_time=2,
        first_responses=1,
        first_response_minutes=20,
    )
    # Stage entries of A in March, whenever the leads were opened (dealer level rows without
    # consultant): activity, not part of the cohort.
    add_facts(
        net.a,
        dt.date(2026, 3, 5),
        stage_new=20,
        stage_contacted=15,
        stage_visited=9,
        stage_test_drive=6,
        stage_quote=3,
        stage_order=2,
        stage_delivered=1,
        stage_lost=4,
        stage_dormant=1,
    )
    # A December 2025 order: not in 2026's YTD, but in the 12-month trend.
    add_facts(net.a, dt.date(2025, 12, 20), consultant=net.alice, orders=2)
    # B: 3 orders in March; C: 7 orders in March; C also 1 in April (after the period).
    add_facts(net.b, dt.date(2026, 3, 4), consultant=net.carol, orders=3)
    add_facts(net.c, dt.date(2026, 3, 9), orders=7)
    split(net.a, current, 3, "orders", {net.alice: 6, net.bob: 4})
    split(net.a, old, 3, "orders", {net.alice: 50})
    rolled_through(AS_OF)


def test_dealer_mtd_ytd_attainment_and_pace(net: Network):
    orders_history(net)
    with as_dealer(net.a):
        kpis = dealer_kpis(net.a, year=2026, month=3)
    assert kpis.as_of == AS_OF
    assert kpis.plan_version == "2026 v2"
    assert (kpis.days_covered, kpis.days_in_month) == (10, 31)
    orders = kpis.metric("orders")
    assert (orders.mtd.actual, orders.mtd.plan) == (4, 10)
    assert orders.mtd.attainment == 40.0
    assert orders.mtd.plan_to_date == round(10 * MARCH, 1) == 3.2
    assert orders.mtd.pace == round(100 * 4 / (10 * MARCH), 1) == 124.0
    assert orders.mtd.status == GREEN
    assert (orders.ytd.actual, orders.ytd.plan) == (12, 18)  # Dec 2025 and April excluded
    assert orders.ytd.attainment == 66.7
    assert orders.ytd.pace == round(100 * 12 / (8 + 10 * MARCH), 1) == 106.9
    leads = kpis.metric("leads")
    assert (leads.mtd.actual, leads.mtd.plan, leads.mtd.attainment) == (12, 40, 30.0)
    assert leads.mtd.pace == round(100 * 12 / (40 * MARCH), 1) == 93.0
    assert leads.mtd.status == AMBER
    deliveries = kpis.metric("deliveries")
    assert (deliveries.mtd.actual, deliveries.mtd.plan) == (2, 0)
    assert deliveries.mtd.attainment is None and deliveries.mtd.status == NO_STATUS


def test_dealer_funnel_compliance_and_first_response(net: Network):
    orders_history(net)
    with as_dealer(net.a):
        kpis = dealer_kpis(net.a, year=2026, month=3)
    cohort = kpis.funnel.total
    assert cohort.opened == 12
    assert cohort.reached == [12, 11, 7, 4, 3, 2, 1]
    assert cohort.shares == [100.0, 91.7, 58.3, 33.3, 25.0, 16.7, 8.3]
    assert (cohort.won, cohort.lost, cohort.dormant, cohort.still_open) == (1, 3, 1, 7)
    assert (cohort.won_percent, cohort.lost_percent, cohort.open_percent) == (8.3, 25.0, 58.3)
    # the month's stage entries are counts, never shares
    assert cohort.entered == [20, 15, 9, 6, 3, 2, 1]
    assert (cohort.entered_lost, cohort.entered_dormant) == (4, 1)
    assert kpis.chart_data()["funnel"]["counts"] == [12, 11, 7, 4, 3, 2, 1]
    assert (kpis.followups.due, kpis.followups.on_time, kpis.followups.percent) == (10, 8, 80.0)
    assert kpis.first_response.responses == 5
    assert kpis.first_response.average_minutes == 24.0  # (100 + 20) / 5


def test_leaderboard_against_split_targets_and_sources(net: Network):
    orders_history(net)
    with as_dealer(net.a):
        kpis = dealer_kpis(net.a, year=2026, month=3)
    board = [(r.rank, r.name, r.leads, r.orders, r.test_drives) for r in kpis.leaderboard]
    assert board == [(1, "Alice Adams", 9, 3, 4), (2, "Bob Brown", 3, 1, 0)]
    alice, bob = kpis.leaderboard
    assert alice.conversion == 22.2  # 2 of her 9 leads opened in March reached Order
    assert bob.conversion == 0.0
    assert alice.followups.percent == 75.0
    target = alice.target_for("orders")
    assert target is not None and (target.target, target.attainment) == (6, 50.0)  # v2, not v1
    assert target.status == GREEN  # 3 against 6 × 10/31 = 1.9
    bob_target = bob.target_for("orders")
    assert bob_target is not None and bob_target.attainment == 25.0
    assert bob_target.status == RED  # 1 against 4 × 10/31 = 1.29 -> 77.5 %
    assert alice.target_for("leads") is None
    assert [(s.name, s.leads, s.share) for s in kpis.sources] == [
        (source("web").name, 9, 75.0),
        (source("phone").name, 3, 25.0),
    ]


def test_trend_covers_twelve_months_with_plan(net: Network):
    orders_history(net)
    with as_dealer(net.a):
        trend = dealer_kpis(net.a, year=2026, month=3).trend
    assert trend.months[0] == dt.date(2025, 4, 1) and trend.months[-1] == dt.date(2026, 3, 1)
    orders = next(s for s in trend.series if s.metric == "orders")
    assert orders.actual[-4:] == [2, 5, 3, 4]
    assert orders.plan[-4:] == [None, 4, 4, 10]  # 2025 has no plan version
    assert trend.followup_percent[-1] == 80.0 and trend.followup_percent[-2] is None


def test_other_dealers_facts_never_count(net: Network):
    orders_history(net)
    with as_dealer(net.b):
        kpis = dealer_kpis(net.b, year=2026, month=3)
    assert kpis.metric("orders").mtd.actual == 3
    assert [r.name for r in kpis.leaderboard] == ["Carol Clark"]
    assert kpis.funnel.total.opened == 0 and not kpis.funnel.rows


def test_network_ranking_status_and_region_totals(net: Network):
    orders_history(net)
    ids = [net.a.pk, net.b.pk, net.c.pk]
    with as_dealers(ids):
        kpis = network_kpis(ids, year=2026, month=3)
    # Orders MTD attainment: A 4/10 = 40 %, B 3/10 = 30 %, C 7/20 = 35 %.
    assert [(r.code, r.rank, r.rank_figure.attainment) for r in kpis.rows] == [
        ("DA01", 1, 40.0),
        ("DC03", 2, 35.0),
        ("DB02", 3, 30.0),
    ]
    # Pace against 10/31 of the month: A 124 % green, C 7/6.45 = 108.5 % green, B 93 % amber.
    assert [r.status for r in kpis.rows] == [GREEN, GREEN, AMBER]
    north, south = kpis.regions
    assert (north.name, north.dealers, south.name, south.dealers) == ("North", 2, "South", 1)
    n_orders = north.metrics["orders"]
    assert (n_orders.mtd.actual, n_orders.mtd.plan, n_orders.mtd.attainment) == (7, 20, 35.0)
    assert (n_orders.ytd.actual, n_orders.ytd.plan) == (15, 28)
    assert north.status_counts == {GREEN: 1, AMBER: 1, RED: 0, NO_STATUS: 0}
    total = kpis.total.metrics["orders"]
    assert (total.mtd.actual, total.mtd.plan, total.ytd.actual, total.ytd.plan) == (14, 40, 22, 48)


def test_network_only_reads_the_dealers_asked_for(net: Network):
    orders_history(net)
    with as_dealers([net.a.pk, net.b.pk]):
        kpis = network_kpis([net.a.pk, net.b.pk], year=2026, month=3, rank_period="ytd")
    assert [r.code for r in kpis.rows] == ["DA01", "DB02"]  # YTD: A 12/18, B 3/10
    assert [r.name for r in kpis.regions] == ["North"]
    assert kpis.total.metrics["orders"].mtd.actual == 7


def test_network_of_part_of_the_scope_and_never_beyond_it(net: Network):
    orders_history(net)
    with as_dealers([net.a.pk, net.b.pk, net.c.pk]):
        kpis = network_kpis([net.c.pk], year=2026, month=3)  # a region filter inside HQ scope
    assert [r.code for r in kpis.rows] == ["DC03"]
    assert kpis.total.metrics["orders"].mtd.actual == 7
    with as_dealers([net.a.pk]), pytest.raises(ValueError, match="outside"):
        network_kpis([net.a.pk, net.b.pk], year=2026, month=3)


def test_dealers_without_plan_rank_last_and_ties_share_a_rank(net: Network):
    current = plan_version(2026, 1)
    plan(net.a, current, "orders", {3: 10})
    plan(net.b, current, "orders", {3: 10})
    add_facts(net.a, AS_OF, orders=5)
    add_facts(net.b, AS_OF, orders=5)
    add_facts(net.c, AS_OF, orders=9)
    rolled_through(AS_OF)
    ids = [net.c.pk, net.b.pk, net.a.pk]
    with as_dealers(ids):
        kpis = network_kpis(ids, year=2026, month=3)
    assert [(r.code, r.rank, r.status) for r in kpis.rows] == [
        ("DA01", 1, GREEN),
        ("DB02", 1, GREEN),
        ("DC03", None, NO_STATUS),
    ]


def test_past_month_compares_with_the_full_plan(net: Network):
    orders_history(net)
    with as_dealer(net.a):
        february = dealer_kpis(net.a, year=2026, month=2).metric("orders")
        april = dealer_kpis(net.a, year=2026, month=4).metric("orders")
    assert (february.mtd.actual, february.mtd.plan, february.mtd.pace) == (3, 4, 75.0)
    assert february.mtd.status == RED
    # April has not started by the as-of date: nothing expected yet, nothing judged.
    assert (april.mtd.plan, april.mtd.plan_to_date, april.mtd.status) == (12, 0.0, NO_STATUS)


def test_as_of_is_the_last_completed_rollup(net: Network):
    add_facts(net.a, AS_OF, orders=1)
    with as_dealer(net.a):
        assert dealer_kpis(net.a, year=2026, month=3).as_of is None  # no complete run yet
    rolled_through(dt.date(2026, 3, 8))
    rolled_through(AS_OF, dealer_ids=[net.a.pk])  # a rerun of dealer A only
    with as_dealer(net.a):
        assert dealer_kpis(net.a, year=2026, month=3).as_of == AS_OF
    with as_dealer(net.b):
        assert dealer_kpis(net.b, year=2026, month=3).as_of == dt.date(2026, 3, 8)
    with as_dealers([net.a.pk, net.b.pk]):
        assert network_kpis([net.a.pk, net.b.pk], year=2026, month=3).as_of == dt.date(2026, 3, 8)


def test_no_plan_and_no_facts(net: Network):
    with as_dealer(net.a):
        kpis = dealer_kpis(net.a, year=2026, month=3)
    assert kpis.as_of is None and kpis.plan_version is None
    assert all(m.mtd.actual == 0 and m.mtd.status == NO_STATUS for m in kpis.metrics)
    assert kpis.leaderboard == [] and kpis.funnel.total.won_percent is None


@pytest.mark.parametrize(
    ("pace", "status"),
    [(None, NO_STATUS), (100.0, GREEN), (99.9, AMBER), (90.0, AMBER), (89.9, RED), (0.0, RED)],
)
def test_rag_thresholds_default(pace, status):
    assert rag_status(pace) == status


@override_settings(KPI_RAG_THRESHOLDS={"green": 95, "amber": 80})
def test_rag_thresholds_setting():
    assert [rag_status(p) for p in (95.0, 94.9, 80.0, 79.9)] == [GREEN, AMBER, AMBER, RED]


def test_bad_period_is_refused(net: Network):
    with as_dealer(net.a), pytest.raises(ValueError, match="month"):
        dealer_kpis(net.a, year=2026, month=13)
    with as_dealers([net.a.pk]), pytest.raises(ValueError, match="metric"):
        network_kpis([net.a.pk], year=2026, month=3, rank_metric="cars")
