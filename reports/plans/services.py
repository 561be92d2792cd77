"""Sales plans: HQ's yearly plan upload (strict validation, dry-run preview, versioned import)
and the dealer manager's split of the dealer's plan across consultants.

Upload flow: `parse_plan_file()` reads and checks every row (nothing written); `stage_upload()`
keeps the file and its check result in the cache under an unguessable token for the preview;
`import_plan()` re-validates the very bytes that were previewed (same SHA-256) and writes a new
PlanVersion with all its PlanTargets in one transaction, or nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import re
import secrets
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import formats
from django.utils.translation import gettext as _

from dealers.models import Dealer
from dms import tabular
from dms.audit.models import AuditAction
from dms.audit.services import record
from dms.tenancy.context import as_dealer, as_dealers
from inventory.models import VehicleModel
from reports.models import ConsultantTarget, Metric, PlanTarget, PlanVersion

from . import selectors

_Ref = TypeVar("_Ref", Dealer, VehicleModel)
Cell = tuple[int, int]  # (consultant user id, month)

# --- limits and file layout ------------------------------------------------------------------

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # a full network plan (170 dealers) is about 1.5 MB of CSV
MAX_ROWS = 120_000  # 170 dealers x 12 months x 10 models x 4 metrics = 81,600
MAX_TARGET = 1_000_000  # a monthly count above this is a typo, not a plan
MAX_ERRORS = 5_000  # stop collecting (the file is rejected anyway)
STAGE_TTL = 2 * 60 * 60  # seconds an upload waits for its confirmation
ALLOWED_EXTENSIONS = (".csv", ".xlsx")

# Canonical column names, in template order, and the header spellings accepted for each.
COLUMNS = ("dealer_code", "month", "model", "metric", "target")
_HEADER_ALIASES = {
    "dealer_code": {"dealer_code", "dealer", "dealercode", "code"},
    "month": {"month"},
    "model": {"model", "vehicle_model", "model_code"},
    "metric": {"metric"},
    "target": {"target", "plan", "count"},
}

_INT_TEXT = re.compile(r"^\+?\d+$")
_NEGATIVE_INT_TEXT = re.compile(r"^-\d+$")
_NUMBER_TEXT = re.compile(r"^[+-]?(\d+[.,]\d*|[.,]\d+|\d+([.,]\d+)?[eE][+-]?\d+)$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass(frozen=True)
class RowError:
    """One problem: spreadsheet row number (header = row 1), column, the bad value, why."""

    row: int
    column: str
    value: str
    message: str


@dataclass(frozen=True)
class PlanRow:
    row: int
    dealer_id: int
    month: int
    model_id: int
    metric: str
    target: int


@dataclass
class PlanSummary:
    """What the preview shows: totals per metric per month, per region and dealer counts."""

    rows: int = 0
    dealers: int = 0
    models: int = 0
    # metric -> [month 1..12 totals]
    by_metric_month: dict[str, list[int]] = field(default_factory=dict)
    # region name -> {"dealers": n, metric: total, ...}
    by_region: dict[str, dict[str, int]] = field(default_factory=dict)

    def metric_totals(self) -> dict[str, int]:
        return {m: sum(v) for m, v in self.by_metric_month.items()}


@dataclass
class ParsedPlan:
    year: int
    rows: list[PlanRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    truncated: bool = False  # more errors than MAX_ERRORS

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


class _Errors:
    def __init__(self) -> None:
        self.items: list[RowError] = []
        self.truncated = False

    def add(self, row: int, column: str, value: Any, message: str) -> None:
        if len(self.items) >= MAX_ERRORS:
            self.truncated = True
            return
        self.items.append(RowError(row, column, _display(value), message))


def _display(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _norm_header(value: Any) -> str:
    text = "" if value is None else str(value)
    text = text.strip().lstrip("\ufeff").lower()
    return re.sub(r"[\s\-]+", "_", text)


# --- reading the file ------------------------------------------------------------------------


class FileRejected(Exception):
    """The file as a whole cannot be read (type, size, encoding, empty)."""


def _extension(filename: str) -> str:
    name = filename.lower()
    return next((ext for ext in ALLOWED_EXTENSIONS if name.endswith(ext)), "")


def _csv_rows(content: bytes) -> Iterator[list[Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRejected(_("The CSV file is not UTF-8 text.")) from exc
    if "\x00" in text:
        raise FileRejected(_("The file is not a CSV text file."))
    first_line = text.split("\n", 1)[0]
    # Spreadsheets in many European locales export with semicolons.
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        yield from reader
    except csv.Error as exc:
        raise FileRejected(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from exc


def _xlsx_rows(content: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise FileRejected(_("The file is not a valid XLSX workbook.")) from exc
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return
        for values in sheet.iter_rows(values_only=True):
            yield list(values)
    finally:
        workbook.close()


def _raw_rows(content: bytes, filename: str) -> Iterator[list[Any]]:
    ext = _extension(filename)
    if not ext:
        raise FileRejected(_("Upload a .csv or .xlsx file."))
    if len(content) > MAX_UPLOAD_BYTES:
        raise FileRejected(
            _("The file is too large (%(size)s bytes; at most %(max)s).")
            % {"size": len(content), "max": MAX_UPLOAD_BYTES}
        )
    if not content:
        raise FileRejected(_("The file is empty."))
    if ext == ".xlsx":
        if not content.startswith(b"PK"):
            raise FileRejected(_("The file is not a valid XLSX workbook."))
        return _xlsx_rows(content)
    if content.startswith(b"PK"):
        raise FileRejected(_("The file is a workbook, not CSV text: name it .xlsx."))
    return _csv_rows(content)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- checking cells ----------------------------------------------------------------------------


def _count(value: Any) -> tuple[int | None, str]:
    """A non-negative whole number, or (None, why). Decimals are errors, never rounded."""
    if _blank(value):
        return None, _("is required")
    if isinstance(value, bool):
        return None, _("must be a whole number")
    if isinstance(value, int):
        return (value, "") if value >= 0 else (None, _("must not be negative"))
    if isinstance(value, float):
        # A numeric spreadsheet cell: 12 is stored as 12.0 by some tools; 256.76 is an error.
        if value != value or value in (float("inf"), float("-inf")):
            return None, _("must be a whole number")
        if not value.is_integer():
            return None, _("must be a whole number (no decimals)")
        return (int(value), "") if value >= 0 else (None, _("must not be negative"))
    text = str(value).strip()
    if _INT_TEXT.match(text):
        return int(text), ""
    if _NEGATIVE_INT_TEXT.match(text):
        return None, _("must not be negative")
    if _NUMBER_TEXT.match(text):
        return None, _("must be a whole number (no decimals)")
    return None, _("must be a whole number")


def _month(value: Any, year: int) -> tuple[int | None, str]:
    if _blank(value):
        return None, _("is required")
    if isinstance(value, dt.datetime | dt.date):
        if value.year != year:
            return None, _("is not in the plan year %(year)s") % {"year": year}
        return value.month, ""
    if isinstance(value, bool):
        return None, _("must be 1-12 or YYYY-MM")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        match = _YEAR_MONTH.match(text)
        if match:
            if int(match.group(1)) != year:
                return None, _("is not in the plan year %(year)s") % {"year": year}
            number = int(match.group(2))
        elif re.fullmatch(r"\d{1,2}", text):
            number = int(text)
        else:
            return None, _("must be 1-12 or YYYY-MM")
    if not 1 <= number <= 12:
        return None, _("must be between 1 and 12")
    return number, ""


def _metric_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for value, label in Metric.choices:
        lookup[value] = value
        lookup[_norm_header(value)] = value
        lookup[_norm_header(str(label))] = value
    return lookup


def parse_plan_file(*, content: bytes, filename: str, year: int) -> ParsedPlan:
    """Check every row of an uploaded plan. Writes nothing. A file-level problem (type, size,
    empty, headers) is reported as an error of row 1 or 0 (the file)."""
    result = ParsedPlan(year=year)
    errors = _Errors()
    file_col = _("file")
    try:
        rows = _raw_rows(content, filename)
        header = next(rows, None)
        while header is not None and all(_blank(v) for v in header):
            header = next(rows, None)
    except FileRejected as exc:
        result.errors = [RowError(0, file_col, filename, str(exc))]
        return result
    if header is None:
        result.errors = [RowError(0, file_col, filename, _("The file is empty."))]
        return result

    # Header: each expected column exactly once; nothing unknown.
    positions: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = _norm_header(raw)
        if not name:
            continue
        canonical = next((c for c, names in _HEADER_ALIASES.items() if name in names), None)
        if canonical is None:
            errors.add(1, _display(raw), raw, _("unknown column"))
        elif canonical in positions:
            errors.add(1, canonical, raw, _("column appears twice"))
        else:
            positions[canonical] = index
    for column in COLUMNS:
        if column not in positions:
            errors.add(1, column, "", _("column is missing from the header row"))
    if errors.items:
        result.errors = errors.items
        return result

    dealers = {d.code.upper(): d for d in Dealer.objects.all().only("id", "code", "is_active")}
    models_by_key: dict[str, VehicleModel] = {}
    for vm in VehicleModel.objects.all().only("id", "code", "name", "is_active"):
        models_by_key.setdefault(vm.code.strip().lower(), vm)
        models_by_key.setdefault(vm.name.strip().lower(), vm)
    metrics = _metric_lookup()
    seen: dict[tuple[int, int, int, str], int] = {}
    width = max(positions.values()) + 1

    try:
        for row_number, values in enumerate(rows, start=2):
            if all(_blank(v) for v in values):
                continue  # blank lines (often at the end of exports)
            if len(result.rows) + len(errors.items) >= MAX_ROWS:
                errors.add(
                    row_number, file_col, "", _("too many rows (at most %(n)s)") % {"n": MAX_ROWS}
                )
                break
            cells = list(values) + [None] * (width - len(values))
            if any(not _blank(v) for i, v in enumerate(cells) if i not in positions.values()):
                errors.add(row_number, file_col, "", _("value in a column without a header"))

            dealer = _active_reference(
                errors,
                row_number,
                "dealer_code",
                cells[positions["dealer_code"]],
                dealers,
                str.upper,
                _("unknown dealer code"),
                _("dealer is not active"),
            )

            raw_month = cells[positions["month"]]
            month, why = _month(raw_month, year)
            if month is None:
                errors.add(row_number, "month", raw_month, why)

            vehicle_model = _active_reference(
                errors,
                row_number,
                "model",
                cells[positions["model"]],
                models_by_key,
                str.lower,
                _("unknown model"),
                _("model is not active"),
            )

            raw_metric = cells[positions["metric"]]
            metric = None
            if _blank(raw_metric):
                errors.add(row_number, "metric", raw_metric, _("is required"))
            else:
                metric = metrics.get(_norm_header(raw_metric))
                if metric is None:
                    errors.add(
                        row_number,
                        "metric",
                        raw_metric,
                        _("unknown metric (use one of: %(choices)s)")
                        % {"choices": ", ".join(Metric.values)},
                    )

            raw_target = cells[positions["target"]]
            target, why = _count(raw_target)
            if target is None:
                errors.add(row_number, "target", raw_target, why)
            elif target > MAX_TARGET:
                errors.add(
                    row_number,
                    "target",
                    raw_target,
                    _("is too large (at most %(max)s)") % {"max": MAX_TARGET},
                )
                target = None

            if dealer is None or month is None or vehicle_model is None or metric is None:
                continue
            key = (dealer.pk, month, vehicle_model.pk, metric)
            if key in seen:
                errors.add(
                    row_number,
                    "dealer_code+month+model+metric",
                    f"{dealer.code} / {month} / {vehicle_model.code} / {metric}",
                    _("duplicate of row %(row)s (same dealer, month, model and metric)")
                    % {"row": seen[key]},
                )
                continue
            seen[key] = row_number
            if target is not None:
                result.rows.append(
                    PlanRow(row_number, dealer.pk, month, vehicle_model.pk, metric, target)
                )
    except FileRejected as exc:
        errors.add(0, file_col, filename, str(exc))

    if not errors.items and not result.rows:
        errors.add(0, file_col, filename, _("The file has a header but no plan rows."))
    result.errors = errors.items
    result.truncated = errors.truncated
    if result.errors:
        result.rows = []
    return result


def _active_reference(
    errors: _Errors,
    row_number: int,
    column: str,
    raw: Any,
    table: Mapping[str, _Ref],
    normalise: Callable[[str], str],
    unknown: str,
    inactive: str,
) -> _Ref | None:
    """A required cell naming an active dealer or model: the row, or None with the error added."""
    if _blank(raw):
        errors.add(row_number, column, raw, _("is required"))
        return None
    found = table.get(normalise(str(raw).strip()))
    if found is None:
        errors.add(row_number, column, raw, unknown)
    elif not found.is_active:
        errors.add(row_number, column, raw, inactive)
        return None
    return found


def summarize(rows: Iterable[PlanRow]) -> PlanSummary:
    rows = list(rows)
    summary = PlanSummary(rows=len(rows))
    dealer_ids = {r.dealer_id for r in rows}
    summary.dealers = len(dealer_ids)
    summary.models = len({r.model_id for r in rows})
    summary.by_metric_month = {m: [0] * 12 for m in Metric.values}
    regions = dict(Dealer.objects.filter(pk__in=dealer_ids).values_list("pk", "region__name"))
    by_region: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(Metric.values, 0))
    region_dealers: dict[str, set[int]] = defaultdict(set)
    for r in rows:
        summary.by_metric_month[r.metric][r.month - 1] += r.target
        region = regions.get(r.dealer_id) or "-"
        by_region[region][r.metric] += r.target
        region_dealers[region].add(r.dealer_id)
    summary.by_region = {
        name: {"dealers": len(region_dealers[name]), **by_region[name]}
        for name in sorted(by_region)
    }
    return summary


ERRORS_HEADER = ["row", "column", "value", "error"]


def errors_file(errors: Iterable[RowError], file_format: str) -> bytes:
    """The upload's problems as CSV or XLSX. The values are the uploader's own cells, echoed
    back: the one writer (dms.tabular) neutralises any that a spreadsheet would run as a
    formula, in either format."""
    rows = ([e.row, e.column, e.value, e.message] for e in errors)
    return tabular.table_content(file_format, ERRORS_HEADER, rows, title="Errors")


# --- staging between preview and confirmation -------------------------------------------------


@dataclass
class StagedUpload:
    token: str
    user_id: int
    year: int
    note: str
    filename: str
    sha256: str
    content: bytes  # empty when the file was rejected (nothing to import)
    errors: list[RowError]
    truncated: bool
    summary: PlanSummary | None
    next_number: int

    @property
    def ok(self) -> bool:
        return not self.errors and self.summary is not None


def _cache_key(token: str) -> str:
    return f"reports:plan-upload:{token}"


def next_version_number(year: int) -> int:
    current = PlanVersion.objects.filter(year=year).aggregate(n=Max("number"))["n"]
    return (current or 0) + 1


def stage_upload(*, content: bytes, filename: str, year: int, note: str, user: Any) -> StagedUpload:
    """Check the file and keep it (with the result) for the preview, under a random token
    bound to the uploading user. Nothing is written to the database."""
    parsed = parse_plan_file(content=content, filename=filename, year=year)
    staged = StagedUpload(
        token=secrets.token_urlsafe(24),
        user_id=user.pk,
        year=year,
        note=note,
        filename=filename[:200],
        sha256=hashlib.sha256(content).hexdigest(),
        content=content if parsed.ok else b"",
        errors=parsed.errors,
        truncated=parsed.truncated,
        summary=summarize(parsed.rows) if parsed.ok else None,
        next_number=next_version_number(year),
    )
    data = asdict(staged)
    data["summary"] = asdict(staged.summary) if staged.summary else None
    data["errors"] = [asdict(e) for e in staged.errors]
    cache.set(_cache_key(staged.token), data, STAGE_TTL)
    return staged


def staged_upload(*, token: str, user: Any) -> StagedUpload | None:
    """The staged upload of this user, or None (unknown, expired, or someone else's)."""
    if not re.fullmatch(r"[A-Za-z0-9_\-]{16,64}", token or ""):
        return None
    data = cache.get(_cache_key(token))
    if not data or data.get("user_id") != user.pk:
        return None
    data = dict(data)
    data["errors"] = [RowError(**e) for e in data["errors"]]
    data["summary"] = PlanSummary(**data["summary"]) if data["summary"] else None
    return StagedUpload(**data)


def discard_upload(token: str) -> None:
    cache.delete(_cache_key(token))


def import_plan(
    *, staged: StagedUpload, sha256: str, expected_number: int, actor: Any, request: Any = None
) -> PlanVersion:
    """Import the previewed file as a new version of its year, all rows or none.

    The file is checked again (dealers or models may have changed since the preview); the
    confirmation must name the previewed file's SHA-256 and the version number it was shown,
    so a different file or a version imported meanwhile by someone else is refused."""
    if not staged.ok or not staged.content:
        raise ValidationError(_("This upload has errors and cannot be imported."))
    if not secrets.compare_digest(sha256, staged.sha256) or (
        hashlib.sha256(staged.content).hexdigest() != staged.sha256
    ):
        raise ValidationError(_("The file does not match the preview. Upload it again."))
    parsed = parse_plan_file(content=staged.content, filename=staged.filename, year=staged.year)
    if not parsed.ok:
        raise ValidationError(
            _("The file no longer passes the checks (%(n)s errors). Upload it again.")
            % {"n": len(parsed.errors)}
        )
    version = write_version(
        year=staged.year,
        rows=parsed.rows,
        note=staged.note,
        filename=staged.filename,
        sha256=staged.sha256,
        expected_number=expected_number,
        actor=actor,
        request=request,
    )
    discard_upload(staged.token)
    return version


def write_version(
    *,
    year: int,
    rows: list[PlanRow],
    note: str,
    filename: str,
    actor: Any,
    sha256: str = "",
    expected_number: int | None = None,
    request: Any = None,
) -> PlanVersion:
    """Write checked rows as the next version of `year` in one transaction (audited). With
    `expected_number`, refuse when another version was imported since the preview."""
    if not rows:
        raise ValidationError(_("A plan needs at least one row."))
    dealer_ids = sorted({r.dealer_id for r in rows})
    with transaction.atomic():
        # One importer per year at a time: the version number is decided under this lock.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [5001, year])
        number = next_version_number(year)
        if expected_number is not None and number != expected_number:
            raise ValidationError(
                _(
                    "Version %(n)s of %(year)s was imported meanwhile. Check the versions and "
                    "upload again."
                )
                % {"n": number - 1, "year": year}
            )
        version = PlanVersion.objects.create(
            year=year,
            number=number,
            note=note,
            filename=filename,
            uploaded_by=actor,
            row_count=len(rows),
        )
        with as_dealers(dealer_ids, write=True):
            PlanTarget.objects.bulk_create(
                [
                    PlanTarget(
                        dealer_id=r.dealer_id,
                        version=version,
                        month=r.month,
                        vehicle_model_id=r.model_id,
                        metric=r.metric,
                        target=r.target,
                    )
                    for r in rows
                ],
                batch_size=2000,
            )
        summary = summarize(rows)
        record(
            action=AuditAction.BULK_CHANGE,
            actor=actor,
            obj=version,
            count=len(rows),
            request=request,
            detail={
                "kind": "plan_import",
                "year": year,
                "version": number,
                "file": filename,
                "sha256": sha256,
                "dealers": len(dealer_ids),
                "totals": summary.metric_totals(),
            },
        )
    return version


# --- templates ----------------------------------------------------------------------------------


def template_rows(year: int) -> list[list[Any]]:
    """Header plus a few example rows (one dealer, one model, every metric, January)."""
    dealer = Dealer.objects.filter(is_active=True).order_by("code").first()
    vm = VehicleModel.objects.filter(is_active=True).order_by("code").first()
    rows: list[list[Any]] = [list(COLUMNS)]
    if dealer and vm:
        for metric, example in zip(Metric.values, (40, 12, 6, 5), strict=True):
            rows.append([dealer.code, f"{year}-01", vm.code, metric, example])
    return rows


def template_csv(year: int) -> str:
    return tabular.csv_text(None, template_rows(year))


def template_xlsx(year: int) -> bytes:
    return tabular.xlsx_bytes(None, template_rows(year), title=f"Plan {year}", column_width=16)


# --- consultant split -----------------------------------------------------------------------------


def split_consultants(dealer: Dealer) -> list[Any]:
    """The dealer's active consultants (the people a plan is split across), by name."""
    return [m.user for m in selectors.active_split_memberships(dealer)]


def even_split(total: int, people: int) -> list[int]:
    """`total` over `people` whole shares differing by at most one (the first get the rest)."""
    if people <= 0:
        return []
    base, rest = divmod(total, people)
    return [base + (1 if i < rest else 0) for i in range(people)]


def largest_remainder(total: int, weights: Sequence[int | Fraction]) -> list[int]:
    """`total` in whole shares proportional to `weights` that add up to exactly `total`
    (largest-remainder rounding; on equal remainders the earlier weight gets the unit).
    Weights that are all zero: an even split."""
    if not weights:
        return []
    weight_sum = sum(weights, Fraction(0))
    if weight_sum <= 0:
        return even_split(total, len(weights))
    exact = [Fraction(total) * w / weight_sum for w in weights]
    shares = [math.floor(x) for x in exact]
    rest = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[:rest]:
        shares[i] += 1
    return shares


def even_cells(frame: selectors.SplitFrame) -> dict[Cell, int]:
    """Every open month's plan (less the kept rows) evenly over who may hold a target."""
    cells: dict[Cell, int] = {}
    for month in frame.open_months:
        ids = frame.eligible(month)
        for uid, share in zip(ids, even_split(frame.remaining(month), len(ids)), strict=True):
            cells[(uid, month)] = share
    return cells


@dataclass(frozen=True)
class Reassignment:
    """Targets of someone who can no longer hold them, spread over the remaining consultants."""

    person: selectors.SplitPerson
    months: list[int]
    total: int


def reassign_cells(frame: selectors.SplitFrame) -> tuple[dict[Cell, int], list[Reassignment]]:
    """The saved editable cells with every orphaned target (a departed consultant's, or one
    after a consultant's leaving date) spread evenly over the month's remaining consultants.
    A proposal for the editor: nothing is written."""
    cells = dict.fromkeys(frame.editable_cells(), 0)
    cells.update(frame.saved_editable())
    moved: dict[int, dict[int, int]] = defaultdict(dict)
    for (uid, month), value in sorted(frame.orphaned.items()):
        ids = frame.eligible(month)
        if value <= 0 or not ids:
            continue
        for to, share in zip(ids, even_split(value, len(ids)), strict=True):
            cells[(to, month)] += share
        moved[uid][month] = value
    notices = []
    for uid, months in moved.items():
        person = frame.person(uid)
        if person is not None:
            notices.append(Reassignment(person, sorted(months), sum(months.values())))
    return cells, notices


def carry_over_cells(*, frame: selectors.SplitFrame, source: dict[Cell, int]) -> dict[Cell, int]:
    """Pre-fill from an earlier version's split (`source`): in each open month the earlier
    per-consultant shares are scaled to this version's plan (less any kept rows), in whole
    numbers that add up exactly (largest remainder). Only people who may hold a target get
    one; the share of anyone else (departed) is spread evenly over them first. A month the
    earlier split left empty is split evenly. Nothing is written."""
    cells: dict[Cell, int] = {}
    for month in frame.open_months:
        ids = frame.eligible(month)
        if not ids:
            continue
        shares = {uid: v for (uid, m), v in source.items() if m == month}
        others = sum(v for uid, v in shares.items() if uid not in ids)
        weights = [Fraction(shares.get(uid, 0)) + Fraction(others, len(ids)) for uid in ids]
        for uid, value in zip(ids, largest_remainder(frame.remaining(month), weights), strict=True):
            cells[(uid, month)] = value
    return cells


def _check_split(
    frame: selectors.SplitFrame, cells: Mapping[Cell, int], plan: Mapping[int, int]
) -> tuple[dict[Cell, int], list[str]]:
    """The cells a save writes, and every problem (none: the save may go ahead)."""
    problems: list[str] = []
    edited: dict[Cell, int] = {}
    closed_touched: set[int] = set()
    kept_touched: list[Cell] = []
    strangers = False
    not_then: list[Cell] = []
    for (uid, month), value in sorted(cells.items()):
        if not 1 <= month <= 12:
            strangers = True
        elif (uid, month) in frame.kept:
            if value == frame.kept[(uid, month)]:
                continue  # unchanged: nothing to do
            if month in frame.closed:
                closed_touched.add(month)
            else:
                kept_touched.append((uid, month))
        elif month in frame.closed:
            if value != 0:
                closed_touched.add(month)
        elif frame.editable(uid, month):
            edited[(uid, month)] = value
        elif value != 0:
            person = frame.person(uid)
            if person is not None and person.active and person.left_on is not None:
                not_then.append((uid, month))
            else:
                strangers = True
    for month in sorted(closed_touched):
        problems.append(
            _("%(month)s %(year)s is over and its split is kept as saved: it cannot be changed.")
            % {"month": _month_name(month), "year": frame.year}
        )
    for uid, month in kept_touched:
        person = frame.person(uid)
        problems.append(
            _(
                "%(name)s's target for %(month)s is kept as saved (they are no longer an active "
                "consultant): it cannot be changed."
            )
            % {"name": person.name if person else uid, "month": _month_name(month)}
        )
    for uid, month in not_then:
        person = frame.person(uid)
        if person is not None and person.left_on is not None:
            problems.append(
                _("%(name)s leaves on %(date)s and cannot get a target for %(month)s.")
                % {
                    "name": person.name,
                    "date": formats.date_format(person.left_on, "DATE_FORMAT"),
                    "month": _month_name(month),
                }
            )
    if strangers:
        problems.append(_("Only the dealer's active consultants can get a target."))
    if any(v < 0 or v > MAX_TARGET for v in cells.values()):
        problems.append(_("Targets must be whole numbers from 0 to %(max)s.") % {"max": MAX_TARGET})
    metric_label = str(Metric(frame.metric).label)
    for month in frame.open_months:
        total = frame.kept_sum(month) + sum(v for (_u, m), v in edited.items() if m == month)
        expected = plan.get(month, 0)
        if total != expected:
            problems.append(
                _(
                    "%(month)s, %(metric)s: the consultants' targets sum to %(total)s but the "
                    "dealer's plan is %(plan)s (%(diff)s)."
                )
                % {
                    "month": _month_name(month),
                    "metric": metric_label,
                    "total": total,
                    "plan": expected,
                    "diff": (
                        _("%(n)s missing") % {"n": expected - total}
                        if total < expected
                        else _("%(n)s too many") % {"n": total - expected}
                    ),
                }
            )
    return edited, problems


def save_split(
    *,
    dealer: Dealer,
    version: PlanVersion,
    metric: str,
    cells: Mapping[Cell, int],
    plan: Mapping[int, int] | None = None,
    actor: Any,
    request: Any = None,
    today: dt.date | None = None,
) -> int:
    """Save the dealer's consultant split of one metric in one plan version.

    `cells` maps (consultant user id, month) to a whole number; `plan` is the dealer's plan per
    month (all models; default: read from the version). Months that are over and already split
    keep every saved row, and so does the current month for someone who is no longer an active
    consultant (see selectors.SplitFrame); a cell that would change such a row is refused. The
    other months are replaced by `cells`: only active consultants may get a target there (not
    after their leaving date), and each month's kept rows plus edited cells must add up to the
    plan exactly. Any problem: ValidationError listing each, and nothing is saved. `today` is
    the dealer's local date (default: now). Returns the number of rows written."""
    if metric not in Metric.values:
        raise ValidationError(_("Unknown metric."))
    with transaction.atomic(), as_dealer(dealer):
        # One save of a dealer's split at a time: the kept rows are decided under this lock.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [5002, dealer.pk])
        frame = selectors.split_frame(dealer=dealer, version=version, metric=metric, today=today)
        edited, problems = _check_split(frame, cells, frame.plan if plan is None else plan)
        if problems:
            raise ValidationError(problems)
        current = ConsultantTarget.objects.filter(dealer=dealer, version=version, metric=metric)
        replaced = [
            pk
            for pk, uid, month in current.values_list("pk", "consultant_id", "month")
            if (uid, month) not in frame.kept
        ]
        dropped = {key: v for key, v in frame.orphaned.items() if v}
        removed, _detail = current.filter(pk__in=replaced).delete()
        rows = [
            ConsultantTarget(
                dealer=dealer,
                version=version,
                month=month,
                metric=metric,
                consultant_id=uid,
                target=value,
                updated_by=actor,
            )
            for (uid, month), value in sorted(edited.items())
        ]
        ConsultantTarget.objects.bulk_create(rows)
        record(
            action=AuditAction.BULK_CHANGE,
            actor=actor,
            dealer=dealer,
            obj=version,
            count=len(rows),
            request=request,
            detail={
                "kind": "plan_split",
                "year": version.year,
                "version": version.number,
                "metric": metric,
                "replaced": removed,
                "kept": len(frame.kept),
                "months": sorted({m for _uid, m in edited}),
                "reassigned": {
                    str(uid): sum(v for (u, _m), v in dropped.items() if u == uid)
                    for uid in sorted({u for u, _m in dropped})
                },
                "consultants": len({uid for uid, _m in edited}),
                "total": sum(edited.values()),
            },
        )
    return len(rows)


def _month_name(month: int) -> str:
    from django.utils.dates import MONTHS

    return str(MONTHS[month])
