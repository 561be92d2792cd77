"""The strict import engine: read a CSV or XLSX file as text, check every cell, list every error.

Core layer: imports no app. Each kind of import (parts catalogue, price lists…) is an `Importer`
registered here by its app (`<app>/imports.py` or `<app>/price_imports.py`, found by
`ImportsConfig.ready`); the engine reads the file, checks the header and turns every cell into
text, then hands rows to the importer, which checks them, computes the dry-run diff and applies
it in one transaction.

Rules that hold for every kind:
- every cell is text first. CSV: the csv module over UTF-8 (with or without a BOM; anything
  else is refused). XLSX: openpyxl in read-only mode; a cell of a `code` column (part numbers,
  codes) stored as a number is refused — a number cell has already lost leading zeros or turned
  into 1.2345E+5, and the engine never guesses them back;
- decimals: `.` as the decimal point, no thousands separators, a bounded number of places;
  dates: ISO YYYY-MM-DD;
- the header row is row 1, the first data row row 2 (as the spreadsheet shows them); errors name
  the row and the column.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, ClassVar, Literal
from xml.etree.ElementTree import ParseError

from django.utils.translation import gettext as _

from dms import tabular

# How a column's XLSX cells may be stored: `code` refuses number and date cells (identifiers),
# `text` takes a whole number as its digits, `decimal` takes a number cell as its exact decimal
# text, `date` takes a date cell.
CellKind = Literal["code", "text", "decimal", "date"]
Progress = Callable[[int, int, str], None]

FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class Column:
    name: str  # as written in the header row (compared without case and surrounding spaces)
    required: bool = True  # the column must be in the header (its cells may still be optional)
    cell: CellKind = "text"
    max_length: int = 200
    help: Any = ""  # shown on the upload page


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet shows it: the header is row 1; 0 = the whole file
    column: str
    value: str
    message: str

    def as_list(self) -> list[Any]:
        return [self.row, self.column, self.value, self.message]


class Errors:
    """Every error of one file, in row order as they are found."""

    def __init__(self) -> None:
        self.items: list[RowError] = []

    def add(self, row: int, column: str, message: str, value: str = "") -> None:
        self.items.append(RowError(row, column, value[:100], str(message)))

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)


@dataclass
class Row:
    number: int
    values: dict[str, str]  # column name → cell text, stripped ("" when empty)


@dataclass
class Table:
    columns: list[str]  # the columns present, in file order
    rows: list[Row] = field(default_factory=list)


class FileRefused(Exception):
    """The file cannot be read at all (format, encoding, size, empty)."""


# --- changes (the dry run) -----------------------------------------------------------------


@dataclass
class Changes:
    """What applying would change: new keys, changed fields (old → new), removed keys."""

    new: int = 0
    changed: int = 0
    removed: int = 0
    lines: list[list[str]] = field(default_factory=list)  # [change, key, field, old, new]
    unchanged: int = 0

    NEW: ClassVar[str] = "new"
    CHANGED: ClassVar[str] = "changed"
    REMOVED: ClassVar[str] = "removed"

    def add_new(self, key: str, summary: str) -> None:
        self.new += 1
        self.lines.append([self.NEW, key, "", "", summary])

    def add_changed(self, key: str, diffs: Sequence[tuple[str, str, str]]) -> None:
        self.changed += 1
        self.lines.extend([self.CHANGED, key, name, old, new] for name, old, new in diffs)

    def add_removed(self, key: str, summary: str) -> None:
        self.removed += 1
        self.lines.append([self.REMOVED, key, "", summary, ""])


# --- importers ------------------------------------------------------------------------------


class Importer:
    """One kind of import. Subclasses set the class attributes and the three steps."""

    kind: ClassVar[str]
    label: ClassVar[Any]
    columns: ClassVar[tuple[Column, ...]]
    # Added to the header check: what the kind of file is about (shown on the upload page).
    description: ClassVar[Any] = ""

    def __init__(self, target: str = "") -> None:
        # What the rows go into when a kind has several (e.g. which price list): a key of
        # `targets()`, chosen on the upload page and kept on the job.
        self.target = target

    @classmethod
    def targets(cls) -> list[tuple[str, str]]:
        """(key, label) of the things this kind imports into; empty: no choice to make."""
        return []

    def check(self, table: Table, errors: Errors, progress: Progress) -> Any:
        """Check every row (adding to `errors`); return what `changes` and `apply` need."""
        raise NotImplementedError

    def changes(self, checked: Any) -> Changes:
        raise NotImplementedError

    def apply(self, checked: Any, *, actor: Any, job_id: int) -> dict[str, Any]:
        """Write everything, in the caller's transaction; return counts (and ids) to keep."""
        raise NotImplementedError

    def check_actor(self, actor: Any) -> None:
        """Raise PermissionDenied when `actor` may not apply this kind."""
        raise NotImplementedError


