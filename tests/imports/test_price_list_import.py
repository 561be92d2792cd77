"""Strict import of price lists: bad rows named by row and column, dry run against the latest
published version (old → new prices), applying creates a draft (the version in force stays)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine

from bulletins import pricing
from bulletins import pricing_services as ps
from bulletins.models import PriceList, PriceListVersion
from bulletins.price_imports import LabourPriceImporter, PartsPriceImporter, VehiclePriceImporter
from dms.imports.services import Checked, check_file
from inventory.models import LabourGrade, Part, PartGroup

from .conftest import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db
D = Decimal
NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
HEADER = ["part_number", "retail_price", "dealer_net_price"]


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def parts_list(admin: Any) -> PriceList:
    group = PartGroup.objects.create(code="BRK", name="Brakes")
    for number in ("0001234", "0001235", "0009999"):
        Part.objects.create(number=number, description=f"Part {number}", group=group)
    Part.objects.create(number="0000001", description="Old", group=group, is_active=False)
    plist = ps.create_price_list(name="Parts", kind="parts", currency="EUR", actor=admin)
    draft = ps.draft_from_rows(
        price_list=plist,
        rows=[ps.PartRow("0001234", D("12.30"), D("10.00")), ps.PartRow("0009999", D("5.00"))],
        actor=admin,
    )
    assert ps.check_version(version=draft, actor=admin) == []
    ps.publish(version=draft, valid_from=dt.date(2027, 3, 1), actor=admin)
    return plist


def check(write_file: Any, importer: Any, rows: list[list[Any]], header: list[str] = HEADER,
          fmt: str = "csv") -> Checked:  # fmt: skip
    data = xlsx_bytes(rows, header) if fmt == "xlsx" else csv_bytes(rows, header)
    path: Path = write_file(f"prices.{fmt}", data)
    return check_file(importer=importer, path=path, fmt=fmt)


def errors_of(checked: Checked) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.message) for e in checked.errors.items]


@pytest.mark.parametrize(
    ("cells", "column", "fragment"),
    [
        (["0001235", "12.345", ""], "retail_price", "At most 2 decimal places"),
        (["0001235", "-1.00", ""], "retail_price", "negative"),
        (["0001235", "1,234.50", ""], "retail_price", "no thousands separators"),
        (["0001235", "1.234,50", ""], "retail_price", "no thousands separators"),
        (["0001235", "1.2E+3", ""], "retail_price", "Scientific notation"),
        (["0001235", "", ""], "retail_price", "Enter an amount"),
        (["0001235", "10.00", "11.00"], "dealer_net_price", "above the retail price"),
        (["7777777", "10.00", ""], "part_number", "Not in the parts catalogue"),
        (["0000001", "10.00", ""], "part_number", "deactivated"),
        (["1.23457E+6", "10.00", ""], "part_number", "scientific notation"),
        (["0001234", "10.00", ""], "part_number", "Already on row 2"),
    ],
)
def test_each_kind_of_bad_price_row(write_file, parts_list, cells, column, fragment) -> None:
    importer = PartsPriceImporter(str(parts_list.pk))
    found = errors_of(check(write_file, importer, [["0001234", "12.90", ""], cells]))
    assert len(found) == 1, found
    assert found[0][:2] == (3, column) and fragment in found[0][2]


def test_a_part_number_stored_as_a_number_is_refused(write_file, parts_list) -> None:
    importer = PartsPriceImporter(str(parts_list.pk))
    found = errors_of(check(write_file, importer, [[1234, 12.9, None]], fmt="xlsx"))
    assert found[0][:2] == (2, "part_number") and "Store part_number as text" in found[0][2]


def test_xlsx_number_prices_are_read_exactly(write_file, parts_list) -> None:
    importer = PartsPriceImporter(str(parts_list.pk))
    checked = check(
        write_file, importer, [["0001234", 12.9, 10], ["0001235", 0.1, None]], fmt="xlsx"
    )
    assert not checked.errors
    assert [(r.retail_price, r.dealer_net_price) for r in checked.data.rows] == [
        (D("12.9"), D("10")),
        (D("0.1"), None),
    ]
    found = errors_of(check(write_file, importer, [["0001234", 12.345, None]], fmt="xlsx"))
    assert found == [(2, "retail_price", "At most 2 decimal places.")]


def test_dry_run_then_apply_creates_a_draft_and_the_old_price_stays(
    write_file, parts_list, admin
) -> None:
    importer = PartsPriceImporter(str(parts_list.pk))
    rows = [["0001234", "12.90", "10.00"], ["0001235", "7.50", ""]]  # 0009999 removed
    checked = check(write_file, importer, rows)
    changes = checked.changes
    assert (changes.new, changes.changed, changes.removed) == (1, 1, 1)
    assert ["changed", "0001234", "retail_price", "12.30", "12.90"] in changes.lines
    assert ["new", "0001235", "", "", "7.50"] in changes.lines
    assert ["removed", "0009999", "", "5.00", ""] in changes.lines
    result = importer.apply(checked.data, actor=admin, job_id=7)
    draft = PriceListVersion.objects.get(pk=result["version_id"])
    assert draft.status == PriceListVersion.Status.DRAFT and draft.number == 2
    assert "Draft version 2" in result["note"]
    # Still the published version's price until the draft is published.
    day = dt.date(2027, 3, 2)
    assert pricing.part_prices(day, numbers=["0001234"]).get("0001234").retail == D("12.30")
    assert ps.check_version(version=draft, actor=admin) == []
    ps.publish(version=draft, valid_from=day, actor=admin)
    assert pricing.part_prices(day, numbers=["0001234"]).get("0001234").retail == D("12.90")


def test_vehicle_and_labour_lists_check_their_codes(write_file, admin) -> None:
    LabourGrade.objects.create(code="MECH", name="Mechanical")
    labour = ps.create_price_list(name="Labour", kind="labour", currency="EUR", actor=admin)
    vehicles = ps.create_price_list(name="Cars", kind="vehicle", currency="EUR", actor=admin)
    found = errors_of(
        check(
            write_file,
            LabourPriceImporter(str(labour.pk)),
            [["MECH", "120.00", "130.00", "150.00"], ["BODY", "1", "1", "1"]],
            header=["grade", "recommended_rate", "min_rate", "max_rate"],
        )
    )
    assert found[0][:2] == (2, "recommended_rate") and "ordered" in found[0][2]
    assert found[1][:2] == (3, "grade")
    found = errors_of(
        check(
            write_file,
            VehiclePriceImporter(str(vehicles.pk)),
            [["trim", "NOPE", "25000.00"], ["wheel", "X", "1.00"]],
            header=["kind", "code", "price"],
        )
    )
    assert [f[:2] for f in found] == [(2, "code"), (3, "kind")]
