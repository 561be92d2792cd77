"""My day and the daily activity report: content, order, other consultants/dealers, query counts."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from dealers.clock import dealer_today
from dms.tenancy.context import as_dealer
from leads.models import Visit
from leads.selectors.myday import my_day
from leads.services import leads as svc
from tests.factories import FollowUpFactory
from tests.leads._funnel import (  # noqa: F401
    Shop,
    max_sql_fixture,
    other_shop_fixture,
    shop_fixture,
    signed_in_fixture,
)

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def _plan(shop: Shop) -> dict:
    now = timezone.now()
    with as_dealer(shop.dealer):
        overdue = FollowUpFactory(lead=shop.lead(shop.alice), due_at=now - dt.timedelta(days=2))
        later_today = FollowUpFactory(
            lead=shop.lead(shop.alice), due_at=now + dt.timedelta(minutes=1)
        )
        tomorrow = FollowUpFactory(lead=shop.lead(shop.alice), due_at=now + dt.timedelta(days=1))
        next_week = FollowUpFactory(lead=shop.lead(shop.alice), due_at=now + dt.timedelta(days=7))
        bobs = FollowUpFactory(lead=shop.lead(shop.bob), due_at=now - dt.timedelta(hours=1))
    pooled = shop.lead(shop.bob, in_pool=True, pooled_at=now)
    return locals()


@time_machine.travel(dt.datetime(2027, 3, 9, 14, 0, tzinfo=BERLIN), tick=False)
def test_my_day_orders_overdue_first_and_shows_only_mine(shop: Shop):
    # A fixed Tuesday afternoon: "in a minute" is today and "in a day" tomorrow whenever the
    # suite runs (at 23:59 the first would be tomorrow).
    rows = _plan(shop)
    with as_dealer(shop.dealer):
        plan = my_day(user=shop.alice, dealer=shop.dealer)
    assert plan.overdue == [rows["overdue"]]
    assert plan.due_today == [rows["later_today"]]
    assert plan.due_tomorrow == [rows["tomorrow"]]
    everything = plan.overdue + plan.due_today + plan.due_tomorrow
    assert rows["next_week"] not in everything and rows["bobs"] not in everything
    assert plan.pool == [rows["pooled"]]


def test_my_day_page_is_live_and_cheap(shop: Shop, signed_in, max_sql):
    rows = _plan(shop)
    client = signed_in(shop.alice)
    client.get(reverse("leads:my_day"))  # warm the session/device caches like a real day
    with max_sql(8):
        page = client.get(reverse("leads:my_day"))
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index('data-testid="overdue"') < html.index('data-testid="due-today"')
    assert rows["overdue"].customer.last_name in html
    assert rows["bobs"].customer.last_name not in html
    # live: a follow-up done a moment ago disappears without any planning run
    with as_dealer(shop.dealer):
        from leads.services.followups import complete_follow_up

        complete_follow_up(follow_up=rows["overdue"], actor=shop.alice, result="reached")
    html = client.get(reverse("leads:my_day")).content.decode()
    assert 'data-testid="overdue"' not in html


def test_my_day_query_count_does_not_grow_with_rows(shop: Shop, signed_in, max_sql):
    now = timezone.now()
    with as_dealer(shop.dealer):
        for i in range(30):
            FollowUpFactory(lead=shop.lead(shop.alice), due_at=now - dt.timedelta(hours=i))
    for _ in range(12):
        shop.lead(shop.bob, in_pool=True, pooled_at=now)
    client = signed_in(shop.alice)
    client.get(reverse("leads:my_day"))
    with max_sql(8):
        assert client.get(reverse("leads:my_day")).status_code == 200


def test_activity_report_counts_per_consultant_and_dealer(shop: Shop, other_shop: Shop, signed_in):
    lead = shop.lead(shop.alice)
    with as_dealer(shop.dealer):
        svc.record_activity(lead=lead, actor=shop.alice, kind="call", summary="Call 1")
        svc.record_activity(lead=lead, actor=shop.alice, kind="call", summary="Call 2")
        svc.record_activity(lead=lead, actor=shop.bob, kind="call", summary="Bob's call")
        Visit.objects.create(
            dealer=shop.dealer,
            kind="walk_in",
            customer=lead.customer,
            lead=lead,
            served_by=shop.alice,
            source=lead.source,
            arrived_at=timezone.now(),
        )
    foreign = other_shop.lead(other_shop.alice)
    with as_dealer(other_shop.dealer):
        svc.record_activity(lead=foreign, actor=other_shop.alice, kind="call", summary="x")
    manager = signed_in(shop.manager)
    page = manager.get(reverse("leads:activity"))
    html = page.content.decode()
    assert page.status_code == 200
    from leads.selectors.activity import activity_report

    with as_dealer(shop.dealer):
        report = activity_report(dealer=shop.dealer, day=dealer_today(shop.dealer))
    by_name = {r.user_id: r.figures for r in report.rows}
    assert by_name[shop.alice.pk]["calls"] == 2 and by_name[shop.alice.pk]["visits"] == 1
    assert by_name[shop.bob.pk]["calls"] == 1
    assert report.total.figures["calls"] == 3
    assert f'data-user="{other_shop.alice.pk}"' not in html
    assert f'data-user="{shop.alice.pk}"' in html
    assert 'data-testid="activity-total"' in html
    # a consultant sees their own line only
    html = signed_in(shop.bob).get(reverse("leads:activity")).content.decode()
    assert f'data-user="{shop.alice.pk}"' not in html and f'data-user="{shop.bob.pk}"' in html
    assert 'data-testid="activity-total"' not in html


def test_activity_report_bad_day_falls_back_and_future_is_capped(shop: Shop, signed_in):
    client = signed_in(shop.manager)
    assert client.get(reverse("leads:activity"), {"day": "not-a-date"}).status_code == 200
    assert client.get(reverse("leads:activity"), {"day": "2999-01-01"}).status_code == 200
