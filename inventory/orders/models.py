"""Parts orders to the importer (issue 15, items 6 and 7).

A dealer's order (`PartsOrder`, tenant data) goes draft → sent → confirmed / partly backordered →
shipped → received (or cancelled while a draft). Each line keeps its quantities: ordered,
confirmed by HQ, backordered (with the expected date), shipped and received. HQ ships in
shipments (`PartsShipment`); the dealer receives against a shipment, and what arrived may differ
from what was shipped (short or over delivery: the difference stays on the shipment line).

When HQ supplies a newer number than the one ordered (a supersession that came into force after
the order was sent), the line's `supplied_part` names it and the shipment carries that part: the
dealer sees the substitution on the line and receives the part that is actually in the box.

Reorder suggestions (item 6) are draft stock orders with `origin = suggestion`, one per dealer at
most, rebuilt each night until the parts clerk touches it.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dms.tenancy.fields import TenantForeignKey
from dms.tenancy.models import TenantModel

from ..models import Part
from ..stock.models import quantity_field, user_field

__all__ = ["PartsOrder", "PartsOrderLine", "PartsShipment", "PartsShipmentLine"]


class PartsOrder(TenantModel):
    class Kind(models.TextChoices):
        STOCK = "stock", _("Stock order")
        URGENT = "urgent", _("Urgent (vehicle off road)")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        CONFIRMED = "confirmed", _("Confirmed")
        BACKORDERED = "backordered", _("Partly backordered")
        SHIPPED = "shipped", _("Shipped")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    class Origin(models.TextChoices):
        CLERK = "clerk", _("Parts clerk")
        SUGGESTION = "suggestion", _("Reorder suggestion")

    # The dealer's own running number (P1, P2… per dealer; sales.numbering, kind "parts_order").
    number = models.PositiveIntegerField(_("order number"), editable=False)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.STOCK)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.DRAFT)
    origin = models.CharField(
        _("origin"), max_length=10, choices=Origin.choices, default=Origin.CLERK
    )
    # Urgent orders: the vehicle waiting (VIN) or the repair order ("RO 1042").
    vehicle_reference = models.CharField(_("vehicle or repair order"), max_length=40, blank=True)
    note = models.CharField(_("note to the importer"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = user_field(_("created by"))
    # A suggestion the clerk has changed is theirs: the nightly job no longer rebuilds it.
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    sent_by = user_field(_("sent by"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("parts order")
        verbose_name_plural = _("parts orders")
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["dealer", "number"], name="parts_order_number"),
            models.CheckConstraint(
                condition=~Q(kind="urgent") | ~Q(vehicle_reference=""),
                name="parts_order_urgent_vehicle",
            ),
            # At most one live nightly suggestion per dealer.
            models.UniqueConstraint(
                fields=["dealer"],
                condition=Q(origin="suggestion", state="draft"),
                name="parts_order_one_suggestion",
            ),
        ]
        indexes = [
            models.Index(fields=["dealer", "state", "kind"], name="parts_order_state"),
        ]

    def __str__(self) -> str:
        return f"P{self.number}"

    @property
    def label(self) -> str:
        return f"P{self.number}"

    @property
    def is_draft(self) -> bool:
        return self.state == self.State.DRAFT

    @property
    def is_open(self) -> bool:
        return self.state not in (self.State.DRAFT, self.State.RECEIVED, self.State.CANCELLED)


class PartsOrderLine(TenantModel):
    order = TenantForeignKey(
        PartsOrder, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order")
    )
    position = models.PositiveIntegerField(_("line"), default=0)
    # What the dealer orders: resolved to the number in force when the order is sent.
    part = models.ForeignKey(
        Part, on_delete=models.PROTECT, related_name="+", verbose_name=_("part"), db_index=False
    )
    # The number the clerk typed, when sending replaced it by a newer one.
    asked_number = models.CharField(_("asked for"), max_length=40, blank=True)
    # What HQ supplies (set when it confirms): a newer number when the part was superseded since.
    supplied_part = models.ForeignKey(
        Part,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("supplied part"),
        db_index=False,
    )
    quantity = quantity_field(_("ordered"))
    confirmed = quantity_field(_("confirmed"))
    backordered = quantity_field(_("backordered"))
    backorder_expected = models.DateField(_("backorder expected"), null=True, blank=True)
    shipped = quantity_field(_("shipped"))
    received = quantity_field(_("received"))
    # Reorder suggestions: what the nightly job proposed (None: typed by the clerk).
    suggested = models.DecimalField(
        _("suggested"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    class Meta(TenantModel.Meta):
        verbose_name = _("parts order line")
        verbose_name_plural = _("parts order lines")
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["dealer", "order", "part"], name="parts_line_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="parts_line_quantity"),
            models.CheckConstraint(
                condition=Q(confirmed__gte=0)
                & Q(backordered__gte=0)
                & Q(shipped__gte=0)
                & Q(received__gte=0),
                name="parts_line_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(confirmed__lte=F("quantity") - F("backordered")),
                name="parts_line_confirmed",
            ),
            models.CheckConstraint(
                condition=Q(shipped__lte=F("confirmed")), name="parts_line_shipped"
            ),
            models.CheckConstraint(
                condition=Q(backordered=0) | Q(backorder_expected__isnull=False),
                name="parts_line_backorder_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.position}: {self.quantity} × {self.part_id}"

    @property
    def unconfirmed(self) -> Decimal:
        """Ordered, and HQ has decided nothing about it yet."""
        return self.quantity - self.confirmed - self.backordered

    @property
    def open_at_hq(self) -> Decimal:
        """What HQ may still confirm: the unconfirmed and backordered quantity."""
        return self.quantity - self.confirmed

    @property
    def to_ship(self) -> Decimal:
        return self.confirmed - self.shipped

    @property
    def substituted(self) -> bool:
        return self.supplied_part_id is not None and self.supplied_part_id != self.part_id


class PartsShipment(TenantModel):
    class State(models.TextChoices):
        IN_TRANSIT = "in_transit", _("In transit")
        RECEIVED = "received", _("Received")

    order = TenantForeignKey(
        PartsOrder, on_delete=models.PROTECT, related_name="shipments", verbose_name=_("order")
    )
    number = models.PositiveIntegerField(_("shipment"), default=1)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.IN_TRANSIT
    )
    carrier_reference = models.CharField(_("carrier reference"), max_length=60, blank=True)
    shipped_at = models.DateTimeField(_("shipped"), default=timezone.now)
    shipped_by = user_field(_("shipped by"))
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    received_by = user_field(_("received by"))

    class Meta(TenantModel.Meta):
        verbose_name = _("parts shipment")
        verbose_name_plural = _("parts shipments")
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["dealer", "order", "number"], name="parts_shipment_number"
            ),
        ]
        indexes = [models.Index(fields=["dealer", "state"], name="parts_shipment_state")]

    def __str__(self) -> str:
        return f"{self.order_id}-{self.number}"


class PartsShipmentLine(TenantModel):
    shipment = TenantForeignKey(
        PartsShipment, on_delete=models.CASCADE, related_name="lines", verbose_name=_("shipment")
    )
    order_line = TenantForeignKey(
        PartsOrderLine,
        on_delete=models.PROTECT,
        related_name="shipment_lines",
        verbose_name=_("order line"),
    )
    # The part in the box (the line's supplied part).
    part = models.ForeignKey(
        Part, on_delete=models.PROTECT, related_name="+", verbose_name=_("part"), db_index=False
    )
    quantity = quantity_field(_("shipped"))
    # What the dealer counted on arrival (None until received): may differ from `quantity`.
    received = models.DecimalField(
        _("received"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    unit_cost = models.DecimalField(
        _("unit cost"), max_digits=14, decimal_places=4, null=True, blank=True
    )

    class Meta(TenantModel.Meta):
        verbose_name = _("parts shipment line")
        verbose_name_plural = _("parts shipment lines")
        constraints = [
            *TenantModel.Meta.constraints,
            models.CheckConstraint(condition=Q(quantity__gt=0), name="parts_shipment_quantity"),
            models.CheckConstraint(
                condition=Q(received__isnull=True) | Q(received__gte=0),
                name="parts_shipment_received",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id}: {self.quantity} × {self.part_id}"

    @property
    def difference(self) -> Decimal | None:
        """Received − shipped (negative: short delivery; positive: over delivery)."""
        if self.received is None:
            return None
        return self.received - self.quantity
