"""Dirty KPI days, marked by the code that writes the source rows.

Here in dms/ rather than with the rollup in reports/ (where it was until issue 13): the source
models of leads/ and sales/ inherit KpiSource, and leads/ does not import reports/. The marks
go to reports' table (KpiDirtyDay, named in SQL only); reports.apps connects the delete receiver.

The nightly rollup recomputes only yesterday and the (dealer, local day) pairs listed in
KpiDirtyDay. Every write that changes what the facts of a day say must therefore mark that day:
the dealer's local day of each timestamp placing the row on a day, before and after the change.
This was the job of statement-level triggers (reports migrations 0004 and 0011); Citus refuses to
distribute a table that has triggers, so the marking is done here, in Django, and the triggers are
gone (reports migration 0012).

No write path can forget it:

- the source models (SOURCES: lead, stage change, visitor log, follow-up, test drive, quote,
  order) inherit KpiSource: its save() and delete(), and its QuerySet's update(), delete(),
  bulk_create() and bulk_update(), mark the days; deletes reached through a cascade (a lead's
  stage changes and follow-ups) are marked by a post_delete receiver (reports.apps);
- code writing these tables with raw SQL calls mark_rows(), mark_times() or mark_days() in the
  same transaction (leads.demo.insert_rows does; see the list in the reports.rollup docstring).

What is marked (as the triggers did, and a little more where they missed a day):

- an inserted or deleted row: the local day of each of its timestamp columns (`days`);
- a changed row: those days before and after, when a column the facts read (`days` or `watched`)
  has changed; a change of any other column marks nothing (and costs no query);
- dependants (`related`): a lead whose source, model or credit changes moves the facts of every
  day it has a stage change, follow-up, quote, test drive or order on; a stage change into
  "order" credits the lead's orders on their order day; a lead's opening stage change credits its
  first response; a quote's trim is the model of its orders.

Marking a day too many is harmless (the day is recomputed); missing one leaves a wrong KPI. Old
values are read with SELECT ... FOR UPDATE in the writing transaction (exact even while another
transaction changes the same rows), an update() writes exactly the rows it read.

The facts lock: before inserting its marks a write takes the dealer's facts lock shared
(pg_advisory_xact_lock_shared(FACTS_LOCK, dealer_id), held until it commits); a rollup chunk takes
it exclusively before it takes the marks (reports.rollup.services._lock_facts). A run therefore
either waits for a write in flight and sees it, or the write waits for the run and then finds its
day's mark gone and inserts it again: a write whose day was already marked can never be lost
(reports migration 0011 describes the race). The lock statement names no table, so on Citus it
runs on the coordinator, where the rollup takes its own.

Citus: the marks are one multi-row INSERT ... VALUES ... ON CONFLICT DO NOTHING routed by
dealer_id (no INSERT ... SELECT: under row-level security Citus would COPY it); the local days are
computed here from the dealers' time zones (dealers.clock), read from the reference table
dealers_dealer with a plain SELECT.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.apps import apps
from django.db import connections, models, router, transaction
from django.utils import timezone
from django_scopes import ScopedManager

from dealers.clock import zone_named

# The dealer's facts lock (advisory, per transaction): shared by every write to a source table
# (here), exclusive for a rollup chunk (reports.rollup.services).
FACTS_LOCK = 5003
INSERT_CHUNK = 1000  # marks per INSERT statement

Row = dict[str, Any]
Stamp = tuple[int, dt.datetime]  # (dealer id, a moment placing something on that dealer's day)
DealerDay = tuple[int, dt.date]


class Change(NamedTuple):
    """One row written: its tracked columns before (None: inserted) and after (None: deleted)."""

    old: Row | None
    new: Row | None


@dataclass(frozen=True)
class Source:
    """A table the facts are computed from. `days`: the timestamp columns placing a row on a
    day; `watched`: the other columns the facts read of it; `also`: columns only `related`
    reads; `related`: the other rows' moments whose facts a change of these rows moves."""

    days: tuple[str, ...]
    watched: tuple[str, ...]
    also: tuple[str, ...] = ()
    related: Callable[[str, list[Change]], Iterable[Stamp]] | None = None
    columns: tuple[str, ...] = field(init=False)
    relevant: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        own = dict.fromkeys(("id", "dealer_id", *self.days, *self.watched, *self.also))
        object.__setattr__(self, "columns", tuple(own))
        object.__setattr__(self, "relevant", frozenset(own) - {"id"})

    def changed(self, change: Change) -> bool:
        """Inserted, deleted, or a column the facts read of the row itself differs."""
        old, new = change
        if old is None or new is None:
            return True
        return any(old[c] != new[c] for c in ("dealer_id", *self.days, *self.watched))


