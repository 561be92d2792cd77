"""Price-list pages and the prices API: HQ publishes with confirmation and sees the differences;
dealers look prices up on their day and set their labour rates within HQ's bounds."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bulletins import pricing_services as ps
from bulletins.models import DealerLabourRate, PriceList
from dms.tenancy.context import as_dealer
from tests.bulletins.conftest import Network
from tests.bulletins.prices_helpers import (
    TODAY,
    D,
    labour_list,
    labour_rows,
    parts_list,
    publish_rows,
)
from tests.factories import signed_in_client

# The vehicle list and catalogue of the data migration (a transactional test elsewhere may
# have flushed them): tests/bulletins/conftest.py `price_reference_data`; `cat` is there too.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("price_reference_data")]


def test_hq_drafts_checks_and_publishes_a_version_with_its_differences(
    network: Network, cat: dict[str, Any]
) -> None:
    admin = network.admin
    client = signed_in_client(admin)
    plist = parts_list(admin)
    publish_rows(
        plist,
        [ps.PartRow("0001234", D("50.00")), ps.PartRow("0001235", D("70.00"))],
        admin,
        TODAY,
    )
    page = client.get(reverse("prices:lists"))
    assert page.status_code == 200 and "Parts" in page.content.decode()
    response = client.post(reverse("prices:new_draft", args=[plist.pk]))
    draft = plist.versions.get(number=2)
    assert response.status_code == 302 and response["Location"].endswith(f"/{draft.pk}/")
    ps.replace_draft_lines(
        version=draft,
        rows=[ps.PartRow("0001234", D("55.00")), ps.PartRow("F-100", D("9.00"))],
        actor=admin,
    )
    client.post(reverse("prices:check", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == "checked"
    diff = client.get(reverse("prices:diff", args=[draft.pk])).content.decode()
    assert "1 new, 1 changed, 1 removed, 0 unchanged." in diff
    assert "50.00" in diff and "55.00" in diff and "F-100" in diff
    # Publishing asks for a confirmation and refuses the past with a clear message.
    url = reverse("prices:publish", args=[draft.pk])
    refused = client.post(url, {"valid_from": "2027-02-01", "confirm": "on"})
    assert refused.status_code == 200 and "never change in the past" in refused.content.decode()
    unconfirmed = client.post(url, {"valid_from": "2027-04-01"})
    assert unconfirmed.status_code == 200
    draft.refresh_from_db()
    assert draft.status == "checked"
    done = client.post(url, {"valid_from": "2027-04-01", "confirm": "on"})
    assert done.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "published" and draft.valid_from == dt.date(2027, 4, 1)
    # Not valid yet: it may be withdrawn (with a confirmation page first).
    assert client.get(reverse("prices:withdraw", args=[draft.pk])).status_code == 200
    client.post(reverse("prices:withdraw", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == "withdrawn"


def test_the_version_page_searches_and_pages_in_a_fixed_number_of_queries(
    network: Network, cat: dict[str, Any]
) -> None:
    from inventory.models import Part

    group = cat["groups"]["FLT"]
    Part.objects.bulk_create(
        Part(number=f"P{i:05d}", description=f"Filter {i}", group=group) for i in range(120)
    )
    admin = network.admin
    version = publish_rows(
        parts_list(admin), [ps.PartRow(f"P{i:05d}", D("10.00")) for i in range(120)], admin, TODAY
    )
    client = signed_in_client(admin)
    url = reverse("prices:version", args=[version.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as first:
        page = client.get(url)
    assert page.status_code == 200 and "P00049" in page.content.decode()
    assert "P00050" not in page.content.decode()  # 50 a page
    with CaptureQueriesContext(connection) as later:
        client.get(url + "?page=2")
    assert len(later) == len(first)
    found = client.get(url + "?q=P00077").content.decode()
    assert "P00077" in found and "P00076" not in found


def test_dealer_staff_cannot_open_hq_price_pages(network: Network) -> None:
    version = PriceList.objects.get(kind="vehicle").versions.first()
    client = signed_in_client(network.who("A", "dealer_manager"))
    assert client.get(reverse("prices:lists")).status_code == 403
    assert client.get(reverse("prices:version", args=[version.pk])).status_code == 403
    assert client.post(reverse("prices:new_draft", args=[version.price_list_id])).status_code == 403


def test_a_consultant_looks_up_prices_on_a_day(network: Network, cat: dict[str, Any]) -> None:
    admin = network.admin
    publish_rows(
        parts_list(admin),
        [ps.PartRow("0001234", D("50.00")), ps.GroupDiscountRow("BRK", D("10"))],
        admin,
        TODAY,
    )
    client = signed_in_client(network.who("A", "consultant"))
    page = client.get(reverse("prices:lookup"), {"codes": "A3-CORE", "parts": "0001234"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "21,490.00" in text or "21490.00" in text
    assert "45.00" in text  # 50.00 less 10 %
    before = client.get(reverse("prices:lookup"), {"day": "2027-02-01", "parts": "0001234"})
    assert "None of these part numbers has a price on that day." in before.content.decode()


def test_the_dealer_manager_sets_labour_rates_within_bounds(
    network: Network, cat: dict[str, Any]
) -> None:
    publish_rows(labour_list(network.admin), labour_rows("120.00"), network.admin, TODAY)
    mech = cat["grades"]["MECH"]
    manager = signed_in_client(network.who("A", "dealer_manager"))
    url = reverse("prices:labour_rates")
    assert manager.get(url).status_code == 200
    refused = manager.post(url, {"grade": mech.pk, "rate": "200.00"})
    assert refused.status_code == 200
    assert "must be between 100.00 and 150.00 EUR" in refused.content.decode()
    with as_dealer(network.dealers["A"]):
        assert not DealerLabourRate.objects.exists()
    assert manager.post(url, {"grade": mech.pk, "rate": "135.50"}).status_code == 302
    with as_dealer(network.dealers["A"]):
        assert DealerLabourRate.objects.get().rate == D("135.50")
    advisor = signed_in_client(network.who("A", "service_advisor"))
    assert advisor.get(url).status_code == 200
    assert advisor.post(url, {"grade": mech.pk, "rate": "140.00"}).status_code == 403
    consultant = signed_in_client(network.who("A", "consultant"))
    assert consultant.get(url).status_code == 403


def test_the_prices_api_answers_for_the_dealers_day_and_rates(
    network: Network, cat: dict[str, Any]
) -> None:
    admin = network.admin
    publish_rows(parts_list(admin), [ps.PartRow("0001234", D("50.00"), D("41.00"))], admin, TODAY)
    publish_rows(labour_list(admin), labour_rows("120.00"), admin, TODAY)
    ps.set_dealer_labour_rate(
        dealer=network.dealers["A"],
        grade=cat["grades"]["MECH"],
        rate=D("130.00"),
        actor=network.who("A", "dealer_manager"),
    )
    client = signed_in_client(network.who("A", "service_advisor"))
    body = client.get(
        "/api/prices/", {"codes": "A3-CORE", "parts": "0001234,NOPE", "grades": "MECH"}
    ).json()
    assert body["on"] == "2027-03-01"
    assert body["parts"] == [
        {
            "number": "0001234",
            "priced_as": "0001234",
            "retail_price": "50.00",
            "dealer_net_price": "41.00",
            "group_discount_percent": None,
        }
    ]
    assert body["labour"][0]["rate"] == "130.00" and body["missing"] == ["NOPE"]
    assert body["vehicles"][0]["price"] == "21490.00"
    assert client.get("/api/prices/", {"on": "not-a-day"}).status_code == 400
    assert client.post("/api/prices/", {}).status_code in (403, 405)
