"""KPI reports: HQ sales plans (versioned) and the nightly plan-vs-actual facts.

Facts are written only by reports.services.rollup (idempotent upserts); pages read them through
reports.selectors and never aggregate the raw funnel tables over long periods.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dms.tenancy.models import TenantModel

USER = settings.AUTH_USER_MODEL


class Metric(models.TextChoices):
    """What a plan targets; each maps to one fact measure (METRIC_FIELDS)."""

    LEADS = "leads", _("Leads")
    TEST_DRIVES = "test_drives", _("Test drives")
    ORDERS = "orders", _("Orders")
    DELIVERIES = "deliveries", _("Deliveries")


# Plan metric -> the KpiDay / KpiMonth measure it is compared with.
METRIC_FIELDS = {
    Metric.LEADS: "leads_new",
    Metric.TEST_DRIVES: "test_drives",
    Metric.ORDERS: "orders",
    Metric.DELIVERIES: "deliveries",
}

# The measures every fact row carries (same names on KpiDay and KpiMonth).
MEASURES = [
    # Leads entering each funnel stage that day (distinct leads), plus closing stages.
    "stage_new",
    "stage_contacted",
    "stage_visited",
    "stage_test_drive",
    "stage_quote",
    "stage_order",
    "stage_delivered",
    "stage_lost",
    "stage_dormant",
    # Activity.
    "leads_new",  # leads opened (also the size of that day's cohort, below)
    "visits",  # walk-ins in the visitor log
    "calls",  # phone contacts in the visitor log
    "test_drives",  # test drives done
    "quotes",  # quotes sent
    "orders",  # orders placed (credited to the order's consultant)
    "deliveries",  # vehicles delivered (credited to the order's consultant)
    "lost",  # leads closed as lost
    # Follow-up compliance: follow-ups due that day, and of those done by their due time.
    "followups_due",
    "followups_on_time",
    # First response: leads first answered that day and the minutes it took, summed.
    "first_responses",
    "first_response_minutes",
    # The cohort of the leads opened that day (leads_new of them, credited to whom each was
    # opened for): how many had reached each later funnel stage (or one after it) by the start
    # of the day the rollup ran, and how many were lost / dormant then.
    "cohort_contacted",
    "cohort_visited",
    "cohort_test_drive",
    "cohort_quote",
    "cohort_order",
    "cohort_delivered",
    "cohort_lost",
    "cohort_dormant",
]


class PlanVersion(models.Model):
    """One upload of HQ's yearly plan. A revision is a new version; old ones stay readable.
    HQ reference data (no dealer column): the targets themselves are tenant rows."""

    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveSmallIntegerField(_("version"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    filename = models.CharField(_("file"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)

    class Meta:
        ordering = ["-year", "-number"]
        verbose_name = _("sales plan version")
        constraints = [
            models.UniqueConstraint(fields=["year", "number"], name="plan_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.year} v{self.number}"


class PlanTarget(TenantModel):
    """A dealer's target for one month, model and metric in one plan version."""

    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="targets")
    month = models.PositiveSmallIntegerField(_("month"))
    vehicle_model = models.ForeignKey(
        "inventory.VehicleModel",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("model"),
    )
    metric = models.CharField(_("metric"), max_length=16, choices=Metric.choices)
    target = models.PositiveIntegerField(_("target"))

    class Meta(TenantModel.Meta):
        verbose_name = _("plan target")
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["dealer", "version", "month", "vehicle_model", "metric"],
                name="plan_target_unique",
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="plan_target_month"
            ),
        ]


class ConsultantTarget(TenantModel):
    """The dealer manager's split of the dealer's monthly plan (all models) across consultants;
    per version, month and metric the split sums to the dealer's plan (checked in services)."""

    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="+")
    month = models.PositiveSmallIntegerField(_("month"))
    metric = models.CharField(_("metric"), max_length=16, choices=Metric.choices)
    consultant = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("consultant")
    )
    target = models.PositiveIntegerField(_("target"))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta(TenantModel.Meta):
        verbose_name = _("consultant target")
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["dealer", "version", "month", "metric", "consultant"],
                name="consultant_target_unique",
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="consultant_target_month"
            ),
        ]


