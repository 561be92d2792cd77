"""Strict import of new vehicles (issue 15, item 10): one vehicle per row, every cell text.

Columns: vin, trim, price (required); colour, options (codes separated by ";"), build_date,
currency (optional). Each VIN is checked by dms.vin; trims, colours and options must be in the
catalogue; a VIN already loaded with the same data is unchanged, with other data an error (HQ
corrects a loaded vehicle on its page, never by a second file). All or nothing: one bad row and
nothing is written; the dry run lists what would be added.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dms.audit.models import AuditAction
from dms.audit.services import record
from dms.imports.engine import (
    Changes,
    Column,
    Errors,
    Importer,
    Progress,
    Table,
    parse_date,
    parse_decimal,
    register,
)
from dms.vin import validate_vin

from ..models import Colour, Option, Trim
from .models import Vehicle
from .services import MAX_PRICE, require_loader


@dataclass
class VehicleRow:
    row: int
    vin: str
    trim_id: int
    model_id: int
    colour_id: int | None
    option_ids: list[int]
    build_date: dt.date | None
    price: Decimal
    currency: str


@dataclass
class CheckedVehicles:
    rows: list[VehicleRow] = field(default_factory=list)
    new: list[VehicleRow] = field(default_factory=list)
    labels: dict[int, str] = field(default_factory=dict)  # trim id → label


@register
class VehicleImporter(Importer):
    kind = "vehicles"
    label = gettext_lazy("New vehicles (VIN)")
    description = gettext_lazy(
        "New vehicles by VIN, one per row. Vehicles already loaded stay as they are; the file "
        "adds the new ones (planned, or built when a build date is given)."
    )
    columns = (
        Column("vin", cell="code", max_length=30, help=gettext_lazy("17 characters, as text")),
        Column("trim", cell="code", max_length=30, help=gettext_lazy("trim code")),
        Column("price", cell="decimal", help=gettext_lazy("e.g. 21490.00")),
        Column("colour", required=False, cell="code", max_length=30),
        Column(
            "options",
            required=False,
            cell="code",
            max_length=300,
            help=gettext_lazy("option codes separated by ;"),
        ),
        Column("build_date", required=False, cell="date", help="YYYY-MM-DD"),
        Column("currency", required=False, cell="code", max_length=10, help="EUR"),
    )

    def check_actor(self, actor: Any) -> None:
        require_loader(actor)

    def check(self, table: Table, errors: Errors, progress: Progress) -> CheckedVehicles:
        trims = {
            code.upper(): (pk, model_id, active)
            for pk, code, model_id, active in Trim.objects.values_list(
                "pk", "code", "vehicle_model_id", "is_active"
            )
        }
        colours = {c.upper(): pk for pk, c in Colour.objects.values_list("pk", "code")}
        options = {c.upper(): pk for pk, c in Option.objects.values_list("pk", "code")}
        today = timezone.localdate()
        checked = CheckedVehicles()
        seen: dict[str, int] = {}
        total = len(table.rows)
        for index, row in enumerate(table.rows):
            if index % 5000 == 0:
                progress(index, total, _("Checking rows"))
            v = row.values
            ok = True
            try:
                vin = validate_vin(v["vin"])
            except ValidationError as exc:
                errors.add(row.number, "vin", exc.messages[0], v["vin"])
                vin, ok = "", False
            if vin and vin in seen:
                errors.add(
                    row.number,
                    "vin",
                    _("VIN already on row %(row)s.") % {"row": seen[vin]},
                    vin,
                )
                ok = False
            elif vin:
                seen[vin] = row.number
            trim = trims.get(v["trim"].upper())
            if trim is None or not trim[2]:
                errors.add(row.number, "trim", _("Unknown or inactive trim."), v["trim"])
                ok = False
            colour_id = None
            if v.get("colour"):
                colour_id = colours.get(v["colour"].upper())
                if colour_id is None:
                    errors.add(row.number, "colour", _("Unknown colour."), v["colour"])
                    ok = False
            option_ids: list[int] = []
            for code in filter(None, (c.strip() for c in v.get("options", "").split(";"))):
                pk = options.get(code.upper())
                if pk is None:
                    errors.add(
                        row.number, "options", _("Unknown option %(code)s.") % {"code": code}, code
                    )
                    ok = False
                elif pk not in option_ids:
                    option_ids.append(pk)
            build_date = None
            if v.get("build_date"):
                try:
                    build_date = parse_date(v["build_date"])
                except ValueError as exc:
                    errors.add(row.number, "build_date", str(exc), v["build_date"])
                    ok = False
                else:
                    if build_date > today:
                        errors.add(
                            row.number,
                            "build_date",
                            _("The build date cannot be in the future."),
                            v["build_date"],
                        )
                        ok = False
            price = Decimal(0)
            try:
                if not v["price"]:
                    raise ValueError(_("Enter the price."))
                price = parse_decimal(v["price"], places=2, maximum=MAX_PRICE)
            except ValueError as exc:
                errors.add(row.number, "price", str(exc), v["price"])
                ok = False
            currency = (v.get("currency") or "EUR").upper()
            if len(currency) != 3 or not currency.isalpha():
                errors.add(
                    row.number, "currency", _("A currency is three letters (EUR)."), currency
                )
                ok = False
            if ok and trim is not None:
                checked.rows.append(
                    VehicleRow(
                        row.number,
                        vin,
                        trim[0],
                        trim[1],
                        colour_id,
                        option_ids,
                        build_date,
                        price,
                        currency,
                    )
                )
        progress(total, total, _("Comparing with the vehicles loaded"))
        if not errors:
            self._compare(checked, errors)
        checked.labels = {pk: str(t) for pk, t in Trim.objects.in_bulk().items()}
        return checked

    def _compare(self, checked: CheckedVehicles, errors: Errors) -> None:
        vins = [r.vin for r in checked.rows]
        existing = {
            v.vin: v for v in Vehicle.objects.filter(vin__in=vins).prefetch_related("options")
        }
        for row in checked.rows:
            old = existing.get(row.vin)
            if old is None:
                checked.new.append(row)
                continue
            same = (
                old.trim_id == row.trim_id
                and old.colour_id == row.colour_id
                and old.build_date == row.build_date
                and old.price == row.price
                and old.currency == row.currency
                and sorted(o.pk for o in old.options.all()) == sorted(row.option_ids)
            )
            if not same:
                errors.add(
                    row.row,
                    "vin",
                    _("This VIN is loaded already with other data: correct it on its page."),
                    row.vin,
                )

    def changes(self, checked: CheckedVehicles) -> Changes:
        changes = Changes()
        for row in checked.new:
            summary = f"{checked.labels.get(row.trim_id, '')} {row.currency} {row.price}"
            changes.add_new(row.vin, summary.strip())
        changes.unchanged = len(checked.rows) - len(checked.new)
        return changes

    def apply(self, checked: CheckedVehicles, *, actor: Any, job_id: int) -> dict[str, Any]:
        require_loader(actor)
        vehicles = Vehicle.objects.bulk_create(
            Vehicle(
                vin=r.vin,
                vehicle_model_id=r.model_id,
                trim_id=r.trim_id,
                colour_id=r.colour_id,
                build_date=r.build_date,
                price=r.price,
                currency=r.currency,
                state=Vehicle.State.BUILT if r.build_date else Vehicle.State.PLANNED,
            )
            for r in checked.new
        )
        through = Vehicle.options.through
        through.objects.bulk_create(
            through(vehicle_id=v.pk, option_id=option_id)
            for v, r in zip(vehicles, checked.new, strict=True)
            for option_id in r.option_ids
        )
        record(
            action=AuditAction.VEHICLE_STOCK,
            actor=actor,
            object_type="inventory.Vehicle",
            count=len(vehicles),
            detail={"change": "imported", "import_job": job_id},
        )
        return {"written": len(vehicles)}
