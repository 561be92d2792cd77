"""dms.paging, the list pages' pager: a page number that is not one never errors (not a number
or below 1: the first page; beyond the end: the last), and the pager's links keep the list's
filters but not its own page number."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from dms.paging import page_number, paginate

ROWS = list(range(1, 24))  # 23 rows: pages of 10, 10, 3


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("", 1),
        ("1", 1),
        ("2", 2),
        ("3", 3),
        ("0", 1),
        ("-1", 1),
        ("abc", 1),
        ("2.5", 1),
        (" 2 ", 2),
        ("99999", 3),
        ("9" * 40, 1),  # not a page anybody asked for (and no huge int())
        ("1e400", 1),
        ("x\x00", 1),
    ],
)
def test_any_page_number_shows_a_page(raw: str, shown: int) -> None:
    request = RequestFactory().get("/list/", {"page": raw})
    paged = paginate(request, ROWS, per_page=10)
    assert paged.page.number == shown
    assert list(paged.object_list) == ROWS[(shown - 1) * 10 : shown * 10]


def test_page_number_parsing() -> None:
    assert [page_number(v) for v in (None, "", "7", "007", "-3", "٣")] == [1, 1, 7, 7, 1, 1]


def test_the_links_keep_the_filters_and_drop_the_page() -> None:
    request = RequestFactory().get("/list/", {"status": "open", "page": "2", "q": ["a", "b"]})
    assert paginate(request, ROWS, per_page=10).query == "status=open&q=a&q=b"
    only = paginate(request, ROWS, per_page=10, keep=["status"])
    assert only.query == "status=open"
    validated = paginate(request, ROWS, per_page=10, keep={"status": "open", "day": None})
    assert validated.query == "status=open"
    # a second list on the same page keeps the first one's page in its links
    other = paginate(request, ROWS, per_page=10, param="pending_page")
    assert other.query == "status=open&page=2&q=a&q=b" and other.page.number == 1


def test_the_pager_links_to_the_next_page_with_the_filters() -> None:
    request = RequestFactory().get("/list/", {"status": "open", "page": "2"})
    html = render_to_string("includes/pager.html", paginate(request, ROWS, per_page=10).context)
    assert "Page 2 of 3" in html and "rows 11–20 of 23" in html
    assert 'href="?status=open&amp;page=3" rel="next"' in html
    assert 'href="?status=open&amp;page=1" rel="prev"' in html
    single = paginate(RequestFactory().get("/list/"), ROWS[:5], per_page=10)
    assert render_to_string("includes/pager.html", single.context).strip() == ""
