"""Strict import of new vehicles (issue 15, item 10): every cell text, VINs checked, every bad
row listed by row and column, all or nothing; an XLSX number cell in a code column refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dms.audit.models import AuditAction, AuditEntry
from dms.imports.services import Checked, check_file
from inventory.vehicles.imports import VehicleImporter
from inventory.vehicles.models import Vehicle
from tests.factories import ensure_reference_data, hq_user

from .conftest import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

HEADER = ["vin", "trim", "price", "colour", "options", "build_date", "currency"]
GOOD = ["WAUZZZ8V0KA000101", "A3-CORE", "21490.00", "", "", "2026-01-05", "EUR"]


@pytest.fixture(autouse=True)
def reference(db: Any) -> None:
    ensure_reference_data()


def check(write_file: Any, rows: list[list[Any]], fmt: str = "csv") -> Checked:
    data = xlsx_bytes(rows, HEADER) if fmt == "xlsx" else csv_bytes(rows, HEADER)
    path: Path = write_file(f"vehicles.{fmt}", data)
    return check_file(importer=VehicleImporter(), path=path, fmt=fmt)


def errors_of(checked: Checked) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.message) for e in checked.errors.items]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_good_rows_are_added_all_at_once(write_file: Any, fmt: str) -> None:
    rows = [GOOD, ["WAUZZZ8V0KA000102", "A3-CORE", "21990", "", "", "", ""]]
    checked = check(write_file, rows, fmt)
    assert not checked.errors and checked.changes is not None
    assert checked.changes.new == 2
    admin = hq_user("hq_admin")
    VehicleImporter().apply(checked.data, actor=admin, job_id=1)
    states = dict(Vehicle.objects.values_list("vin", "state"))
    assert states == {"WAUZZZ8V0KA000101": "built", "WAUZZZ8V0KA000102": "planned"}
    entry = AuditEntry.objects.get(action=AuditAction.VEHICLE_STOCK)
    assert entry.count == 2 and entry.detail["change"] == "imported"
    # The same file again: nothing new, nothing wrong.
    again = check(write_file, rows, fmt)
    assert not again.errors and again.changes is not None
    assert (again.changes.new, again.changes.unchanged) == (0, 2)


def test_every_bad_row_is_listed_and_nothing_is_checked_in(write_file: Any) -> None:
    rows = [
        GOOD,
        ["WAUZZZ8V0KA00010", "A3-CORE", "1", "", "", "", ""],
        ["WAUZZZ8V0KA000101", "A3-CORE", "1", "", "", "", ""],
        ["WAUZZZ8V0KA000103", "NOPE", "1", "", "", "", ""],
        ["WAUZZZ8V0KA000104", "A3-CORE", "1,5", "", "", "", ""],
        ["WAUZZZ8V0KA000105", "A3-CORE", "1", "PINK", "ZZ", "2999-01-01", "EURO"],
        ["1HGCM82633A00435X", "A3-CORE", "1", "", "", "", ""],
    ]
    checked = check(write_file, rows)
    found = [(row, column) for row, column, _m in errors_of(checked)]
    assert found == [
        (3, "vin"),
        (4, "vin"),
        (5, "trim"),
        (6, "price"),
        (7, "colour"),
        (7, "options"),
        (7, "build_date"),
        (7, "currency"),
        (8, "vin"),
    ]
    messages = {(r, c): m for r, c, m in errors_of(checked)}
    assert messages[(4, "vin")] == "VIN already on row 2."
    assert "check digit" in messages[(8, "vin")]
    assert checked.changes is None and not Vehicle.objects.exists()


def test_a_vin_stored_as_a_number_in_xlsx_is_refused(write_file: Any) -> None:
    checked = check(write_file, [[12345678901234567, "A3-CORE", 1, "", "", "", ""]], "xlsx")
    [(row, column, message)] = errors_of(checked)
    assert (row, column) == (2, "vin") and "stored as a number" in message


def test_only_hq_loaders_import(write_file: Any) -> None:
    from django.core.exceptions import PermissionDenied

    VehicleImporter().check_actor(hq_user("hq_logistics"))
    with pytest.raises(PermissionDenied):
        VehicleImporter().check_actor(hq_user("hq_regional_manager"))
