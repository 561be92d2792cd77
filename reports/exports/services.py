"""KPI exports: one dealer's KPI pack (PDF, synchronous), CSV of the dashboards' tables, and packs
for many dealers (a region, the network) built in a Celery task with progress.

The figures are the dashboards' (reports.dashboards.selectors.dealer_kpis / network_kpis); this
module only turns them into files. Every export is written to the audit log by the view that
hands the file out (actor, dealer, what, how many rows/pages/dealers, IP).

Pack files are kept outside static and media, under settings.DMS_EXPORT_ROOT (default
var/exports/), and served only by reports.exports.views.JobDownloadView, to their requester.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import secrets
import stat
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealers.models import Dealer, Region
from dealers.selectors import Access, access_for
from dms import tabular
from dms.audit.models import AuditAction
from dms.audit.services import record
from dms.tenancy.context import as_dealers
from reports.dashboards.selectors import (
    METRICS,
    DealerKpis,
    NetworkKpis,
    as_of_date,
    dealer_kpis,
    metric_label,
    network_kpis,
)
from reports.models import ExportJob

from . import pdf
from .selectors import can_export_network

logger = logging.getLogger(__name__)

# A combined PDF is laid out in memory (WeasyPrint keeps every page until it writes the file):
# bigger selections go as a ZIP of one PDF per dealer.
COMBINED_MAX_DEALERS = 40

DEALER_TABLES = {
    "summary": gettext_lazy("Plan vs actual (month and year to date)"),
    "funnel": gettext_lazy("Funnel"),
    "leaderboard": gettext_lazy("Consultant leaderboard"),
    "trend": gettext_lazy("Plan vs actual by month (12 months)"),
}
NETWORK_TABLES = {"network": gettext_lazy("Network: dealers and regions")}

# Length of the technical detail kept with a failure (the exception's class and message).
DETAIL_MAX = 300

PACK_OBJECT = "reports.KpiPack"
TABLE_OBJECT = "reports.KpiTable"


# --- period and files ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    year: int
    month: int

    @property
    def slug(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)


def default_period(access: Access) -> Period:
    """The month of the latest figures (the rollup's as-of date), else the current month."""
    as_of = as_of_date(access.dealer_ids) if access.dealer_ids else None
    day = as_of or timezone.localdate()
    return Period(day.year, day.month)


def parse_period(data: Any, *, default: Period) -> Period:
    """year/month from a query string; missing -> the default; anything else -> a clear error."""
    raw_year, raw_month = data.get("year"), data.get("month")
    if not raw_year and not raw_month:
        return default
    try:
        year = int(raw_year or default.year)
        month = int(raw_month or default.month)
    except (TypeError, ValueError):
        raise ValidationError(_("Year and month must be whole numbers.")) from None
    if not 1 <= month <= 12:
        raise ValidationError(_("The month must be between 1 and 12."))
    if not 2000 <= year <= 2100:
        raise ValidationError(_("The year must be between 2000 and 2100."))
    return Period(year, month)


def export_root() -> Path:
    root = Path(getattr(settings, "DMS_EXPORT_ROOT", settings.BASE_DIR / "var" / "exports"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:40] or "x"


def pack_filename(kpis: DealerKpis) -> str:
    return f"kpi-pack-{safe_name(kpis.dealer_code)}-{kpis.year}-{kpis.month:02d}.pdf"


def job_path(job: ExportJob) -> Path | None:
    """The job's file, if it has one and it is still there (never outside the export root)."""
    if not job.file:
        return None
    root = export_root().resolve()
    path = (root / job.file).resolve()
    if path.parent != root or not path.is_file():
        return None
    return path


# --- one dealer ----------------------------------------------------------------------------------


def dealer_pack(*, dealer: Dealer, period: Period) -> tuple[bytes, int, DealerKpis]:
    """One dealer's KPI pack: PDF bytes, page count, and the figures in it. Call inside a scope
    that covers the dealer (the request's, or as_dealers in a task)."""
    kpis = dealer_kpis(dealer, year=period.year, month=period.month)
    content, pages = pdf.render_pack_pdf(kpis)
    return content, pages, kpis


def record_export(
    *,
    request: HttpRequest | None,
    actor: Any,
    dealer: Dealer | None,
    object_type: str,
    object_id: str,
    count: int,
    detail: dict[str, Any],
) -> None:
    record(
        action=AuditAction.EXPORT,
        actor=actor,
        dealer=dealer,
        object_type=object_type,
        object_id=object_id,
        count=count,
        request=request,
        detail=detail,
    )


# --- CSV -----------------------------------------------------------------------------------------


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A KPI table as CSV through the one writer (dms.tabular): numbers stay numbers, text is
    safe against spreadsheet formula injection."""
    return tabular.csv_text(header, rows)


def _figure_cells(kpi: Any) -> list[Any]:
    return [
        kpi.mtd.actual,
        kpi.mtd.plan,
        kpi.mtd.attainment,
        kpi.mtd.pace,
        kpi.mtd.status,
        kpi.ytd.actual,
        kpi.ytd.plan,
        kpi.ytd.attainment,
        kpi.ytd.pace,
        kpi.ytd.status,
    ]


_FIGURE_HEADER = [
    "mtd_actual",
    "mtd_plan",
    "mtd_attainment_pct",
    "mtd_pace_pct",
    "mtd_status",
    "ytd_actual",
    "ytd_plan",
    "ytd_attainment_pct",
    "ytd_pace_pct",
    "ytd_status",
]


def dealer_table(kpis: DealerKpis, table: str) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of one of the dealer dashboard's tables (DEALER_TABLES)."""
    lead = [kpis.dealer_code, f"{kpis.year}-{kpis.month:02d}"]
    if table == "summary":
        header = ["dealer", "month", "metric", *_FIGURE_HEADER]
        return header, [[*lead, m.metric, *_figure_cells(m)] for m in kpis.metrics]
    if table == "funnel":
        # cohort: of the leads opened in the month, those that reached the stage (share of the
        # leads opened); outcome: where they stand now; activity: stage entries in the month,
        # whenever the lead was opened (a count: no share)
        header = ["dealer", "month", "part", "stage", "leads", "share_of_opened_pct"]
        total = kpis.funnel.total
        rows = [[*lead, "cohort", c["stage"], c["reached"], c["share"]] for c in total.cells]
        rows += [[*lead, "outcome", o["outcome"], o["count"], o["share"]] for o in total.outcomes]
        rows += [[*lead, "activity", c["stage"], c["entered"], None] for c in total.cells]
        rows.append([*lead, "activity", "lost", total.entered_lost, None])
        rows.append([*lead, "activity", "dormant", total.entered_dormant, None])
        return header, rows
    if table == "leaderboard":
        header = [
            "dealer",
            "month",
            "rank",
            "consultant",
            "active",
            "leads",
            "test_drives",
            "orders",
            "deliveries",
            "reached_order_pct",
            "followups_due",
            "followups_on_time",
            "followups_on_time_pct",
            "first_responses",
            "first_response_avg_minutes",
        ]
        for metric in METRICS:
            header += [f"{metric}_target", f"{metric}_target_attainment_pct"]
        rows = []
        for c in kpis.leaderboard:
            row = [
                *lead,
                c.rank,
                c.name,
                c.is_active,
                c.leads,
                c.test_drives,
                c.orders,
                c.deliveries,
                c.conversion,
                c.followups.due,
                c.followups.on_time,
                c.followups.percent,
                c.first_response.responses,
                c.first_response.average_minutes,
            ]
            for metric in METRICS:
                target = c.target_for(metric)
                row += [target.target, target.attainment] if target else [None, None]
            rows.append(row)
        return header, rows
    if table == "trend":
        header = ["dealer", "month"]
        for metric in METRICS:
            header += [f"{metric}_actual", f"{metric}_plan"]
        header += ["followups_on_time_pct", "first_response_avg_minutes"]
        trend = kpis.trend
        rows = []
        for i, month in enumerate(trend.months):
            line: list[Any] = [kpis.dealer_code, month.strftime("%Y-%m")]
            for series in trend.series:
                line += [series.actual[i], series.plan[i]]
            line += [trend.followup_percent[i], trend.first_response_minutes[i]]
            rows.append(line)
        return header, rows
    raise ValueError(f"unknown table: {table}")


def network_table(kpis: NetworkKpis) -> tuple[list[str], list[list[Any]]]:
    """The HQ network table: one row per dealer (rank, RAG status, MTD/YTD actual vs plan per
    metric), then one row per region total and the total of all dealers asked for."""
    header = ["row", "month", "rank", "dealer", "name", "region", "status"]
    for metric in METRICS:
        header += [f"{metric}_{h}" for h in _FIGURE_HEADER]
    month = f"{kpis.year}-{kpis.month:02d}"
    rows: list[list[Any]] = []
    for r in kpis.rows:
        row: list[Any] = ["dealer", month, r.rank, r.code, r.name, r.region_name, r.status]
        for metric in METRICS:
            row += _figure_cells(r.metrics[metric])
        rows.append(row)
    for total in [*kpis.regions, kpis.total]:
        kind = "region" if total.region_id is not None else "total"
        line: list[Any] = [kind, month, None, None, total.name]
        line += [total.name if kind == "region" else None, None]
        for metric in METRICS:
            line += _figure_cells(total.metrics[metric])
        rows.append(line)
    return header, rows


def dealer_table_csv(*, dealer: Dealer, period: Period, table: str) -> tuple[str, int]:
    """One dealer table as CSV text and its row count (inside a scope covering the dealer)."""
    kpis = dealer_kpis(dealer, year=period.year, month=period.month)
    header, rows = dealer_table(kpis, table)
    return to_csv(header, rows), len(rows)


def network_table_csv(*, dealer_ids: Sequence[int], period: Period) -> tuple[str, int]:
    """The network table as CSV text and the number of dealers in it."""
    kpis = network_kpis(dealer_ids, year=period.year, month=period.month)
    header, rows = network_table(kpis)
    return to_csv(header, rows), len(kpis.rows)


def dealer_table_file(
    *, dealer: Dealer, period: Period, table: str, file_format: str
) -> tuple[bytes, int]:
    """One dealer table as a CSV or XLSX file (dms.tabular.FORMATS) and its row count: the same
    header and rows in either format."""
    kpis = dealer_kpis(dealer, year=period.year, month=period.month)
    header, rows = dealer_table(kpis, table)
    title = f"{table} {period.slug}"
    return tabular.table_content(file_format, header, rows, title=title), len(rows)


def network_table_file(
    *, dealer_ids: Sequence[int], period: Period, file_format: str
) -> tuple[bytes, int]:
    """The network table as a CSV or XLSX file and the number of dealers in it."""
    kpis = network_kpis(dealer_ids, year=period.year, month=period.month)
    header, rows = network_table(kpis)
    title = f"network {period.slug}"
    return tabular.table_content(file_format, header, rows, title=title), len(kpis.rows)


def network_dealer_ids(access: Access, region: Region | None) -> list[int]:
    ids = list(access.dealer_ids)
    if region is None:
        return sorted(ids)
    return sorted(Dealer.objects.filter(pk__in=ids, region=region).values_list("pk", flat=True))


def metric_names() -> list[tuple[str, str]]:
    return [(m, metric_label(m)) for m in METRICS]


# --- packs for many dealers (Celery) -------------------------------------------------------------


def start_pack_job(
    *,
    access: Access,
    actor: Any,
    kind: str,
    period: Period,
    region: Region | None,
    request: HttpRequest | None = None,
) -> ExportJob:
    """Queue the packs of a region's (or all) dealers in the caller's scope; the task starts
    after commit. Refuses a selection outside the scope or too big for one combined PDF."""
    if not can_export_network(access):
        raise ValidationError(_("You may not export network KPI packs."))
    if kind not in ExportJob.Kind.values:
        raise ValidationError(_("Choose a valid format."))
    ids = network_dealer_ids(access, region)
    if not ids:
        raise ValidationError(_("There is no dealer to export in this selection."))
    if kind == ExportJob.Kind.PACK_COMBINED and len(ids) > COMBINED_MAX_DEALERS:
        raise ValidationError(
            _(
                "A combined PDF holds at most %(max)d dealers (this selection has %(n)d): "
                "choose a region or the ZIP with one PDF per dealer."
            )
            % {"max": COMBINED_MAX_DEALERS, "n": len(ids)}
        )
    filename = "kpi-packs-{}-{}.{}".format(
        safe_name(region.code) if region else "network",
        period.slug,
        "zip" if kind == ExportJob.Kind.PACK_ZIP else "pdf",
    )
    label = region.name if region else _("All dealers in your scope")
    return _queue_job(
        actor=actor,
        kind=kind,
        period=period,
        dealer_ids=ids,
        label=label,
        filename=filename,
        region_code=region.code if region else None,
        request=request,
    )


def restart_pack_job(
    *, job: ExportJob, access: Access, actor: Any, request: HttpRequest | None = None
) -> ExportJob:
    """Queue a new job with the same dealers, month and format as a failed or expired one (the
    old row stays, as history). The caller's rights are checked as for a new request."""
    if not can_export_network(access):
        raise ValidationError(_("You may not export network KPI packs."))
    if job.status not in (ExportJob.Status.FAILED, ExportJob.Status.EXPIRED):
        raise ValidationError(_("Only a failed or expired export can be started again."))
    if not job.dealer_ids or not set(job.dealer_ids) <= set(access.dealer_ids):
        raise ValidationError(_("Your access to these dealers has changed."))
    return _queue_job(
        actor=actor,
        kind=job.kind,
        period=Period(job.year, job.month),
        dealer_ids=sorted(job.dealer_ids),
        label=job.label,
        filename=job.filename,
        region_code=None,
        request=request,
        restart_of=job.pk,
    )


def _queue_job(
    *,
    actor: Any,
    kind: str,
    period: Period,
    dealer_ids: list[int],
    label: str,
    filename: str,
    region_code: str | None,
    request: HttpRequest | None,
    restart_of: int | None = None,
) -> ExportJob:
    job = ExportJob.objects.create(
        requested_by=actor,
        kind=kind,
        year=period.year,
        month=period.month,
        dealer_ids=dealer_ids,
        label=label,
        total=len(dealer_ids),
        filename=filename,
    )
    detail: dict[str, Any] = {
        "format": "zip" if kind == ExportJob.Kind.PACK_ZIP else "pdf",
        "document": "kpi_pack",
        "step": "requested",
        "month": period.slug,
        "region": region_code,
        "dealers": len(dealer_ids),
    }
    if restart_of is not None:
        detail["restart_of"] = f"job-{restart_of}"
    record_export(
        request=request,
        actor=actor,
        dealer=None,
        object_type=PACK_OBJECT,
        object_id=f"job-{job.pk}",
        count=len(dealer_ids),
        detail=detail,
    )
    from .tasks import build_pack_job

    job_id = job.pk
    transaction.on_commit(lambda: build_pack_job.delay(job_id=job_id))
    return job


def _progress(job_id: int, done: int) -> None:
    # Also the job's heartbeat (sweep_jobs fails a job silent for too long).
    ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING).update(
        done=done, progress_at=timezone.now()
    )


def _kpis_of(dealers: Iterable[Dealer], period: Period) -> Iterator[DealerKpis]:
    for dealer in dealers:
        # One dealer's read-only scope at a time, in its own transaction (the ids reach RLS by
        # SET LOCAL); the job row's progress is written between them, so the page sees it.
        with as_dealers([dealer.pk]), transaction.atomic():
            kpis = dealer_kpis(dealer, year=period.year, month=period.month)
        yield kpis


def run_pack_job(*, job_id: int) -> ExportJob:
    """Build a job's file. The requester's rights are checked again (they may have changed
    since the request): a dealer no longer in scope fails the job, nothing is written."""
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    if job.status != ExportJob.Status.PENDING:
        return job  # already built or being built by another run
    access = access_for(job.requested_by)
    if not can_export_network(access) or not set(job.dealer_ids) <= set(access.dealer_ids):
        return _fail(job, ExportJob.FailReason.ACCESS_CHANGED)
    claimed = ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.PENDING).update(
        status=ExportJob.Status.RUNNING,
        done=0,
        total=len(job.dealer_ids),
        progress_at=timezone.now(),
    )
    if not claimed:  # failed as stale (or taken by another run) meanwhile
        job.refresh_from_db()
        return job
    period = Period(job.year, job.month)
    dealers = list(
        Dealer.objects.filter(pk__in=job.dealer_ids).select_related("region").order_by("code")
    )
    root = export_root()
    token = secrets.token_hex(8)
    zipped = job.kind == ExportJob.Kind.PACK_ZIP
    name = f"job-{job.pk}-{token}.{'zip' if zipped else 'pdf'}"
    part = root / f".{name}.part"
    try:
        if zipped:
            with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for index, kpis in enumerate(_kpis_of(dealers, period), start=1):
                    content, _pages = pdf.render_pack_pdf(kpis)
                    archive.writestr(pack_filename(kpis), content)
                    _progress(job.pk, index)
        else:
            content, _pages = pdf.render_combined_pdf(
                _kpis_of(dealers, period), progress=lambda i: _progress(job.pk, i)
            )
            part.write_bytes(content)
        os.replace(part, root / name)
    except Exception as exc:
        logger.exception("KPI pack job %s failed", job.pk)
        part.unlink(missing_ok=True)
        return _fail(job, ExportJob.FailReason.BUILD_FAILED, error=technical_detail(exc))
    finished = ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING).update(
        status=ExportJob.Status.DONE,
        done=len(dealers),
        file=name,
        size=(root / name).stat().st_size,
        finished_at=timezone.now(),
        progress_at=timezone.now(),
    )
    if not finished:
        # The sweep gave up on this job while it ran (too slow between two dealers): the user
        # was told it stopped, so its file is not kept either.
        (root / name).unlink(missing_ok=True)
    job.refresh_from_db()
    return job


