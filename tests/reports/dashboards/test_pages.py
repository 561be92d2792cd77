"""The dashboard pages: what each role sees (numbers equal to the hand-computed facts of
test_selectors.orders_history), what it must not see, and bad input."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import DealerFactory, staff
from tests.ui.helpers import text_of

from .facts import Network, add_facts, plan, plan_version
from .test_selectors import orders_history

pytestmark = pytest.mark.django_db

MARCH = "?year=2026&month=3"


def by_testid(html: str, name: str) -> str:
    match = re.search(rf'data-testid="{re.escape(name)}"[^>]*>(.*?)</(?!i>)', html, re.S)
    assert match, f"no element {name}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(1))).strip()


def dealer_codes(html: str) -> list[str]:
    """The dealers of the network table, in the order shown."""
    return re.findall(r'<tr data-dealer="([^"]+)"', html)


def test_dealer_manager_sees_own_dealer_figures(net: Network, login):
    orders_history(net)
    response = login(net.manager).get("/reports/" + MARCH)
    assert response.status_code == 200
    html = response.content.decode()
    assert by_testid(html, "mtd-actual-orders") == "4"
    assert by_testid(html, "mtd-plan-orders") == "10"
    assert by_testid(html, "mtd-attainment-orders") == "40.0 %"
    assert by_testid(html, "status-orders") == "On track"  # pace 124 %
    assert by_testid(html, "status-leads") == "Slightly behind"  # pace 93 %
    assert re.sub(r"\s+", " ", by_testid(html, "ytd-orders")) == "12"  # then "/ 18 · 66.7 %"
    assert "12 / 18 · 66.7 %" in text_of(html)
    text = text_of(html)
    assert "Figures as of 10 Mar 2026" in text
    assert "Plan 2026 v2" in text
    assert "Funnel of March 2026" in text  # the month shown, not "this month"
    assert "Alpha Motors" in text and "Alice Adams" in text and "Bob Brown" in text
    assert "Carol Clark" not in text and "Beta Cars" not in text  # dealer B's consultant
    board = re.findall(r'<tr data-consultant="(\d+)"', html)
    assert board == [str(net.alice.pk), str(net.bob.pk)]
    assert "Orders 3/6 · 50 %" in text  # Alice against her split target


def test_default_month_is_the_month_of_the_latest_figures(net: Network, login):
    orders_history(net)
    html = login(net.sales_manager).get("/reports/").content.decode()
    assert "March 2026" in text_of(html)
    assert by_testid(html, "mtd-actual-orders") == "4"


def test_bad_period_shows_a_message_and_the_default(net: Network, login):
    orders_history(net)
    response = login(net.manager).get("/reports/?year=abc&month=13")
    assert response.status_code == 200
    text = text_of(response.content.decode())
    assert "Invalid period" in text
    assert "March 2026" in text


@pytest.mark.parametrize("role", ["consultant", "dealer_admin", "service_advisor"])
def test_other_dealer_roles_are_refused(net: Network, login, role):
    user = staff(net.a, role)
    client = login(user)
    assert client.get("/reports/").status_code == 403
    assert client.get("/reports/network/").status_code == 403
    assert client.get(f"/reports/network/{net.a.pk}/").status_code == 403


def test_dealer_manager_cannot_open_the_network_or_drill_down(net: Network, login):
    client = login(net.manager)
    assert client.get("/reports/network/").status_code == 403
    assert client.get(f"/reports/network/{net.a.pk}/").status_code == 403


def test_hq_is_sent_from_the_dealer_dashboard_to_the_network(net: Network, login):
    response = login(net.regional).get("/reports/")
    assert response.status_code == 302 and response["Location"] == "/reports/network/"


def test_regional_manager_sees_only_own_regions(net: Network, login):
    orders_history(net)
    client = login(net.regional)
    html = client.get("/reports/network/" + MARCH).content.decode()
    assert dealer_codes(html) == ["DA01", "DB02"]  # A 40 %, B 30 %; C (South) absent
    text = text_of(html)
    assert "Gamma Auto" not in text and "South" not in text
    assert re.findall(r'<tr data-region="(\d+|all)"', html) == [str(net.north.pk)]
    assert by_testid(html, "network-actual") == "7"  # A 4 + B 3
    assert by_testid(html, "network-attainment") == "35.0 %"  # 7 / 20
    # Drill-down: own region's dealer read only; another region's dealer does not exist.
    drill = client.get(f"/reports/network/{net.a.pk}/" + MARCH)
    assert drill.status_code == 200
    drill_html = drill.content.decode()
    assert by_testid(drill_html, "read-only") == "Read only"
    assert by_testid(drill_html, "mtd-actual-orders") == "4"
    assert "Alice Adams" in text_of(drill_html)
    assert "Live funnel" not in text_of(drill_html)  # no way into the dealer's leads
    assert client.get(f"/reports/network/{net.c.pk}/").status_code == 404
    assert client.get("/reports/network/999999/").status_code == 404
    assert client.post(f"/reports/network/{net.a.pk}/").status_code == 405


def test_regional_manager_cannot_filter_to_a_foreign_region(net: Network, login):
    orders_history(net)
    response = login(net.regional).get(f"/reports/network/{MARCH}&region={net.south.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Invalid filter" in text_of(html)
    assert dealer_codes(html) == ["DA01", "DB02"]


def test_hq_admin_sees_every_region_ranked_with_status(net: Network, login):
    orders_history(net)
    client = login(net.hq_admin)
    html = client.get("/reports/network/" + MARCH).content.decode()
    assert dealer_codes(html) == ["DA01", "DC03", "DB02"]
    statuses = re.findall(r'<tr data-dealer="[^"]+" data-status="(\w+)"', html)
    assert statuses == ["green", "green", "amber"]
    assert re.findall(r'<tr data-region="(\d+|all)"', html) == [
        str(net.north.pk),
        str(net.south.pk),
        "all",
    ]
    assert by_testid(html, "network-actual") == "14"
    assert by_testid(html, "network-attainment") == "35.0 %"  # 14 / 40
    assert client.get(f"/reports/network/{net.c.pk}/" + MARCH).status_code == 200


def test_network_filters_and_sorting(net: Network, login):
    orders_history(net)
    client = login(net.hq_admin)
    south = client.get(f"/reports/network/{MARCH}&region={net.south.pk}").content.decode()
    assert dealer_codes(south) == ["DC03"]
    by_code = client.get(f"/reports/network/{MARCH}&sort=-code").content.decode()
    assert dealer_codes(by_code) == ["DC03", "DB02", "DA01"]
    # YTD orders: A 12/18 = 66.7 %, B 3/10 = 30 %, C 7/20 = 35 %.
    ytd = client.get(f"/reports/network/{MARCH}&period=ytd&sort=ytd_attainment").content.decode()
    assert dealer_codes(ytd) == ["DB02", "DC03", "DA01"]
    # Leads: only A has a plan; B and C are unranked and last.
    leads = client.get(f"/reports/network/{MARCH}&metric=leads").content.decode()
    assert dealer_codes(leads) == ["DA01", "DB02", "DC03"]
    assert "Dealer ranking: Leads, Month to date" in text_of(leads)
    unknown = client.get(f"/reports/network/{MARCH}&sort=nonsense")
    assert unknown.status_code == 200 and dealer_codes(unknown.content.decode())[0] == "DA01"
    bad = client.get("/reports/network/?metric=cars&period=forever")
    assert bad.status_code == 200 and "Invalid filter" in text_of(bad.content.decode())


def test_network_query_count_does_not_grow_with_dealers(net: Network, login):
    orders_history(net)
    client = login(net.hq_admin)
    client.get("/reports/network/" + MARCH)  # warm up (session, content types)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/reports/network/" + MARCH).status_code == 200
    version = plan_version(2026, 3)
    for n in range(6):
        dealer = DealerFactory(code=f"DX{n:02d}", region=net.south if n % 2 else net.north)
        plan(dealer, version, "orders", {3: 5})
        add_facts(dealer, net_day(), orders=n)
    with CaptureQueriesContext(connection) as many:
        html = client.get("/reports/network/" + MARCH).content.decode()
    assert len(dealer_codes(html)) == 9
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
    assert len(many) <= 20


def net_day():
    import datetime as dt

    return dt.date(2026, 3, 8)


def test_dealer_dashboard_query_count(net: Network, login):
    orders_history(net)
    client = login(net.manager)
    client.get("/reports/" + MARCH)
    with CaptureQueriesContext(connection) as queries:
        client.get("/reports/" + MARCH)
    assert len(queries) <= 25, "\n".join(q["sql"][:150] for q in queries.captured_queries)


def test_home_dashboard_tile(net: Network, login):
    orders_history(net)
    manager_home = login(net.manager).get("/").content.decode()
    assert 'data-testid="kpi-tile"' in manager_home
    tile = text_of(manager_home.split('data-testid="kpi-tile"', 1)[1])
    assert "Plan attainment · March 2026" in tile and "4 / 10" in tile
    hq_home = login(net.regional).get("/").content.decode()
    assert "Plan attainment, 2 dealers" in text_of(hq_home)  # North only: A and B
    consultant_home = login(net.alice).get("/").content.decode()
    assert 'data-testid="kpi-tile"' not in consultant_home
