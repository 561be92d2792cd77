"""Price-list workflow (issue 14, item 2): drafts, checks, publishing with effective dates,
withdrawal, nothing published edited in place, overlaps refused by the database itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from bulletins import pricing
from bulletins import pricing_services as ps
from bulletins.models import PriceList, PriceListVersion, VehiclePrice
from dms.audit.models import AuditAction, AuditEntry
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


def test_publishing_closes_the_previous_version_and_days_answer_from_their_version(
    network: Network, cat: dict[str, Any]
) -> None:
    admin = network.admin
    plist = parts_list(admin)
    v1 = publish_rows(plist, [ps.PartRow("0001234", D("50.00"), D("40.00"))], admin, TODAY)
    v2 = publish_rows(
        plist, [ps.PartRow("0001234", D("55.00"), D("44.00"))], admin, dt.date(2027, 4, 1)
    )
    v1.refresh_from_db()
    assert (v1.valid_from, v1.valid_until) == (TODAY, dt.date(2027, 4, 1))
    assert (v2.valid_from, v2.valid_until) == (dt.date(2027, 4, 1), None)

    def retail(day: dt.date) -> Any:
        found = pricing.part_prices(day, numbers=["0001234"]).get("0001234")
        return found.retail if found else None

    assert retail(dt.date(2027, 2, 28)) is None  # before the first version
    assert retail(TODAY) == D("50.00")
    assert retail(dt.date(2027, 3, 31)) == D("50.00")  # the day before the change
    assert retail(dt.date(2027, 4, 1)) == D("55.00")  # the day of the change
    assert retail(dt.date(2099, 12, 31)) == D("55.00")  # far future
    assert pricing.version_on(dt.date(2027, 3, 31), kind="parts") == v1
    entry = AuditEntry.objects.filter(detail__change="price_list.publish").latest("id")
    assert entry.action == AuditAction.REFERENCE_CHANGE and entry.actor == admin


def test_a_version_published_between_two_ends_where_the_later_one_starts(
    network: Network, cat: dict[str, Any]
) -> None:
    admin = network.admin
    plist = labour_list(admin)
    publish_rows(plist, labour_rows("100.00"), admin, TODAY)
    june = publish_rows(plist, labour_rows("130.00"), admin, dt.date(2027, 6, 1))
    april = publish_rows(plist, labour_rows("110.00"), admin, dt.date(2027, 4, 1))
    assert april.valid_until == june.valid_from
    rate = pricing.labour_rates(dt.date(2027, 5, 15)).get(cat["grades"]["MECH"].pk)
    assert rate is not None and rate.recommended == D("110.00")


def test_overlapping_published_versions_are_refused_by_the_database(
    network: Network, cat: dict[str, Any]
) -> None:
    admin = network.admin
    plist = labour_list(admin)
    v1 = publish_rows(plist, labour_rows(), admin, TODAY)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bulletins_pricelistversion (price_list_id, number, status, valid_from,"
            " valid_until, note, created_at, published_at)"
            " VALUES (%s, 99, 'published', %s, NULL, '', now(), now())",
            [plist.pk, TODAY + dt.timedelta(days=10)],
        )
    # Adjacent windows are fine ([from, until) windows touch without sharing a day), and drafts
    # never count.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bulletins_pricelistversion (price_list_id, number, status, valid_from,"
            " valid_until, note, created_at) VALUES (%s, 98, 'draft', %s, NULL, '', now())",
            [plist.pk, TODAY],
        )
    PriceListVersion.objects.filter(pk=v1.pk).update(valid_until=TODAY + dt.timedelta(days=5))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bulletins_pricelistversion (price_list_id, number, status, valid_from,"
            " valid_until, note, created_at, published_at)"
            " VALUES (%s, 97, 'published', %s, NULL, '', now(), now())",
            [plist.pk, TODAY + dt.timedelta(days=5)],
        )


def test_published_versions_are_never_edited_in_place(
    network: Network, cat: dict[str, Any]
) -> None:
    admin = network.admin
    plist = parts_list(admin)
    v1 = publish_rows(plist, [ps.PartRow("0001234", D("50.00"))], admin, TODAY)
    for change in (
        lambda: ps.set_line(version=v1, row=ps.PartRow("0001234", D("1.00")), actor=admin),
        lambda: ps.replace_draft_lines(version=v1, rows=[], actor=admin),
        lambda: ps.check_version(version=v1, actor=admin),
    ):
        with pytest.raises(ValidationError, match="never changed in place"):
            change()
    assert pricing.part_prices(TODAY, numbers=["0001234"]).get("0001234").retail == D("50.00")
    # A change is a new version, starting from the published lines.
    draft = ps.create_draft(price_list=plist, actor=admin, copy_current=True)
    assert draft.number == 2 and draft.part_prices.count() == 1


def test_editing_a_checked_draft_sends_it_back_to_draft(
    network: Network, cat: dict[str, Any]
) -> None:
    admin = network.admin
    plist = parts_list(admin)
    draft = ps.draft_from_rows(price_list=plist, rows=[ps.PartRow("F-100", D("9.90"))], actor=admin)
    assert ps.check_version(version=draft, actor=admin) == []
    draft.refresh_from_db()
    assert draft.status == "checked"
    ps.set_line(version=draft, row=ps.PartRow("F-100", D("10.90")), actor=admin)
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.part_prices.get().retail_price == D("10.90")
    with pytest.raises(ValidationError, match="Only a checked version"):
        ps.publish(version=draft, valid_from=TODAY, actor=admin)


def test_bad_rows_are_listed_by_row_and_nothing_is_written(
    network: Network, cat: dict[str, Any]
) -> None:
    admin = network.admin
    plist = parts_list(admin)
    rows = [
        ps.PartRow("0001234", D("50.00")),
        ps.PartRow("NOPE", D("1.00")),
        ps.PartRow("0001235", D("-1.00")),
        ps.PartRow("0001234", D("51.00")),
        ps.PartRow("F-100", D("10.00"), D("12.00")),
        ps.PartRow("F-100", D("10.001")),
    ]
    with pytest.raises(ValidationError) as exc:
        ps.draft_from_rows(price_list=plist, rows=rows, actor=admin)
    messages = exc.value.messages
    assert any(m.startswith("Row 2:") and "not in the catalogue" in m for m in messages)
    assert any(m.startswith("Row 3:") and "zero or more" in m for m in messages)
    assert any(m.startswith("Row 4:") and "twice" in m for m in messages)
    assert any(m.startswith("Row 5:") and "above the retail" in m for m in messages)
    assert any(m.startswith("Row 6:") and "2 decimals" in m for m in messages)
    assert not plist.versions.exists()
    with pytest.raises(ValidationError, match="takes no"):
        ps.draft_from_rows(price_list=plist, rows=labour_rows(), actor=admin)


def test_the_check_lists_unpriced_trims_and_unknown_codes(network: Network) -> None:
    admin = network.admin
    plist = PriceList.objects.get(kind="vehicle")
    draft = ps.draft_from_rows(
        price_list=plist,
        rows=[
            ps.VehicleRow("trim", "A3-CORE", D("21000.00")),
            ps.VehicleRow("colour", "XXX", D(0)),
        ],
        actor=admin,
    )
    found = ps.check_version(version=draft, actor=admin)
    assert "Colour “XXX” is not in the catalogue." in found
    assert any("A5-EXEC" in p and "no price" in p for p in found)
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_publishing_in_the_past_or_on_a_taken_day_is_refused(
    network: Network, cat: dict[str, Any]
) -> None:
    admin = network.admin
    plist = labour_list(admin)
    draft = ps.draft_from_rows(price_list=plist, rows=labour_rows(), actor=admin)
    ps.check_version(version=draft, actor=admin)
    with pytest.raises(ValidationError, match="never change in the past"):
        ps.publish(version=draft, valid_from=TODAY - dt.timedelta(days=1), actor=admin)
    publish_rows(plist, labour_rows(), admin, TODAY)
    with pytest.raises(ValidationError, match="already starts on"):
        ps.publish(version=draft, valid_from=TODAY, actor=admin)
    draft.refresh_from_db()
    assert draft.status == "checked"


def test_withdrawing_a_future_version_lets_the_previous_one_run_on(
    network: Network, cat: dict[str, Any]
) -> None:
    admin = network.admin
    plist = labour_list(admin)
    v1 = publish_rows(plist, labour_rows("100.00"), admin, TODAY)
    v2 = publish_rows(plist, labour_rows("150.00"), admin, dt.date(2027, 5, 1))
    with pytest.raises(ValidationError, match="already valid"):
        ps.withdraw(version=v1, actor=admin)
    ps.withdraw(version=v2, actor=admin)
    v1.refresh_from_db()
    assert v1.valid_until is None
    rate = pricing.labour_rates(dt.date(2027, 6, 1)).get(cat["grades"]["MECH"].pk)
    assert rate is not None and rate.recommended == D("100.00")


def test_only_hq_admins_write_price_lists(network: Network, cat: dict[str, Any]) -> None:
    plist = PriceList.objects.get(kind="vehicle")
    for actor in (network.north_manager, network.who("A", "dealer_manager")):
        with pytest.raises(PermissionDenied):
            ps.create_draft(price_list=plist, actor=actor)
    assert not PriceListVersion.objects.filter(price_list=plist, status="draft").exists()


def test_vehicle_lines_keep_their_constraints_in_the_database(network: Network) -> None:
    version = PriceListVersion.objects.filter(price_list__kind="vehicle").first()
    with pytest.raises(IntegrityError), transaction.atomic():
        VehiclePrice.objects.create(version=version, kind="trim", code="NEG", price=D("-1"))
