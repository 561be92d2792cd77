"""Strict import of price lists (issue 14, item 3): parts, vehicles and labour, CSV or XLSX.

Each file is the whole next version of one price list. The dry run compares it with the list's
latest published version (new, changed old → new, removed); applying creates a **draft**
version through `bulletins.pricing_services.draft_from_rows`, which HQ then checks and
publishes in the price-list workflow. The version in force stays in force until then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dms.audit.services import record_reference_change
from dms.imports.engine import (
    Changes,
    Column,
    Errors,
    Importer,
    Progress,
    Row,
    Table,
    parse_decimal,
    register,
)
from inventory.imports import check_part_number
from inventory.models import Colour, LabourGrade, Option, Part, Trim

from .models import LabourPrice, PartPrice, PriceList, PriceListVersion, VehiclePrice
from .pricing_services import (
    LabourRow,
    PartRow,
    VehicleRow,
    _check_hq,
    create_draft,
    draft_from_rows,
)

MAX_PRICE = Decimal("99999999.99")


def _previous(price_list: PriceList) -> PriceListVersion | None:
    """The version the file is compared with: the latest published one (what a new draft
    follows, as in pricing_services.create_draft)."""
    return (
        price_list.versions.filter(status=PriceListVersion.Status.PUBLISHED)
        .order_by("-valid_from", "-number")
        .first()
    )


@dataclass
class CheckedPrices:
    rows: list[Any]  # pricing_services rows, file order
    keys: dict[str, tuple[str, ...]]  # key → shown values (for the diff)
    fields: tuple[str, ...]


class PriceListImporter(Importer):
    list_kind: ClassVar[str]
    fields: ClassVar[tuple[str, ...]]

    @classmethod
    def targets(cls) -> list[tuple[str, str]]:
        return [
            (str(pk), f"{cls.label}: {name}")
            for pk, name in PriceList.objects.filter(kind=cls.list_kind).values_list("pk", "name")
        ]

    def price_list(self) -> PriceList:
        return PriceList.objects.get(pk=int(self.target), kind=self.list_kind)

    def check_actor(self, actor: Any) -> None:
        _check_hq(actor)

    def previous_lines(self, version: PriceListVersion) -> dict[str, tuple[str, ...]]:
        raise NotImplementedError

    def changes(self, checked: CheckedPrices) -> Changes:
        changes = Changes()
        previous = _previous(self.price_list())
        old = self.previous_lines(previous) if previous is not None else {}
        for key, values in checked.keys.items():
            before = old.get(key)
            if before is None:
                changes.add_new(key, " / ".join(v for v in values if v))
                continue
            diffs = [
                (name, a, b)
                for name, a, b in zip(checked.fields, before, values, strict=True)
                if _same(a) != _same(b)
            ]
            if diffs:
                changes.add_changed(key, diffs)
            else:
                changes.unchanged += 1
        for key, values in old.items():
            if key not in checked.keys:
                changes.add_removed(key, " / ".join(v for v in values if v))
        return changes

    def apply(self, checked: CheckedPrices, *, actor: Any, job_id: int) -> dict[str, Any]:
        price_list = self.price_list()
        draft = draft_from_rows(
            price_list=price_list,
            rows=checked.rows,
            actor=actor,
            note=_("Imported (job %(job)s)") % {"job": job_id},
        )
        return self._result(draft, price_list)

    def _result(self, draft: PriceListVersion, price_list: PriceList) -> dict[str, Any]:
        return {
            "version_id": draft.pk,
            "version": draft.number,
            "note": _(
                "Draft version %(number)s of “%(list)s” created: check and publish it in the "
                "price list's page; the version in force stays until then."
            )
            % {"number": draft.number, "list": price_list.name},
        }

    # helpers for the subclasses

    def _rows(
        self,
        table: Table,
        errors: Errors,
        progress: Progress,
        one: Callable[[Row], tuple[str, Any, tuple[str, ...]] | None],
        key_column: str,
    ) -> CheckedPrices:
        keys: dict[str, tuple[str, ...]] = {}
        first_row: dict[str, int] = {}
        rows: list[Any] = []
        total = len(table.rows)
        for index, row in enumerate(table.rows):
            if index % 5000 == 0:
                progress(index, total, _("Checking rows"))
            found = one(row)
            if found is None:
                continue
            key, line, shown = found
            if key in first_row:
                errors.add(
                    row.number,
                    key_column,
                    _("Already on row %(row)s.") % {"row": first_row[key]},
                    key,
                )
                continue
            first_row[key] = row.number
            keys[key] = shown
            rows.append(line)
        progress(total, total, _("Rows checked"))
        return CheckedPrices(rows=rows, keys=keys, fields=self.fields)


def _same(text: str) -> str:
    """Amounts compared as numbers (12.3 = 12.30), texts as they are."""
    try:
        return str(Decimal(text).normalize()) if text else ""
    except ArithmeticError:
        return text


def _amount(row: Row, column: str, errors: Errors, *, required: bool = True) -> Decimal | None:
    text = row.values.get(column, "")
    if not text:
        if required:
            errors.add(row.number, column, _("Enter an amount."))
        return None
    try:
        return parse_decimal(text, places=2, maximum=MAX_PRICE)
    except ValueError as exc:
        errors.add(row.number, column, str(exc), text)
        return None


@register
class PartsPriceImporter(PriceListImporter):
    kind = "prices_parts"
    list_kind = PriceList.Kind.PARTS
    label = gettext_lazy("Parts price list")
    description = gettext_lazy(
        "One row per part: retail price and, optionally, the dealer net price (otherwise the "
        "part group's discount applies). Creates a draft version of the chosen list."
    )
    columns = (
        Column("part_number", cell="code", max_length=40, help=gettext_lazy("as text")),
        Column("retail_price", cell="decimal", help="1234.50"),
        Column("dealer_net_price", required=False, cell="decimal", help=gettext_lazy("optional")),
    )
    fields = ("retail_price", "dealer_net_price")

    def check(self, table: Table, errors: Errors, progress: Progress) -> CheckedPrices:
        parts = dict(Part.objects.values_list("number", "is_active").iterator(chunk_size=10_000))

        def one(row: Row) -> tuple[str, Any, tuple[str, ...]] | None:
            number = row.values["part_number"]
            message = check_part_number(number)
            ok = True
            if message:
                errors.add(row.number, "part_number", message, number)
                ok = False
            elif number not in parts:
                errors.add(row.number, "part_number", _("Not in the parts catalogue."), number)
                ok = False
            elif not parts[number]:
                errors.add(
                    row.number,
                    "part_number",
                    _("This part is deactivated in the catalogue."),
                    number,
                )
                ok = False
            retail = _amount(row, "retail_price", errors)
            net = _amount(row, "dealer_net_price", errors, required=False)
            if retail is not None and net is not None and net > retail:
                errors.add(
                    row.number,
                    "dealer_net_price",
                    _("The dealer net price is above the retail price."),
                    row.values["dealer_net_price"],
                )
                ok = False
            if not ok or retail is None or (row.values.get("dealer_net_price") and net is None):
                return None
            shown = (str(retail), "" if net is None else str(net))
            return number, PartRow(number=number, retail_price=retail, dealer_net_price=net), shown

        return self._rows(table, errors, progress, one, "part_number")

    def apply(self, checked: CheckedPrices, *, actor: Any, job_id: int) -> dict[str, Any]:
        """A draft made by pricing_services.create_draft, its lines written here in one INSERT …
        SELECT FROM unnest (not through draft_from_rows, which builds and re-checks 100,000
        model instances: most of the apply time of a full parts list in bench/imports.py). The
        rows were checked by `check` in this same job; the database constraints still hold."""
        price_list = self.price_list()
        draft = create_draft(
            price_list=price_list,
            actor=actor,
            note=_("Imported (job %(job)s)") % {"job": job_id},
        )
        rows: list[PartRow] = checked.rows
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {PartPrice._meta.db_table} "  # noqa: S608 - table names from the models
                "(version_id, part_id, retail_price, dealer_net_price) "
                "SELECT %s, p.id, s.retail, s.net "
                "FROM unnest(%s::text[], %s::numeric[], %s::numeric[]) AS s(number, retail, net) "
                f"JOIN {Part._meta.db_table} p ON p.number = s.number",
                [
                    draft.pk,
                    [r.number for r in rows],
                    [r.retail_price for r in rows],
                    [r.dealer_net_price for r in rows],
                ],
            )
            written = cursor.rowcount
        if written != len(rows):
            raise ValidationError(
                _("Parts left the catalogue while the import ran: upload the file again.")
            )
        record_reference_change(
            obj=draft,
            actor=actor,
            change="price_list.rows",
            count=written,
            list=price_list.name,
        )
        return self._result(draft, price_list)

    def previous_lines(self, version: PriceListVersion) -> dict[str, tuple[str, ...]]:
        return {
            number: (str(retail), "" if net is None else str(net))
            for number, retail, net in PartPrice.objects.filter(version=version)
            .values_list("part__number", "retail_price", "dealer_net_price")
            .iterator(chunk_size=10_000)
        }


VEHICLE_KINDS = {k.lower() for k in VehiclePrice.Kind.values}


@register
class VehiclePriceImporter(PriceListImporter):
    kind = "prices_vehicles"
    list_kind = PriceList.Kind.VEHICLE
    label = gettext_lazy("Vehicle price list")
    description = gettext_lazy(
        "One row per trim, colour, option or accessory code with its price. Creates a draft "
        "version of the chosen list."
    )
    columns = (
        Column("kind", cell="code", max_length=16, help="trim, colour, option, accessory"),
        Column("code", cell="code", max_length=30),
        Column("price", cell="decimal", help="1234.50"),
    )
    fields = ("price",)

    def check(self, table: Table, errors: Errors, progress: Progress) -> CheckedPrices:
        known = {
            "trim": set(Trim.objects.values_list("code", flat=True)),
            "colour": set(Colour.objects.values_list("code", flat=True)),
            "option": set(
                Option.objects.filter(kind=Option.Kind.OPTION).values_list("code", flat=True)
            ),
            "accessory": set(
                Option.objects.filter(kind=Option.Kind.ACCESSORY).values_list("code", flat=True)
            ),
        }

        def one(row: Row) -> tuple[str, Any, tuple[str, ...]] | None:
            kind, code = row.values["kind"].lower(), row.values["code"]
            ok = True
            if kind not in VEHICLE_KINDS:
                errors.add(
                    row.number,
                    "kind",
                    _("Unknown kind. Use one of: %(kinds)s.")
                    % {"kinds": ", ".join(sorted(VEHICLE_KINDS))},
                    row.values["kind"],
                )
                ok = False
            elif not code:
                errors.add(row.number, "code", _("Enter the code."))
                ok = False
            elif code not in known[kind]:
                errors.add(row.number, "code", _("Unknown %(kind)s code.") % {"kind": kind}, code)
                ok = False
            price = _amount(row, "price", errors)
            if not ok or price is None:
                return None
            return f"{kind}:{code}", VehicleRow(kind=kind, code=code, price=price), (str(price),)

        return self._rows(table, errors, progress, one, "code")

    def previous_lines(self, version: PriceListVersion) -> dict[str, tuple[str, ...]]:
        return {
            f"{kind}:{code}": (str(price),)
            for kind, code, price in VehiclePrice.objects.filter(version=version).values_list(
                "kind", "code", "price"
            )
        }


@register
class LabourPriceImporter(PriceListImporter):
    kind = "prices_labour"
    list_kind = PriceList.Kind.LABOUR
    label = gettext_lazy("Labour price list")
    description = gettext_lazy(
        "One row per labour grade: HQ's recommended hourly rate and the lowest and highest rate "
        "a dealer may set. Creates a draft version of the chosen list."
    )
    columns = (
        Column("grade", cell="code", max_length=10),
        Column("recommended_rate", cell="decimal"),
        Column("min_rate", cell="decimal"),
        Column("max_rate", cell="decimal"),
    )
    fields = ("recommended_rate", "min_rate", "max_rate")

    def check(self, table: Table, errors: Errors, progress: Progress) -> CheckedPrices:
        grades = set(LabourGrade.objects.values_list("code", flat=True))

        def one(row: Row) -> tuple[str, Any, tuple[str, ...]] | None:
            grade = row.values["grade"]
            ok = grade in grades
            if not ok:
                errors.add(row.number, "grade", _("Unknown labour grade."), grade)
            rates = [_amount(row, c, errors) for c in ("recommended_rate", "min_rate", "max_rate")]
            recommended, low, high = rates
            if recommended is None or low is None or high is None or not ok:
                return None
            if not low <= recommended <= high:
                errors.add(
                    row.number,
                    "recommended_rate",
                    _("The rates must be ordered: min_rate ≤ recommended_rate ≤ max_rate."),
                )
                return None
            line = LabourRow(
                grade_code=grade, recommended_rate=recommended, min_rate=low, max_rate=high
            )
            return grade, line, (str(recommended), str(low), str(high))

        return self._rows(table, errors, progress, one, "grade")

    def previous_lines(self, version: PriceListVersion) -> dict[str, tuple[str, ...]]:
        return {
            grade: (str(r), str(lo), str(hi))
            for grade, r, lo, hi in LabourPrice.objects.filter(version=version).values_list(
                "grade__code", "recommended_rate", "min_rate", "max_rate"
            )
        }
