"""The network: regions, dealer groups, dealers (the tenants) and who works where."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from dms.tenancy.fields import TenantForeignKey
from dms.tenancy.models import TenantModel

from .roles import DealerRole


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: %(tz)s"), params={"tz": value})


class Region(models.Model):
    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        permissions = [("view_region_kpis", _("Can see KPIs of the region's dealers"))]

    def __str__(self) -> str:
        return self.name


class RegionUserObjectPermission(UserObjectPermissionBase):
    """django-guardian direct-FK permission: which HQ users manage which regions."""

    content_object = models.ForeignKey(Region, on_delete=models.CASCADE)


class DealerGroup(models.Model):
    name = models.CharField(_("name"), max_length=150, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("dealer group")
        verbose_name_plural = _("dealer groups")

    def __str__(self) -> str:
        return self.name


class Dealer(models.Model):
    """A tenant: an independent business. Never shown to another dealer."""

    code = models.CharField(_("dealer code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=150)
    legal_name = models.CharField(_("legal name"), max_length=200)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="dealers", verbose_name=_("region")
    )
    group = models.ForeignKey(
        DealerGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dealers",
        verbose_name=_("dealer group"),
    )
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="DE")
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Berlin", validators=[validate_timezone]
    )
    is_active = models.BooleanField(_("active"), default=True)
    require_2fa = models.BooleanField(
        _("two-factor required for all staff"),
        default=False,
        help_text=_("HQ roles and admins always need a second factor."),
    )
    # How far dates may reach, per dealer (the services enforce them; see the help texts).
    showroom_opens_at = models.TimeField(
        _("showroom opens at"),
        default=dt.time(8, 0),
        help_text=_("Test drives start and end within the opening hours."),
    )
    showroom_closes_at = models.TimeField(_("showroom closes at"), default=dt.time(20, 0))
    test_drive_days_ahead = models.PositiveSmallIntegerField(
        _("test drives bookable (days ahead)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    follow_up_days_ahead = models.PositiveSmallIntegerField(
        _("follow-ups plannable (days ahead)"),
        default=180,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
    )
    visit_days_back = models.PositiveSmallIntegerField(
        _("visits can be entered (days back)"),
        default=7,
        validators=[MinValueValidator(0), MaxValueValidator(90)],
        help_text=_("0: only today's visits and calls."),
    )
    delivery_days_ahead = models.PositiveSmallIntegerField(
        _("expected delivery at most (days ahead)"),
        default=730,
        validators=[MinValueValidator(1), MaxValueValidator(1095)],
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("dealer")
        verbose_name_plural = _("dealers")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(showroom_opens_at__lt=models.F("showroom_closes_at")),
                name="dealer_showroom_hours",
                violation_error_message=_("The showroom must open before it closes."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Membership(models.Model):
    """A user's role at a dealer. Network directory data (HQ and dealer admins manage it), read
    by authentication before any tenant scope exists, so it is not an RLS tenant table; every
    read of it goes through dealers.selectors, which filter by the caller's rights."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=32, choices=DealerRole.choices)
    is_active = models.BooleanField(_("active"), default=True)
    is_present = models.BooleanField(
        _("present"), default=True, help_text=_("Absent staff are skipped by lead routing.")
    )
    started_on = models.DateField(_("started on"), null=True, blank=True)
    leaving_on = models.DateField(_("leaving on"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["dealer", "user"], name="membership_dealer_user"),
        ]
        indexes = [models.Index(fields=["dealer", "role", "is_active"], name="membership_role")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.dealer.code} ({self.get_role_display()})"


class StaffAbsence(TenantModel):
    """A staff member's absence (leave, sickness, training). Lead routing skips absent staff;
    the sales funnel and temporary-cover work build on it."""

    class Reason(models.TextChoices):
        LEAVE = "leave", _("Leave")
        SICK = "sick", _("Sickness")
        TRAINING = "training", _("Training")
        OTHER = "other", _("Other")

    membership = models.ForeignKey(
        Membership,
        on_delete=models.CASCADE,
        related_name="absences",
        verbose_name=_("staff member"),
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )

    class Meta(TenantModel.Meta):
        ordering = ["-starts_on"]
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        constraints = [
            *TenantModel.Meta.constraints,
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="absence_dates_ordered"
            ),
        ]
        indexes = [
            models.Index(fields=["dealer", "membership", "starts_on"], name="absence_member")
        ]

    def __str__(self) -> str:
        return f"{self.membership.user} {self.starts_on}–{self.ends_on}"


