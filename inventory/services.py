"""Writes to the HQ catalogue (vehicles, parts, supersessions, labour): HQ admins only.

Every write runs inside `catalogue_change`, which checks the actor, groups the rows it changes
under one django-pghistory context (who, what) so each table's event history says who changed
what and when, and writes one audit entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from dealers.roles import HQ_ROLE_CAPS, Cap
from dms.audit.models import AuditAction
from dms.audit.services import record

from .models import (
    Colour,
    LabourGrade,
    LabourOperation,
    LabourOperationModel,
    Option,
    Part,
    PartGroup,
    PartSupersession,
    Trim,
    VehicleModel,
)

# Longest supersession chain followed (A→B→…); far above any real catalogue, it bounds the
# recursive query should a loop ever reach the table despite the checks.
MAX_CHAIN = 50
# One lock for every change to the supersession graph: two HQ users adding A→B and B→A at once
# must not both pass the loop check (transaction-scoped advisory lock).
_SUPERSESSION_LOCK = 7_214_001


def check_catalogue_admin(actor: Any) -> None:
    if Cap.NETWORK_ADMIN not in HQ_ROLE_CAPS.get(getattr(actor, "hq_role", ""), frozenset()):
        raise PermissionDenied(_("Only HQ administrators change the catalogue."))


@contextmanager
def catalogue_change(
    *, actor: Any, change: str, request: HttpRequest | None = None, **detail: Any
) -> Iterator[None]:
    """One HQ change to the catalogue: checked, atomic, in the history with its author, audited."""
    check_catalogue_admin(actor)
    with transaction.atomic(), pghistory.context(user=actor.pk, change=change):
        yield
        record(
            action=AuditAction.REFERENCE_CHANGE,
            actor=actor,
            object_type="inventory.catalogue",
            object_id=change,
            request=request,
            detail={"change": change, **detail},
        )


# --- supersession --------------------------------------------------------------------------


def find_loop(successor: Mapping[str, str], *, first: str = "") -> list[str] | None:
    """A loop in a part → successor map, as the list of parts around it (first part repeated at
    the end; searched from `first` first), or None. Used by `supersede` and by the strict
    catalogue import, which checks the whole graph it would leave behind before writing."""
    done: set[str] = set()
    for start in [first, *successor] if first else successor:
        path: list[str] = []
        on_path: set[str] = set()
        node: str | None = start
        while node is not None and node not in done:
            if node in on_path:
                return [*path[path.index(node) :], node]
            path.append(node)
            on_path.add(node)
            node = successor.get(node)
        done.update(path)
    return None


def supersede(
    *,
    part: Part,
    replaced_by: Part,
    valid_from: dt.date,
    actor: Any,
    note: str = "",
    request: HttpRequest | None = None,
) -> PartSupersession:
    """Record that `part` is replaced by `replaced_by` from `valid_from` (replacing any earlier
    successor of `part`). Refused: a part replacing itself, or a change that would close a loop."""
    if part.pk == replaced_by.pk:
        raise ValidationError({"replaced_by": _("A part cannot replace itself.")})
    with catalogue_change(
        actor=actor,
        change="supersede",
        request=request,
        part=part.number,
        replaced_by=replaced_by.number,
        valid_from=valid_from.isoformat(),
    ):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SUPERSESSION_LOCK])
        successor = dict(
            PartSupersession.objects.exclude(part=part).values_list(
                "part__number", "replaced_by__number"
            )
        )
        successor[part.number] = replaced_by.number
        loop = find_loop(successor, first=part.number)
        if loop:
            raise ValidationError(
                {
                    "replaced_by": _("This would make a loop of replacements: %(loop)s.")
                    % {"loop": " → ".join(loop)}
                }
            )
        row, _created = PartSupersession.objects.update_or_create(
            part=part,
            defaults={"replaced_by": replaced_by, "valid_from": valid_from, "note": note},
        )
    return row


# --- labour operations ---------------------------------------------------------------------


def save_labour_operation(
    *,
    actor: Any,
    code: str,
    description: str,
    grade_id: int,
    standard_hours: Decimal,
    vehicle_model_ids: list[int] | None = None,
    is_active: bool = True,
    request: HttpRequest | None = None,
) -> LabourOperation:
    """Create or change the operation `code`; `vehicle_model_ids` empty: applies to every model."""
    check_catalogue_admin(actor)
    code = code.strip().upper()
    if not code:
        raise ValidationError({"code": _("Enter an operation code.")})
    if len(code) > 20:
        raise ValidationError({"code": _("At most %(count)d characters.") % {"count": 20}})
    description = _name(
        description, "description", max_length=200, message=_("Enter a description.")
    )
    if not LabourGrade.objects.filter(pk=grade_id).exists():
        raise ValidationError({"grade": _("Choose a labour grade.")})
    if standard_hours is None or not standard_hours.is_finite() or standard_hours <= 0:
        raise ValidationError({"standard_hours": _("The standard time must be more than zero.")})
    if standard_hours != standard_hours.quantize(Decimal("0.01")) or standard_hours >= 10000:
        raise ValidationError(
            {"standard_hours": _("At most 2 decimal places and less than 10,000 hours.")}
        )
    wanted = set(vehicle_model_ids or [])
    if wanted and VehicleModel.objects.filter(pk__in=wanted).count() != len(wanted):
        raise ValidationError({"vehicle_models": _("Unknown vehicle model.")})
    with catalogue_change(actor=actor, change="labour_operation", request=request, code=code):
        operation, _created = LabourOperation.objects.update_or_create(
            code=code,
            defaults={
                "description": description,
                "grade_id": grade_id,
                "standard_hours": standard_hours,
                "is_active": is_active,
            },
        )
        current = set(
            LabourOperationModel.objects.filter(operation=operation).values_list(
                "vehicle_model_id", flat=True
            )
        )
        LabourOperationModel.objects.filter(
            operation=operation, vehicle_model_id__in=current - wanted
        ).delete()
        LabourOperationModel.objects.bulk_create(
            LabourOperationModel(operation=operation, vehicle_model_id=pk)
            for pk in sorted(wanted - current)
        )
    return operation


def remove_supersession(
    *, part: Part, actor: Any, request: HttpRequest | None = None
) -> PartSupersession:
    """`part` is no longer replaced (its successor row is deleted; the history keeps it)."""
    check_catalogue_admin(actor)
    row = PartSupersession.objects.filter(part=part).select_related("replaced_by").first()
    if row is None:
        raise ValidationError(_("This part is not replaced by another."))
    with catalogue_change(
        actor=actor,
        change="remove_supersession",
        request=request,
        part=part.number,
        replaced_by=row.replaced_by.number,
    ):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SUPERSESSION_LOCK])
        PartSupersession.objects.filter(pk=row.pk).delete()
    return row


# --- small shared checks -----------------------------------------------------------------------


def _code(value: str, field: str, *, max_length: int, upper: bool = True) -> str:
    code = (value or "").strip()
    if upper:
        code = code.upper()
    if not code:
        raise ValidationError({field: _("Enter a code.")})
    if len(code) > max_length:
        raise ValidationError({field: _("At most %(count)d characters.") % {"count": max_length}})
    if any(ch.isspace() for ch in code):
        raise ValidationError({field: _("A code has no spaces.")})
    return code


def _name(value: str, field: str, *, max_length: int, message: str | None = None) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise ValidationError({field: message or _("Enter a name.")})
    if len(name) > max_length:
        raise ValidationError({field: _("At most %(count)d characters.") % {"count": max_length}})
    return name


def _unique(model: Any, field: str, value: str, instance: Any, message: str) -> None:
    others = model.objects.filter(**{field: value})
    if instance is not None and instance.pk is not None:
        others = others.exclude(pk=instance.pk)
    if others.exists():
        raise ValidationError({field: message})


def _save(
    model: Any, instance: Any, values: dict[str, Any], *, actor: Any, change: str, **detail: Any
) -> Any:
    """Create (`instance` None) or change a catalogue row inside one catalogue change. A change
    that changes nothing writes nothing (no empty event in the history)."""
    request = detail.pop("request", None)
    if instance is None:
        with catalogue_change(actor=actor, change=change, request=request, **detail):
            return model.objects.create(**values)
    current = model.objects.get(pk=instance.pk)
    if all(getattr(current, key) == value for key, value in values.items()):
        return current
    with catalogue_change(actor=actor, change=change, request=request, **detail):
        for key, value in values.items():
            setattr(current, key, value)
        current.save(update_fields=list(values))
    return current


# --- parts and part groups ---------------------------------------------------------------------


def _weight(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if not isinstance(value, Decimal):
        try:
            value = Decimal(str(value))
        except ArithmeticError as exc:
            raise ValidationError({"weight_kg": _("Enter a weight in kilograms.")}) from exc
    if not value.is_finite():
        raise ValidationError({"weight_kg": _("Enter a weight in kilograms.")})
    if value < 0:
        raise ValidationError({"weight_kg": _("The weight cannot be negative.")})
    if value != value.quantize(Decimal("0.001")) or value >= Decimal("10000000"):
        raise ValidationError(
            {"weight_kg": _("At most 3 decimal places and less than 10,000,000 kg.")}
        )
    return value


def _part_values(
    *, description: str, group: PartGroup | None, unit: str, weight_kg: Decimal | None
) -> dict[str, Any]:
    if group is None:
        raise ValidationError({"group": _("Choose a part group.")})
    if unit not in Part.Unit.values:
        raise ValidationError({"unit": _("Choose a unit.")})
    return {
        "description": _name(
            description, "description", max_length=200, message=_("Enter a description.")
        ),
        "group": group,
        "unit": unit,
        "weight_kg": _weight(weight_kg),
    }


def create_part(
    *,
    actor: Any,
    number: str,
    description: str,
    group: PartGroup | None,
    unit: str = Part.Unit.PIECE,
    weight_kg: Decimal | None = None,
    request: HttpRequest | None = None,
) -> Part:
    """A new part. The number is kept as typed (spaces around it removed; never upper-cased,
    padded or reformatted: leading zeros and letters are significant)."""
    check_catalogue_admin(actor)
    number = (number or "").strip()
    if not number:
        raise ValidationError({"number": _("Enter a part number.")})
    if len(number) > 40 or any(ch.isspace() for ch in number):
        raise ValidationError({"number": _("A part number has at most 40 characters, no spaces.")})
    _unique(Part, "number", number, None, _("A part with this number exists already."))
    values = {"number": number, **_part_values(
        description=description, group=group, unit=unit, weight_kg=weight_kg
    )}  # fmt: skip
    return _save(Part, None, values, actor=actor, change="part", request=request, number=number)


def change_part(
    *,
    actor: Any,
    part: Part,
    description: str,
    group: PartGroup | None,
    unit: str,
    weight_kg: Decimal | None,
    is_active: bool = True,
    request: HttpRequest | None = None,
) -> Part:
    """Change a part's description, group, unit, weight or whether it is sold. Its number does
    not change (price lists, orders and stock name parts by number). A part is never deleted:
    deactivate it (`is_active=False`) or supersede it."""
    check_catalogue_admin(actor)
    values = {
        **_part_values(description=description, group=group, unit=unit, weight_kg=weight_kg),
        "is_active": bool(is_active),
    }
    return _save(
        Part, part, values, actor=actor, change="part", request=request, number=part.number
    )


def save_part_group(
    *,
    actor: Any,
    code: str,
    name: str,
    group: PartGroup | None = None,
    request: HttpRequest | None = None,
) -> PartGroup:
    """Create (`group` None) or change a part group."""
    check_catalogue_admin(actor)
    code = _code(code, "code", max_length=10)
    _unique(PartGroup, "code", code, group, _("A part group with this code exists already."))
    values = {"code": code, "name": _name(name, "name", max_length=100)}
    return _save(
        PartGroup, group, values, actor=actor, change="part_group", request=request, code=code
    )


# --- labour grades -----------------------------------------------------------------------------


def save_labour_grade(
    *,
    actor: Any,
    code: str,
    name: str,
    grade: LabourGrade | None = None,
    request: HttpRequest | None = None,
) -> LabourGrade:
    """Create (`grade` None) or change a labour grade."""
    check_catalogue_admin(actor)
    code = _code(code, "code", max_length=10)
    _unique(LabourGrade, "code", code, grade, _("A labour grade with this code exists already."))
    values = {"code": code, "name": _name(name, "name", max_length=100)}
    return _save(
        LabourGrade, grade, values, actor=actor, change="labour_grade", request=request, code=code
    )


# --- vehicle catalogue: models, trims, colours, options and accessories -------------------------


def save_vehicle_model(
    *,
    actor: Any,
    code: str,
    name: str,
    body: str = "",
    is_active: bool = True,
    vehicle_model: VehicleModel | None = None,
    request: HttpRequest | None = None,
) -> VehicleModel:
    """Create (`vehicle_model` None) or change a model; `is_active=False` takes it out of new
    quotes and leads (rows that name it keep it)."""
    check_catalogue_admin(actor)
    code = _code(code, "code", max_length=20)
    _unique(VehicleModel, "code", code, vehicle_model, _("A model with this code exists already."))
    values = {
        "code": code,
        "name": _name(name, "name", max_length=100),
        "body": " ".join((body or "").split())[:50],
        "is_active": bool(is_active),
    }
    return _save(
        VehicleModel,
        vehicle_model,
        values,
        actor=actor,
        change="vehicle_model",
        request=request,
        code=code,
    )


def save_trim(
    *,
    actor: Any,
    vehicle_model: VehicleModel | None,
    code: str,
    name: str,
    is_active: bool = True,
    trim: Trim | None = None,
    request: HttpRequest | None = None,
) -> Trim:
    """Create (`trim` None) or change a trim of a model."""
    check_catalogue_admin(actor)
    if vehicle_model is None:
        raise ValidationError({"vehicle_model": _("Choose a model.")})
    code = _code(code, "code", max_length=30)
    _unique(Trim, "code", code, trim, _("A trim with this code exists already."))
    values = {
        "vehicle_model": vehicle_model,
        "code": code,
        "name": _name(name, "name", max_length=100),
        "is_active": bool(is_active),
    }
    return _save(Trim, trim, values, actor=actor, change="trim", request=request, code=code)


def save_colour(
    *,
    actor: Any,
    code: str,
    name: str,
    is_active: bool = True,
    colour: Colour | None = None,
    request: HttpRequest | None = None,
) -> Colour:
    """Create (`colour` None) or change a colour."""
    check_catalogue_admin(actor)
    code = _code(code, "code", max_length=30)
    _unique(Colour, "code", code, colour, _("A colour with this code exists already."))
    values = {
        "code": code,
        "name": _name(name, "name", max_length=100),
        "is_active": bool(is_active),
    }
    return _save(Colour, colour, values, actor=actor, change="colour", request=request, code=code)


def save_option(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str = Option.Kind.OPTION,
    is_active: bool = True,
    option: Option | None = None,
    request: HttpRequest | None = None,
) -> Option:
    """Create (`option` None) or change a factory option or a dealer-fitted accessory."""
    check_catalogue_admin(actor)
    code = _code(code, "code", max_length=30)
    if kind not in Option.Kind.values:
        raise ValidationError({"kind": _("Choose option or accessory.")})
    _unique(Option, "code", code, option, _("An option with this code exists already."))
    values = {
        "code": code,
        "name": _name(name, "name", max_length=150),
        "kind": kind,
        "is_active": bool(is_active),
    }
    return _save(Option, option, values, actor=actor, change="option", request=request, code=code)
