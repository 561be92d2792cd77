"""Vehicle stock tables: three kinds, as DESIGN.md's "Network data and tenant data" asks.

- HQ data (no dealer_id, written by HQ services): `Vehicle` (the VIN, its build and HQ's state)
  and `Allocation` (which dealer a vehicle is allocated to). "At most one active allocation per
  VIN" is a partial unique index here: a tenant table's unique keys must start with dealer_id
  (Citus), which would not stop two dealers holding the same VIN.
- Tenant data (dealer_id + RLS): `StockVehicle`, the dealer's side of an allocation (ETA,
  arrival, its own state, the order that reserved it), and `VehicleRequest`, a configuration the
  dealer asks HQ for. The reservation itself is `sales.Order.stock_vehicle` (one order per
  vehicle: a unique key with dealer_id on the order table).
- Network projection: `VehicleWarranty`, written on delivery — the VIN, the warranty start (the
  delivery day on the delivering dealer's clock) and the delivering dealer; never a customer,
  a price or a note (tests/inventory pin its columns).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dms.tenancy.models import TenantModel

__all__ = ["Allocation", "StockVehicle", "Vehicle", "VehicleRequest", "VehicleWarranty"]

USER = settings.AUTH_USER_MODEL


class Vehicle(models.Model):
    """A new vehicle by VIN, as HQ loads it (import or API). HQ reference data."""

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        BUILT = "built", _("Built")
        IN_TRANSIT = "in_transit", _("In transit")
        AT_DEALER = "at_dealer", _("At dealer")
        RESERVED = "reserved", _("Reserved")
        SOLD = "sold", _("Sold")
        DELIVERED = "delivered", _("Delivered")
        DEMO = "demo", _("Demo fleet")
        COURTESY = "courtesy", _("Courtesy car")

    vin = models.CharField(_("VIN"), max_length=17, unique=True)
    vehicle_model = models.ForeignKey(
        "inventory.VehicleModel",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("model"),
    )
    trim = models.ForeignKey(
        "inventory.Trim", on_delete=models.PROTECT, related_name="+", verbose_name=_("trim")
    )
    colour = models.ForeignKey(
        "inventory.Colour",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("colour"),
    )
    options = models.ManyToManyField(
        "inventory.Option", blank=True, related_name="+", verbose_name=_("options")
    )
    build_date = models.DateField(_("build date"), null=True, blank=True)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default="planned")
    state_changed_at = models.DateTimeField(_("state changed"), auto_now_add=True)
    created_at = models.DateTimeField(_("loaded"), auto_now_add=True)

    class Meta:
        ordering = ["vin"]
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=0), name="stock_vehicle_price_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(vin__regex=r"^[A-HJ-NPR-Z0-9]{17}$"), name="stock_vehicle_vin_format"
            ),
        ]
        indexes = [models.Index(fields=["state", "vehicle_model"], name="hq_vehicle_state_model")]

    def __str__(self) -> str:
        return self.vin


class Allocation(models.Model):
    """HQ allocates a vehicle to a dealer. An allocation ends when HQ withdraws it or the vehicle
    is delivered; at most one is active per vehicle (database constraint)."""

    class Method(models.TextChoices):
        MANUAL = "manual", _("Manual")
        RULE = "rule", _("By rule")
        REQUEST = "request", _("Dealer request")

    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("vehicle")
    )
    dealer = models.ForeignKey(
        "dealers.Dealer", on_delete=models.PROTECT, related_name="+", verbose_name=_("dealer")
    )
    method = models.CharField(_("how"), max_length=8, choices=Method.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    eta = models.DateField(_("ETA"), null=True, blank=True)
    allocated_at = models.DateTimeField(_("allocated"), auto_now_add=True)
    allocated_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    end_reason = models.CharField(_("why it ended"), max_length=300, blank=True)

    class Meta:
        ordering = ["-allocated_at"]
        verbose_name = _("allocation")
        constraints = [
            models.UniqueConstraint(
                fields=["vehicle"],
                condition=Q(is_active=True),
                name="allocation_one_active_per_vehicle",
                violation_error_message=_("This vehicle is already allocated."),
            ),
            models.CheckConstraint(
                condition=Q(is_active=True, ended_at__isnull=True)
                | Q(is_active=False, ended_at__isnull=False),
                name="allocation_ended_when_inactive",
            ),
        ]
        indexes = [
            models.Index(
                fields=["dealer"], condition=Q(is_active=True), name="allocation_active_dealer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle_id} → {self.dealer_id}"


class StockVehicle(TenantModel):
    """The dealer's side of an allocation: what the dealer sees and does with the vehicle."""

    class State(models.TextChoices):
        ALLOCATED = "allocated", _("Allocated")
        IN_TRANSIT = "in_transit", _("In transit")
        AT_DEALER = "at_dealer", _("In stock")
        RESERVED = "reserved", _("Reserved")
        SOLD = "sold", _("Sold")
        DELIVERED = "delivered", _("Delivered")
        DEMO = "demo", _("Demo fleet")
        COURTESY = "courtesy", _("Courtesy car")
        WITHDRAWN = "withdrawn", _("Withdrawn by HQ")

    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.PROTECT, related_name="+", verbose_name=_("vehicle")
    )
    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, related_name="+", verbose_name=_("allocation")
    )
    vin = models.CharField(_("VIN"), max_length=17)
    state = models.CharField(_("state"), max_length=12, choices=State.choices)
    eta = models.DateField(_("ETA"), null=True, blank=True)
    arrived_on = models.DateField(_("arrived"), null=True, blank=True)
    delivered_on = models.DateField(_("delivered"), null=True, blank=True)
    # The order that reserved it, as the dealer numbers it (O12): the link itself is
    # sales.Order.stock_vehicle.
    reserved_for = models.CharField(_("reserved for"), max_length=20, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    allocated_at = models.DateTimeField(_("allocated"))
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta(TenantModel.Meta):
        ordering = ["eta", "vin"]
        verbose_name = _("stock vehicle")
        verbose_name_plural = _("stock vehicles")
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["dealer", "allocation"], name="stock_vehicle_one_per_allocation"
            ),
            models.UniqueConstraint(
                fields=["dealer", "vin"],
                condition=~Q(state="withdrawn"),
                name="stock_vehicle_vin_once",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["allocated", "in_transit", "withdrawn", "reserved"])
                | Q(arrived_on__isnull=False),
                name="stock_vehicle_arrived_when_in_stock",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["reserved", "sold"]) | ~Q(reserved_for=""),
                name="stock_vehicle_reserved_names_order",
            ),
        ]
        indexes = [models.Index(fields=["dealer", "state"], name="stock_vehicle_state")]

    def __str__(self) -> str:
        return self.vin


