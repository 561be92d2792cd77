"""My day with a long backlog: each follow-up section shows its first rows, "show more" (htmx)
brings the rest in order, counts are capped; the consultant's open lead list reads only their
own leads (the partial index's shape)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dms.tenancy.context import as_dealer
from leads.selectors import myday
from tests.factories import FollowUpFactory
from tests.leads._funnel import (  # noqa: F401
    Shop,
    max_sql_fixture,
    other_shop_fixture,
    shop_fixture,
    signed_in_fixture,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _overdue(shop: Shop, consultant, n: int) -> list:
    """n overdue follow-ups of `consultant`, oldest first (each on its own lead)."""
    now = timezone.now()
    rows = []
    for i in range(n):
        lead = shop.lead(consultant)
        with as_dealer(shop.dealer):
            rows.append(FollowUpFactory(lead=lead, due_at=now - dt.timedelta(hours=n - i)))
    return rows


def _shown(html: str) -> list[int]:
    return [
        int(pk)
        for pk in re.findall(
            r'<li class="list-group-item my-day-item" data-follow-up="(\d+)"', html
        )
    ]


def test_long_section_shows_first_page_and_the_rest_on_show_more(shop: Shop, signed_in, max_sql):
    mine = _overdue(shop, shop.alice, myday.PAGE_SIZE + 5)
    bobs = _overdue(shop, shop.bob, 2)
    client = signed_in(shop.alice)
    page = client.get(reverse("leads:my_day"))
    html = page.content.decode()
    assert page.status_code == 200
    assert _shown(html) == [f.pk for f in mine[: myday.PAGE_SIZE]]
    assert 'data-testid="more-overdue"' in html
    assert f'data-testid="count-overdue">{len(mine)}<' in html
    # no form per row: one shared dialog per action
    assert (
        html.count("<form") < 6 and 'id="follow-up-done"' in html and 'id="follow-up-move"' in html
    )
    more = re.search(r'hx-get="([^"]+more=overdue[^"]+)"', html).group(1).replace("&amp;", "&")

    client.get(more, **HTMX)  # warm caches like a real click after the page
    with max_sql(8):
        rest = client.get(more, **HTMX)
    part = rest.content.decode()
    assert rest.status_code == 200 and "<html" not in part
    assert _shown(part) == [f.pk for f in mine[myday.PAGE_SIZE :]]
    assert "more-overdue" not in part  # nothing left
    assert not {f.pk for f in bobs} & set(_shown(html) + _shown(part))

    # without htmx the same link gives the whole page with the section longer
    full = client.get(more).content.decode()
    assert "<html" in full and _shown(full) == [f.pk for f in mine]


def test_show_more_bad_input_falls_back(shop: Shop, signed_in):
    mine = _overdue(shop, shop.alice, 3)
    client = signed_in(shop.alice)
    url = reverse("leads:my_day")
    for query in (
        {"more": "nonsense", "shown": "20"},
        {"more": "overdue", "shown": "abc", "at": "yesterday"},
        {"more": "overdue", "shown": "-5", "at": "99999999999"},
    ):
        page = client.get(url, query)
        assert page.status_code == 200
        assert _shown(page.content.decode()) == [f.pk for f in mine]
    # an htmx request for an unknown section gets the page, not someone else's rows
    assert "<html" in client.get(url, {"more": "bob", "shown": "0"}, **HTMX).content.decode()


def test_section_counts_are_capped(shop: Shop, signed_in, monkeypatch):
    monkeypatch.setattr(myday, "COUNT_CAP", 3)
    _overdue(shop, shop.alice, 5)
    html = signed_in(shop.alice).get(reverse("leads:my_day")).content.decode()
    assert 'data-testid="count-overdue">3+<' in html


def test_show_more_never_shows_another_consultants_or_dealers_rows(
    shop: Shop, other_shop: Shop, signed_in
):
    _overdue(shop, shop.alice, 1)
    bobs = _overdue(shop, shop.bob, myday.PAGE_SIZE + 3)
    foreign = _overdue(other_shop, other_shop.alice, 3)
    client = signed_in(shop.alice)
    for shown in (0, 1, myday.PAGE_SIZE):
        part = client.get(
            reverse("leads:my_day"), {"more": "overdue", "shown": shown}, **HTMX
        ).content.decode()
        assert not {f.pk for f in bobs + foreign} & set(_shown(part))


def test_consultants_open_lead_list_reads_only_their_own_leads(shop: Shop, signed_in):
    mine = shop.lead(shop.alice)
    pooled = shop.lead(shop.bob, in_pool=True, pooled_at=timezone.now())
    theirs = shop.lead(shop.bob)
    # Names no other text on the page can contain (Faker's may collide with anything shown).
    with as_dealer(shop.dealer):
        for lead, name in ((mine, "Mineownlead"), (pooled, "Pooledlead"), (theirs, "Theirslead")):
            lead.customer.last_name = name
            lead.customer.save(update_fields=["last_name"])
    client = signed_in(shop.alice)
    client.get(reverse("leads:leads"))
    with CaptureQueriesContext(connection) as captured:
        html = client.get(reverse("leads:leads")).content.decode()
    assert mine.customer.last_name in html
    assert pooled.customer.last_name not in html and theirs.customer.last_name not in html
    lead_sql = [q["sql"] for q in captured.captured_queries if 'FROM "leads_lead"' in q["sql"]]
    # consultant_id = me alone (no "OR in_pool"): PostgreSQL can use lead_open_list_consultant
    assert lead_sql and all(" OR " not in sql for sql in lead_sql)
    assert f'"leads_lead"."consultant_id" = {shop.alice.pk}' in lead_sql[0]
    # the pool view of the list still shows the pool
    html = client.get(reverse("leads:leads"), {"status": "pool"}).content.decode()
    assert pooled.customer.last_name in html and theirs.customer.last_name not in html
    # and "all" shows own leads and the pool, never a colleague's
    html = client.get(reverse("leads:leads"), {"status": "all"}).content.decode()
    assert mine.customer.last_name in html and pooled.customer.last_name in html
    assert theirs.customer.last_name not in html
