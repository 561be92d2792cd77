"""The rows of My day and of the funnel page are written in Python (funnel_tags.follow_up_rows,
pool_rows, reports.funnel.views): what a user sees there — escaped names and notes, translated
labels, links and buttons per row — must stay as the template loops showed it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from dealers.clock import day_start, dealer_today
from dms.tenancy.context import as_dealer
from tests.factories import FollowUpFactory
from tests.leads._funnel import (  # noqa: F401
    Shop,
    shop_fixture,
    signed_in_fixture,
)

pytestmark = pytest.mark.django_db

EVIL = '<b>Ann & "Bo"</b>'


def test_my_day_rows_escape_values_and_keep_links_buttons_and_translations(shop: Shop, signed_in):
    now = timezone.now()
    lead = shop.lead(shop.alice, grade="H")
    with as_dealer(shop.dealer):
        type(lead.customer).objects.filter(pk=lead.customer_id).update(
            first_name=EVIL, last_name=""
        )
    with as_dealer(shop.dealer):
        overdue = FollowUpFactory(lead=lead, due_at=now - dt.timedelta(days=2), note="<i>call</i>")
        # noon of the dealer's tomorrow: "now + 25 h" left My day when run late in the evening
        tomorrow_noon = day_start(
            shop.dealer, dealer_today(shop.dealer) + dt.timedelta(days=1)
        ) + dt.timedelta(hours=12)
        tomorrow = FollowUpFactory(lead=shop.lead(shop.alice), due_at=tomorrow_noon)
    pooled = shop.lead(shop.bob, in_pool=True, pooled_at=now)

    with translation.override("en"):  # the middleware's "ja" must not outlive the test
        html = signed_in(shop.alice).get(reverse("leads:my_day"), HTTP_ACCEPT_LANGUAGE="ja")
    html = html.content.decode()

    assert EVIL not in html and "&lt;b&gt;Ann &amp; &quot;Bo&quot;&lt;/b&gt;" in html
    assert "<i>call</i>" not in html and "&lt;i&gt;call&lt;/i&gt;" in html
    detail = reverse("leads:lead_detail", args=[lead.pk])
    assert f'<a class="fw-semibold" href="{detail}">' in html
    assert '<span class="badge grade-H">H</span>' in html
    # overdue rows carry the translated Done/Move buttons, tomorrow's rows (compact) none
    assert f'data-testid="done-{overdue.pk}"' in html and "完了</button>" in html
    assert "変更</button>" in html
    assert f'data-follow-up="{tomorrow.pk}"' in html
    assert f'data-testid="done-{tomorrow.pk}"' not in html
    # the pool row: link, translated stage and a claim form with a CSRF token
    claim = reverse("leads:lead_action", args=[pooled.pk, "claim"])
    assert f'href="{reverse("leads:lead_detail", args=[pooled.pk])}"' in html
    assert (
        f'<form method="post" action="{claim}"><input type="hidden" name="csrfmiddlewaretoken"'
        in html
    )
    assert "取得</button>" in html


def test_my_day_show_more_rows_come_from_the_same_writer(shop: Shop, signed_in):
    now = timezone.now()
    leads = [shop.lead(shop.alice) for _ in range(3)]
    with as_dealer(shop.dealer):
        rows = [
            FollowUpFactory(lead=leads[i], due_at=now - dt.timedelta(days=2, minutes=i))
            for i in range(3)
        ]
    page = signed_in(shop.alice).get(
        reverse("leads:my_day"), {"more": "overdue", "shown": "1"}, HTTP_HX_REQUEST="true"
    )
    html = page.content.decode()
    assert "<html" not in html
    assert html.count('class="list-group-item my-day-item"') == 2
    assert f'data-follow-up="{rows[-1].pk}"' not in html  # the oldest was shown first


def test_funnel_stale_rows_escape_and_translate(shop: Shop, signed_in):
    old = timezone.now() - dt.timedelta(days=40)
    lead = shop.lead(shop.alice, last_activity_at=old, grade="")
    with as_dealer(shop.dealer):
        type(lead.customer).objects.filter(pk=lead.customer_id).update(
            first_name=EVIL, last_name=""
        )
    never = shop.lead(shop.alice, last_activity_at=None, grade="A")
    with as_dealer(shop.dealer):
        type(never).objects.filter(pk=never.pk).update(created_at=old)

    with translation.override("en"):
        html = signed_in(shop.manager).get(reverse("leads:funnel"), HTTP_ACCEPT_LANGUAGE="ja")
    html = html.content.decode()
    stale = html[html.index('data-testid="stale-leads"') :]
    assert EVIL not in stale and "&lt;b&gt;Ann &amp; &quot;Bo&quot;&lt;/b&gt;" in stale
    assert f'href="{reverse("leads:lead_detail", args=[lead.pk])}"' in stale
    assert "<td>—</td>" in stale  # no grade
    assert '<span class="badge grade-A">A</span>' in stale
    assert "<td>なし</td>" in stale  # never touched: "never", translated