# --- dependants ----------------------------------------------------------------------------------


def _rows(label: str) -> models.QuerySet[Any]:
    """A plain queryset of a model (no ORM tenant filter: row-level security is the wall, and the
    rows read here only feed marks)."""
    return models.QuerySet(model=apps.get_model(label))


def _moments(
    using: str,
    label: str,
    keys: set[tuple[int, int]],
    key: str,
    columns: Sequence[str],
    **filters: Any,
) -> Iterator[Stamp]:
    """The `columns` moments of the rows of `label` whose (dealer_id, `key`) is in `keys`."""
    if not keys:
        return
    rows = (
        _rows(label)
        .using(using)
        .filter(
            dealer_id__in=sorted({d for d, _ in keys}),
            **{f"{key}__in": sorted({k for _, k in keys})},
            **filters,
        )
        .values_list("dealer_id", key, *columns)
    )
    for dealer_id, value, *moments in rows:
        if (dealer_id, value) in keys:
            yield from ((dealer_id, m) for m in moments if m is not None)


def _lead_related(using: str, changes: list[Change]) -> Iterator[Stamp]:
    """A lead's source, model, credit or consultant is read by the facts of its other rows."""
    by_source, by_model, by_credit, by_consultant = set(), set(), set(), {}
    for old, new in changes:
        if old is None or new is None:
            continue  # a new lead has no rows yet; a deleted lead's rows are deleted (and marked)
        lead = (new["dealer_id"], new["id"])
        if old["source_id"] != new["source_id"]:
            by_source.add(lead)
        elif old["vehicle_model_id"] != new["vehicle_model_id"]:
            by_model.add(lead)
        if old["credited_to_id"] != new["credited_to_id"]:
            by_credit.add(lead)
        answered = [t for t in (old["first_response_at"], new["first_response_at"]) if t]
        if old["consultant_id"] != new["consultant_id"] and answered:
            by_consultant[lead] = answered
    # stage entries and follow-ups: the lead's source and model
    for label, columns in (("leads.StageChange", ["changed_at"]), ("leads.FollowUp", ["due_at"])):
        yield from _moments(using, label, by_source | by_model, "lead_id", columns)
    # quotes, test drives done, orders and deliveries: the lead's source
    yield from _moments(using, "sales.Quote", by_source, "lead_id", ["sent_at"])
    yield from _moments(
        using, "sales.TestDrive", by_source, "lead_id", ["returned_at", "ends_at"], status="done"
    )
    yield from _moments(using, "sales.Order", by_source, "lead_id", ["ordered_at", "delivered_at"])
    # deliveries: the lead's credit
    yield from _moments(using, "sales.Order", by_credit - by_source, "lead_id", ["delivered_at"])
    # a first response is credited to the lead's consultant only without an opening stage change
    if by_consultant:
        opened = set(
            _rows("leads.StageChange")
            .using(using)
            .filter(
                dealer_id__in=sorted({d for d, _ in by_consultant}),
                lead_id__in=sorted({i for _, i in by_consultant}),
                from_stage="",
            )
            .values_list("dealer_id", "lead_id")
        )
        for lead, moments in by_consultant.items():
            if lead not in opened:
                yield from ((lead[0], m) for m in moments)


STAGE_CHANGE_WATCHED = ("from_stage", "to_stage", "consultant_id", "lead_id")


