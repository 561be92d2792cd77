"""The network: regions, dealer groups, dealers (the tenants) and who works where."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

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

    class Meta:
        ordering = ["code"]
        verbose_name = _("dealer")
        verbose_name_plural = _("dealers")

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
        Membership, on_delete=models.CASCADE, related_name="absences", verbose_name=_("staff member")
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
        indexes = [models.Index(fields=["dealer", "membership", "starts_on"], name="absence_member")]

    def __str__(self) -> str:
        return f"{self.membership.user} {self.starts_on}–{self.ends_on}"
