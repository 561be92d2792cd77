"""The funnel's lists are paged (issue 13, item 6): the grade progression table (it stopped at
the newest 200), the notifications (the newest 50) and the claims (the newest 100) show every
row page by page, keep their filter in the page links, count only the dealer's own rows, and a
page number that is not one shows a page, never an error. The approvals inbox is a work queue
(oldest first, 50 per kind): it says when more are waiting instead of hiding them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from dms import paging
from dms.tenancy.context import as_dealer
from leads.models import GradeChange, Notification, OwnershipClaim
from leads.selectors import approvals
from leads.services import leads as svc
from leads.views import notifications
from tests.leads._funnel import (  # noqa: F401
    Shop,
    other_shop_fixture,
    shop_fixture,
    signed_in_fixture,
)
from tests.ui.helpers import text_of

pytestmark = pytest.mark.django_db

BAD_PAGES = ("0", "-1", "abc", "99999", "9" * 30)


@pytest.fixture
def two_per_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paging, "PER_PAGE", 2)
    monkeypatch.setattr(notifications, "PAGE", 2)


def grade_changes(shop: Shop, consultant: Any, n: int) -> None:
    with as_dealer(shop.dealer):
        for i in range(n):
            lead = shop.lead(consultant)
            GradeChange.objects.create(
                dealer=shop.dealer, lead=lead, from_grade="", to_grade="ABC"[i % 3], changed_by=None
            )


def test_grade_table_pages_keep_the_consultant_filter(
    shop: Shop, other_shop: Shop, signed_in: Any, two_per_page: None
) -> None:
    grade_changes(shop, shop.alice, 5)
    grade_changes(shop, shop.bob, 1)
    grade_changes(other_shop, other_shop.alice, 7)  # another dealer's: never counted here
    client = signed_in(shop.manager)
    url = reverse("leads:grade_table")
    everyone = client.get(url)
    assert everyone.status_code == 200
    assert "Page 1 of 3" in text_of(everyone.content.decode())  # 6 rows of this dealer
    alice = client.get(url, {"consultant": shop.alice.pk}).content.decode()
    assert "Page 1 of 3" in text_of(alice)
    assert f"consultant={shop.alice.pk}&amp;page=2" in alice  # the next page, same filter
    last = client.get(url, {"consultant": shop.alice.pk, "page": "3"}).content.decode()
    assert "Page 3 of 3" in text_of(last) and last.count('data-testid="grade-table"') == 1
    assert len(re.findall(r"<tr>\s*<td>", last)) == 1  # the fifth change of Alice's
    assert f"consultant={shop.alice.pk}&amp;page=2" in last  # back, same filter
    for bad in BAD_PAGES:
        response = client.get(url, {"consultant": shop.alice.pk, "page": bad})
        assert response.status_code == 200, bad
        shown = re.search(r"Page (\d) of 3", text_of(response.content.decode()))
        assert shown and shown.group(1) == ("3" if bad == "99999" else "1"), bad


def test_notifications_page_through_all_keeping_show_all(
    shop: Shop, signed_in: Any, two_per_page: None
) -> None:
    with as_dealer(shop.dealer):
        for i in range(5):
            Notification.objects.create(dealer=shop.dealer, user=shop.alice, kind="x", text=f"N{i}")
        Notification.objects.create(dealer=shop.dealer, user=shop.bob, kind="x", text="Bob's")
    client = signed_in(shop.alice)
    url = reverse("leads:notifications")
    first = client.get(url, {"show": "all"}).content.decode()
    assert "Page 1 of 3" in text_of(first) and "show=all&amp;page=2" in first
    assert "Only the newest" not in text_of(first)
    texts = []
    for page in ("1", "2", "3"):
        body = text_of(client.get(url, {"show": "all", "page": page}).content.decode())
        texts += re.findall(r"\bN\d\b", body)
        assert "Bob's" not in body
    assert sorted(texts) == ["N0", "N1", "N2", "N3", "N4"]  # every one reachable, once
    for bad in BAD_PAGES:
        assert client.get(url, {"page": bad}).status_code == 200, bad


def test_claims_page_each_list_on_its_own(shop: Shop, signed_in: Any, two_per_page: None) -> None:
    with as_dealer(shop.dealer):
        for i in range(3):
            lead = shop.lead(shop.alice)
            OwnershipClaim.objects.create(
                dealer=shop.dealer,
                customer=lead.customer,
                claimant=shop.bob,
                current_owner=shop.alice,
                reason=f"Claim {i}",
            )
    bob = signed_in(shop.bob).get(reverse("leads:claims")).content.decode()
    assert "Page 1 of 2" in text_of(bob) and "?page=2" in bob
    manager = signed_in(shop.manager)
    body = manager.get(reverse("leads:claims"), {"page": "1", "pending_page": "2"}).content
    html = body.decode()
    assert "Page 2 of 2" in text_of(html)  # the pending list's second page
    assert "page=1&amp;pending_page=1" in html  # its way back keeps the other list's page
    for bad in BAD_PAGES:
        response = manager.get(reverse("leads:claims"), {"pending_page": bad, "page": bad})
        assert response.status_code == 200, bad


def test_the_approvals_inbox_says_when_more_are_waiting_than_shown(
    shop: Shop, signed_in: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(approvals, "INBOX_LIMIT", 2)
    client = signed_in(shop.manager)
    for n in range(3):
        lead = shop.lead(shop.alice)
        with as_dealer(shop.dealer):
            svc.request_lost(lead=lead, actor=shop.alice, reason="price")
        html = client.get(reverse("leads:approvals")).content.decode()
        assert html.count("data-lead=") == min(n + 1, 2)
        if n < 2:
            assert 'data-testid="inbox-more"' not in html
    assert 'data-testid="inbox-more"' in html
    assert "the oldest 2 are shown" in text_of(html)
    assert re.search(r'data-testid="inbox-total">\s*2\+', html)