def _stage_change_related(using: str, changes: list[Change]) -> Iterator[Stamp]:
    """A stage change into "order" credits the lead's orders (on their order day); the opening
    one (from '') credits the lead's first response."""
    ordered, opened = set(), set()
    for change in changes:
        if not SOURCES["leads.StageChange"].changed(change):
            continue
        for row in change:
            if row is not None:
                lead = (row["dealer_id"], row["lead_id"])
                if row["to_stage"] == "order":
                    ordered.add(lead)
                if row["from_stage"] == "":
                    opened.add(lead)
    yield from _moments(using, "sales.Order", ordered, "lead_id", ["ordered_at"])
    yield from _moments(using, "leads.Lead", opened, "id", ["first_response_at"])


def _quote_related(using: str, changes: list[Change]) -> Iterator[Stamp]:
    """The quoted trim is the model of the quote's orders and deliveries."""
    retrimmed = {
        (new["dealer_id"], new["id"])
        for old, new in changes
        if old is not None and new is not None and old["trim_id"] != new["trim_id"]
    }
    yield from _moments(using, "sales.Order", retrimmed, "quote_id", ["ordered_at", "delivered_at"])


# Every table the facts (reports.rollup.services) read, with the columns they read of it. Keep
# in step with the SQL there (tests/reports/rollup/test_dirty_days.py checks the column names).
SOURCES: dict[str, Source] = {
    "leads.Lead": Source(
        days=("first_response_at",),
        watched=("created_at", "source_id", "vehicle_model_id"),
        also=("consultant_id", "credited_to_id"),
        related=_lead_related,
    ),
    "leads.StageChange": Source(
        days=("changed_at",), watched=STAGE_CHANGE_WATCHED, related=_stage_change_related
    ),
    "leads.Visit": Source(
        days=("arrived_at",),
        watched=("kind", "served_by_id", "source_id", "vehicle_model_id"),
    ),
    "leads.FollowUp": Source(days=("due_at",), watched=("done_at", "owner_id", "lead_id")),
    "sales.TestDrive": Source(
        days=("returned_at", "ends_at"),
        watched=("status", "consultant_id", "vehicle_id", "lead_id"),
    ),
    "sales.Quote": Source(
        days=("sent_at",), watched=("created_by_id", "trim_id", "lead_id"), related=_quote_related
    ),
    "sales.Order": Source(
        days=("ordered_at", "delivered_at"),
        watched=("status", "consultant_id", "quote_id", "lead_id"),
    ),
}


def source_of(model: type[models.Model]) -> Source:
    return SOURCES[model._meta.label]


def _attname(model: type[models.Model], name: str) -> str:
    """The column attribute of a field given by name or attname ("lead" -> "lead_id")."""
    attname: str = getattr(model._meta.get_field(name), "attname", name)
    return attname


# --- writing the marks ---------------------------------------------------------------------------


def _zones(using: str, dealer_ids: Iterable[int]) -> dict[int, Any]:
    """The dealers' time zones (dealers.clock); None for a dealer this connection cannot see."""
    ids = sorted(set(dealer_ids))
    if not ids:
        return {}
    found = dict(
        apps.get_model("dealers", "Dealer")
        .objects.using(using)
        .filter(pk__in=ids)
        .values_list("pk", "timezone")
    )
    return {d: zone_named(found[d]) if d in found else None for d in ids}


def local_days(using: str, stamps: Iterable[Stamp]) -> set[DealerDay]:
    """The dealers' local days of the moments (a dealer whose zone is unknown here: the UTC day
    and both neighbours, which covers every zone)."""
    stamps = list(stamps)
    zones = _zones(using, (d for d, _ in stamps))
    days: set[DealerDay] = set()
    for dealer_id, moment in stamps:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        zone = zones[dealer_id]
        if zone is not None:
            days.add((dealer_id, moment.astimezone(zone).date()))
        else:
            day = moment.astimezone(dt.UTC).date()
            days.update((dealer_id, day + dt.timedelta(days=n)) for n in (-1, 0, 1))
    return days


