"""KPI reports: HQ sales plans (versioned) and the nightly plan-vs-actual facts.

Facts are written only by reports.services.rollup (idempotent upserts); pages read them through
reports.selectors and never aggregate the raw funnel tables over long periods.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
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
    "leads_new",  # leads created
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


class KpiMeasures(models.Model):
    """The measures of MEASURES as columns (shared by KpiDay and KpiMonth)."""

    stage_new = models.PositiveIntegerField(default=0)
    stage_contacted = models.PositiveIntegerField(default=0)
    stage_visited = models.PositiveIntegerField(default=0)
    stage_test_drive = models.PositiveIntegerField(default=0)
    stage_quote = models.PositiveIntegerField(default=0)
    stage_order = models.PositiveIntegerField(default=0)
    stage_delivered = models.PositiveIntegerField(default=0)
    stage_lost = models.PositiveIntegerField(default=0)
    stage_dormant = models.PositiveIntegerField(default=0)
    leads_new = models.PositiveIntegerField(default=0)
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


class KpiDay(KpiMeasures, TenantModel):
    """Actuals per dealer × day (dealer's local date) × consultant × source × model.

    consultant = who owned the lead when the event happened (orders and deliveries: the order's
    consultant), so a later reassignment does not move credit. NULL dimensions mean "none"."""

    day = models.DateField()
    consultant = models.ForeignKey(
        USER, on_delete=models.DO_NOTHING, null=True, related_name="+", db_constraint=False
    )
    source = models.ForeignKey(
        "leads.LeadSource", on_delete=models.DO_NOTHING, null=True, related_name="+"
    )
    vehicle_model = models.ForeignKey(
        "inventory.VehicleModel", on_delete=models.DO_NOTHING, null=True, related_name="+"
    )

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

    month = models.DateField()
    vehicle_model = models.ForeignKey(
        "inventory.VehicleModel", on_delete=models.DO_NOTHING, null=True, related_name="+"
    )

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
