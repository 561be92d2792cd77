"""Writes to the HQ catalogue (parts, supersessions, labour operations): HQ admins only.

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

from .models import LabourOperation, LabourOperationModel, Part, PartSupersession, VehicleModel

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
    code = code.strip().upper()
    if not code:
        raise ValidationError({"code": _("Enter an operation code.")})
    if standard_hours is None or standard_hours <= 0:
        raise ValidationError({"standard_hours": _("The standard time must be more than zero.")})
    wanted = set(vehicle_model_ids or [])
    if wanted and VehicleModel.objects.filter(pk__in=wanted).count() != len(wanted):
        raise ValidationError({"vehicle_models": _("Unknown vehicle model.")})
    with catalogue_change(actor=actor, change="labour_operation", request=request, code=code):
        operation, _created = LabourOperation.objects.update_or_create(
            code=code,
            defaults={
                "description": description.strip(),
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