def _marks_sql(days: Sequence[DealerDay]) -> str:
    """Lock + insert as one literal statement pair (one round trip, also with server-side
    binding). Only integers and dates reach the SQL: int() and date.isoformat() refuse anything
    else."""
    dealers = sorted({int(d) for d, _ in days})
    lock = (
        f"SELECT pg_advisory_xact_lock_shared({FACTS_LOCK:d}, d)"  # noqa: S608 - integers only
        f" FROM unnest(ARRAY[{', '.join(str(d) for d in dealers)}]::int[]) AS d"
        if len(dealers) > 1
        else f"SELECT pg_advisory_xact_lock_shared({FACTS_LOCK:d}, {dealers[0]:d})"
    )
    values = ", ".join(f"({int(d):d}, DATE '{_iso(day)}', now())" for d, day in days)
    return (
        f"{lock}; INSERT INTO reports_kpidirtyday (dealer_id, day, marked_at)"  # noqa: S608 - ints and dates only
        f" VALUES {values} ON CONFLICT (dealer_id, day) DO NOTHING"
    )


def _iso(day: Any) -> str:
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        raise TypeError(f"a date is needed, got {day!r}")
    return day.isoformat()


def _write(using: str, days: set[DealerDay]) -> int:
    """Take the dealers' facts locks shared and insert the marks (in sorted order: two writers
    inserting the same marks wait for each other, never deadlock). Returns the marks asked for."""
    if not days:
        return 0
    ordered = sorted(days)  # the dealers' locks too are taken in ascending order
    with transaction.atomic(using=using, savepoint=False), connections[using].cursor() as cursor:
        for start in range(0, len(ordered), INSERT_CHUNK):
            cursor.execute(_marks_sql(ordered[start : start + INSERT_CHUNK]))
    return len(ordered)


# --- collecting the changes of one write ---------------------------------------------------------


class _Batch:
    """The changes of one write call (and of what it calls: bulk_update() calls update(), a
    delete() cascades), marked together when the outermost call ends."""

    def __init__(self, using: str) -> None:
        self.using = using
        self.changes: dict[str, list[Change]] = defaultdict(list)
        self.stamps: set[Stamp] = set()
        self.days: set[DealerDay] = set()

    def add(self, label: str, old: Row | None, new: Row | None) -> None:
        self.changes[label].append(Change(old, new))

    def flush(self) -> int:
        stamps = set(self.stamps)
        for label, changes in self.changes.items():
            source = SOURCES[label]
            for change in changes:
                if source.changed(change):
                    for row in change:
                        if row is not None:
                            did = row["dealer_id"]
                            stamps.update((did, row[c]) for c in source.days if row[c] is not None)
            if source.related is not None:
                stamps.update(source.related(self.using, changes))
        return _write(self.using, self.days | local_days(self.using, stamps))


_current: ContextVar[_Batch | None] = ContextVar("kpi_dirty_batch", default=None)


@contextmanager
def _batch(using: str) -> Iterator[_Batch]:
    """Collect the changes of a write; the outermost batch marks them when the write succeeded
    (inside the write's transaction: the caller holds one)."""
    current = _current.get()
    if current is not None and current.using == using:
        yield current
        return
    batch = _Batch(using)
    token = _current.set(batch)
    try:
        yield batch
    finally:
        _current.reset(token)
    batch.flush()


def _values(obj: models.Model, columns: Iterable[str]) -> Row:
    """The columns as the object holds them (deferred ones are not read: None)."""
    deferred = obj.get_deferred_fields()
    return {c: None if c in deferred else getattr(obj, c) for c in columns}


