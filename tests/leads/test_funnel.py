"""The manager's funnel: the cohort of the leads opened in a period (how far they got, shares of
the leads opened) and the period's stage entries, by consultant/source/model; stale leads,
access, query counts (also the lead list's). The hand-counted cohort on every output (page,
dashboard, CSV, PDF, API) is in test_funnel_cohort.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from dealers.clock import dealer_today
from dms.tenancy.context import as_dealer
from inventory.models import VehicleModel
from leads.models import Lead, StageChange
from leads.selectors.stale import stale_leads
from reports.funnel.selectors import funnel
from tests.factories import hq_user
from tests.leads._funnel import (  # noqa: F401
    Shop,
    max_sql_fixture,
    other_shop_fixture,
    shop_fixture,
    signed_in_fixture,
)

pytestmark = pytest.mark.django_db


def _walk(shop: Shop, lead: Lead, stages: list[str], at: dt.datetime | None = None) -> None:
    """Record stage changes directly (the funnel reads history, not rules)."""
    with as_dealer(shop.dealer):
        before = ""
        for stage in stages:
            change = StageChange.objects.create(
                dealer=shop.dealer, lead=lead, from_stage=before, to_stage=stage
            )
            if at:
                StageChange.objects.filter(pk=change.pk).update(changed_at=at)
            before = stage
        Lead.objects.filter(pk=lead.pk).update(stage=before)


def _history(shop: Shop) -> None:
    x4 = VehicleModel.objects.get(code="X4")
    for _ in range(4):
        _walk(shop, shop.lead(shop.alice, vehicle_model=x4), ["new", "contacted"])
    _walk(
        shop,
        shop.lead(shop.alice),
        ["new", "contacted", "visited", "test_drive", "quote", "order", "delivered"],
    )
    _walk(shop, shop.lead(shop.bob), ["new", "contacted", "visited", "lost"])
    _walk(shop, shop.lead(shop.bob), ["new"], at=timezone.now() - dt.timedelta(days=90))


def figures(row: Any) -> tuple[Any, ...]:
    """Everything a funnel row holds: cohort and activity."""
    return (
        row.label,
        row.opened,
        row.reached,
        row.lost,
        row.dormant,
        row.entered,
        row.entered_lost,
        row.entered_dormant,
    )


def test_cohort_and_activity_by_consultant(shop: Shop):
    _history(shop)
    today = dealer_today(shop.dealer)
    with as_dealer(shop.dealer):
        data = funnel(dealer=shop.dealer, start=today - dt.timedelta(days=29), end=today)
    total = data.total
    assert total.opened == 6  # the 90-day-old lead is outside
    assert total.reached == [6, 6, 2, 1, 1, 1, 1]
    assert total.shares == [100.0, 100.0, 33.3, 16.7, 16.7, 16.7, 16.7]
    assert (total.won, total.lost, total.dormant, total.still_open) == (1, 1, 0, 4)
    assert total.entered == [6, 6, 2, 1, 1, 1, 1] and total.entered_lost == 1
    rows = {r.label: r for r in data.rows}
    assert rows["Alice Able"].opened == 5 and rows["Alice Able"].won == 1
    assert rows["Alice Able"].won_percent == 20.0
    assert rows["Bob Baker"].reached[:4] == [1, 1, 1, 0] and rows["Bob Baker"].lost == 1
    assert rows["Bob Baker"].lost_percent == 100.0 and rows["Bob Baker"].won_percent == 0.0


def test_by_source_and_model_and_longer_period(shop: Shop):
    _history(shop)
    today = dealer_today(shop.dealer)
    with as_dealer(shop.dealer):
        by_model = funnel(
            dealer=shop.dealer, start=today - dt.timedelta(days=29), end=today, dimension="model"
        )
        by_source = funnel(
            dealer=shop.dealer, start=today - dt.timedelta(days=364), end=today, dimension="source"
        )
    labels = {r.label: r.opened for r in by_model.rows}
    assert labels["Aurora X4"] == 4
    assert [r.label for r in by_source.rows] == ["Inbound phone call"]
    assert by_source.total.opened == 7


def test_stale_leads_bounded_list(shop: Shop):
    old = timezone.now() - dt.timedelta(days=20)
    for _ in range(3):
        shop.lead(shop.alice, last_activity_at=old)
    shop.lead(shop.alice, last_activity_at=timezone.now())
    with as_dealer(shop.dealer):
        rows, more = stale_leads(dealer=shop.dealer, days=14, limit=2)
    assert len(rows) == 2 and more


def test_funnel_page_access(shop: Shop, other_shop: Shop, signed_in):
    assert signed_in(shop.alice).get(reverse("leads:funnel")).status_code == 403
    manager = signed_in(shop.manager)
    _history(shop)
    _history(other_shop)
    page = manager.get(reverse("leads:funnel"), {"by": "source", "period": "30"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="funnel-table"' in html and "Inbound phone call" in html
    # another dealer's history is not counted
    assert 'data-stage="new">6<' in html
    # bad parameters fall back to defaults
    assert manager.get(reverse("leads:funnel"), {"start": "x", "by": "zodiac"}).status_code == 200


def test_hq_reads_the_funnel_of_the_dealer_it_drilled_into(shop: Shop, signed_in):
    _history(shop)
    hq = signed_in(hq_user("hq_admin"))
    assert hq.get(reverse("leads:funnel")).status_code == 403  # no dealer chosen
    session = hq.session
    session["dms_dealer_id"] = shop.dealer.pk
    session.save()
    page = hq.get(reverse("leads:funnel"))
    assert page.status_code == 200
    assert 'href="/sales/leads/' not in page.content.decode()  # no links into lead pages


def test_funnel_and_lead_list_query_counts_do_not_grow(shop: Shop, signed_in, max_sql):
    manager = signed_in(shop.manager)
    manager.get(reverse("leads:funnel"))
    manager.get(reverse("leads:leads"))
    for _ in range(3):
        _history(shop)
    with max_sql(8):
        assert manager.get(reverse("leads:funnel"), {"by": "consultant"}).status_code == 200
    with max_sql(8):
        assert manager.get(reverse("leads:funnel"), {"by": "model"}).status_code == 200
    with max_sql(8):
        assert manager.get(reverse("leads:leads")).status_code == 200
    alice = signed_in(shop.alice)
    alice.get(reverse("leads:leads"))
    with max_sql(8):
        assert alice.get(reverse("leads:leads"), {"stage": "contacted"}).status_code == 200


def test_funnel_reads_kpi_facts_up_to_the_rolled_through_day(shop: Shop, other_shop: Shop):
    """Days up to the last rollup come from KpiDay, later days live: the same numbers either
    way, credited to who held the lead at the time (not who holds it now)."""
    from reports.rollup.services import rollup

    three_days_ago = timezone.now() - dt.timedelta(days=3)
    for _ in range(2):
        _walk(shop, shop.lead(shop.alice), ["new", "contacted", "visited"], at=three_days_ago)
    moved = shop.lead(shop.alice)
    _walk(shop, moved, ["new", "contacted", "lost"], at=three_days_ago)
    _walk(shop, shop.lead(shop.bob), ["new", "contacted"])  # today: live
    _walk(other_shop, other_shop.lead(other_shop.alice), ["new"], at=three_days_ago)
    today = dealer_today(shop.dealer)
    start = today - dt.timedelta(days=29)
    with as_dealer(shop.dealer):
        Lead.objects.filter(pk=moved.pk).update(consultant=shop.bob)  # reassigned later
        live = funnel(dealer=shop.dealer, start=start, end=today)
    assert live.through is None
    yesterday = today - dt.timedelta(days=1)
    rollup([shop.dealer.pk], today - dt.timedelta(days=5), yesterday)
    with as_dealer(shop.dealer):
        facts = funnel(dealer=shop.dealer, start=start, end=today)
        by_model = funnel(dealer=shop.dealer, start=start, end=today, dimension="model")
    assert facts.through == yesterday
    assert figures(facts.total) == figures(live.total)
    assert facts.total.reached == facts.total.entered == [4, 4, 2, 0, 0, 0, 0]
    assert facts.total.lost == facts.total.entered_lost == 1
    # credited to whom the lead was opened for / who held it then, not who holds it now
    rows = {r.label: (r.reached[:3], r.lost, r.entered[:3]) for r in facts.rows}
    assert rows == {"Alice Able": ([3, 3, 2], 1, [3, 3, 2]), "Bob Baker": ([1, 1, 0], 0, [1, 1, 0])}
    assert [figures(r) for r in facts.rows] == [figures(r) for r in live.rows]
    assert figures(by_model.total)[1:] == figures(facts.total)[1:]


def test_stale_leads_oldest_activity_first_then_never_touched(shop: Shop):
    now = timezone.now()
    oldest = shop.lead(shop.alice, last_activity_at=now - dt.timedelta(days=40))
    older = shop.lead(shop.alice, last_activity_at=now - dt.timedelta(days=20))
    shop.lead(shop.alice, last_activity_at=now - dt.timedelta(days=2))  # not stale
    never_old = shop.lead(shop.bob, last_activity_at=None)
    never_older = shop.lead(shop.bob, last_activity_at=None)
    shop.lead(shop.bob, last_activity_at=None)  # created today: not stale yet
    with as_dealer(shop.dealer):
        Lead.objects.filter(pk=never_old.pk).update(created_at=now - dt.timedelta(days=30))
        Lead.objects.filter(pk=never_older.pk).update(created_at=now - dt.timedelta(days=60))
        rows, more = stale_leads(dealer=shop.dealer, days=14)
        first_three, more_than_three = stale_leads(dealer=shop.dealer, days=14, limit=3)
        bobs, _ = stale_leads(dealer=shop.dealer, days=14, consultant_id=shop.bob.pk)
    assert [r.pk for r in rows] == [oldest.pk, older.pk, never_older.pk, never_old.pk]
    assert not more
    assert [r.pk for r in first_three] == [oldest.pk, older.pk, never_older.pk]
    assert more_than_three
    assert [r.pk for r in bobs] == [never_older.pk, never_old.pk]
    assert rows[0].customer.pk == oldest.customer_id  # related rows come with the list


def test_funnel_page_with_facts_and_live_day_stays_within_eight_queries(
    shop: Shop, signed_in, max_sql
):
    """The usual production case: facts up to yesterday plus today's live changes. Both parts
    are one statement; the labels come with the counts."""
    from reports.rollup.services import rollup

    three_days_ago = timezone.now() - dt.timedelta(days=3)
    for _ in range(2):
        _walk(shop, shop.lead(shop.alice), ["new", "contacted", "visited"], at=three_days_ago)
    _walk(shop, shop.lead(shop.bob), ["new", "contacted"])  # today: live
    today = dealer_today(shop.dealer)
    rollup([shop.dealer.pk], today - dt.timedelta(days=5), today - dt.timedelta(days=1))
    manager = signed_in(shop.manager)
    manager.get(reverse("leads:funnel"))  # warm: session, rolled-through day cached
    for by in ("consultant", "source", "model"):
        with max_sql(8):
            page = manager.get(reverse("leads:funnel"), {"by": by, "period": "30"})
        assert page.status_code == 200
        html = page.content.decode()
        assert 'data-stage="new">3<' in html  # 2 from the facts + 1 live
    page = manager.get(reverse("leads:funnel"), {"by": "consultant", "period": "30"})
    assert "Alice Able" in page.content.decode() and "Bob Baker" in page.content.decode()


def test_long_period_reads_whole_months_and_gives_the_live_numbers(shop: Shop):
    """A year: whole months from KpiFunnelMonth, the days around them from KpiDay, today live —
    the same numbers as counting every stage change live, by consultant and by source."""
    from django.db.models import Sum

    from reports.models import KpiDay, KpiFunnelMonth
    from reports.rollup.services import rollup

    now = timezone.now()
    for days_ago, consultant, stages in [
        (120, shop.alice, ["new", "contacted", "visited"]),
        (75, shop.bob, ["new", "contacted", "lost"]),
        (40, shop.alice, ["new", "contacted", "visited", "test_drive"]),
        (3, shop.bob, ["new"]),
        (0, shop.alice, ["new", "contacted"]),
    ]:
        _walk(shop, shop.lead(consultant), stages, at=now - dt.timedelta(days=days_ago))
    today = dealer_today(shop.dealer)
    start = today - dt.timedelta(days=364)
    with as_dealer(shop.dealer):
        live = {d: funnel(dealer=shop.dealer, start=start, end=today, dimension=d) for d in DIMS}
    rollup([shop.dealer.pk], today - dt.timedelta(days=130), today - dt.timedelta(days=1))
    with as_dealer(shop.dealer):
        facts = {d: funnel(dealer=shop.dealer, start=start, end=today, dimension=d) for d in DIMS}
        month_sum = KpiFunnelMonth.objects.aggregate(n=Sum("stage_new"))["n"]
        day_sum = KpiDay.objects.aggregate(n=Sum("stage_new"))["n"]
    assert facts["consultant"].through == today - dt.timedelta(days=1)
    assert month_sum == day_sum == 4  # every rolled-up entry is in its month
    assert live["consultant"].total.entered == [5, 4, 2, 1, 0, 0, 0]
    assert live["consultant"].total.reached == [5, 4, 2, 1, 0, 0, 0]
    for dimension in DIMS:
        assert figures(facts[dimension].total) == figures(live[dimension].total)
        assert facts[dimension].total.lost == live[dimension].total.entered_lost == 1
        assert [figures(r) for r in facts[dimension].rows] == [
            figures(r) for r in live[dimension].rows
        ]


DIMS = ["consultant", "source", "model"]
