"""Counter sales (issue 15, item 5): priced from the parts price list of the dealer's day, issued
from stock (older numbers first), all lines or nothing, an invoice PDF (audited); a known
customer found by phone; only the dealer's parts clerks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from bulletins import pricing_services as ps
from dms.audit.models import AuditAction, AuditEntry
from dms.tenancy.context import as_dealer
from inventory.stock import counter
from inventory.stock.models import CounterSale, PartStock
from tests.bulletins.prices_helpers import parts_list, publish_rows
from tests.factories import CustomerFactory, DealerFactory, hq_user, signed_in_client, staff

from .stock_helpers import part, stock, supersede

pytestmark = pytest.mark.django_db
DAY = dt.date(2027, 3, 15)


@pytest.fixture
def frozen() -> Iterator[None]:
    """Prices are published from "today" on: every test runs on 1 March 2027."""
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def shop(frozen: None) -> dict[str, Any]:
    dealer = DealerFactory(code="CS1", country="DE")
    old, new, oil = part("5000-A"), part("5000-B"), part("OIL-1", unit="l")
    supersede(old, new)
    stock(dealer, old, 1), stock(dealer, new, 5), stock(dealer, oil, "20")
    admin = hq_user("hq_admin")
    publish_rows(
        parts_list(admin),
        [ps.PartRow("5000-B", Decimal("40.00")), ps.PartRow("OIL-1", Decimal("12.50"))],
        admin,
        dt.date(2027, 3, 1),
    )
    return {
        "dealer": dealer,
        "old": old,
        "new": new,
        "oil": oil,
        "clerk": staff(dealer, "parts_clerk"),
    }


def on_hand(shop: dict[str, Any]) -> dict[str, Decimal]:
    with as_dealer(shop["dealer"]):
        return dict(PartStock.objects.values_list("part__number", "on_hand"))


def test_a_counter_sale_is_priced_issued_and_totalled(shop) -> None:
    with as_dealer(shop["dealer"]):
        sale = counter.sell(
            dealer=shop["dealer"], actor=shop["clerk"], walk_in_name="  Jo   Walker ", on=DAY,
            lines=[counter.SaleLine("5000-a", 2, "10"), counter.SaleLine("OIL-1", "4.5")],
        )  # fmt: skip
        lines = list(
            sale.lines.order_by("id").values_list(
                "part__number", "quantity", "unit_price", "line_total"
            )
        )
    assert (sale.number, sale.walk_in_name, sale.total_net) == (1, "Jo Walker", Decimal("128.25"))
    assert lines == [
        ("5000-B", Decimal("2.00"), Decimal("40.00"), Decimal("72.00")),
        ("OIL-1", Decimal("4.50"), Decimal("12.50"), Decimal("56.25")),
    ]
    # The old number's stock went first.
    assert on_hand(shop) == {"5000-A": 0, "5000-B": 4, "OIL-1": Decimal("15.50")}


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "Add at least one part"),
        ([("NOPE", 1, 0)], "Line 1: no part has the number NOPE"),
        ([("5000-B", 1, 0), ("5000-B", 9, 0)], "Line 2: Only 5 of 5000-B available; 9 asked"),
        ([("5000-B", 1, "120")], "Line 1: a discount is between 0 and 100"),
    ],
)
def test_a_bad_sale_changes_nothing(shop, lines, message) -> None:
    with as_dealer(shop["dealer"]):
        with pytest.raises(ValidationError) as error:
            counter.sell(dealer=shop["dealer"], actor=shop["clerk"], on=DAY,
                         lines=[counter.SaleLine(*line) for line in lines])  # fmt: skip
        assert message in " ".join(error.value.messages)
        assert not CounterSale.objects.exists()
    assert on_hand(shop) == {"5000-A": 1, "5000-B": 5, "OIL-1": 20}


def test_a_part_without_a_price_is_refused(shop) -> None:
    unpriced = part("9999-Z")
    stock(shop["dealer"], unpriced, 3)
    with as_dealer(shop["dealer"]), pytest.raises(ValidationError, match="has no retail price"):
        counter.sell(dealer=shop["dealer"], actor=shop["clerk"], on=DAY,
                     lines=[counter.SaleLine("9999-Z", 1)])  # fmt: skip


def test_selling_by_page_to_a_known_customer_with_the_invoice(shop) -> None:
    with as_dealer(shop["dealer"]):
        customer = CustomerFactory(
            dealer=shop["dealer"], last_name="Counterman", phone="+4915112345678"
        )
    client = signed_in_client(shop["clerk"])
    url = reverse("inventory:parts-counter")
    unknown = client.post(
        url, {"customer_phone": "0151 99999999", "number_1": "OIL-1", "quantity_1": "1"}
    )
    assert "No customer of this dealer has this phone." in unknown.content.decode()
    done = client.post(
        url, {"customer_phone": "0151 12345678", "number_1": "OIL-1", "quantity_1": "2"}
    )
    assert done.status_code == 302
    with as_dealer(shop["dealer"]):
        sale = CounterSale.objects.get()
        assert sale.customer == customer and sale.total_net == Decimal("25.00")
    page = client.get(done["Location"]).content.decode()
    assert "Counterman" in page and "25.00 EUR" in page
    pdf = client.get(reverse("inventory:parts-counter-invoice", args=[sale.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, object_id=str(sale.pk)).exists()
    # Another dealer's clerk and HQ: not theirs.
    other = signed_in_client(staff(DealerFactory(code="CS2"), "parts_clerk"))
    assert other.get(done["Location"]).status_code == 404
    assert signed_in_client(hq_user("hq_admin")).get(url).status_code == 403