def _lock_rows(qs: models.QuerySet[Any], batch: _Batch, *, deleting: bool) -> list[Row]:
    """Read the tracked columns of the queryset's rows FOR UPDATE (their values as they are
    now, and no other transaction changes them until this one ends). Deleting: record them as
    deleted, and lock the rows of source tables the delete cascades to (their values are then
    the ones the delete's collector reads and marks)."""
    model = qs.model
    source = source_of(model)
    locked = qs.order_by()
    locked.query.distinct = False
    rows = list(locked.select_for_update(of=("self",)).values(*source.columns))
    if deleting and rows:
        label = model._meta.label
        for row in rows:
            batch.add(label, row, None)
        dealers = sorted({r["dealer_id"] for r in rows})
        ids = [r["id"] for r in rows]
        for rel in model._meta.related_objects:
            if rel.on_delete is models.CASCADE and rel.related_model._meta.label in SOURCES:
                children = _rows(rel.related_model._meta.label).using(qs.db)
                children = children.filter(
                    dealer_id__in=dealers, **{f"{rel.field.attname}__in": ids}
                )
                _lock_rows(children, batch, deleting=True)
    return rows


# --- the models ----------------------------------------------------------------------------------


class KpiSourceQuerySet(models.QuerySet[Any]):
    """update(), delete(), bulk_create() and bulk_update() that mark the KPI days they move."""

    def update(self, **kwargs: Any) -> int:
        source = source_of(self.model)
        opts = self.model._meta
        columns = {_attname(self.model, name): value for name, value in kwargs.items()}
        if self.query.is_sliced or not source.relevant.intersection(columns):
            return super().update(**kwargs)  # no column the facts read: nothing to mark
        with transaction.atomic(using=self.db, savepoint=False), _batch(self.db) as batch:
            old = _lock_rows(self, batch, deleting=False)
            if not old:
                return 0
            # exactly the rows read (and locked) above
            ids = [r["id"] for r in old]
            dealers = sorted({r["dealer_id"] for r in old})
            count = models.QuerySet.update(self.filter(dealer_id__in=dealers, id__in=ids), **kwargs)
            known = {
                c: getattr(v, "pk", v)
                for c, v in columns.items()
                if not hasattr(v, "resolve_expression")
            }
            moved = set(source.days) | {"dealer_id"}
            if len(known) < len(columns) or moved.intersection(columns):
                # expressions, or a moment changed: read what the database made of them
                read = _rows(opts.label).using(self.db).filter(id__in=ids)
                if "dealer_id" not in columns:
                    read = read.filter(dealer_id__in=dealers)
                after = {r["id"]: r for r in read.values(*source.columns)}
                news = [after.get(r["id"]) for r in old]
            else:
                news = [{**r, **known} for r in old]
            for before, after_row in zip(old, news, strict=True):
                batch.add(opts.label, before, after_row)
            return count

    update.alters_data = True  # type: ignore[attr-defined]

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.query.is_sliced or getattr(self, "_fields", None) is not None:
            return super().delete()  # refused by Django
        with transaction.atomic(using=self.db, savepoint=False), _batch(self.db) as batch:
            _lock_rows(self, batch, deleting=True)
            return super().delete()

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]

    def bulk_create(
        self,
        objs: Iterable[Any],
        batch_size: int | None = None,
        ignore_conflicts: bool = False,
        update_conflicts: bool = False,
        update_fields: Collection[str] | None = None,
        unique_fields: Collection[str] | None = None,
    ) -> list[Any]:
        source = source_of(self.model)
        if update_conflicts and any(
            _attname(self.model, name) in source.relevant for name in update_fields or ()
        ):
            # the rows it would update are not known beforehand: use update() for those
            raise NotImplementedError(
                f"bulk_create(update_conflicts=True) of a column the KPI facts read "
                f"({self.model._meta.label})"
            )
        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False), _batch(self.db) as batch:
            created = super().bulk_create(
                objs,
                batch_size=batch_size,
                ignore_conflicts=ignore_conflicts,
                update_conflicts=update_conflicts,
                update_fields=update_fields,
                unique_fields=unique_fields,
            )
            label = self.model._meta.label
            for obj in created:
                batch.add(label, None, _values(obj, source.columns))
            return created

    bulk_create.alters_data = True  # type: ignore[attr-defined]

    def bulk_update(
        self, objs: Iterable[Any], fields: Iterable[str], batch_size: int | None = None
    ) -> int:
        # Django's bulk_update() runs update() per batch of objects: marked there, flushed once
        with transaction.atomic(using=self.db, savepoint=False), _batch(self.db):
            return super().bulk_update(objs, fields, batch_size=batch_size)

    bulk_update.alters_data = True  # type: ignore[attr-defined]


