"""The catalogue's history as people read it: who changed what, when, field by field (old → new).

Read from the django-pghistory event tables of the catalogue (one per tracked table) and the
context each HQ change runs in (inventory.services.catalogue_change puts the author's id and the
kind of change there). A change made outside a service (a data migration, SQL by hand) has no
context: its author reads "system".

Query counts do not grow with the rows shown: per event table one query for the events and one
for the earlier events of the same rows (to diff against), one per related table for the names
of foreign keys, one for the authors.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dms.ui.dates import human_date

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

# Every tracked catalogue table, in the order the "recent changes" filter offers them.
TRACKED: tuple[type[models.Model], ...] = (
    Part,
    PartSupersession,
    PartGroup,
    LabourOperation,
    LabourOperationModel,
    LabourGrade,
    VehicleModel,
    Trim,
    Colour,
    Option,
)
# Bookkeeping columns a person does not change.
_SKIP = {"id", "created_at", "updated_at"}
ACTIONS = {
    "insert": gettext_lazy("created"),
    "update": gettext_lazy("changed"),
    "delete": gettext_lazy("removed"),
}
MAX_ROWS = 1000  # an object's history page shows at most this many events (newest first)


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class HistoryRow:
    when: dt.datetime
    author: str
    action: str
    label: str  # the event's label: insert / update / delete
    kind: str  # what kind of row ("part", "supersession")
    what: str  # which row ("0012345")
    change: str  # the HQ change it belongs to (service name), "" outside services
    changes: list[FieldChange] = field(default_factory=list)
    url: str = ""
    order: tuple[Any, ...] = ()


def _fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if f.name not in _SKIP]


class _Names:
    """Foreign keys as names (one query per related table), users as names (one query)."""

    def __init__(self) -> None:
        self.wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
        self.users: set[int] = set()
        self.found: dict[type[models.Model], dict[Any, models.Model]] = {}
        self.user_names: dict[int, str] = {}

    def want(self, event: Any, model: type[models.Model]) -> None:
        for f in _fields(model):
            if f.is_relation and f.related_model is not None:
                value = getattr(event, f.attname)
                if value is not None:
                    self.wanted[f.related_model].add(value)  # type: ignore[index]
        context = getattr(event, "pgh_context", None)
        user = (context.metadata or {}).get("user") if context is not None else None
        if isinstance(user, int):
            self.users.add(user)

    def load(self) -> None:
        for model, ids in self.wanted.items():
            query = model._default_manager.all()
            if model is Trim:
                query = query.select_related("vehicle_model")
            self.found[model] = query.in_bulk(ids)
        if self.users:
            for user in get_user_model().objects.filter(pk__in=self.users):
                self.user_names[user.pk] = user.get_full_name() or user.get_username()

    def of(self, model: type[models.Model], pk: Any) -> str:
        row = self.found.get(model, {}).get(pk)
        if row is None:
            return f"#{pk}"
        number = getattr(row, "number", None) or getattr(row, "code", None)
        return str(number) if number else str(row)

    def author(self, event: Any) -> str:
        context = getattr(event, "pgh_context", None)
        user = (context.metadata or {}).get("user") if context is not None else None
        if user is None:
            return _("system")
        return self.user_names.get(user, f"#{user}")


def _show(f: models.Field[Any, Any], value: Any, names: _Names) -> str:
    if value is None or value == "":
        return "—"
    if f.is_relation and f.related_model is not None:
        return names.of(f.related_model, value)  # type: ignore[arg-type]
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return human_date(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return str(value)


def _what(model: type[models.Model], event: Any, names: _Names) -> str:
    if model is PartSupersession:
        return _("%(part)s replaced by %(by)s") % {
            "part": names.of(Part, event.part_id),
            "by": names.of(Part, event.replaced_by_id),
        }
    if model is LabourOperationModel:
        return f"{names.of(LabourOperation, event.operation_id)} / " + names.of(
            VehicleModel, event.vehicle_model_id
        )
    return str(getattr(event, "number", None) or getattr(event, "code", ""))


def _url(model: type[models.Model], event: Any) -> str:
    name, pk = {
        Part: ("inventory:catalogue-part-history", "pgh_obj_id"),
        PartSupersession: ("inventory:catalogue-part-history", "part_id"),
        LabourOperation: ("inventory:catalogue-labour-history", "pgh_obj_id"),
        LabourOperationModel: ("inventory:catalogue-labour-history", "operation_id"),
        VehicleModel: ("inventory:catalogue-vehicle-history", "pgh_obj_id"),
        Trim: ("inventory:catalogue-vehicle-history", "vehicle_model_id"),
        PartGroup: ("inventory:catalogue-part-group-history", "pgh_obj_id"),
        LabourGrade: ("inventory:catalogue-labour-grade-history", "pgh_obj_id"),
        Colour: ("inventory:catalogue-colour-history", "pgh_obj_id"),
        Option: ("inventory:catalogue-option-history", "pgh_obj_id"),
    }[model]
    return reverse(name, args=[getattr(event, pk)])


def _previous(model: type[models.Model], events: list[Any]) -> dict[int, Any]:
    """Each event's previous event of the same row (pgh_id → event), in one query."""
    if not events:
        return {}
    event_model = model.pgh_event_model  # type: ignore[attr-defined]
    obj_ids = {e.pgh_obj_id for e in events}
    last = max(e.pgh_id for e in events)
    earlier = defaultdict(list)
    for row in event_model.objects.filter(pgh_obj_id__in=obj_ids, pgh_id__lt=last).order_by(
        "pgh_id"
    ):
        earlier[row.pgh_obj_id].append(row)
    previous = {}
    for event in events:
        before = [r for r in earlier[event.pgh_obj_id] if r.pgh_id < event.pgh_id]
        if before:
            previous[event.pgh_id] = before[-1]
    return previous


