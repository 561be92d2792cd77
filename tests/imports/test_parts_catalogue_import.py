"""Strict import of the parts catalogue (issue 14, item 3): every bad row is listed by row and
column, nothing is written unless every row is valid, the dry run shows what would change."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from dms.imports.engine import FileRefused
from dms.imports.services import Checked, check_file
from inventory.imports import PartsCatalogueImporter
from inventory.models import Part, PartSupersession

from .conftest import HEADER, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db


def check(write_file: Any, rows: list[list[Any]], fmt: str = "csv", **kw: Any) -> Checked:
    data = xlsx_bytes(rows, kw.pop("header", HEADER)) if fmt == "xlsx" else csv_bytes(rows, **kw)
    path: Path = write_file(f"parts.{fmt}", data)
    return check_file(importer=PartsCatalogueImporter(), path=path, fmt=fmt)


def errors_of(checked: Checked) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.message) for e in checked.errors.items]


GOOD = ["0012345", "Oil filter", "pc", "FILTER", "0.25", "", ""]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_leading_zeros_are_kept(write_file, groups, fmt) -> None:
    checked = check(write_file, [GOOD], fmt)
    assert not checked.errors
    assert list(checked.data.parts) == ["0012345"]


def test_a_part_number_stored_as_a_number_in_xlsx_is_refused(write_file, groups) -> None:
    checked = check(write_file, [[12345, "Oil filter", "pc", "FILTER", 0.25, "", ""]], "xlsx")
    [(row, column, message)] = errors_of(checked)
    assert (row, column) == (2, "number")
    assert "stored as a number" in message and "Store number as text" in message


@pytest.mark.parametrize(
    ("cells", "column", "fragment"),
    [
        (["1.2345E+5", "x", "pc", "FILTER", "", "", ""], "number", "scientific notation"),
        (["A 1", "x", "pc", "FILTER", "", "", ""], "number", "no spaces"),
        (["", "x", "pc", "FILTER", "", "", ""], "number", "Enter the part number"),
        (["P1", "", "pc", "FILTER", "", "", ""], "description", "Enter a description"),
        (["P1", "x", "box", "FILTER", "", "", ""], "unit", "Unknown unit"),
        (["P1", "x", "pc", "NOPE", "", "", ""], "group", "Unknown part group"),
        (["P1", "x", "pc", "FILTER", "1.2345", "", ""], "weight_kg", "At most 3 decimal places"),
        (["P1", "x", "pc", "FILTER", "-1", "", ""], "weight_kg", "negative"),
        (["P1", "x", "pc", "FILTER", "1,234.5", "", ""], "weight_kg", "no thousands separators"),
        (["P1", "x", "pc", "FILTER", "1.234,5", "", ""], "weight_kg", "no thousands separators"),
        (["P1", "x", "pc", "FILTER", "1,5", "", ""], "weight_kg", "point for decimals"),
        (["P1", "x", "pc", "FILTER", "1E+3", "", ""], "weight_kg", "Scientific notation"),
        (["P1", "x", "pc", "FILTER", "abc", "", ""], "weight_kg", "Not a number"),
        (["P1", "x", "pc", "FILTER", "", "P2", "2027-02-30"], "valid_from", "does not exist"),
        (["P1", "x", "pc", "FILTER", "", "P2", "01/03/2027"], "valid_from", "YYYY-MM-DD"),
        (["P1", "x", "pc", "FILTER", "", "P2", ""], "valid_from", "Enter the date"),
        (["P1", "x", "pc", "FILTER", "", "", "2027-03-01"], "valid_from", "without a successor"),
        (["P1", "x", "pc", "FILTER", "", "P1", "2027-03-01"], "replaced_by", "cannot replace"),
        (["P1", "x", "pc", "FILTER", "", "NOPE", "2027-03-01"], "replaced_by", "Unknown part"),
    ],
)
def test_each_kind_of_bad_cell_is_named_by_row_and_column(
    write_file, groups, cells, column, fragment
) -> None:
    rows = [["P2", "Good", "pc", "FILTER", "", "", ""], cells]
    found = errors_of(check(write_file, rows))
    assert len(found) == 1, found
    assert found[0][:2] == (3, column)  # header is row 1, the bad row is the spreadsheet's row 3
    assert fragment in found[0][2]


def test_duplicate_numbers_name_the_first_row(write_file, groups) -> None:
    found = errors_of(check(write_file, [GOOD, GOOD]))
    assert found == [(3, "number", "Part number already on row 2.")]


def test_missing_unknown_and_repeated_columns_are_refused(write_file, groups) -> None:
    header = ["number", "description", "colour", "group", "group"]
    found = errors_of(check(write_file, [["P1", "x", "red", "FILTER", "FILTER"]], header=header))
    assert (1, "colour") in [f[:2] for f in found]
    assert any(f[:2] == (1, "group") and "twice" in f[2] for f in found)
    assert (1, "unit", "Required column missing.") in found


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16"])
def test_a_file_not_in_utf8_is_refused_clearly(write_file, groups, encoding) -> None:
    rows = [["P1", "Filtre à huile", "pc", "FILTER", "", "", ""]]
    with pytest.raises(FileRefused, match="UTF"):
        check(write_file, rows, encoding=encoding)


def test_utf8_with_a_bom_and_semicolons_is_read(write_file, groups) -> None:
    rows = [["P1", "Filtre à huile", "pc", "FILTER", "1.5", "", ""]]
    checked = check(write_file, rows, bom=True, delimiter=";")
    assert not checked.errors
    assert checked.data.parts["P1"].description == "Filtre à huile"
    assert checked.data.parts["P1"].weight_kg == Decimal("1.5")


def test_an_empty_file_is_refused(write_file, groups) -> None:
    path = write_file("empty.csv", b"")
    with pytest.raises(FileRefused, match="empty"):
        check_file(importer=PartsCatalogueImporter(), path=path, fmt="csv")
    path = write_file("header.csv", csv_bytes([]))
    with pytest.raises(FileRefused, match="no data rows"):
        check_file(importer=PartsCatalogueImporter(), path=path, fmt="csv")


def test_a_file_that_is_not_a_workbook_is_refused(write_file, groups) -> None:
    path = write_file("fake.xlsx", b"number,description\n")
    with pytest.raises(FileRefused, match="not an Excel workbook"):
        check_file(importer=PartsCatalogueImporter(), path=path, fmt="xlsx")


def test_a_loop_is_refused_in_the_file_and_with_the_catalogue(write_file, catalogue) -> None:
    day = "2027-03-01"
    rows = [
        ["A1", "a", "pc", "FILTER", "", "A2", day],
        ["A2", "b", "pc", "FILTER", "", "A1", day],
    ]
    found = errors_of(check(write_file, rows))
    assert len(found) == 1 and found[0][:2] == (2, "replaced_by")
    assert "A1 → A2 → A1" in found[0][2]
    # A loop through a part that stays in the catalogue (not in the file) is found too.
    PartSupersession.objects.create(
        part=catalogue["0099999"], replaced_by=catalogue["0012345"], valid_from=dt.date(2027, 1, 1)
    )
    rows = [["0012345", "Oil filter", "pc", "FILTER", "", "0099999", day]]
    found = errors_of(check(write_file, rows))
    assert any("loop" in f[2] for f in found)


def test_dry_run_lists_new_changed_and_removed(write_file, catalogue) -> None:
    rows = [
        ["0012345", "Oil filter (new seal)", "pc", "FILTER", "0.3", "", ""],  # changed
        ["0012346", "Air filter", "pc", "FILTER", "", "0012345", "2027-03-01"],  # successor
        ["0077777", "Brake pad set", "set", "BRAKE", "1.2", "", ""],  # new
    ]  # 0099999 is missing: removed (deactivated)
    changes = check(write_file, rows).changes
    assert (changes.new, changes.changed, changes.removed) == (1, 2, 1)
    assert ["changed", "0012345", "description", "Oil filter", "Oil filter (new seal)"] in (
        changes.lines
    )
    assert ["changed", "0012345", "weight_kg", "", "0.3"] in changes.lines
    assert ["changed", "0012346", "replaced_by", "", "0012345 (2027-03-01)"] in changes.lines
    assert ["new", "0077777", "", "", "Brake pad set"] in changes.lines
    assert ["removed", "0099999", "", "Old filter", ""] in changes.lines


def test_apply_writes_everything_and_deactivates_the_missing(write_file, catalogue, admin) -> None:
    rows = [
        ["0012345", "Oil filter (new seal)", "pc", "FILTER", "0.3", "", ""],
        ["0012346", "Air filter", "pc", "FILTER", "", "0077777", "2027-03-01"],
        ["0077777", "Brake pad set", "set", "BRAKE", "1.2", "", ""],
    ]
    checked = check(write_file, rows)
    result = PartsCatalogueImporter().apply(checked.data, actor=admin, job_id=1)
    assert result == {"written": 2, "deactivated": 1, "supersessions": 1}
    parts = {p.number: p for p in Part.objects.all()}
    assert parts["0012345"].description == "Oil filter (new seal)"
    assert parts["0077777"].group.code == "BRAKE" and parts["0077777"].unit == "set"
    assert parts["0099999"].is_active is False  # deactivated, not deleted
    assert PartSupersession.objects.get(part=parts["0012346"]).replaced_by == parts["0077777"]
    # The history says who changed it, under the import's context.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.metadata FROM inventory_partevent e JOIN pghistory_context c "
            "ON c.id = e.pgh_context_id WHERE e.number = '0077777'"
        )
        [(metadata,)] = cursor.fetchall()
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    assert metadata["user"] == admin.pk and metadata["change"] == "import"
    # Importing the same file again changes nothing.
    again = check(write_file, rows).changes
    assert (again.new, again.changed, again.removed) == (0, 0, 0)


def test_script_in_a_description_is_kept_as_text(write_file, groups, admin) -> None:
    script = "<script>alert(1)</script>"
    checked = check(write_file, [["P1", script, "pc", "FILTER", "", "", ""]])
    PartsCatalogueImporter().apply(checked.data, actor=admin, job_id=1)
    assert Part.objects.get(number="P1").description == script


# Spreadsheet cells carry no time zone.
MAR_1 = dt.datetime(2027, 3, 1)  # noqa: DTZ001
MAR_1_NOON = dt.datetime(2027, 3, 1, 12, 30)  # noqa: DTZ001


def test_xlsx_typed_cells_read_as_the_column_allows(write_file, groups) -> None:
    rows = [
        ["P1", 4711, "pc", "FILTER", 1.25, "P2", MAR_1],  # date cell: a date
        ["P2", "x", "pc", "FILTER", None, None, None],
        ["P3", True, "pc", "FILTER", None, "P2", MAR_1_NOON],
        ["P4", "x", MAR_1, "FILTER", None, None, None],
    ]
    checked = check(write_file, rows, "xlsx")
    found = errors_of(checked)
    assert [f[:2] for f in found] == [
        (4, "description"),  # TRUE/FALSE cell
        (4, "valid_from"),  # a time of day in a date
        (5, "unit"),  # a date where text is expected
    ]


def test_xlsx_number_cell_read_exactly(write_file, groups) -> None:
    checked = check(write_file, [["P1", 4711, "pc", "FILTER", 1.25, "", ""]], "xlsx")
    assert not checked.errors
    part = checked.data.parts["P1"]
    assert (part.description, part.weight_kg) == ("4711", Decimal("1.25"))
