"""Strict import of the parts catalogue (issue 14, item 3): the file is the whole catalogue.

Columns: number, description, unit, group (required); weight_kg, replaced_by, valid_from
(optional columns). A part in the catalogue but not in the file is deactivated, never deleted.
When the replaced_by column is there, it is the truth for the parts in the file (an empty cell
removes a part's successor); without it, supersessions are left as they are.

Applied set-based: the new and changed rows go in as arrays to one INSERT … SELECT FROM unnest …
ON CONFLICT (no temporary table: Citus refuses those feeding writes); pghistory's row triggers record each part's change
under one context (who, which import job).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pghistory
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dms.imports.engine import (
    Changes,
    Column,
    Errors,
    Importer,
    Progress,
    Table,
    looks_scientific,
    parse_date,
    parse_decimal,
    register,
)

from .models import Part, PartGroup, PartSupersession
from .services import _SUPERSESSION_LOCK, check_catalogue_admin, find_loop

PART_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./-]*$")
MAX_WEIGHT = Decimal("9999999.999")


def check_part_number(text: str) -> str | None:
    """The error message for a part number cell, or None when it is a valid number. Shared
    by the catalogue and the parts price-list imports."""
    if not text:
        return _("Enter the part number.")
    if looks_scientific(text):
        return _(
            "This looks like a number in scientific notation (%(value)s): the spreadsheet turned "
            "a part number into a number. Store part numbers as text."
        ) % {"value": text}
    if len(text) > 40:
        return _("At most 40 characters.")
    if not PART_NUMBER.match(text):
        return _("Letters, digits, '-', '.' and '/' only (no spaces).")
    return None


@dataclass
class PartRow:
    row: int
    number: str
    description: str
    unit: str
    group_id: int
    weight_kg: Decimal | None
    replaced_by: str
    valid_from: dt.date | None


@dataclass
class CheckedCatalogue:
    parts: dict[str, PartRow]  # number → row, file order
    supersessions_in_file: bool
    existing: dict[str, tuple[Any, ...]]  # number → (id, description, unit, group, weight, active)
    existing_successor: dict[str, tuple[str, dt.date]]
    group_codes: dict[int, str]
    new_or_changed: set[str] = field(default_factory=set)
    successor_changes: set[str] = field(default_factory=set)
    removed: list[str] = field(default_factory=list)


@register
class PartsCatalogueImporter(Importer):
    kind = "parts_catalogue"
    label = gettext_lazy("Parts catalogue")
    description = gettext_lazy(
        "The whole parts catalogue, one part per row. Parts missing from the file are "
        "deactivated (never deleted)."
    )
    columns = (
        Column("number", cell="code", max_length=40, help=gettext_lazy("part number, as text")),
        Column("description", max_length=200),
        Column("unit", cell="code", max_length=4, help="pc, set, pair, l, m, kg"),
        Column("group", cell="code", max_length=10, help=gettext_lazy("part group code")),
        Column("weight_kg", required=False, cell="decimal", help=gettext_lazy("up to 3 places")),
        Column(
            "replaced_by",
            required=False,
            cell="code",
            max_length=40,
            help=gettext_lazy("successor's part number"),
        ),
        Column("valid_from", required=False, cell="date", help="YYYY-MM-DD"),
    )

    def check_actor(self, actor: Any) -> None:
        check_catalogue_admin(actor)

    def check(self, table: Table, errors: Errors, progress: Progress) -> CheckedCatalogue:
        groups = {code.upper(): pk for pk, code in PartGroup.objects.values_list("pk", "code")}
        units = {u.lower() for u in Part.Unit.values}
        existing = {
            row[1]: (row[0], *row[2:])
            for row in Part.objects.values_list(
                "pk", "number", "description", "unit", "group_id", "weight_kg", "is_active"
            ).iterator(chunk_size=10_000)
        }
        existing_successor = {
            part: (succ, day)
            for part, succ, day in PartSupersession.objects.values_list(
                "part__number", "replaced_by__number", "valid_from"
            )
        }
        with_successors = "replaced_by" in table.columns
        parts: dict[str, PartRow] = {}
        total = len(table.rows)
        for index, row in enumerate(table.rows):
            if index % 5000 == 0:
                progress(index, total, _("Checking rows"))
            v = row.values
            ok = True
            number = v["number"]
            message = check_part_number(number)
            if message:
                errors.add(row.number, "number", message, number)
                ok = False
            elif number in parts:
                errors.add(
                    row.number,
                    "number",
                    _("Part number already on row %(row)s.") % {"row": parts[number].row},
                    number,
                )
                ok = False
            description = v["description"]
            if not description:
                errors.add(row.number, "description", _("Enter a description."))
                ok = False
            unit = v["unit"].lower()
            if unit not in units:
                errors.add(
                    row.number,
                    "unit",
                    _("Unknown unit. Use one of: %(units)s.") % {"units": ", ".join(Part.Unit)},
                    v["unit"],
                )
                ok = False
            group_id = groups.get(v["group"].upper())
            if group_id is None:
                errors.add(row.number, "group", _("Unknown part group."), v["group"])
                ok = False
            weight = None
            if v.get("weight_kg"):
                try:
                    weight = parse_decimal(v["weight_kg"], places=3, maximum=MAX_WEIGHT)
                except ValueError as exc:
                    errors.add(row.number, "weight_kg", str(exc), v["weight_kg"])
                    ok = False
            successor = v.get("replaced_by", "")
            valid_from = None
            if successor:
                message = check_part_number(successor)
                if message:
                    errors.add(row.number, "replaced_by", message, successor)
                    ok = False
                elif successor == number:
                    errors.add(row.number, "replaced_by", _("A part cannot replace itself."))
                    ok = False
                if not v.get("valid_from"):
                    errors.add(
                        row.number, "valid_from", _("Enter the date the successor applies from.")
                    )
                    ok = False
            if v.get("valid_from"):
                try:
                    valid_from = parse_date(v["valid_from"])
                except ValueError as exc:
                    errors.add(row.number, "valid_from", str(exc), v["valid_from"])
                    ok = False
                if not successor:
                    errors.add(row.number, "valid_from", _("A date without a successor part."))
                    ok = False
            if ok:
                parts[number] = PartRow(
                    row.number,
                    number,
                    description,
                    unit,
                    group_id,  # type: ignore[arg-type]
                    weight,
                    successor,
                    valid_from,
                )
        progress(total, total, _("Checking replacements"))
        checked = CheckedCatalogue(
            parts=parts,
            supersessions_in_file=with_successors,
            existing=existing,
            existing_successor=existing_successor,
            group_codes={pk: code for code, pk in groups.items()},
        )
        if with_successors and not errors:
            self._check_successors(checked, errors)
        return checked

    def _check_successors(self, checked: CheckedCatalogue, errors: Errors) -> None:
        parts, existing = checked.parts, checked.existing
        for part in parts.values():
            if (
                part.replaced_by
                and part.replaced_by not in parts
                and part.replaced_by not in existing
            ):
                errors.add(
                    part.row,
                    "replaced_by",
                    _("Unknown part: neither in this file nor in the catalogue."),
                    part.replaced_by,
                )
        if errors:
            return
        # The graph the import leaves behind: the file's successors for its parts, the
        # catalogue's for the others.
        graph = {p: s for p, (s, _day) in checked.existing_successor.items() if p not in parts}
        graph.update({p.number: p.replaced_by for p in parts.values() if p.replaced_by})
        seen: set[str] = set()
        while loop := find_loop(graph):
            in_file = [n for n in loop[:-1] if n in parts]
            first = parts[in_file[0]] if in_file else next(iter(parts.values()))
            key = " → ".join(loop)
            if key not in seen:
                errors.add(
                    first.row,
                    "replaced_by",
                    _("These replacements make a loop: %(loop)s.") % {"loop": key},
                    first.replaced_by,
                )
                seen.add(key)
            for node in loop[:-1]:
                graph.pop(node, None)

    def changes(self, checked: CheckedCatalogue) -> Changes:
        changes = Changes()
        codes = checked.group_codes
        for number, part in checked.parts.items():
            old = checked.existing.get(number)
            old_succ = checked.existing_successor.get(number)
            new_succ = (part.replaced_by, part.valid_from) if part.replaced_by else None
            if old is None:
                summary = part.description
                if new_succ:
                    summary += f" (→ {part.replaced_by} {part.valid_from})"
                changes.add_new(number, summary)
                checked.new_or_changed.add(number)
                if new_succ:
                    checked.successor_changes.add(number)
                continue
            _pk, description, unit, group_id, weight, active = old
            diffs: list[tuple[str, str, str]] = []
            if description != part.description:
                diffs.append(("description", description, part.description))
            if unit != part.unit:
                diffs.append(("unit", unit, part.unit))
            if group_id != part.group_id:
                diffs.append(("group", codes.get(group_id, ""), codes.get(part.group_id, "")))
            if weight != part.weight_kg:
                diffs.append(("weight_kg", _text(weight), _text(part.weight_kg)))
            if not active:
                diffs.append(("active", _("no"), _("yes")))
            if diffs:
                checked.new_or_changed.add(number)
            if checked.supersessions_in_file and old_succ != new_succ:
                checked.successor_changes.add(number)
                diffs.append(("replaced_by", _succ(old_succ), _succ(new_succ)))
            if diffs:
                changes.add_changed(number, diffs)
            else:
                changes.unchanged += 1
        for number, (_pk, description, *_rest, active) in checked.existing.items():
            if active and number not in checked.parts:
                changes.add_removed(number, description)
                checked.removed.append(number)
        return changes

    def apply(self, checked: CheckedCatalogue, *, actor: Any, job_id: int) -> dict[str, Any]:
        check_catalogue_admin(actor)
        part_table = Part._meta.db_table
        succ_table = PartSupersession._meta.db_table
        with (
            pghistory.context(user=actor.pk, change="import", import_job=job_id),
            connection.cursor() as cursor,
        ):
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SUPERSESSION_LOCK])
            # django-pgtrigger's triggers read the `pgtrigger.ignore` setting in a plpgsql
            # EXCEPTION block: unset, every row raises and catches an error, and a transaction
            # writing 100,000 rows that way slows down quadratically (measured: 20,000 parts
            # 7 s, the next 40,000 36 s). Set to "ignore nothing", each row costs the same.
            cursor.execute("SELECT set_config('pgtrigger.ignore', '{}', true)")
            rows = [checked.parts[n] for n in checked.new_or_changed]
            if rows:
                cursor.execute(
                    f"INSERT INTO {part_table} AS p (number, description, unit, group_id, "  # noqa: S608 - table names from the models
                    "weight_kg, is_active, created_at, updated_at) "
                    "SELECT number, description, unit, group_id, weight_kg, true, now(), now() "
                    "FROM unnest(%s::text[], %s::text[], %s::text[], %s::bigint[], %s::numeric[]) "
                    "AS s(number, description, unit, group_id, weight_kg) "
                    "ON CONFLICT (number) DO UPDATE SET description = EXCLUDED.description, "
                    "unit = EXCLUDED.unit, group_id = EXCLUDED.group_id, "
                    "weight_kg = EXCLUDED.weight_kg, is_active = true, updated_at = now()",
                    [
                        [p.number for p in rows],
                        [p.description for p in rows],
                        [p.unit for p in rows],
                        [p.group_id for p in rows],
                        [p.weight_kg for p in rows],
                    ],
                )
            if checked.removed:
                cursor.execute(
                    f"UPDATE {part_table} SET is_active = false, updated_at = now() "  # noqa: S608
                    "WHERE number = ANY(%s) AND is_active",
                    [checked.removed],
                )
            succ = [checked.parts[n] for n in checked.successor_changes]
            gone = [p.number for p in succ if not p.replaced_by]
            if gone:
                cursor.execute(
                    f"DELETE FROM {succ_table} WHERE part_id IN "  # noqa: S608
                    f"(SELECT id FROM {part_table} WHERE number = ANY(%s))",
                    [gone],
                )
            kept = [p for p in succ if p.replaced_by]
            if kept:
                cursor.execute(
                    f"INSERT INTO {succ_table} (part_id, replaced_by_id, valid_from, note) "  # noqa: S608
                    "SELECT p.id, r.id, s.valid_from, '' "
                    "FROM unnest(%s::text[], %s::text[], %s::date[]) "
                    "AS s(number, replaced_by, valid_from) "
                    f"JOIN {part_table} p ON p.number = s.number "
                    f"JOIN {part_table} r ON r.number = s.replaced_by "
                    "ON CONFLICT (part_id) DO UPDATE SET replaced_by_id = "
                    "EXCLUDED.replaced_by_id, valid_from = EXCLUDED.valid_from",
                    [
                        [p.number for p in kept],
                        [p.replaced_by for p in kept],
                        [p.valid_from for p in kept],
                    ],
                )
        return {
            "written": len(checked.new_or_changed),
            "deactivated": len(checked.removed),
            "supersessions": len(checked.successor_changes),
        }


def _text(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def _succ(value: tuple[str, dt.date | None] | None) -> str:
    if not value:
        return ""
    return f"{value[0]} ({value[1].isoformat() if value[1] else ''})"


# The vehicle import lives with the vehicle stock; imported here so that the engine's discovery
# (dms.imports finds `<app>/imports.py`) registers it.
from .vehicles import imports as _vehicle_imports  # noqa: E402,F401
