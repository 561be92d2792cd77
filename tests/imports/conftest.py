"""Files for the strict import tests: CSV (any encoding) and XLSX (typed cells) built on the fly."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from inventory.models import Part, PartGroup
from tests.factories import hq_user

HEADER = ["number", "description", "unit", "group", "weight_kg", "replaced_by", "valid_from"]


def csv_bytes(
    rows: Sequence[Sequence[Any]],
    header: Sequence[str] = HEADER,
    *,
    bom: bool = False,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[[str, bytes], Path]:
    def write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


@pytest.fixture
def admin() -> Any:
    return hq_user("hq_admin")


@pytest.fixture
def groups() -> dict[str, PartGroup]:
    return {
        code: PartGroup.objects.create(code=code, name=name)
        for code, name in (("FILTER", "Filters"), ("BRAKE", "Brakes"))
    }


@pytest.fixture
def catalogue(groups: dict[str, PartGroup]) -> dict[str, Part]:
    """Three parts in force before the import."""
    f = groups["FILTER"]
    return {
        "0012345": Part.objects.create(number="0012345", description="Oil filter", group=f),
        "0012346": Part.objects.create(number="0012346", description="Air filter", group=f),
        "0099999": Part.objects.create(number="0099999", description="Old filter", group=f),
    }