_REGISTRY: dict[str, type[Importer]] = {}


def register(importer: type[Importer]) -> type[Importer]:
    _REGISTRY[importer.kind] = importer
    return importer


def importer_for(kind: str, target: str = "") -> Importer:
    try:
        cls = _REGISTRY[kind]
    except KeyError:
        raise FileRefused(_("Unknown kind of import.")) from None
    return cls(target)


def importer_class(kind: str) -> type[Importer] | None:
    return _REGISTRY.get(kind)


def kinds() -> list[tuple[str, Any]]:
    return sorted(((k, cls.label) for k, cls in _REGISTRY.items()), key=lambda kv: kv[0])


# --- reading --------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def file_format(filename: str) -> str:
    suffix = Path(filename).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise FileRefused(_("Upload a .csv or .xlsx file."))
    return suffix


def read_table(path: Path, fmt: str, columns: Sequence[Column], errors: Errors) -> Table:
    """The file's rows as text, after the header check. Header errors are added to `errors`
    (the rows are then not read). Raises FileRefused when the file cannot be read at all."""
    raw = _read_csv(path) if fmt == "csv" else _read_xlsx(path)
    try:
        header_cells = next(raw)
    except StopIteration:
        raise FileRefused(_("The file is empty.")) from None
    by_name = {c.name.lower(): c for c in columns}
    header: list[Column | None] = []
    seen: set[str] = set()
    for cell in header_cells:
        name = "" if cell is None else str(cell).strip()
        if not name:
            header.append(None)
            continue
        column = by_name.get(name.lower())
        if column is None:
            errors.add(
                1,
                name,
                _("Unknown column “%(name)s”. The columns are: %(known)s.")
                % {"name": name, "known": ", ".join(c.name for c in columns)},
                name,
            )
        elif column.name in seen:
            errors.add(1, name, _("This column appears twice."), name)
            column = None
        else:
            seen.add(column.name)
        header.append(column)
    for column in columns:
        if column.required and column.name not in seen:
            errors.add(1, column.name, _("Required column missing."))
    table = Table(columns=[c.name for c in header if c is not None])
    if errors:
        return table
    for number, cells in enumerate(raw, start=2):
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue  # blank lines (and the trailing rows spreadsheets keep) are not rows
        values: dict[str, str] = {}
        for index, cell in enumerate(cells):
            column = header[index] if index < len(header) else None
            if column is None:
                if cell is not None and str(cell).strip():
                    errors.add(
                        number,
                        _("column %(n)s") % {"n": index + 1},
                        _("A value in a column without a header."),
                        str(cell),
                    )
                continue
            text = _cell_text(cell, column, number, errors)
            if text is not None:
                values[column.name] = text
        for name in table.columns:
            values.setdefault(name, "")
        table.rows.append(Row(number, values))
    if not table.rows and not errors:
        raise FileRefused(_("The file has a header row but no data rows."))
    return table


