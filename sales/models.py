"""Test drives, quotes, orders, deliveries, lost reasons and HQ stage playbooks."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from dms.kpi.dirty import KpiSource
from dms.tenancy.fields import TenantForeignKey
from dms.tenancy.models import TenantModel
from leads.reference.messages import hq_text

USER = settings.AUTH_USER_MODEL


# --- HQ reference data ---------------------------------------------------------------------------


class PlaybookStep(models.Model):
    """HQ methodology: a step or fact required (or advised) before a lead may enter `stage`."""

    stage = models.CharField(_("stage"), max_length=16)
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    guidance = models.TextField(_("guidance"), blank=True)
    required = models.BooleanField(_("required"), default=True)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["stage", "order"]
        verbose_name = _("playbook step")
        constraints = [
            models.UniqueConstraint(fields=["stage", "code"], name="playbook_step_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The step's title for pages: HQ's default text translated, a custom one as typed."""
        return hq_text(self.name)

    @property
    def display_guidance(self) -> str:
        return hq_text(self.guidance)


# --- tenant data ---------------------------------------------------------------------------------


class LeadStep(TenantModel):
    """A playbook step done for a lead, or waived by a manager with a reason."""

    lead = TenantForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="steps")
    step = models.ForeignKey(PlaybookStep, on_delete=models.PROTECT, related_name="+")
    done_at = models.DateTimeField(auto_now_add=True)
    done_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    waived = models.BooleanField(default=False)
    waive_reason = models.CharField(max_length=300, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["dealer", "lead", "step"], name="lead_step_once"),
            models.CheckConstraint(
                condition=Q(waived=False) | ~Q(waive_reason=""), name="lead_step_waiver_has_reason"
            ),
        ]