class VehicleRequest(TenantModel):
    """A configuration the dealer asks HQ for (for a customer order or for stock); HQ logistics
    answers it by allocating a vehicle or declining with a note."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ALLOCATED = "allocated", _("Vehicle allocated")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    vehicle_model = models.ForeignKey(
        "inventory.VehicleModel",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("model"),
    )
    trim = models.ForeignKey(
        "inventory.Trim", on_delete=models.PROTECT, related_name="+", verbose_name=_("trim")
    )
    colour = models.ForeignKey(
        "inventory.Colour",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("colour"),
    )
    options = models.CharField(_("options"), max_length=300, blank=True)
    wanted_by = models.DateField(_("wanted by"), null=True, blank=True)
    # The customer order it is for, as the dealer numbers it (O12): never the customer.
    order_ref = models.CharField(_("for order"), max_length=20, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    answer = models.CharField(_("HQ's answer"), max_length=300, blank=True)
    vehicle = models.ForeignKey(
        Vehicle,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("allocated vehicle"),
    )
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-requested_at"]
        verbose_name = _("vehicle request")
        constraints = [*TenantModel.Meta.constraints]
        indexes = [models.Index(fields=["dealer", "status"], name="vehicle_request_status")]

    def __str__(self) -> str:
        return f"{self.trim_id} ({self.get_status_display()})"


class VehicleWarranty(models.Model):
    """The vehicle's service and warranty record, opened by its delivery: a network projection
    every dealer's workshop may read by exact VIN (the workshop issue). Only what every dealer
    may see: no customer, price or note."""

    vin = models.CharField(_("VIN"), max_length=17, unique=True)
    vehicle = models.OneToOneField(
        Vehicle, on_delete=models.PROTECT, related_name="warranty", verbose_name=_("vehicle")
    )
    vehicle_model = models.ForeignKey(
        "inventory.VehicleModel",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("model"),
    )
    delivering_dealer = models.ForeignKey(
        "dealers.Dealer",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("delivering dealer"),
    )
    warranty_start = models.DateField(_("warranty start"))
    delivered_at = models.DateTimeField(_("delivered"))

    class Meta:
        ordering = ["vin"]
        verbose_name = _("vehicle warranty record")

    def __str__(self) -> str:
        return f"{self.vin} {self.warranty_start}"