def _read_csv(path: Path) -> Iterator[Sequence[Any]]:
    data = path.read_bytes()
    if not data.strip():
        raise FileRefused(_("The file is empty."))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE)):
        raise FileRefused(
            _(
                "The file is UTF-16 encoded. Save it as “CSV UTF-8 (comma delimited)” and upload it again."
            )
        )
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileRefused(
            _(
                "The file is not UTF-8 encoded (byte %(at)s). Save it as “CSV UTF-8 (comma "
                "delimited)” and upload it again."
            )
            % {"at": exc.start + 1}
        ) from None
    first_line = text.split("\n", 1)[0]
    # Header names hold no commas or semicolons: the header tells the delimiter (Excel writes
    # ';' where the decimal comma is local). Decimals are read with '.' whatever it is.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    except csv.Error as exc:
        raise FileRefused(_("The CSV file is malformed: %(error)s.") % {"error": exc}) from None


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE, _INLINE, _TEXT = (_NS + t for t in ("row", "c", "v", "is", "t"))


class XlsxError(str):
    """An error cell (#N/A, #VALUE!…): refused wherever it is."""


def _read_xlsx(path: Path) -> Iterator[Sequence[Any]]:
    """The first sheet's rows as Python values, as openpyxl's read-only mode gives them (text,
    int/float for number cells, datetime for number cells in a date format, bool), formulas as
    their cached values.

    openpyxl opens the workbook (shared strings, styles, which style ids are date formats, the
    sheet's XML); the cells are read here in one lean loop over the sheet's XML — the same
    conversions as openpyxl's WorkSheetParser.parse_cell without building a dict and a cell per
    value, which reads a 100,000-row sheet in less than half the time (bench/imports.py)."""
    from openpyxl import load_workbook  # noqa: PLC0415 - only imports read spreadsheets
    from openpyxl.utils.cell import column_index_from_string  # noqa: PLC0415
    from openpyxl.utils.datetime import from_excel, from_ISO8601  # noqa: PLC0415

    # openpyxl's own choice of parser (defusedxml's when installed), as its reader uses.
    from openpyxl.xml.functions import iterparse  # noqa: PLC0415

    try:
        book = load_workbook(path, read_only=True, data_only=True)
        sheet = book.worksheets[0]
    except Exception:  # noqa: BLE001 - zip, XML and openpyxl errors alike: not a workbook
        raise FileRefused(_("This is not an Excel workbook (.xlsx) that can be read.")) from None
    shared = sheet._shared_strings
    date_styles = book._date_formats
    columns: dict[str, int] = {}
    expected = 1
    try:
        with sheet._get_source() as source:
            for _event, element in iterparse(source):
                if element.tag != _ROW:
                    continue
                number = int(element.get("r") or expected)
                while expected < number:  # rows the file leaves out are empty rows
                    yield ()
                    expected += 1
                values: list[Any] = []
                for cell in element.iter(_CELL):
                    ref = cell.get("r")
                    if ref:
                        letters = ref.rstrip("0123456789")
                        column = columns.get(letters)
                        if column is None:
                            column = columns[letters] = column_index_from_string(letters)
                        values.extend([None] * (column - 1 - len(values)))
                    kind = cell.get("t", "n")
                    value: Any
                    if kind == "inlineStr":
                        node = cell.find(_INLINE)
                        value = (
                            None
                            if node is None
                            else "".join(t.text or "" for t in node.iter(_TEXT))
                        )
                    else:
                        value = cell.findtext(_VALUE)
                        if value is not None:
                            if kind == "s":
                                value = shared[int(value)]
                            elif kind == "n":
                                number_value: float | int = (
                                    float(value) if any(c in value for c in ".eE") else int(value)
                                )
                                style = cell.get("s")
                                value = (
                                    from_excel(number_value, book.epoch)
                                    if style and int(style) in date_styles
                                    else number_value
                                )
                            elif kind == "b":
                                value = bool(int(value))
                            elif kind == "d":
                                value = from_ISO8601(value)
                            elif kind == "e":
                                value = XlsxError(value)
                    values.append(value)
                element.clear()
                yield values
                expected = number + 1
    except (ParseError, ValueError, KeyError, IndexError):
        raise FileRefused(_("This is not an Excel workbook (.xlsx) that can be read.")) from None
    finally:
        book.close()