# --- departures, reassignment batches and temporary cover (issue 4: dealers/handover/) ---------


class Departure(TenantModel):
    """A staff member marked as leaving. On `leaving_on` (or at once when that is today or past)
    the scheduled task deactivates the membership (and the account when it was the last one)."""

    membership = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        related_name="departures",
        verbose_name=_("staff member"),
    )
    leaving_on = models.DateField(_("leaving on"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-leaving_on", "-id"]
        verbose_name = _("departure")
        verbose_name_plural = _("departures")
        constraints = [
            *TenantModel.Meta.constraints,
            # One pending departure per staff member: marking again edits it.
            models.UniqueConstraint(
                fields=["dealer", "membership"],
                condition=models.Q(processed_at__isnull=True),
                name="departure_one_pending",
            ),
        ]
        indexes = [
            models.Index(
                fields=["dealer", "leaving_on"],
                condition=models.Q(processed_at__isnull=True),
                name="departure_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.membership.user} leaves {self.leaving_on}"


class ReassignmentBatch(TenantModel):
    """A planned move of one person's book (customers with their open leads, follow-ups, future
    test drives and open orders) to colleagues of the same dealer. Draft = preview; applying is
    one transaction and happens at most once."""

    class Kind(models.TextChoices):
        HANDOVER = "handover", _("Handover")
        COVER = "cover", _("Temporary cover")
        GIVE_BACK = "give_back", _("Cover ended: give back")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Preview")
        APPLIED = "applied", _("Applied")
        DISCARDED = "discarded", _("Discarded")

    class Strategy(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round robin")
        BALANCE = "balance", _("Balance open-lead load")
        MANUAL = "manual", _("Manual")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.HANDOVER)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    strategy = models.CharField(
        _("distribution"), max_length=12, choices=Strategy.choices, default=Strategy.ROUND_ROBIN
    )
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("from"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)
    counts = models.JSONField(_("rows moved"), default=dict, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "-id"]
        verbose_name = _("reassignment batch")
        verbose_name_plural = _("reassignment batches")
        indexes = [models.Index(fields=["dealer", "status", "created_at"], name="batch_status")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} ({self.get_status_display()})"


class ReassignmentItem(TenantModel):
    """One customer of a batch and the colleague who gets them (and everything open of them)."""

    batch = TenantForeignKey(ReassignmentBatch, on_delete=models.CASCADE, related_name="items")
    customer = TenantForeignKey("leads.Customer", on_delete=models.CASCADE, related_name="+")
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("new owner"),
    )
    # Snapshot at preview time: the best open-lead grade, how many open leads the person held,
    # and whether they owned the card (applying refuses when that changed meanwhile).
    grade = models.CharField(_("grade"), max_length=1, blank=True, default="")
    open_leads = models.PositiveIntegerField(_("open leads"), default=0)
    was_owner = models.BooleanField(default=True)

    class Meta(TenantModel.Meta):
        ordering = ["id"]
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["dealer", "batch", "customer"], name="reassignment_item_once"
            ),
        ]
        indexes = [models.Index(fields=["dealer", "customer"], name="reassignment_item_customer")]


class CoverPeriod(TenantModel):
    """A consultant on leave hands their book to a colleague for a period; at the end what is
    still open and still held by the colleague goes back (won deals keep their credit)."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ACTIVE = "active", _("Covering")
        ENDED = "ended", _("Given back")
        CANCELLED = "cancelled", _("Cancelled")

    absent = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="+", verbose_name=_("on leave")
    )
    covering = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="+", verbose_name=_("covered by")
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    batch = TenantForeignKey(
        ReassignmentBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    return_batch = TenantForeignKey(
        ReassignmentBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta(TenantModel.Meta):
        ordering = ["-starts_on", "-id"]
        verbose_name = _("cover period")
        verbose_name_plural = _("cover periods")
        constraints = [
            *TenantModel.Meta.constraints,
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="cover_dates_ordered"
            ),
            models.CheckConstraint(
                condition=~models.Q(absent=models.F("covering")), name="cover_not_self"
            ),
        ]
        indexes = [models.Index(fields=["dealer", "status", "starts_on"], name="cover_status")]

    def __str__(self) -> str:
        return f"{self.absent.user} → {self.covering.user} {self.starts_on}–{self.ends_on}"
