"""The sidebar is rendered once per menu and language and reused (dms.navigation.sidebar_html):
pages in a row, for different roles, pages and languages, must each still get their own menu."""

from __future__ import annotations

import re

import pytest

from tests.factories import DealerFactory, signed_in_client, staff
from tests.ui.helpers import nav_items

pytestmark = pytest.mark.django_db


def sidebar(html: str) -> str:
    match = re.search(r'<div class="sidebar.*?</nav>', html, flags=re.S)
    assert match, "no sidebar on the page"
    return match.group(0)


def lit(html: str) -> list[str]:
    return re.findall(r'data-nav-item="([a-z_]+)" aria-current="page"', sidebar(html))


def test_the_lit_entry_follows_the_page_on_consecutive_pages() -> None:
    client = signed_in_client(staff(DealerFactory(), "consultant"))
    assert lit(client.get("/sales/leads/").content.decode()) == ["leads"]
    assert lit(client.get("/sales/my-day/").content.decode()) == ["my_day"]
    assert lit(client.get("/sales/leads/").content.decode()) == ["leads"]


def test_each_role_keeps_its_own_menu() -> None:
    dealer = DealerFactory()
    consultant = signed_in_client(staff(dealer, "consultant"))
    manager = signed_in_client(staff(dealer, "sales_manager"))
    for _ in range(2):  # the second round comes from the reused renderings
        assert "approvals" not in nav_items(consultant.get("/sales/leads/").content.decode())
        assert "approvals" in nav_items(manager.get("/sales/leads/").content.decode())


def test_the_menu_follows_the_language() -> None:
    client = signed_in_client(staff(DealerFactory(), "consultant"))
    assert "My day" in sidebar(client.get("/sales/leads/").content.decode())
    client.post("/i18n/setlang/", {"language": "ja", "next": "/"})
    japanese = sidebar(client.get("/sales/leads/").content.decode())
    assert "今日の予定" in japanese and "My day" not in japanese
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "My day" in sidebar(client.get("/sales/leads/").content.decode())