class KpiStages(models.Model):
    """Leads entering each stage (the stage_* measures)."""

    stage_new = models.PositiveIntegerField(default=0)
    stage_contacted = models.PositiveIntegerField(default=0)
    stage_visited = models.PositiveIntegerField(default=0)
    stage_test_drive = models.PositiveIntegerField(default=0)
    stage_quote = models.PositiveIntegerField(default=0)
    stage_order = models.PositiveIntegerField(default=0)
    stage_delivered = models.PositiveIntegerField(default=0)
    stage_lost = models.PositiveIntegerField(default=0)
    stage_dormant = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class KpiFunnel(KpiStages):
    """What the sales funnel reads (KpiFunnelMonth has only these): the stage entries, the leads
    opened and how far those got (the cohort measures of MEASURES)."""

    leads_new = models.PositiveIntegerField(default=0)
    cohort_contacted = models.PositiveIntegerField(default=0)
    cohort_visited = models.PositiveIntegerField(default=0)
    cohort_test_drive = models.PositiveIntegerField(default=0)
    cohort_quote = models.PositiveIntegerField(default=0)
    cohort_order = models.PositiveIntegerField(default=0)
    cohort_delivered = models.PositiveIntegerField(default=0)
    cohort_lost = models.PositiveIntegerField(default=0)
    cohort_dormant = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class KpiMeasures(KpiFunnel):
    """The measures of MEASURES as columns (shared by KpiDay and KpiMonth)."""

    visits = models.PositiveIntegerField(default=0)
    calls = models.PositiveIntegerField(default=0)
    test_drives = models.PositiveIntegerField(default=0)
    quotes = models.PositiveIntegerField(default=0)
    orders = models.PositiveIntegerField(default=0)
    deliveries = models.PositiveIntegerField(default=0)
    lost = models.PositiveIntegerField(default=0)
    followups_due = models.PositiveIntegerField(default=0)
    followups_on_time = models.PositiveIntegerField(default=0)
    first_responses = models.PositiveIntegerField(default=0)
    first_response_minutes = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


# Facts are derived rows written millions at a time: no per-row foreign-key checks on the dealer
# or the dimensions (the source tables guarantee them), and no index of their own (every fact
# index starts with dealer_id, the fact key). One field per model: these build a fresh one.
def fact_dealer() -> Any:
    return models.ForeignKey(
        "dealers.Dealer",
        on_delete=models.DO_NOTHING,
        related_name="+",
        verbose_name=_("dealer"),
        db_index=False,
        db_constraint=False,
    )


def fact_dimension(to: str) -> Any:
    """A dimension of a fact (consultant, source, model); NULL means "none"."""
    return models.ForeignKey(
        to,
        on_delete=models.DO_NOTHING,
        null=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )


class KpiDay(KpiMeasures, TenantModel):
    """Actuals per dealer × day (dealer's local date) × consultant × source × model.

    consultant = who owned the lead when the event happened (orders and deliveries: the order's
    consultant), so a later reassignment does not move credit. NULL dimensions mean "none"."""

    dealer = fact_dealer()
    day = models.DateField()
    consultant = fact_dimension(USER)
    source = fact_dimension("leads.LeadSource")
    vehicle_model = fact_dimension("inventory.VehicleModel")

    class Meta(TenantModel.Meta):
        verbose_name = _("KPI day")
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["dealer", "day", "consultant", "source", "vehicle_model"],
                name="kpi_day_key",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.day}"


class KpiMonth(KpiMeasures, TenantModel):
    """KpiDay summed per dealer × month (first day) × model: what network views and plan
    attainment read, so a year across 170 dealers is a few thousand rows."""

    dealer = fact_dealer()
    month = models.DateField()
    vehicle_model = fact_dimension("inventory.VehicleModel")

    class Meta(TenantModel.Meta):
        verbose_name = _("KPI month")
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["dealer", "month", "vehicle_model"],
                name="kpi_month_key",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.month:%Y-%m}"


STAGE_MEASURES = [m for m in MEASURES if m.startswith("stage_")]
COHORT_MEASURES = [m for m in MEASURES if m.startswith("cohort_")]
# The columns of KpiFunnelMonth (KpiFunnel).
FUNNEL_MEASURES = [*STAGE_MEASURES, "leads_new", *COHORT_MEASURES]


class KpiFunnelMonth(KpiFunnel, TenantModel):
    """The funnel measures of KpiDay (FUNNEL_MEASURES: stage entries, leads opened and their
    cohort) summed per dealer × month × consultant × source × model: the manager funnel reads
    whole months of a long period here (a year of a big dealer is a few thousand rows instead of
    ~80,000 day rows); written with KpiMonth by the rollup."""

    dealer = fact_dealer()
    month = models.DateField()
    consultant = fact_dimension(USER)
    source = fact_dimension("leads.LeadSource")
    vehicle_model = fact_dimension("inventory.VehicleModel")

    class Meta(TenantModel.Meta):
        verbose_name = _("KPI funnel month")
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["dealer", "month", "consultant", "source", "vehicle_model"],
                name="kpi_funnel_month_key",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.month:%Y-%m}"


# --- exports (KPI pack PDFs, CSV, background pack jobs) ------------------------------------------