def technical_detail(exc: BaseException) -> str:
    """The exception as a short, untranslated detail for the failure reason ("OSError: ...")."""
    message = " ".join(str(exc).split())
    name = type(exc).__name__
    return (f"{name}: {message}" if message else name)[:DETAIL_MAX]


def _fail(job: ExportJob, reason: str, **params: Any) -> ExportJob:
    """Fail a job with a reason code; the sentence is translated when shown
    (ExportJob.failure_reason). Only a job still in progress: a job the sweep already failed
    keeps its reason."""
    ExportJob.objects.filter(
        pk=job.pk, status__in=[ExportJob.Status.PENDING, ExportJob.Status.RUNNING]
    ).update(
        status=ExportJob.Status.FAILED,
        error_code=reason,
        error_params=params,
        finished_at=timezone.now(),
    )
    job.refresh_from_db()
    return job


# --- retention and stalled jobs (periodic) -------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    expired: int  # finished jobs whose file was deleted
    stalled: int  # pending/running jobs failed for lack of progress
    orphans: int = 0  # files under the export root that no job references, deleted


def sweep_jobs(*, now: dt.datetime | None = None) -> SweepResult:
    """Delete the files of jobs finished more than DMS_EXPORT_KEEP_DAYS ago (the job stays, as
    "expired"), fail jobs with no progress for DMS_EXPORT_STALE_MINUTES (their worker died:
    nothing would ever finish them), and delete orphan files (see _delete_orphans). Running it
    again changes nothing more.

    Export jobs are not tenant rows (one job spans several dealers; access is by requester, see
    reports.exports.selectors), so this needs no dealer scope and reads no tenant table: like
    the nightly KPI rollup it is one network-wide task, not a fan-out per dealer."""
    now = now or timezone.now()
    expired = _expire_files(now)
    stalled = _fail_stalled(now)
    return SweepResult(expired=expired, stalled=stalled, orphans=_delete_orphans(now))