def _rows(batches: Iterable[tuple[type[models.Model], list[Any]]]) -> list[HistoryRow]:
    batches = [(model, events) for model, events in batches if events]
    names = _Names()
    previous: dict[type[models.Model], dict[int, Any]] = {}
    for model, events in batches:
        previous[model] = _previous(model, events)
        for event in [*events, *previous[model].values()]:
            names.want(event, model)
    names.load()
    rows = []
    for model, events in batches:
        for event in events:
            before = previous[model].get(event.pgh_id)
            changes = []
            for f in _fields(model):
                new = getattr(event, f.attname)
                old = getattr(before, f.attname) if before is not None else None
                if event.pgh_label == "delete":
                    old, new = new, None
                if before is None and event.pgh_label != "delete" and new in (None, ""):
                    continue
                if event.pgh_label == "delete" and old in (None, ""):
                    continue
                if before is not None and event.pgh_label != "delete" and old == new:
                    continue
                changes.append(
                    FieldChange(
                        label=str(f.verbose_name),
                        old="" if old is None and before is None else _show(f, old, names),
                        new=_show(f, new, names) if new is not None else "—",
                    )
                )
            context = event.pgh_context
            rows.append(
                HistoryRow(
                    when=event.pgh_created_at,
                    author=names.author(event),
                    action=str(ACTIONS.get(event.pgh_label, event.pgh_label)),
                    label=event.pgh_label,
                    kind=str(model._meta.verbose_name),
                    what=_what(model, event, names),
                    change=str((context.metadata or {}).get("change", "")) if context else "",
                    changes=changes,
                    url=_url(model, event),
                    order=(event.pgh_created_at, event.pgh_id),
                )
            )
    rows.sort(key=lambda r: r.order, reverse=True)
    return rows


def _events(model: type[models.Model], condition: Q) -> list[Any]:
    event_model = model.pgh_event_model  # type: ignore[attr-defined]
    return list(
        event_model.objects.filter(condition)
        .select_related("pgh_context")
        .order_by("-pgh_id")[:MAX_ROWS]
    )


def object_history(obj: models.Model) -> list[HistoryRow]:
    """Every change of one catalogue row, newest first, with the rows that belong to it: a
    part's replacement, an operation's models, a model's trims."""
    model = type(obj)
    batches = [(model, _events(model, Q(pgh_obj_id=obj.pk)))]
    if model is Part:
        batches.append((PartSupersession, _events(PartSupersession, Q(part_id=obj.pk))))
    elif model is LabourOperation:
        batches.append(
            (LabourOperationModel, _events(LabourOperationModel, Q(operation_id=obj.pk)))
        )
    elif model is VehicleModel:
        batches.append((Trim, _events(Trim, Q(vehicle_model_id=obj.pk))))
    return _rows(batches)[:MAX_ROWS]


def recent_changes(
    *, models_: Iterable[type[models.Model]] = TRACKED, count: int = 50, skip: int = 0
) -> list[HistoryRow]:
    """The newest `count` changes across the catalogue's tables after skipping `skip`: each
    table gives its newest skip + count events, the merge keeps the newest of them."""
    wanted = skip + count
    heads: list[tuple[Any, int, type[models.Model], Any]] = []
    for model in models_:
        event_model = model.pgh_event_model  # type: ignore[attr-defined]
        heads.extend(
            (event.pgh_created_at, event.pgh_id, model, event)
            for event in event_model.objects.select_related("pgh_context").order_by("-pgh_id")[
                :wanted
            ]
        )
    heads.sort(key=lambda h: (h[0], h[1]), reverse=True)
    chosen = heads[skip:wanted]
    by_model: dict[type[models.Model], list[Any]] = defaultdict(list)
    for *_rest, model, event in chosen:
        by_model[model].append(event)
    return _rows(by_model.items())