class ExportJob(models.Model):
    """A background KPI pack for several dealers (a region or the network), requested by an HQ
    user. Not a tenant row: one job spans many dealers, so it carries their ids and every read
    goes through reports.exports.selectors (the requester only, and only while the dealers are
    still in the requester's scope) — like the audit log. The file lives outside static/media
    (settings.DMS_EXPORT_ROOT) and is served by a view that checks exactly that."""

    class Kind(models.TextChoices):
        PACK_ZIP = "pack_zip", _("One PDF per dealer (ZIP)")
        PACK_COMBINED = "pack_combined", _("One combined PDF")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")  # done, file deleted after DMS_EXPORT_KEEP_DAYS

    class FailReason(models.TextChoices):
        """Why a job failed. The code is stored, the sentence is translated when shown (see
        failure_reason): the worker's language is not the reader's."""

        ACCESS_CHANGED = "access_changed", _("Access to the dealers changed")
        BUILD_FAILED = "build_failed", _("The file could not be built")
        STALLED = "stalled", _("No progress (worker lost)")
        # Failed before reason codes existed and not recognised: params["text"] as written.
        LEGACY = "legacy", _("Recorded before reason codes")

    requested_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    dealer_ids = ArrayField(models.BigIntegerField(), verbose_name=_("dealers"))
    label = models.CharField(_("scope"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    done = models.PositiveIntegerField(_("dealers done"), default=0)
    total = models.PositiveIntegerField(_("dealers"), default=0)
    file = models.CharField(_("file"), max_length=200, blank=True)  # relative to the export root
    filename = models.CharField(_("download name"), max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    error_code = models.CharField(
        _("failure reason"), max_length=24, choices=FailReason.choices, blank=True
    )
    # Values put into the translated sentence, never translated themselves: {"error": the
    # exception's class and message} for build_failed, {"minutes": the stale limit then} for
    # stalled, {"text": the old English sentence} for legacy.
    error_params = models.JSONField(_("failure details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Last sign of life from the worker (start, each dealer done): a pending or running job
    # silent for DMS_EXPORT_STALE_MINUTES is failed by reports.exports.services.sweep_jobs.
    progress_at = models.DateTimeField(_("last progress"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("KPI export job")
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="export_job_user")]
        constraints = [
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="export_job_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}-{self.month:02d} ({self.total})"

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, round(100 * self.done / self.total))

    @property
    def failure_reason(self) -> str:
        """Why the job failed, in the active language (the viewer's): built from error_code and
        error_params when shown. Unusable params or an unknown code give a general sentence
        rather than an error page."""
        if self.status != self.Status.FAILED:
            return ""
        params = self.error_params if isinstance(self.error_params, dict) else {}
        reason = self.FailReason
        if self.error_code == reason.ACCESS_CHANGED:
            return gettext("Your access to these dealers has changed; nothing was exported.")
        if self.error_code == reason.BUILD_FAILED:
            detail = params.get("error")
            if isinstance(detail, str) and detail.strip():
                return gettext("The export failed: %(error)s") % {"error": detail}
        if self.error_code == reason.STALLED:
            minutes = params.get("minutes")
            if isinstance(minutes, int) and not isinstance(minutes, bool) and minutes > 0:
                stopped = gettext(
                    "The export stopped before it finished (no progress for %(minutes)d minutes)."
                ) % {"minutes": minutes}
            else:
                stopped = gettext("The export stopped before it finished.")
            return stopped + " " + gettext("Start it again.")
        if self.error_code == reason.LEGACY:
            text = params.get("text")
            if isinstance(text, str) and text.strip():
                return text
        return gettext("The export failed.")


class KpiDirtyDay(TenantModel):
    """A dealer day whose facts are out of date: written by the code writing the source tables
    (dms.kpi.dirty: the models' save/delete and querysets, raw-SQL writers through its
    mark_* functions) whenever a row with a date of that day is inserted, changed or deleted —
    late and backdated changes included. The nightly rollup takes (deletes) these rows and
    recomputes the days in the same transaction."""

    day = models.DateField()
    marked_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("KPI day to recompute")
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["dealer", "day"], name="kpi_dirty_day_key"),
        ]


class KpiRun(models.Model):
    """Bookkeeping of one rollup run (nightly or a ranged rerun). Network-level: no dealer
    column; `dealer_ids` NULL means every dealer. `through` is the last day the facts of the run's
    dealers are complete up to (contiguous with the previous runs), see reports.rollup."""

    class Kind(models.TextChoices):
        NIGHTLY = "nightly", _("Nightly")
        RANGE = "range", _("Range")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    dealer_ids = ArrayField(models.BigIntegerField(), null=True, blank=True)
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    through = models.DateField(null=True, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    dealer_days = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)
    month_rows = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("KPI rollup run")
        indexes = [models.Index(fields=["-finished_at"], name="kpi_run_finished")]

    def __str__(self) -> str:
        return f"{self.kind} {self.start}..{self.end}"