def _expire_files(now: dt.datetime) -> int:
    keep_days = settings.DMS_EXPORT_KEEP_DAYS
    if keep_days <= 0:
        return 0
    old = ExportJob.objects.filter(
        status=ExportJob.Status.DONE, finished_at__lt=now - dt.timedelta(days=keep_days)
    ).values_list("pk", "file")
    root = export_root().resolve()
    gone: list[int] = []
    for pk, file in old:
        path = (root / file).resolve() if file else None
        if path is not None and path.parent == root:  # never outside the export root
            try:
                path.unlink(missing_ok=True)
            except OSError:
                logger.exception("Could not delete the file of export job %s", pk)
                continue  # stays "done"; the next run tries again
        gone.append(pk)
    # File first, row second: a crash in between leaves a "done" job without a file, which
    # the download view already answers as expired, and the next run marks it.
    return ExportJob.objects.filter(pk__in=gone, status=ExportJob.Status.DONE).update(
        status=ExportJob.Status.EXPIRED, file=""
    )


def _fail_stalled(now: dt.datetime) -> int:
    minutes = settings.DMS_EXPORT_STALE_MINUTES
    if minutes <= 0:
        return 0
    cutoff = now - dt.timedelta(minutes=minutes)
    stalled = ExportJob.objects.filter(
        status__in=[ExportJob.Status.PENDING, ExportJob.Status.RUNNING]
    ).filter(Q(progress_at__lt=cutoff) | Q(progress_at__isnull=True, created_at__lt=cutoff))
    ids = list(stalled.values_list("pk", flat=True))
    if not ids:
        return 0
    count = stalled.filter(pk__in=ids).update(
        status=ExportJob.Status.FAILED,
        error_code=ExportJob.FailReason.STALLED,
        error_params={"minutes": minutes},
        finished_at=now,
    )
    root = export_root()
    failed = ExportJob.objects.filter(pk__in=ids, status=ExportJob.Status.FAILED)
    for pk in failed.values_list("pk", flat=True):  # the dead worker's half-written file
        for part in root.glob(f".job-{pk}-*.part"):
            part.unlink(missing_ok=True)
    return count


