"""Prices on a day (bulletins.pricing): parts with net prices and group discounts, labour rates
with the dealer's own rate within HQ's bounds, quotes that keep their own price."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

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


def test_a_forty_line_order_is_priced_in_two_queries(
    network: Network, cat: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
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
    with as_dealer(dealer), django_assert_max_num_queries(2):
        found = pricing.prices_on(
            TODAY,
            dealer=dealer,
            part_numbers=[f"P{i:05d}" for i in range(30)],
            grade_ids=grade_ids,
        )
    assert len(found.parts.by_number) == 30 and len(found.labour.by_grade) == 2
    assert found.parts.get("P00029").retail == D("39.00")
    assert found.parts.version.number == 1 and found.parts.version.price_list.name == "Parts"


def test_a_forty_code_quote_is_priced_in_one_query(
    network: Network, django_assert_max_num_queries: Any
) -> None:
    from inventory.models import Colour, Option, Trim

    codes = [("trim", c) for c in Trim.objects.values_list("code", flat=True)]
    codes += [("colour", c) for c in Colour.objects.values_list("code", flat=True)]
    codes += [(o.kind, o.code) for o in Option.objects.all()]
    wanted = (codes * 40)[:40]
    with django_assert_max_num_queries(1):
        found = pricing.vehicle_prices(TODAY, wanted=wanted)
    assert found.version is not None and found.version.price_list.kind == "vehicle"
    assert found.get("trim", "A3-CORE") == D("21490.00")
    assert set(found.prices) <= set(wanted)
    assert found.get("trim", "NOPE") is None


def test_lookups_by_kind_by_named_list_and_the_oldest_list_of_a_kind(
    network: Network, cat: dict[str, Any]
) -> None:
    admin = network.admin
    first = parts_list(admin)
    publish_rows(first, [ps.PartRow("0001234", D("50.00"))], admin, TODAY)
    second = ps.create_price_list(name="Parts B", kind="parts", currency="USD", actor=admin)
    publish_rows(second, [ps.PartRow("0001234", D("70.00"))], admin, TODAY)
    assert pricing.part_prices(TODAY, numbers=["0001234"]).get("0001234").retail == D("50.00")
    named = pricing.part_prices(TODAY, numbers=["0001234"], price_list=second)
    assert named.get("0001234").retail == D("70.00") and named.currency == "USD"
    by_id = pricing.part_prices(TODAY, numbers=["0001234"], price_list=second.pk)
    assert by_id.get("0001234").retail == D("70.00")
    # Nothing asked is priced: the version is still said; the day before any version: none.
    nothing = pricing.part_prices(TODAY, numbers=["F-100"])
    assert nothing.by_number == {} and nothing.version is not None
    assert nothing.version.price_list_id == first.pk
    before = pricing.part_prices(TODAY - dt.timedelta(days=1), numbers=["0001234"])
    assert before.version is None and before.by_number == {}

    trims = pricing.vehicle_prices(TODAY, kind="trim")
    assert trims.prices and {k for k, _c in trims.prices} == {"trim"}
    everything = pricing.vehicle_prices(TODAY)
    assert set(trims.prices) < set(everything.prices)
    assert pricing.vehicle_prices(TODAY, wanted=[]).version is not None


def test_the_dealers_own_rate_needs_its_tenant_scope(network: Network, cat: dict[str, Any]) -> None:
    from django_scopes import ScopeError

    publish_rows(labour_list(network.admin), labour_rows("120.00"), network.admin, TODAY)
    dealer, mech = network.dealers["A"], cat["grades"]["MECH"]
    ps.set_dealer_labour_rate(
        dealer=dealer, grade=mech, rate=D("130.00"), actor=network.who("A", "dealer_manager")
    )
    with pytest.raises(ScopeError):
        pricing.labour_rates(TODAY, dealer=dealer)
    assert pricing.labour_rates(TODAY).get(mech.pk).rate == D("120.00")  # HQ's, no scope needed
    with as_dealer(network.dealers["B"]):  # another dealer's scope: A's rate is not there
        assert pricing.labour_rates(TODAY, dealer=dealer).get(mech.pk).rate == D("120.00")
    with as_dealer(dealer):
        own = pricing.labour_rates(TODAY, dealer=dealer, grade_ids=[mech.pk])
    assert own.get(mech.pk).rate == D("130.00") and list(own.by_grade) == [mech.pk]


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
