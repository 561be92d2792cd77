"""Cycle counts (issue 15, item 9): a bin range is counted blind, a manager approves, the
differences become count adjustments on top of what moved meanwhile; audited; bad input changes
nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from dms.audit.models import AuditAction, AuditEntry
from dms.tenancy.context import as_dealer
from inventory.stock import counts, services
from inventory.stock.models import PartStock, StockCount, StockMovement
from tests.factories import DealerFactory, staff

from .stock_helpers import part, stock

pytestmark = pytest.mark.django_db
DAY = dt.date(2027, 3, 15)


@pytest.fixture
def store() -> dict[str, Any]:
    dealer = DealerFactory(code="SC1")
    clerk, manager = staff(dealer, "parts_clerk"), staff(dealer, "dealer_manager")
    items = {bin_: part(f"SC-{bin_}") for bin_ in ("A-01", "A-02", "B-01")}
    for bin_, item in items.items():
        stock(dealer, item, 5)
        with as_dealer(dealer):
            services.set_levels(dealer_id=dealer.pk, part=item, bin=bin_, minimum=0,
                                reorder_point=0, maximum=0, actor=clerk)  # fmt: skip
    return {"dealer": dealer, "clerk": clerk, "manager": manager, "items": items}


def on_hand(store: dict[str, Any]) -> dict[str, Decimal]:
    with as_dealer(store["dealer"]):
        return dict(PartStock.objects.values_list("bin", "on_hand"))


def test_a_count_posts_its_differences_after_approval(store) -> None:
    dealer, clerk = store["dealer"], store["clerk"]
    with as_dealer(dealer):
        count = counts.start_count(dealer_id=dealer.pk, bin_from="a-01", bin_to="A-99", actor=clerk)
        lines = {line.bin: line.pk for line in count.lines.all()}
        assert sorted(lines) == ["A-01", "A-02"]  # B-01 is outside the range
        # Meanwhile one of A-01 is issued: the count's difference applies on top of it.
        services.issue(dealer_id=dealer.pk, part=store["items"]["A-01"], quantity=1,
                       reference="RO 1", actor=clerk, on=DAY)  # fmt: skip
        counts.enter_counts(
            count=count, counted={lines["A-01"]: "3", lines["A-02"]: "5"}, actor=clerk
        )
        counts.submit(count=count, actor=clerk)
        assert on_hand(store)["A-01"] == 4  # nothing posted before approval
        differences = counts.approve(count=count, actor=store["manager"])
    assert differences == [{"part": "SC-A-01", "difference": "-2.00"}]
    assert on_hand(store) == {"A-01": 2, "A-02": 5, "B-01": 5}
    with as_dealer(dealer):
        assert StockMovement.objects.filter(kind="adjustment").count() == 1
        assert StockCount.objects.get().status == "approved"
    entry = AuditEntry.objects.get(action=AuditAction.STOCK_COUNT)
    assert (entry.actor, entry.detail["differences"]) == (store["manager"], differences)


def test_a_count_cannot_be_submitted_with_lines_missing(store) -> None:
    dealer, clerk = store["dealer"], store["clerk"]
    with as_dealer(dealer):
        count = counts.start_count(dealer_id=dealer.pk, bin_from="A", bin_to="C", actor=clerk)
        first = count.lines.order_by("bin").first()
        counts.enter_counts(count=count, counted={first.pk: "0"}, actor=clerk)
        with pytest.raises(ValidationError, match="2 parts are not counted yet"):
            counts.submit(count=count, actor=clerk)
        with pytest.raises(ValidationError, match="is counting"):
            counts.approve(count=count, actor=store["manager"])
        with pytest.raises(ValidationError, match="whole units"):
            counts.enter_counts(count=count, counted={first.pk: "1.5"}, actor=clerk)
    assert on_hand(store) == {"A-01": 5, "A-02": 5, "B-01": 5}


@pytest.mark.parametrize(
    ("low", "high", "message"),
    [
        ("B", "A", "comes after"),
        ("", "A", "first and the last"),
        ("X-01", "X-99", "No stocked part"),
    ],
)
def test_bad_ranges_are_refused(store, low, high, message) -> None:
    with as_dealer(store["dealer"]), pytest.raises(ValidationError, match=message):
        counts.start_count(
            dealer_id=store["dealer"].pk, bin_from=low, bin_to=high, actor=store["clerk"]
        )
    with as_dealer(store["dealer"]):
        assert not StockCount.objects.exists()


def test_a_cancelled_count_posts_nothing(store) -> None:
    dealer = store["dealer"]
    with as_dealer(dealer):
        count = counts.start_count(
            dealer_id=dealer.pk, bin_from="A", bin_to="Z", actor=store["clerk"]
        )
        counts.cancel(count=count, actor=store["manager"])
        with pytest.raises(ValidationError, match="is cancelled"):
            counts.submit(count=count, actor=store["clerk"])
    assert on_hand(store) == {"A-01": 5, "A-02": 5, "B-01": 5}


def test_counting_and_approving_by_pages(store) -> None:
    from django.urls import reverse

    from tests.factories import signed_in_client

    clerk, manager = signed_in_client(store["clerk"]), signed_in_client(store["manager"])
    listing = reverse("inventory:parts-counts")
    bad = clerk.post(listing, {"bin_from": "Z", "bin_to": "A"})
    assert "The first bin comes after the last one." in bad.content.decode()
    started = clerk.post(listing, {"bin_from": "A-01", "bin_to": "A-02"})
    url = started["Location"]
    page = clerk.get(url).content.decode()
    assert "SC-A-01" in page and "Books" not in page  # blind entry
    with as_dealer(store["dealer"]):
        lines = {line.bin: line.pk for line in StockCount.objects.get().lines.all()}
    # A manager cannot type counts; a clerk cannot approve.
    assert manager.post(url, {"step": "save", f"line_{lines['A-01']}": "1"}).status_code == 403
    clerk.post(url, {"step": "submit", f"line_{lines['A-01']}": "4", f"line_{lines['A-02']}": "5"})
    decide = url + "decide/"
    assert clerk.post(decide, {"step": "approve"}).status_code == 403
    assert manager.post(url, {"step": "approve"}).status_code == 403  # not on the clerks' route
    review = manager.get(url).content.decode()
    assert "Books" in review and "-1.00" in review and decide in review
    manager.post(decide, {"step": "approve"})
    assert on_hand(store)["A-01"] == 4
    # Another dealer's count: not found.
    other = signed_in_client(staff(DealerFactory(code="SC2"), "parts_clerk"))
    assert other.get(url).status_code == 404