# A pack file or its part, as run_pack_job names them: job-<pk>-<token>.zip|pdf[.part]; nothing
# else under the export root is the sweep's to delete.
_EXPORT_FILE = re.compile(r"\.?job-(?P<pk>[0-9]{1,18})-[0-9a-f]+\.(?:zip|pdf)(?:\.part)?")


def _delete_orphans(now: dt.datetime) -> int:
    """Delete pack files no job references: a worker that died between writing the file and
    marking the job done, a job row deleted, a part file left behind. Only regular files directly
    in the export root and named as run_pack_job names them (never a symlink, a subfolder or
    anything outside the root), only older than DMS_EXPORT_STALE_MINUTES (a file being written
    now is never taken) and never one of a job still pending or running. Off when
    DMS_EXPORT_STALE_MINUTES is 0: without a stale limit a write may last any time."""
    minutes = settings.DMS_EXPORT_STALE_MINUTES
    if minutes <= 0:
        return 0
    cutoff = (now - dt.timedelta(minutes=minutes)).timestamp()
    root = export_root().resolve()
    candidates: dict[str, int] = {}  # name -> the job pk in it
    with os.scandir(root) as entries:
        for entry in entries:
            match = _EXPORT_FILE.fullmatch(entry.name)
            if match is None or not entry.is_file(follow_symlinks=False):
                continue
            try:
                modified = entry.stat(follow_symlinks=False).st_mtime
            except OSError:
                continue  # gone meanwhile
            if modified < cutoff:
                candidates[entry.name] = int(match["pk"])
    if not candidates:
        return 0
    referenced = set(
        ExportJob.objects.filter(file__in=list(candidates)).values_list("file", flat=True)
    )
    active = set(
        ExportJob.objects.filter(
            pk__in=set(candidates.values()),
            status__in=[ExportJob.Status.PENDING, ExportJob.Status.RUNNING],
        ).values_list("pk", flat=True)
    )
    removed = 0
    for name, pk in sorted(candidates.items()):
        if name in referenced or pk in active:
            continue
        path = root / name
        try:
            # Checked again right before: still a regular file (unlink of a symlink would only
            # remove the link, but a link is not ours to remove either).
            if not stat.S_ISREG(path.lstat().st_mode):
                continue
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError:
            logger.exception("Could not delete the orphan export file %s", name)
            continue
        removed += 1
    if removed:
        logger.info("Export sweep: deleted %d orphan file(s) under %s", removed, root)
    return removed
