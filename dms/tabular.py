"""The one writer of CSV and XLSX files: every export, template and error file goes through it.

Spreadsheet formula injection (OWASP "CSV Injection"): a text cell starting with = + - @ tab or
carriage return is run as a formula by Excel, LibreOffice and Google Sheets when the file is
opened (`=HYPERLINK(...)` leaks data, `=cmd|...` runs programs). Such text gets a leading
apostrophe, so the spreadsheet shows it as text. Numbers (int, float, Decimal) are written as
numbers and never changed, so a real -5 stays a number a spreadsheet can add up; only text that
merely looks like one ("-5" typed into an upload) is neutralised.

Workbooks (openpyxl) would store text starting with "=" as a formula: cells are neutralised the
same way and written as text explicitly.

Every table a page offers for download comes in both formats (`FORMATS`): `table_content` builds
either from the same header and rows, `attachment` hands it out, so the CSV and the XLSX of a
table never differ in their figures.
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


SHEET_TITLE_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", "-"))


def xlsx_bytes(
    header: Sequence[Any] | None,
    rows: Iterable[Iterable[Any]],
    *,
    title: str = "Sheet1",
    column_width: float | None = None,
) -> bytes:
    """A one-sheet workbook: header first when given (bold), numbers as numbers, text as text.
    Written row by row (openpyxl's write-only mode): a long export never holds its cells in
    memory twice."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    # Excel's limits for sheet names: 31 characters, none of []:*?/\
    sheet = workbook.create_sheet(title=(title.translate(SHEET_TITLE_FORBIDDEN) or "Sheet1")[:31])
    bold = Font(bold=True)
    width_set = False

    def cells_of(values: Iterable[Any], *, is_header: bool) -> list[Any]:
        out = []
        for value in row_cells(values):
            written = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                written.data_type = "s"  # never a formula, whatever it starts with
            if is_header:
                written.font = bold
            out.append(written)
        return out

    def set_widths(count: int) -> None:
        nonlocal width_set
        if column_width is not None and not width_set:
            for index in range(1, count + 1):
                sheet.column_dimensions[get_column_letter(index)].width = column_width
        width_set = True

    if header is not None:
        first = cells_of(header, is_header=True)
        set_widths(len(first))
        sheet.append(first)
    for values in rows:
        line = cells_of(values, is_header=False)
        set_widths(len(line))
        sheet.append(line)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- a table as a download -----------------------------------------------------------------------

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMATS = tuple(CONTENT_TYPES)


def table_content(
    file_format: str, header: Sequence[Any] | None, rows: Iterable[Iterable[Any]], *, title: str
) -> bytes:
    """The table as a CSV (UTF-8) or XLSX file."""
    if file_format == "csv":
        return csv_text(header, rows).encode("utf-8")
    if file_format == "xlsx":
        return xlsx_bytes(header, rows, title=title)
    raise ValueError(f"unknown table format: {file_format}")


def attachment(content: bytes | str, file_format: str, filename: str) -> Any:
    """A download of a table file: `filename` without its extension, which the format adds."""
    from django.http import HttpResponse

    response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{file_format}"'
    response["Cache-Control"] = "private, no-store"
    return response
