"""The network ranking is paged (issue 13, item 6): ranks stay the network's across pages, the
filters and the sort are kept in the page links, a drill-down's way back returns to the same
page, and a page number that is not one shows a page, never an error."""

from __future__ import annotations

import re

import pytest

from reports.dashboards import views
from tests.ui.helpers import text_of

from .facts import Network
from .test_pages import MARCH, dealer_codes
from .test_selectors import orders_history

pytestmark = pytest.mark.django_db


def ranks(html: str) -> list[str]:
    return re.findall(r'<span class="kpi-rank[^"]*">(\d+)</span>', html)


def test_ranking_pages_keep_rank_filters_and_sort(
    net: Network, login, monkeypatch: pytest.MonkeyPatch
) -> None:
    orders_history(net)
    monkeypatch.setattr(views, "RANKING_PAGE_SIZE", 2)
    client = login(net.hq_admin)
    first = client.get("/reports/network/" + MARCH).content.decode()
    assert dealer_codes(first) == ["DA01", "DC03"] and ranks(first) == ["1", "2"]
    assert "Page 1 of 2" in text_of(first) and "3 dealers" in text_of(first)
    next_link = re.search(r'href="\?([^"]+)" rel="next"', first)
    assert next_link
    query = next_link.group(1).replace("&amp;", "&")
    assert query == "year=2026&month=3&metric=orders&period=mtd&sort=rank&page=2"
    second = client.get("/reports/network/?" + query).content.decode()
    assert dealer_codes(second) == ["DB02"] and ranks(second) == ["3"]  # the network's rank
    # the drill-down's way back comes back to page 2
    drill = re.search(r'href="(/reports/network/\d+/\?back=[^"]+)"', second)
    assert drill and "page%3D2" in drill.group(1)
    # another sort starts again on page 1, and its pages keep it
    by_code = client.get(f"/reports/network/{MARCH}&sort=-code&page=2").content.decode()
    assert dealer_codes(by_code) == ["DA01"]
    assert "sort=-code&amp;page=1" in by_code
    for bad in ("0", "-1", "abc", "99999", "9" * 30):
        response = client.get(f"/reports/network/{MARCH}&page={bad}")
        assert response.status_code == 200, bad
        assert dealer_codes(response.content.decode()) == (
            ["DB02"] if bad == "99999" else ["DA01", "DC03"]
        ), bad


def test_a_region_filter_pages_its_own_dealers(
    net: Network, login, monkeypatch: pytest.MonkeyPatch
) -> None:
    orders_history(net)
    monkeypatch.setattr(views, "RANKING_PAGE_SIZE", 1)
    client = login(net.regional)  # North only: A and B
    html = client.get(f"/reports/network/{MARCH}").content.decode()
    assert "Page 1 of 2" in text_of(html)
    next_link = re.search(r'href="\?([^"]+)" rel="next"', html)
    assert next_link and "region=" not in next_link.group(1)  # empty filters are left out
    page2 = client.get(f"/reports/network/{MARCH}&page=2").content.decode()
    assert dealer_codes(page2) == ["DB02"]
    assert "DC03" not in page2  # another region's dealer never appears on any page
