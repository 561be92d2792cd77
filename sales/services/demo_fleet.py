"""The dealer's demo fleet: vehicles a customer can test-drive."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dealers.models import Dealer
from dealers.roles import Cap
from dms.vin import validate_vin
from inventory.models import Trim, VehicleModel

from ..models import (
    DemoVehicle,
    TestDrive,
)
from .common import _require_staff

# --- demo vehicles -------------------------------------------------------------------------------


def create_demo_vehicle(
    *,
    dealer: Dealer,
    actor: Any,
    vehicle_model: VehicleModel,
    vin: str,
    trim: Trim | None = None,
    plate: str = "",
    odometer_km: int = 0,
) -> DemoVehicle:
    _require_staff(actor, dealer.pk, Cap.SALES_ALL)
    try:
        vin = validate_vin(vin)
    except ValidationError as exc:
        raise ValidationError({"vin": exc.messages}) from exc
    if trim is not None and trim.vehicle_model_id != vehicle_model.pk:
        raise ValidationError({"trim": _("This trim belongs to another model.")})
    if odometer_km is None or odometer_km < 0:
        raise ValidationError({"odometer_km": _("The odometer cannot be negative.")})
    if DemoVehicle.objects.filter(dealer=dealer, vin=vin).exists():
        raise ValidationError({"vin": _("This VIN is already one of your demo vehicles.")})
    try:
        with transaction.atomic():
            return DemoVehicle.objects.create(
                dealer=dealer,
                vehicle_model=vehicle_model,
                trim=trim,
                vin=vin,
                plate=plate.strip().upper(),
                odometer_km=odometer_km,
            )
    except IntegrityError as exc:
        raise ValidationError({"vin": _("This VIN is already one of your demo vehicles.")}) from exc


def set_demo_vehicle_active(*, vehicle: DemoVehicle, actor: Any, active: bool) -> DemoVehicle:
    """Take a demo vehicle out of (or back into) the fleet. Not while bookings are ahead of it."""
    _require_staff(actor, vehicle.dealer_id, Cap.SALES_ALL)
    if not active:
        ahead = TestDrive.objects.filter(
            vehicle=vehicle,
            status__in=[TestDrive.Status.BOOKED, TestDrive.Status.OUT],
            ends_at__gte=timezone.now(),
        ).count()
        if ahead:
            raise ValidationError(
                ngettext(
                    "%(vehicle)s still has %(count)d test drive booked or on the road: cancel or "
                    "finish it first.",
                    "%(vehicle)s still has %(count)d test drives booked or on the road: cancel or "
                    "finish them first.",
                    ahead,
                )
                % {"vehicle": vehicle_label(vehicle), "count": ahead}
            )
    vehicle.is_active = active
    vehicle.save(update_fields=["is_active"])
    return vehicle


def vehicle_label(vehicle: DemoVehicle) -> str:
    model = (
        VehicleModel.objects.filter(pk=vehicle.vehicle_model_id)
        .values_list("name", flat=True)
        .first()
    )
    return f"{model or ''} {vehicle.plate or vehicle.vin}".strip()