KpiSourceManager = models.Manager.from_queryset(KpiSourceQuerySet)


class KpiSource(models.Model):
    """Mixin of a table the KPI facts are read from (listed in SOURCES): every write through the
    ORM marks the KPI days it moves. Put it before TenantModel: class Lead(KpiSource, TenantModel)."""

    objects = ScopedManager(_manager_class=KpiSourceManager, dealer="dealer")

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        source = source_of(type(self))
        label = type(self)._meta.label
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            saved = {_attname(type(self), name) for name in update_fields}
            if not source.relevant.intersection(saved):
                super().save(*args, **kwargs)  # no column the facts read
                return
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False), _batch(using) as batch:
            old = None
            row_id = getattr(self, "id", None)
            if row_id is not None:  # an existing row (or a new one with its id given)
                found = _lock_rows(
                    _rows(label)
                    .using(using)
                    .filter(dealer_id=getattr(self, "dealer_id", None), id=row_id),
                    batch,
                    deleting=False,
                )
                old = found[0] if found else None
            super().save(*args, **kwargs)
            new = _values(self, source.columns)
            if old is not None:
                # columns this save() did not write are still as they were
                written = (
                    {_attname(type(self), n) for n in update_fields}
                    if update_fields is not None
                    else set(source.columns) - self.get_deferred_fields()
                )
                new = {c: new[c] if c in written else old[c] for c in source.columns}
            batch.add(label, old, new)

    def delete(self, using: Any = None, keep_parents: bool = False) -> tuple[int, dict[str, int]]:
        using = using or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False), _batch(using) as batch:
            # the row as it is now (the object may be older): marked with what it cascades to
            _lock_rows(
                _rows(type(self)._meta.label)
                .using(using)
                .filter(dealer_id=getattr(self, "dealer_id", None), id=getattr(self, "id", None)),
                batch,
                deleting=True,
            )
            return super().delete(using=using, keep_parents=keep_parents)


def on_deleted(
    sender: type[models.Model], instance: models.Model, using: str, **kwargs: Any
) -> None:
    """post_delete of a source model (connected in reports.apps): a row deleted by a cascade or
    by the collector of any delete() is marked as the collector read it."""
    with _batch(using) as batch:
        batch.add(sender._meta.label, _values(instance, source_of(sender).columns), None)


# --- raw SQL writers -----------------------------------------------------------------------------


def mark_days(days: Iterable[DealerDay], *, using: str = "default") -> None:
    """Mark (dealer id, local day) pairs dirty, in the caller's transaction. For code that writes
    a source table with raw SQL and knows the days."""
    with _batch(using) as batch:
        batch.days.update(days)


def mark_times(stamps: Iterable[Stamp], *, using: str = "default") -> None:
    """Mark the dealers' local days of these (dealer id, moment) pairs dirty."""
    with _batch(using) as batch:
        batch.stamps.update(stamps)


def mark_rows(
    model: type[models.Model],
    rows: Iterable[Mapping[str, Any] | models.Model],
    *,
    deleted: bool = False,
    using: str = "default",
) -> None:
    """Mark the days of rows a raw-SQL writer inserted (or `deleted`), with their dependants, as
    the ORM would: `rows` are objects or mappings holding source_of(model).columns (attnames)."""
    source = source_of(model)
    label = model._meta.label
    with _batch(using) as batch:
        for row in rows:
            if isinstance(row, models.Model):
                values = _values(row, source.columns)
            else:
                values = {c: row.get(c) for c in source.columns}
            batch.add(label, values if deleted else None, None if deleted else values)