# What a spreadsheet writes for a number shown in scientific notation: a signed exponent
# (1.2345E+5, 1E-3). "12E5" without a sign may be a real part number: not matched.
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]\d+$")


def _cell_text(cell: Any, column: Column, row: int, errors: Errors) -> str | None:
    """A cell as text, or None (error added) when it is stored in a way we do not guess."""
    if cell is None:
        return ""
    if isinstance(cell, XlsxError):
        errors.add(row, column.name, _("This cell holds an error (%(value)s).") % {"value": cell})
        return None
    if isinstance(cell, str):
        text = cell.strip()
        if _CONTROL.search(text):
            errors.add(row, column.name, _("Control characters are not allowed."), text)
            return None
        if len(text) > column.max_length:
            errors.add(
                row,
                column.name,
                _("At most %(n)s characters.") % {"n": column.max_length},
                text,
            )
            return None
        return text
    if isinstance(cell, bool):
        errors.add(row, column.name, _("A TRUE/FALSE cell is not allowed here."), str(cell))
        return None
    if isinstance(cell, dt.datetime | dt.date):
        if column.cell == "date":
            day = cell.date() if isinstance(cell, dt.datetime) else cell
            if isinstance(cell, dt.datetime) and cell.time() != dt.time(0):
                errors.add(row, column.name, _("A date without a time is expected."), str(cell))
                return None
            return day.isoformat()
        errors.add(row, column.name, _("This cell is a date; text is expected."), str(cell))
        return None
    if isinstance(cell, int | float):
        if column.cell == "code":
            errors.add(
                row,
                column.name,
                _(
                    "This cell is stored as a number (%(value)s): numbers lose leading zeros and "
                    "long ones turn into 1.2E+5. Store %(column)s as text (format the column as "
                    "Text and enter the values again)."
                )
                % {"value": _number_text(cell), "column": column.name},
                _number_text(cell),
            )
            return None
        return _number_text(cell)
    errors.add(row, column.name, _("This cell cannot be read."), str(cell))
    return None


def _number_text(value: int | float) -> str:
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    # repr is the shortest text that reads back as the same float: what the user typed.
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text


# --- cell checks (importers call these) ----------------------------------------------------

_DECIMAL = re.compile(r"^\d+(\.\d+)?$")


def parse_decimal(text: str, *, places: int = 2, maximum: Decimal | None = None) -> Decimal:
    """A non-negative decimal written with '.' and at most `places` places; ValueError with the
    message otherwise."""
    if _SCIENTIFIC.match(text):
        raise ValueError(_("Scientific notation (1.2E+3) is not accepted: write the number out."))
    if text.startswith("-"):
        raise ValueError(_("Must not be negative."))
    if "," in text or " " in text or "'" in text or text.count(".") > 1:
        raise ValueError(
            _(
                "Write the number with a point for decimals and no thousands separators "
                "(e.g. 1234.50)."
            )
        )
    if not _DECIMAL.match(text.lstrip("+")):
        raise ValueError(_("Not a number."))
    try:
        value = Decimal(text.lstrip("+"))
    except InvalidOperation:
        raise ValueError(_("Not a number.")) from None
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise ValueError(_("At most %(n)s decimal places.") % {"n": places})
    if maximum is not None and value > maximum:
        raise ValueError(_("At most %(max)s.") % {"max": maximum})
    return value


def parse_date(text: str) -> dt.date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(_("Write the date as YYYY-MM-DD (e.g. 2027-03-01)."))
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(_("This date does not exist.")) from None


def looks_scientific(text: str) -> bool:
    return bool(_SCIENTIFIC.match(text))


def errors_table(rows: Sequence[Sequence[Any]], file_format: str) -> bytes:
    """The errors (row, column, value, message) as a CSV or XLSX file, written by dms.tabular
    (the one writer: values that look like formulas are neutralised there)."""
    header = [_("row"), _("column"), _("value"), _("message")]
    return tabular.table_content(
        file_format, header, ([str(v) for v in row] for row in rows), title=str(_("Errors"))
    )
