"""The dealer's parts store (issue 15): balances, the movements ledger, reservations, counter sales,
and the network's view of who has a part.

- `StockMovement` is the ledger: append-only (the runtime role has no UPDATE/DELETE on it, see
  dms.tenancy.signals.APPEND_ONLY_TABLES); corrections are new movements.
- `PartStock` is the balance per dealer and part: a cache of the ledger updated in the same
  transaction by inventory.stock.services, with CHECK constraints so that no code path can leave
  negative stock or more reserved than on hand.
- `PartAvailability` is a network projection: which dealer has a part available, as a band
  (1 / 2–5 / more than 5), nothing else — no quantity, cost, customer or note. Other dealers read
  it through one audited selector (inventory.stock.selectors.network_availability).
- `WarehouseStock` is HQ data: what the importer's own warehouse has available.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dms.tenancy.fields import TenantForeignKey
from dms.tenancy.models import TenantModel

from ..models import Part

__all__ = [
    "AvailabilityBand",
    "CounterSale",
    "CounterSaleLine",
    "PartAvailability",
    "PartReservation",
    "PartStock",
    "PartTransfer",
    "StockCount",
    "StockCountLine",
    "StockMovement",
    "WarehouseStock",
]

ZERO = Decimal("0")


def quantity_field(verbose_name: str | object, **kwargs: object) -> models.DecimalField:
    """Quantities in the part's unit (pieces, litres, metres…): two decimals, never a float."""
    kwargs.setdefault("default", ZERO)
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)  # type: ignore[arg-type]


