"""The one writer of CSV and XLSX files: every export, template and error file goes through it.

Spreadsheet formula injection (OWASP "CSV Injection"): a text cell starting with = + - @ tab or
carriage return is run as a formula by Excel, LibreOffice and Google Sheets when the file is
opened (`=HYPERLINK(...)` leaks data, `=cmd|...` runs programs). Such text gets a leading
apostrophe, so the spreadsheet shows it as text. Numbers (int, float, Decimal) are written as
numbers and never changed, so a real -5 stays a number a spreadsheet can add up; only text that
merely looks like one ("-5" typed into an upload) is neutralised.

Workbooks (openpyxl) would store text starting with "=" as a formula: cells are neutralised the
same way and written as text explicitly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

Number = int | float | Decimal


def neutralise(text: str) -> str:
    """Text safe to open in a spreadsheet: a leading apostrophe before a formula trigger."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def cell(value: Any) -> Any:
    """One cell as written: None empty, booleans yes/no, numbers unchanged, anything else as
    neutralised text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Number):
        return value
    return neutralise(str(value))


def row_cells(row: Iterable[Any]) -> list[Any]:
    return [cell(value) for value in row]


class _Echo:
    """A file-like object whose write() returns what it was given (for streaming)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[Any] | None, rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The CSV file line by line (for StreamingHttpResponse): header first when given."""
    writer = csv.writer(_Echo())
    if header is not None:
        yield writer.writerow(row_cells(header))
    for row in rows:
        yield writer.writerow(row_cells(row))


def csv_text(header: Sequence[Any] | None, rows: Iterable[Iterable[Any]]) -> str:
    """The whole CSV file as text."""
    return "".join(csv_lines(header, rows))


def xlsx_bytes(
    header: Sequence[Any] | None,
    rows: Iterable[Iterable[Any]],
    *,
    title: str = "Sheet1",
    column_width: float | None = None,
) -> bytes:
    """A one-sheet workbook: header first when given, numbers as numbers, text as text."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    if sheet is None:  # a new workbook always has one sheet
        raise RuntimeError("openpyxl created a workbook without a sheet")
    sheet.title = title[:31]  # Excel's limit for sheet names
    all_rows: Iterable[Iterable[Any]] = rows if header is None else [header, *rows]
    for values in all_rows:
        cells = row_cells(values)
        sheet.append(cells)
        for written, value in zip(sheet[sheet.max_row], cells, strict=False):
            if isinstance(value, str):
                written.data_type = "s"  # never a formula, whatever it starts with
    if column_width is not None:
        for column in sheet.iter_cols(min_row=1, max_row=1):
            sheet.column_dimensions[column[0].column_letter].width = column_width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
