"""Prices on a day (bulletins.pricing): parts with net prices and group discounts, labour rates
with the dealer's own rate within HQ's bounds, quotes that keep their own price."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bulletins import pricing
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

# The vehicle list and catalogue of the data migration (a transactional test elsewhere may
# have flushed them): tests/bulletins/conftest.py `price_reference_data`; `cat` is there too.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("price_reference_data")]


def test_dealer_net_is_explicit_or_retail_less_the_group_discount(
    network: Network, cat: dict[str, Any]
) -> None:
    admin = network.admin
    plist = parts_list(admin)
    publish_rows(
        plist,
        [
            ps.PartRow("0001234", D("50.00"), D("30.00")),
            ps.PartRow("0001235", D("99.99")),
            ps.PartRow("F-100", D("10.00")),
            ps.GroupDiscountRow("BRK", D("25")),
        ],
        admin,
        TODAY,
    )
    found = pricing.part_prices(TODAY, numbers=["0001234", "0001235", "F-100", "UNKNOWN"])
    assert found.get("0001234").dealer_net == D("30.00")  # explicit wins over the group
    assert found.get("0001235").dealer_net == D("74.99")  # 99.99 × 0.75 = 74.9925
    assert found.get("0001235").discount_percent == D("25.00")
    assert found.get("F-100").dealer_net == D("10.00")  # no discount for the group
    assert found.get("UNKNOWN") is None
    assert found.currency == "EUR"


def test_superseded_numbers_are_priced_as_their_successor_when_asked(
    network: Network, cat: dict[str, Any]
) -> None:
    from inventory.models import PartSupersession

    PartSupersession.objects.create(
        part=cat["parts"]["0001234"], replaced_by=cat["parts"]["0001235"], valid_from=TODAY
    )
    publish_rows(
        parts_list(network.admin), [ps.PartRow("0001235", D("80.00"))], network.admin, TODAY
    )
    assert pricing.part_prices(TODAY, numbers=["0001234"]).get("0001234") is None
    resolved = pricing.part_prices(TODAY, numbers=["0001234"], resolve_supersessions=True)
    assert resolved.get("0001234").retail == D("80.00")
    assert resolved.get("0001234").number == "0001235"


def test_a_dealer_sets_its_labour_rate_within_hq_bounds(
    network: Network, cat: dict[str, Any]
) -> None:
    publish_rows(labour_list(network.admin), labour_rows("120.00"), network.admin, TODAY)
    dealer, mech = network.dealers["A"], cat["grades"]["MECH"]
    manager = network.who("A", "dealer_manager")
    with pytest.raises(ValidationError, match="between 100.00 and 150.00 EUR"):
        ps.set_dealer_labour_rate(dealer=dealer, grade=mech, rate=D("151.00"), actor=manager)
    with pytest.raises(PermissionDenied):
        ps.set_dealer_labour_rate(
            dealer=dealer, grade=mech, rate=D("130.00"), actor=network.who("A", "consultant")
        )
    with pytest.raises(PermissionDenied):  # a manager of another dealer
        ps.set_dealer_labour_rate(
            dealer=dealer, grade=mech, rate=D("130.00"), actor=network.who("B", "dealer_manager")
        )
    with as_dealer(dealer):
        assert not DealerLabourRate.objects.exists()
    ps.set_dealer_labour_rate(dealer=dealer, grade=mech, rate=D("135.00"), actor=manager)
    with as_dealer(dealer):
        rates = pricing.labour_rates(TODAY, dealer=dealer)
    assert rates.get(mech.pk).rate == D("135.00") and rates.get(mech.pk).source == "dealer"
    elec = rates.get(cat["grades"]["ELEC"].pk)
    assert elec.rate == D("140.00") and elec.source == "recommended"
    with as_dealer(network.dealers["B"]):
        other = pricing.labour_rates(TODAY, dealer=network.dealers["B"])
    assert other.get(mech.pk).rate == D("120.00")  # B never sees A's rate


def test_a_rate_set_under_old_bounds_is_kept_within_the_new_ones(
    network: Network, cat: dict[str, Any], frozen: Any
) -> None:
    plist = labour_list(network.admin)
    publish_rows(plist, labour_rows("120.00"), network.admin, TODAY)
    dealer, mech = network.dealers["A"], cat["grades"]["MECH"]
    ps.set_dealer_labour_rate(
        dealer=dealer, grade=mech, rate=D("150.00"), actor=network.who("A", "dealer_manager")
    )
    publish_rows(plist, labour_rows("100.00"), network.admin, dt.date(2027, 4, 1))  # max 130
    with as_dealer(dealer):
        march = pricing.labour_rates(dt.date(2027, 3, 31), dealer=dealer).get(mech.pk)
        april = pricing.labour_rates(dt.date(2027, 4, 1), dealer=dealer).get(mech.pk)
    assert march.rate == D("150.00")
    assert april.rate == D("130.00") and april.source == "bounded"


def test_a_forty_line_order_is_priced_in_two_queries(network: Network, cat: dict[str, Any]) -> None:
    from inventory.models import Part

    group = cat["groups"]["FLT"]
    Part.objects.bulk_create(
        Part(number=f"P{i:05d}", description=f"Part {i}", group=group) for i in range(30)
    )
    publish_rows(
        parts_list(network.admin),
        [ps.PartRow(f"P{i:05d}", D("10.00") + i) for i in range(30)],
        network.admin,
        TODAY,
    )
    publish_rows(labour_list(network.admin), labour_rows(), network.admin, TODAY)
    grade_ids = [g.pk for g in cat["grades"].values()] * 5
    dealer = network.dealers["A"]
    with as_dealer(dealer), CaptureQueriesContext(connection) as queries:
        found = pricing.prices_on(
            TODAY,
            dealer=dealer,
            part_numbers=[f"P{i:05d}" for i in range(30)],
            grade_ids=grade_ids,
        )
    assert len(queries) == 2
    assert len(found.parts.by_number) == 30 and len(found.labour.by_grade) == 2


def test_an_old_quote_keeps_its_price_after_a_new_version(network: Network) -> None:
    from sales import services
    from sales.models import Quote
    from tests.factories import LeadFactory
    from tests.sales.conftest import quote_spec

    dealer = network.dealers["A"]
    consultant = network.who("A", "consultant")
    vehicles = PriceList.objects.get(kind="vehicle")
    with as_dealer(dealer):
        lead = LeadFactory(customer__dealer=dealer, consultant=consultant)
        old = services.create_quote(lead=lead, actor=consultant, spec=quote_spec())
    old_version, old_price = old.price_version, old.list_price
    draft = ps.create_draft(price_list=vehicles, actor=network.admin, copy_current=True)
    ps.set_line(
        version=draft, row=ps.VehicleRow("trim", "A3-CORE", old_price + 1000), actor=network.admin
    )
    assert ps.check_version(version=draft, actor=network.admin) == []
    new_version = ps.publish(
        version=draft, valid_from=TODAY + dt.timedelta(days=1), actor=network.admin
    )
    with as_dealer(dealer):
        new = services.create_quote(
            lead=lead, actor=consultant, spec=quote_spec(), on=TODAY + dt.timedelta(days=1)
        )
        old = Quote.objects.get(pk=old.pk)
    assert new.price_version == new_version and new.list_price == old_price + 1000
    assert old.price_version == old_version and old.list_price == old_price