def user_field(verbose_name: Any, *, optional: bool = True) -> models.ForeignKey:  # type: ignore[type-arg]
    """Who did it: a user kept for the record (users are never deleted, only disabled)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=optional,
        blank=optional,
        related_name="+",
        verbose_name=verbose_name,
        db_index=False,
    )


class PartStock(TenantModel):
    """One dealer's stock of one part: the balance the ledger adds up to, the bin where it lies,
    and the levels the reorder suggestions work from."""

    part = models.ForeignKey(
        Part, on_delete=models.PROTECT, related_name="+", verbose_name=_("part"), db_index=False
    )
    bin = models.CharField(_("bin location"), max_length=20, blank=True)
    on_hand = quantity_field(_("on hand"))
    reserved = quantity_field(_("reserved"))
    on_order = quantity_field(_("on order"))
    minimum = quantity_field(_("minimum"))
    reorder_point = quantity_field(_("reorder point"))
    maximum = quantity_field(_("maximum"))
    average_cost = models.DecimalField(
        _("average cost"), max_digits=14, decimal_places=4, default=ZERO
    )
    last_movement_at = models.DateTimeField(_("last movement"), null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("part stock")
        verbose_name_plural = _("part stock")
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["dealer", "part"], name="part_stock_once"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="part_stock_on_hand"),
            models.CheckConstraint(
                condition=Q(reserved__gte=0) & Q(reserved__lte=F("on_hand")),
                name="part_stock_reserved",
            ),
            models.CheckConstraint(condition=Q(on_order__gte=0), name="part_stock_on_order"),
            models.CheckConstraint(
                condition=Q(minimum__gte=0)
                & Q(reorder_point__gte=F("minimum"))
                & (Q(maximum=0) | Q(maximum__gte=F("reorder_point"))),
                name="part_stock_levels",
            ),
            models.CheckConstraint(condition=Q(average_cost__gte=0), name="part_stock_cost"),
        ]
        indexes = [models.Index(fields=["dealer", "bin"], name="part_stock_bin")]

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved

    def __str__(self) -> str:
        return f"{self.part_id}: {self.on_hand}"


class StockMovement(TenantModel):
    """One line of the ledger. `quantity` changes on hand, `reserved_change` the reserved
    quantity; on hand is always the sum of `quantity` and reserved the sum of `reserved_change`
    over a dealer's movements of a part."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        ISSUE = "issue", _("Issue")
        RETURN = "return", _("Return")
        TRANSFER_IN = "transfer_in", _("Transfer in")
        TRANSFER_OUT = "transfer_out", _("Transfer out")
        ADJUSTMENT = "adjustment", _("Count adjustment")
        RESERVATION = "reservation", _("Reservation")
        RELEASE = "release", _("Release")

    part = models.ForeignKey(
        Part, on_delete=models.PROTECT, related_name="+", verbose_name=_("part"), db_index=False
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    quantity = quantity_field(_("quantity"))
    reserved_change = quantity_field(_("reserved change"))
    unit_cost = models.DecimalField(
        _("unit cost"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # What the movement belongs to, as the user reads it: "RO 1042", "Counter sale 17"…
    reference = models.CharField(_("reference"), max_length=60, blank=True)
    actor = user_field(_("by"))
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        constraints = [
            *TenantModel.Meta.constraints,
            models.CheckConstraint(
                condition=~Q(quantity=0) | ~Q(reserved_change=0), name="stock_movement_moves"
            ),
        ]
        indexes = [
            models.Index(fields=["dealer", "part", "at"], name="stock_movement_part"),
            models.Index(fields=["dealer", "at"], name="stock_movement_day"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.part_id} {self.quantity}"


class PartReservation(TenantModel):
    """Parts set aside for a repair order (or a counter sale being prepared): they stay on hand
    but are no longer available until issued or released."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ISSUED = "issued", _("Issued")
        RELEASED = "released", _("Released")

    part = models.ForeignKey(
        Part, on_delete=models.PROTECT, related_name="+", verbose_name=_("part"), db_index=False
    )
    quantity = quantity_field(_("quantity"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    reference = models.CharField(_("for"), max_length=60)
    # The part number the user asked for, when it was superseded by the part reserved.
    asked_number = models.CharField(_("asked for"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("reserved at"), default=timezone.now)
    created_by = user_field(_("reserved by"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        constraints = [
            *TenantModel.Meta.constraints,
            models.CheckConstraint(condition=Q(quantity__gt=0), name="part_reservation_positive"),
        ]
        indexes = [
            models.Index(fields=["dealer", "status", "part"], name="part_reservation_open"),
            models.Index(fields=["dealer", "reference"], name="part_reservation_for"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.quantity} × {self.part_id}"


class CounterSale(TenantModel):
    """A sale over the parts counter, to a known customer or a walk-in, with its invoice."""

    number = models.PositiveIntegerField(_("number"))
    customer = TenantForeignKey(
        "leads.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    walk_in_name = models.CharField(_("walk-in customer"), max_length=120, blank=True)
    sold_at = models.DateTimeField(_("sold at"), default=timezone.now)
    sold_by = user_field(_("sold by"), optional=False)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    total_net = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=ZERO)

    class Meta(TenantModel.Meta):
        verbose_name = _("counter sale")
        verbose_name_plural = _("counter sales")
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["dealer", "number"], name="counter_sale_number"),
        ]
        indexes = [models.Index(fields=["dealer", "sold_at"], name="counter_sale_day")]

    def __str__(self) -> str:
        return f"CS{self.number}"


class CounterSaleLine(TenantModel):
    sale = TenantForeignKey(
        CounterSale, on_delete=models.CASCADE, related_name="lines", verbose_name=_("sale")
    )
    part = models.ForeignKey(
        Part, on_delete=models.PROTECT, related_name="+", verbose_name=_("part"), db_index=False
    )
    quantity = quantity_field(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2)
    discount_percent = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2, default=ZERO
    )
    line_total = models.DecimalField(_("line total"), max_digits=14, decimal_places=2)

    class Meta(TenantModel.Meta):
        verbose_name = _("counter sale line")
        constraints = [
            *TenantModel.Meta.constraints,
            models.CheckConstraint(condition=Q(quantity__gt=0), name="counter_line_quantity"),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="counter_line_discount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sale_id}: {self.quantity} × {self.part_id}"


class AvailabilityBand(models.IntegerChoices):
    ONE = 1, _("1")
    FEW = 2, _("2–5")
    MORE = 3, _("more than 5")


class PartAvailability(models.Model):
    """Network projection: dealer X has part P available, in a band. Written only by
    inventory.stock.services when a balance's band changes (same transaction); a row exists only
    while something is available. Holds nothing else: a test pins the column list."""

    dealer = models.ForeignKey(
        "dealers.Dealer", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    part = models.ForeignKey(Part, on_delete=models.CASCADE, related_name="+", db_index=False)
    band = models.PositiveSmallIntegerField(choices=AvailabilityBand.choices)

    class Meta:
        verbose_name = _("network availability")
        constraints = [
            models.UniqueConstraint(fields=["part", "dealer"], name="part_availability_once"),
        ]

    def __str__(self) -> str:
        return f"{self.part_id} @ {self.dealer_id}: {self.band}"


class WarehouseStock(models.Model):
    """HQ data: the importer's warehouse stock of a part (what dealers' orders are served from)."""

    part = models.OneToOneField(
        Part, on_delete=models.CASCADE, related_name="warehouse_stock", verbose_name=_("part")
    )
    available = quantity_field(_("available"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("warehouse stock")
        verbose_name_plural = _("warehouse stock")
        constraints = [
            models.CheckConstraint(condition=Q(available__gte=0), name="warehouse_stock_available")
        ]

    def __str__(self) -> str:
        return f"{self.part_id}: {self.available}"


class PartTransfer(TenantModel):
    """One dealer's side of an inter-dealer transfer. A transfer concerns two dealers, so it is
    two rows — the requesting dealer's (`side=in`) and the supplying dealer's (`side=out`) —
    sharing `transfer_key`; inventory.stock.transfers moves both in one transaction under a
    write scope of exactly those two dealers, and audits it."""

    class Side(models.TextChoices):
        IN = "in", _("Incoming")
        OUT = "out", _("Outgoing")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ACCEPTED = "accepted", _("Accepted")
        REFUSED = "refused", _("Refused")
        DISPATCHED = "dispatched", _("Dispatched")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    transfer_key = models.UUIDField(_("transfer"), default=uuid.uuid4)
    number = models.PositiveIntegerField(_("number"))  # the requesting dealer's running number
    side = models.CharField(_("side"), max_length=3, choices=Side.choices)
    partner = models.ForeignKey(
        "dealers.Dealer",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("other dealer"),
        db_index=False,
    )
    part = models.ForeignKey(
        Part, on_delete=models.PROTECT, related_name="+", verbose_name=_("part"), db_index=False
    )
    quantity = quantity_field(_("quantity"))
    unit_price = models.DecimalField(
        _("transfer price"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    # The supplier's reservation while the parts wait for dispatch (same dealer: side=out).
    reservation = TenantForeignKey(
        PartReservation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reservation"),
    )

    class Meta(TenantModel.Meta):
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["dealer", "transfer_key"], name="part_transfer_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="part_transfer_quantity"),
            models.CheckConstraint(
                condition=~Q(partner=F("dealer")), name="part_transfer_two_dealers"
            ),
        ]
        indexes = [
            models.Index(fields=["dealer", "status", "side"], name="part_transfer_open"),
        ]

    def __str__(self) -> str:
        return f"T{self.number}"


class StockCount(TenantModel):
    """A cycle count of a range of bins: the clerks type what they find without seeing what the
    books say (blind), a manager approves, and the differences are posted as count adjustments
    (inventory.stock.counts)."""

    class Status(models.TextChoices):
        COUNTING = "counting", _("Counting")
        SUBMITTED = "submitted", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        CANCELLED = "cancelled", _("Cancelled")

    bin_from = models.CharField(_("bin from"), max_length=20)
    bin_to = models.CharField(_("bin to"), max_length=20)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.COUNTING
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    started_by = user_field(_("started by"), optional=False)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = user_field(_("approved by"))

    class Meta(TenantModel.Meta):
        verbose_name = _("stock count")
        verbose_name_plural = _("stock counts")
        constraints = [
            *TenantModel.Meta.constraints,
            models.CheckConstraint(
                condition=Q(bin_from__lte=F("bin_to")), name="stock_count_range"
            ),
        ]
        indexes = [models.Index(fields=["dealer", "status"], name="stock_count_status")]

    def __str__(self) -> str:
        return f"{self.bin_from}–{self.bin_to}"


class StockCountLine(TenantModel):
    count = TenantForeignKey(
        StockCount, on_delete=models.CASCADE, related_name="lines", verbose_name=_("count")
    )
    part = models.ForeignKey(
        Part, on_delete=models.PROTECT, related_name="+", verbose_name=_("part"), db_index=False
    )
    bin = models.CharField(_("bin location"), max_length=20, blank=True)
    expected = quantity_field(_("on hand by the books"))  # when the count started; never shown
    counted = models.DecimalField(
        _("counted"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    class Meta(TenantModel.Meta):
        verbose_name = _("counted part")
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["dealer", "count", "part"], name="stock_count_part"),
            models.CheckConstraint(
                condition=Q(counted__isnull=True) | Q(counted__gte=0), name="stock_count_counted"
            ),
        ]

    @property
    def difference(self) -> Decimal | None:
        return None if self.counted is None else self.counted - self.expected

    def __str__(self) -> str:
        return f"{self.count_id}: {self.part_id}"