class DemoVehicle(TenantModel):
    vehicle_model = models.ForeignKey(
        "inventory.VehicleModel", on_delete=models.PROTECT, related_name="+"
    )
    trim = models.ForeignKey(
        "inventory.Trim", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    vin = models.CharField(_("VIN"), max_length=17)
    plate = models.CharField(_("plate"), max_length=20, blank=True)
    odometer_km = models.PositiveIntegerField(_("odometer (km)"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta(TenantModel.Meta):
        ordering = ["plate"]
        verbose_name = _("demo vehicle")
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["dealer", "vin"], name="demo_vehicle_vin"),
        ]

    def __str__(self) -> str:
        return f"{self.plate or self.vin}"


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class TestDrive(KpiSource, TenantModel):
    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        OUT = "out", _("On the road")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("No show")

    lead = TenantForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="test_drives")
    customer = TenantForeignKey(
        "leads.Customer", on_delete=models.PROTECT, related_name="test_drives"
    )
    vehicle = TenantForeignKey(DemoVehicle, on_delete=models.PROTECT, related_name="test_drives")
    consultant = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOOKED)
    licence_number = models.CharField(_("driving licence number"), max_length=40, blank=True)
    licence_checked_at = models.DateTimeField(_("licence checked"), null=True, blank=True)
    consent_at = models.DateTimeField(_("consent signed"), null=True, blank=True)
    km_out = models.PositiveIntegerField(_("km out"), null=True, blank=True)
    km_in = models.PositiveIntegerField(_("km in"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    feedback = models.TextField(_("feedback"), blank=True)
    out_at = models.DateTimeField(_("went out"), null=True, blank=True)
    returned_at = models.DateTimeField(_("came back"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantModel.Meta):
        ordering = ["starts_at"]
        verbose_name = _("test drive")
        constraints = [
            *TenantModel.Meta.constraints,
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="test_drive_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(km_in__isnull=True)
                | Q(km_out__isnull=True)
                | Q(km_in__gte=models.F("km_out")),
                name="test_drive_km_in_after_out",
            ),
            # No double booking of a demo vehicle, enforced by PostgreSQL (btree_gist).
            ExclusionConstraint(
                name="test_drive_no_double_booking",
                expressions=[
                    ("dealer", RangeOperators.EQUAL),
                    ("vehicle", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=["booked", "out", "done"]),
            ),
        ]
        indexes = [
            models.Index(
                fields=["dealer", "consultant", "starts_at"], name="test_drive_consultant"
            ),
            # The KPI rollup: test drives done on a day (returned, else planned end).
            models.Index(
                F("dealer"), Coalesce("returned_at", "ends_at"), name="test_drive_done_day"
            ),
        ]


class Quote(KpiSource, TenantModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        SUPERSEDED = "superseded", _("Superseded")
        DECLINED = "declined", _("Declined")

    class DiscountStatus(models.TextChoices):
        NONE = "none", _("No approval needed")
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class Payment(models.TextChoices):
        CASH = "cash", _("Cash")
        FINANCE = "finance", _("Finance")
        LEASE = "lease", _("Lease")

    lead = TenantForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="quotes")
    customer = TenantForeignKey("leads.Customer", on_delete=models.PROTECT, related_name="quotes")
    version = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    # The price-list version the quote was priced from: a later version never changes it.
    price_version = models.ForeignKey(
        "bulletins.PriceListVersion",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("price list version"),
    )
    trim = models.ForeignKey("inventory.Trim", on_delete=models.PROTECT, related_name="+")
    colour = models.ForeignKey(
        "inventory.Colour", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    currency = models.CharField(max_length=3, default="EUR")
    list_price = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    extras_total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    discount = models.DecimalField(
        _("discount"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    discount_status = models.CharField(
        max_length=10, choices=DiscountStatus.choices, default=DiscountStatus.NONE
    )
    discount_decided_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    trade_in_description = models.CharField(_("trade-in"), max_length=200, blank=True)
    trade_in_value = models.DecimalField(
        _("trade-in value"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    payment = models.CharField(
        _("payment"), max_length=10, choices=Payment.choices, default=Payment.CASH
    )
    down_payment = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    term_months = models.PositiveSmallIntegerField(null=True, blank=True)
    annual_rate_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    monthly_payment = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # The HQ promotion the quote takes (bulletins.Promotion) and what it takes off the total.
    promotion = models.ForeignKey(
        "bulletins.Promotion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("promotion"),
    )
    promotion_amount = models.DecimalField(
        _("promotion amount"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2, default=Decimal("0"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    # Versioning: editing a sent quote creates version n+1 pointing at the one it replaces.
    supersedes = TenantForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("replaces"),
    )
    discount_decided_at = models.DateTimeField(null=True, blank=True)
    discount_note = models.CharField(_("approval note"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at"]
        verbose_name = _("quote")
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["dealer", "lead", "version"], name="quote_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(discount__gte=0), name="quote_discount_non_negative"
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="quote_total_non_negative"),
        ]
        indexes = [
            models.Index(fields=["dealer", "discount_status"], name="quote_discount_status"),
            # The KPI rollup: quotes sent on a day.
            models.Index(
                fields=["dealer", "sent_at"],
                condition=Q(sent_at__isnull=False),
                name="quote_sent_day",
            ),
        ]

    @property
    def discount_percent(self) -> Decimal | None:
        """The discount as a share of the list price, the base of the approval threshold
        (sales.services.discount_threshold), to one decimal."""
        if not self.list_price:
            return None
        share = self.discount * Decimal(100) / self.list_price
        return share.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


class QuoteLine(TenantModel):
    quote = TenantForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=16)  # option | accessory | colour
    code = models.CharField(max_length=30)
    description = models.CharField(max_length=200)
    price = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta(TenantModel.Meta):
        constraints = TenantModel.Meta.constraints


class NumberSeries(TenantModel):
    """A dealer's own running number for one kind of document: every dealer's orders count 1, 2,
    3... on their own, and no dealer learns the network's volume from its numbers. The next
    number is taken by one UPDATE ... RETURNING on this row (sales.numbering.next_number): the
    row lock makes a second order of the same dealer wait until the first commits."""

    class Kind(models.TextChoices):
        ORDER = "order", _("Order")
        TRANSFER = "transfer", _("Parts transfer")
        COUNTER_SALE = "counter_sale", _("Counter sale")
        PARTS_ORDER = "parts_order", _("Parts order")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    last_number = models.PositiveIntegerField(default=0)

    class Meta(TenantModel.Meta):
        verbose_name = _("number series")
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["dealer", "kind"], name="number_series_once"),
        ]


class Order(KpiSource, TenantModel):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", _("Cancelled")

    # The dealer's own order number (O1, O2... per dealer; sales.numbering). Orders placed
    # before numbers ran per dealer kept their old number (migration 0006).
    number = models.PositiveIntegerField(_("order number"), editable=False)

    # One order per quote: a unique key that starts with dealer_id (Citus), not a OneToOneField.
    quote = TenantForeignKey(Quote, on_delete=models.PROTECT, related_name="orders")
    lead = TenantForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="orders")
    customer = TenantForeignKey("leads.Customer", on_delete=models.PROTECT, related_name="orders")
    consultant = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    currency = models.CharField(max_length=3, default="EUR")
    # The HQ promotion the order took (copied from its quote) (bulletins.Promotion) and what it takes off the total.
    promotion = models.ForeignKey(
        "bulletins.Promotion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("promotion"),
    )
    promotion_amount = models.DecimalField(
        _("promotion amount"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    deposit_required = models.DecimalField(
        _("deposit"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    expected_delivery = models.DateField(_("expected delivery"), null=True, blank=True)
    vin = models.CharField(_("VIN"), max_length=17, blank=True)
    # The dealer's stock vehicle this order reserved (inventory.vehicles): one order per vehicle.
    stock_vehicle = TenantForeignKey(
        "inventory.StockVehicle",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("stock vehicle"),
    )
    checklist = models.JSONField(_("pre-delivery checklist"), default=dict, blank=True)
    ordered_at = models.DateTimeField(_("ordered"))
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    delivered_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta(TenantModel.Meta):
        ordering = ["-ordered_at"]
        verbose_name = _("order")
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["dealer", "quote"], name="order_one_per_quote"),
            models.UniqueConstraint(fields=["dealer", "number"], name="order_number_unique"),
            # A vehicle can be reserved by one order only (a cancelled order lets it go).
            models.UniqueConstraint(
                fields=["dealer", "stock_vehicle"],
                condition=Q(stock_vehicle__isnull=False),
                name="order_vehicle_reserved_once",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_non_negative"),
        ]
        indexes = [
            models.Index(fields=["dealer", "status", "expected_delivery"], name="order_status"),
            models.Index(fields=["dealer", "consultant", "ordered_at"], name="order_consultant"),
            # The KPI rollup: orders placed and delivered on a day.
            models.Index(fields=["dealer", "ordered_at"], name="order_day"),
            models.Index(
                fields=["dealer", "delivered_at"],
                condition=Q(delivered_at__isnull=False),
                name="order_delivered_day",
            ),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Every way of saving a new order (the service, the API, fixtures) takes the dealer's
        # next number; bulk inserts (the demo's history) reserve theirs with next_number(count=n).
        if self.number is None:
            from .numbering import next_number

            self.number = next_number(dealer_id=self.dealer_id, kind=NumberSeries.Kind.ORDER)
        super().save(*args, **kwargs)

    @property
    def display_number(self) -> str:
        return f"O{self.number}"


class Payment(TenantModel):
    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Deposit")
        BALANCE = "balance", _("Balance")
        REFUND = "refund", _("Refund")

    order = TenantForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    received_at = models.DateTimeField()
    received_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]
