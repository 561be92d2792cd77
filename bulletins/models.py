"""HQ → dealer channel: price lists with effective dates and bulletins (HQ reference tables), and
who received and acknowledged each bulletin (tenant data)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.utils.translation import gettext_lazy as _

from dealers.roles import DealerRole
from dms.tenancy.models import TenantModel

# --- price lists with effective dates (issue 14, item 2) -----------------------------------------
# HQ reference data (no dealer_id), written only through bulletins.pricing_services. A price list
# ("Vehicles DE", "Parts", "Labour") has versions: draft → checked → published (→ superseded when
# the next published version starts; withdrawn when taken back before it starts). A published
# version is never edited in place; its window [valid_from, valid_until) is half-open, and the
# published versions of one list never overlap (an exclusion constraint). The dealer's own
# labour rate per grade is tenant data (DealerLabourRate).


class DateRange(models.Func):
    """daterange(valid_from, valid_until, '[)') — the version's half-open validity window."""

    function = "DATERANGE"
    output_field = DateRangeField()


class PriceList(models.Model):
    class Kind(models.TextChoices):
        VEHICLE = "vehicle", _("Vehicles")
        PARTS = "parts", _("Parts")
        LABOUR = "labour", _("Labour")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"),
                name="price_list_currency_iso",
                violation_error_message=_("The currency is a three-letter ISO code."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PriceListVersion(models.Model):
    """One version of a price list. Quotes (and later repair orders and parts sales) point at the
    version they were priced from, so an old document keeps its own price."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CHECKED = "checked", _("Checked")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    price_list = models.ForeignKey(
        PriceList, on_delete=models.PROTECT, related_name="versions", verbose_name=_("price list")
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    # A draft may carry the date it is meant for; publishing fixes it.
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(
        _("valid until"),
        null=True,
        blank=True,
        help_text=_("Exclusive: the first day it no longer applies."),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        ordering = ["price_list", "-number"]
        verbose_name = _("price list version")
        verbose_name_plural = _("price list versions")
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "number"], name="price_version_number_once"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_from__isnull=False, valid_until__gt=models.F("valid_from")),
                name="price_version_window_ordered",
                violation_error_message=_("A version must end after it starts."),
            ),
            models.CheckConstraint(
                condition=~models.Q(status="published")
                | models.Q(valid_from__isnull=False, published_at__isnull=False),
                name="price_version_published_dated",
            ),
            # Published versions of one list never overlap: [from, until) per list.
            ExclusionConstraint(
                name="price_version_no_overlap",
                expressions=[
                    ("price_list", RangeOperators.EQUAL),
                    (
                        DateRange("valid_from", "valid_until", RangeBoundary()),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=models.Q(status="published"),
                violation_error_message=_(
                    "Two published versions of one price list cannot be valid on the same day."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.price_list} v{self.number}"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.CHECKED)

    def applies_on(self, day: dt.date) -> bool:
        return (
            self.is_published
            and self.valid_from is not None
            and self.valid_from <= day
            and (self.valid_until is None or day < self.valid_until)
        )


class VehiclePrice(models.Model):
    """A vehicle list's price for a catalogue code: a trim, a colour, an option or an
    accessory."""

    class Kind(models.TextChoices):
        TRIM = "trim", _("Trim")
        COLOUR = "colour", _("Colour")
        OPTION = "option", _("Option")
        ACCESSORY = "accessory", _("Accessory")

    version = models.ForeignKey(
        PriceListVersion, on_delete=models.CASCADE, related_name="vehicle_prices"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    code = models.CharField(_("code"), max_length=30)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["version", "kind", "code"]
        verbose_name = _("vehicle price")
        verbose_name_plural = _("vehicle prices")
        constraints = [
            models.UniqueConstraint(fields=["version", "kind", "code"], name="vehicle_price_once"),
            models.CheckConstraint(
                condition=models.Q(price__gte=0), name="vehicle_price_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.code}: {self.price}"


class PartPrice(models.Model):
    """A parts list's price for a part: the retail price, and the dealer's net price when HQ
    gives one explicitly (otherwise retail less the part group's discount of the version)."""

    version = models.ForeignKey(
        PriceListVersion, on_delete=models.CASCADE, related_name="part_prices"
    )
    part = models.ForeignKey(
        "inventory.Part", on_delete=models.PROTECT, related_name="+", verbose_name=_("part")
    )
    retail_price = models.DecimalField(_("retail price"), max_digits=12, decimal_places=2)
    dealer_net_price = models.DecimalField(
        _("dealer net price"), null=True, blank=True, max_digits=12, decimal_places=2
    )

    class Meta:
        ordering = ["version", "part"]
        verbose_name = _("part price")
        verbose_name_plural = _("part prices")
        constraints = [
            models.UniqueConstraint(fields=["version", "part"], name="part_price_once"),
            models.CheckConstraint(
                condition=models.Q(retail_price__gte=0), name="part_price_retail_non_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(dealer_net_price__isnull=True)
                | models.Q(dealer_net_price__gte=0, dealer_net_price__lte=models.F("retail_price")),
                name="part_price_net_within_retail",
                violation_error_message=_(
                    "The dealer net price must be between zero and the retail price."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.part_id}: {self.retail_price}"


class PartGroupDiscount(models.Model):
    """A parts list's dealer discount for a whole part group (percent off retail), used for
    the parts of the group that have no explicit net price."""

    version = models.ForeignKey(
        PriceListVersion, on_delete=models.CASCADE, related_name="group_discounts"
    )
    group = models.ForeignKey(
        "inventory.PartGroup",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("part group"),
    )
    discount_percent = models.DecimalField(_("dealer discount (%)"), max_digits=5, decimal_places=2)

    class Meta:
        ordering = ["version", "group"]
        verbose_name = _("part group discount")
        verbose_name_plural = _("part group discounts")
        constraints = [
            models.UniqueConstraint(fields=["version", "group"], name="part_group_discount_once"),
            models.CheckConstraint(
                condition=models.Q(discount_percent__gte=0, discount_percent__lte=100),
                name="part_group_discount_percent",
                violation_error_message=_("A discount is between 0 and 100 %."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group_id}: {self.discount_percent} %"


class LabourPrice(models.Model):
    """A labour list's hourly rate for a grade: HQ's recommendation and the bounds within which
    each dealer sets its own rate."""

    version = models.ForeignKey(
        PriceListVersion, on_delete=models.CASCADE, related_name="labour_prices"
    )
    grade = models.ForeignKey(
        "inventory.LabourGrade",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("labour grade"),
    )
    recommended_rate = models.DecimalField(
        _("recommended hourly rate"), max_digits=12, decimal_places=2
    )
    min_rate = models.DecimalField(_("lowest dealer rate"), max_digits=12, decimal_places=2)
    max_rate = models.DecimalField(_("highest dealer rate"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["version", "grade"]
        verbose_name = _("labour price")
        verbose_name_plural = _("labour prices")
        constraints = [
            models.UniqueConstraint(fields=["version", "grade"], name="labour_price_once"),
            models.CheckConstraint(
                condition=models.Q(
                    min_rate__gte=0,
                    recommended_rate__gte=models.F("min_rate"),
                    max_rate__gte=models.F("recommended_rate"),
                ),
                name="labour_price_bounds_ordered",
                violation_error_message=_(
                    "The rates must be ordered: 0 ≤ lowest ≤ recommended ≤ highest."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grade_id}: {self.recommended_rate}"


class DealerLabourRate(TenantModel):
    """The dealer's own hourly rate for a labour grade (tenant data), set by its manager or
    admin within the bounds of HQ's labour list in force (bulletins.pricing_services)."""

    grade = models.ForeignKey(
        "inventory.LabourGrade",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("labour grade"),
    )
    rate = models.DecimalField(_("hourly rate"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    set_at = models.DateTimeField(_("set"))

    class Meta(TenantModel.Meta):
        ordering = ["grade"]
        verbose_name = _("dealer labour rate")
        verbose_name_plural = _("dealer labour rates")
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["dealer", "grade"], name="dealer_labour_rate_once"),
            models.CheckConstraint(
                condition=models.Q(rate__gte=0), name="dealer_labour_rate_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grade_id}: {self.rate}"


# --- bulletins with acknowledgement (issue 14, item 5) -------------------------------------------
# A bulletin, its versions and its targeting are HQ reference data (no dealer_id, written by HQ
# services only). Who received, opened and acknowledged it is tenant data: one BulletinRecipient
# row per targeted user per dealer, under the dealer's RLS.


class Bulletin(models.Model):
    """HQ → dealer message. `body` is sanitised HTML (bulletins.services.sanitise, nh3) written
    only by the services. `version` counts every published revision; `ack_version` is the
    version an acknowledgement must be of (raised by a revision that asks for re-acknowledgement),
    so a recipient has acknowledged when `acknowledged_version >= ack_version`."""

    class Category(models.TextChoices):
        COMMERCIAL = "commercial", _("Commercial")
        TECHNICAL = "technical", _("Technical")
        PROCESS = "process", _("Process")
        RECALL = "recall", _("Recall notice")

    class Priority(models.TextChoices):
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    requires_ack = models.BooleanField(_("acknowledgement required"), default=False)
    ack_deadline = models.DateTimeField(_("acknowledge by"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    ack_version = models.PositiveIntegerField(_("version to acknowledge"), default=1)
    # Targeting. Dealers: the whole network, or the union of the chosen regions' dealers, the
    # chosen groups' dealers and the chosen dealers. Roles: the chosen roles, or every role when
    # none is chosen. Inactive dealers, memberships and accounts never receive anything.
    all_dealers = models.BooleanField(_("whole network"), default=False)
    target_regions = models.ManyToManyField(
        "dealers.Region", blank=True, related_name="+", verbose_name=_("regions")
    )
    target_groups = models.ManyToManyField(
        "dealers.DealerGroup", blank=True, related_name="+", verbose_name=_("dealer groups")
    )
    target_dealers = models.ManyToManyField(
        "dealers.Dealer", blank=True, related_name="+", verbose_name=_("dealers")
    )
    target_roles = ArrayField(
        models.CharField(max_length=32, choices=DealerRole.choices),
        default=list,
        blank=True,
        verbose_name=_("roles"),
    )
    live_until = models.DateTimeField(
        _("shown until"),
        null=True,
        blank=True,
        help_text=_("Empty: shown until withdrawn."),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(requires_ack=False) | models.Q(ack_deadline__isnull=False),
                name="bulletin_ack_needs_deadline",
                violation_error_message=_("A bulletin to acknowledge needs a deadline."),
            ),
            models.CheckConstraint(
                condition=models.Q(ack_version__lte=models.F("version")),
                name="bulletin_ack_version_le_version",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "ack_deadline"],
                condition=models.Q(requires_ack=True),
                name="bulletin_ack_due",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class BulletinVersion(models.Model):
    """What each published version said, who published it and when (HQ reference data). The
    bulletin row holds the current text; this is its history."""

    bulletin = models.ForeignKey(Bulletin, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    requires_reack = models.BooleanField(_("asks for acknowledgement again"), default=False)
    ack_deadline = models.DateTimeField(_("acknowledge by"), null=True, blank=True)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("published"))

    class Meta:
        ordering = ["bulletin", "number"]
        verbose_name = _("bulletin version")
        verbose_name_plural = _("bulletin versions")
        constraints = [
            models.UniqueConstraint(fields=["bulletin", "number"], name="bulletin_version_once"),
        ]

    def __str__(self) -> str:
        return f"{self.bulletin_id} v{self.number}"


class BulletinRecipient(TenantModel):
    """One targeted user at one dealer (tenant data: the dealer's own staff's reading record).

    `opened_version` / `acknowledged_version`: the last version opened / acknowledged (0: never);
    `opened_at` / `acknowledged_at`: when that happened first for that round. `reminded_round` /
    `escalated_round`: the `ack_version` a deadline reminder / an escalation to the dealer's
    managers was sent for (0: none), so each goes out once per round. `retired_at`: the user no
    longer belongs to the audience (left the dealer or changed role); kept for the record,
    left out of inboxes and compliance figures."""

    bulletin = models.ForeignKey(
        Bulletin,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("bulletin"),
        db_index=False,  # bulletin_recipient_compliance starts with it
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("staff member"),
        # Every read names the dealer too (bulletin_recipient_inbox); a user_id index of its own
        # made the planner fetch the heap for the inbox counts instead of the index only.
        db_index=False,
    )
    role = models.CharField(_("role"), max_length=32, choices=DealerRole.choices)
    created_at = models.DateTimeField(_("received"))
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    opened_version = models.PositiveIntegerField(default=0)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_version = models.PositiveIntegerField(default=0)
    reminded_round = models.PositiveIntegerField(default=0)
    escalated_round = models.PositiveIntegerField(default=0)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "-id"]
        verbose_name = _("bulletin recipient")
        verbose_name_plural = _("bulletin recipients")
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["dealer", "bulletin", "user"], name="bulletin_recipient_once"
            ),
        ]
        indexes = [
            # A user's inbox at the dealer they work in, newest first, and its counts: an
            # index-only scan (the counts need nothing else of the row).
            models.Index(
                fields=["dealer", "user", "-created_at", "-bulletin"],
                include=["opened_version", "acknowledged_version"],
                condition=models.Q(retired_at__isnull=True),
                name="bulletin_recipient_inbox",
            ),
            # One bulletin's figures per dealer (compliance), also index-only.
            models.Index(
                fields=["bulletin", "dealer"],
                include=["acknowledged_version", "opened_at"],
                condition=models.Q(retired_at__isnull=True),
                name="bulletin_recipient_compliance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bulletin_id} → {self.user_id}"
