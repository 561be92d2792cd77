"""Price lists: HQ drafts, checks, publishes and withdraws versions; dealers set their own labour
rates within HQ's bounds (issue 14, item 2). Reads are in `bulletins.pricing`.

Rules:
- Price lists are HQ reference data: only HQ network admins (`network.admin`) write them, only
  through these functions, and every change is in the audit log (REFERENCE_CHANGE).
- A version goes draft → checked → published. Only a draft or a checked version has its lines
  changed (a change sends a checked version back to draft); a published or withdrawn version is
  never edited in place: a change is a new version (`create_draft(copy_current=True)`).
- Publishing fixes `valid_from` (not before HQ's today: a price never changes in the past) and,
  in the same transaction under a lock on the list, ends the version in force at that day where
  the new one begins ([from, until) windows); a version already published for a later day ends
  the new one. The exclusion constraint `price_version_no_overlap` guarantees that two
  published versions of one list never share a day, whatever a caller does.
- Withdrawing takes back a published version that is not valid yet; the version before it runs
  on as it did.
- The import (CSV/XLSX) writes drafts through `draft_from_rows` with rows it has already
  validated; the rows are plain Python values (`VehicleRow`, `PartRow`, `GroupDiscountRow`,
  `LabourRow`). The draft is then checked and published here like any other.
- A dealer's own labour rate per grade (tenant data) is set by its manager or admin
  (`prices.labour_rates`) within the bounds of HQ's labour list in force on the dealer's today.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from dealers.clock import dealer_today, importer_zone
from dealers.models import Membership
from dealers.roles import DEALER_ROLE_CAPS, HQ_ROLE_CAPS, Cap
from dms.audit.models import AuditAction
from dms.audit.services import record, record_reference_change
from dms.tenancy.context import as_dealer
from inventory.models import Colour, LabourGrade, Option, Part, PartGroup, Trim

from . import pricing
from .models import (
    DealerLabourRate,
    LabourPrice,
    PartGroupDiscount,
    PartPrice,
    PriceList,
    PriceListVersion,
    VehiclePrice,
)

BATCH = 5000
Status = PriceListVersion.Status


# --- the rows a draft is made of (plain values, already validated by the caller) ----------------


@dataclass(frozen=True)
class VehicleRow:
    kind: str  # VehiclePrice.Kind: trim / colour / option / accessory
    code: str
    price: Decimal


@dataclass(frozen=True)
class PartRow:
    number: str  # the part number as in the catalogue
    retail_price: Decimal
    dealer_net_price: Decimal | None = None


@dataclass(frozen=True)
class GroupDiscountRow:
    group_code: str
    discount_percent: Decimal


@dataclass(frozen=True)
class LabourRow:
    grade_code: str
    recommended_rate: Decimal
    min_rate: Decimal
    max_rate: Decimal


Row = VehicleRow | PartRow | GroupDiscountRow | LabourRow


# --- who may ------------------------------------------------------------------------------------


def importer_today(now: dt.datetime | None = None) -> dt.date:
    """HQ's today (the importer's zone): the earliest day a version may be published for."""
    return timezone.localtime(now or timezone.now(), importer_zone()).date()


def _check_hq(actor: Any) -> None:
    if Cap.NETWORK_ADMIN not in HQ_ROLE_CAPS.get(getattr(actor, "hq_role", "") or "", frozenset()):
        raise PermissionDenied(_("Only HQ administrators write price lists."))


def _audit(actor: Any, obj: Any, change: str, **detail: Any) -> None:
    """A price-list change in the audit log (values as text: dates, decimals)."""
    count = int(detail.pop("count", 1))
    text: dict[str, Any] = {k: str(v) for k, v in detail.items()}
    record_reference_change(obj=obj, actor=actor, change=change, count=count, **text)


def _editable(version: PriceListVersion) -> None:
    if not version.is_editable:
        raise ValidationError(
            _(
                "Version %(number)s of “%(list)s” is %(status)s: it is never changed in place. "
                "Draft a new version instead."
            )
            % {
                "number": version.number,
                "list": version.price_list.name,
                "status": version.get_status_display().lower(),
            }
        )


def _locked(version: PriceListVersion) -> PriceListVersion:
    """The version re-read under a lock on its list (one writer per list at a time)."""
    PriceList.objects.select_for_update().get(pk=version.price_list_id)
    return PriceListVersion.objects.select_related("price_list").get(pk=version.pk)


# --- lists and drafts ---------------------------------------------------------------------------


def create_price_list(*, name: str, kind: str, currency: str, actor: Any) -> PriceList:
    _check_hq(actor)
    name = name.strip()
    currency = currency.strip().upper()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the price list a name.")]
    elif PriceList.objects.filter(name__iexact=name).exists():
        errors["name"] = [_("A price list of that name exists already.")]
    if kind not in PriceList.Kind.values:
        errors["kind"] = [_("Choose vehicles, parts or labour.")]
    if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
        errors["currency"] = [_("The currency is a three-letter ISO code (EUR).")]
    if errors:
        raise ValidationError(errors)
    plist = PriceList.objects.create(name=name, kind=kind, currency=currency)
    _audit(actor, plist, "price_list.create", kind=kind, currency=currency)
    return plist


@transaction.atomic
def create_draft(
    *,
    price_list: PriceList,
    actor: Any,
    copy_current: bool = False,
    valid_from: dt.date | None = None,
    note: str = "",
) -> PriceListVersion:
    """A new draft version of the list, empty or (`copy_current`) with the lines of the latest
    published version."""
    _check_hq(actor)
    PriceList.objects.select_for_update().get(pk=price_list.pk)
    number = (price_list.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    draft = PriceListVersion.objects.create(
        price_list=price_list,
        number=number,
        valid_from=valid_from,
        note=note.strip()[:300],
        created_by=actor,
    )
    copied = 0
    if copy_current:
        source = (
            price_list.versions.filter(status=Status.PUBLISHED)
            .order_by("-valid_from", "-number")
            .first()
        )
        if source is not None:
            copied = _copy_lines(source, draft)
    _audit(actor, draft, "price_list.draft", list=price_list.name, number=number, copied=copied)
    return draft


def _copy_lines(source: PriceListVersion, target: PriceListVersion) -> int:
    count = 0
    copies: tuple[tuple[Any, list[str]], ...] = (
        (VehiclePrice, ["kind", "code", "price"]),
        (PartPrice, ["part_id", "retail_price", "dealer_net_price"]),
        (PartGroupDiscount, ["group_id", "discount_percent"]),
        (LabourPrice, ["grade_id", "recommended_rate", "min_rate", "max_rate"]),
    )
    for model, fields in copies:
        rows = [
            model(version=target, **dict(zip(fields, values, strict=True)))
            for values in model.objects.filter(version=source).values_list(*fields)
        ]
        model.objects.bulk_create(rows, batch_size=BATCH)
        count += len(rows)
    return count


def _row_kind_errors(plist: PriceList, rows: Sequence[Row]) -> None:
    allowed: dict[str, tuple[type, ...]] = {
        PriceList.Kind.VEHICLE: (VehicleRow,),
        PriceList.Kind.PARTS: (PartRow, GroupDiscountRow),
        PriceList.Kind.LABOUR: (LabourRow,),
    }
    wrong = [r for r in rows if not isinstance(r, allowed[plist.kind])]
    if wrong:
        raise ValidationError(
            _("A %(kind)s list takes no %(row)s rows.")
            % {"kind": plist.get_kind_display().lower(), "row": type(wrong[0]).__name__}
        )


def _build_lines(version: PriceListVersion, rows: Sequence[Row]) -> dict[Any, list[Any]]:
    """Model instances for the rows, codes resolved to ids (one query per catalogue table).
    Unknown codes, duplicates and negative amounts are refused with the row numbers (1-based)."""
    errors: list[str] = []
    lines: dict[Any, list[Any]] = {
        VehiclePrice: [],
        PartPrice: [],
        PartGroupDiscount: [],
        LabourPrice: [],
    }
    parts = groups = grades = None
    if any(isinstance(r, PartRow) for r in rows):
        numbers = {r.number for r in rows if isinstance(r, PartRow)}
        parts = dict(Part.objects.filter(number__in=numbers).values_list("number", "id"))
    if any(isinstance(r, GroupDiscountRow) for r in rows):
        groups = dict(PartGroup.objects.values_list("code", "id"))
    if any(isinstance(r, LabourRow) for r in rows):
        grades = dict(LabourGrade.objects.values_list("code", "id"))
    seen: set[tuple[Any, ...]] = set()

    def money_ok(n: int, label: str, value: Any, *, optional: bool = False) -> bool:
        if value is None and optional:
            return True
        if not isinstance(value, Decimal) or not value.is_finite():
            errors.append(_("Row %(n)s: %(label)s is not an amount.") % {"n": n, "label": label})
            return False
        if value < 0 or value.as_tuple().exponent < -2:  # type: ignore[operator]
            errors.append(
                _("Row %(n)s: %(label)s must be zero or more, with at most 2 decimals.")
                % {"n": n, "label": label}
            )
            return False
        return True

    for n, row in enumerate(rows, start=1):
        if isinstance(row, VehicleRow):
            key: tuple[Any, ...] = ("v", row.kind, row.code)
            if row.kind not in VehiclePrice.Kind.values:
                errors.append(_("Row %(n)s: unknown kind “%(kind)s”.") % {"n": n, "kind": row.kind})
                continue
            if money_ok(n, _("the price"), row.price):
                lines[VehiclePrice].append(
                    VehiclePrice(version=version, kind=row.kind, code=row.code, price=row.price)
                )
        elif isinstance(row, PartRow):
            key = ("p", row.number)
            part_id = parts.get(row.number) if parts is not None else None
            if part_id is None:
                errors.append(
                    _("Row %(n)s: part number “%(code)s” is not in the catalogue.")
                    % {"n": n, "code": row.number}
                )
                continue
            ok = money_ok(n, _("the retail price"), row.retail_price) and money_ok(
                n, _("the dealer net price"), row.dealer_net_price, optional=True
            )
            if ok and row.dealer_net_price is not None and row.dealer_net_price > row.retail_price:
                errors.append(
                    _("Row %(n)s: the dealer net price is above the retail price.") % {"n": n}
                )
                ok = False
            if ok:
                lines[PartPrice].append(
                    PartPrice(
                        version=version,
                        part_id=part_id,
                        retail_price=row.retail_price,
                        dealer_net_price=row.dealer_net_price,
                    )
                )
        elif isinstance(row, GroupDiscountRow):
            key = ("g", row.group_code)
            group_id = groups.get(row.group_code) if groups is not None else None
            if group_id is None:
                errors.append(
                    _("Row %(n)s: part group “%(code)s” is not in the catalogue.")
                    % {"n": n, "code": row.group_code}
                )
                continue
            pct = row.discount_percent
            if not isinstance(pct, Decimal) or not pct.is_finite() or not 0 <= pct <= 100:
                errors.append(_("Row %(n)s: a discount is between 0 and 100 %%.") % {"n": n})
                continue
            lines[PartGroupDiscount].append(
                PartGroupDiscount(version=version, group_id=group_id, discount_percent=pct)
            )
        else:
            key = ("l", row.grade_code)
            grade_id = grades.get(row.grade_code) if grades is not None else None
            if grade_id is None:
                errors.append(
                    _("Row %(n)s: labour grade “%(code)s” is not in the catalogue.")
                    % {"n": n, "code": row.grade_code}
                )
                continue
            ok = all(
                money_ok(n, label, value)
                for label, value in (
                    (_("the recommended rate"), row.recommended_rate),
                    (_("the lowest rate"), row.min_rate),
                    (_("the highest rate"), row.max_rate),
                )
            )
            if ok and not row.min_rate <= row.recommended_rate <= row.max_rate:
                errors.append(
                    _("Row %(n)s: the rates must be ordered: lowest ≤ recommended ≤ highest.")
                    % {"n": n}
                )
                ok = False
            if ok:
                lines[LabourPrice].append(
                    LabourPrice(
                        version=version,
                        grade_id=grade_id,
                        recommended_rate=row.recommended_rate,
                        min_rate=row.min_rate,
                        max_rate=row.max_rate,
                    )
                )
        if key in seen:
            errors.append(_("Row %(n)s: the same line appears twice.") % {"n": n})
        seen.add(key)
    if errors:
        raise ValidationError(errors)
    return lines


def _write_lines(version: PriceListVersion, rows: Sequence[Row]) -> int:
    _row_kind_errors(version.price_list, rows)
    lines = _build_lines(version, rows)
    for model in lines:
        model.objects.filter(version=version).delete()
    count = 0
    for model, objs in lines.items():
        model.objects.bulk_create(objs, batch_size=BATCH)
        count += len(objs)
    return count


@transaction.atomic
def draft_from_rows(
    *,
    price_list: PriceList,
    rows: Iterable[Row],
    actor: Any,
    valid_from: dt.date | None = None,
    note: str = "",
) -> PriceListVersion:
    """A new draft holding exactly `rows` (the import's entry point). All or nothing: any bad
    row raises ValidationError (a list of row-numbered messages) and nothing is written."""
    _check_hq(actor)
    rows = list(rows)
    _row_kind_errors(price_list, rows)
    draft = create_draft(price_list=price_list, actor=actor, valid_from=valid_from, note=note)
    count = _write_lines(draft, rows)
    _audit(actor, draft, "price_list.rows", list=price_list.name, count=count)
    return draft


@transaction.atomic
def replace_draft_lines(*, version: PriceListVersion, rows: Iterable[Row], actor: Any) -> int:
    """Replace every line of a draft (or checked) version; a checked one goes back to draft."""
    _check_hq(actor)
    version = _locked(version)
    _editable(version)
    count = _write_lines(version, list(rows))
    _back_to_draft(version)
    _audit(actor, version, "price_list.rows", list=version.price_list.name, count=count)
    return count


def _back_to_draft(version: PriceListVersion) -> None:
    if version.status == Status.CHECKED:
        PriceListVersion.objects.filter(pk=version.pk).update(
            status=Status.DRAFT, checked_at=None, checked_by=None
        )
        version.status = Status.DRAFT


@transaction.atomic
def set_line(*, version: PriceListVersion, row: Row, actor: Any) -> None:
    """Add or change one line of a draft (editing a draft by hand)."""
    _check_hq(actor)
    version = _locked(version)
    _editable(version)
    _row_kind_errors(version.price_list, [row])
    (obj,) = next(objs for objs in _build_lines(version, [row]).values() if objs)
    model = type(obj)
    key = {
        VehiclePrice: ("kind", "code"),
        PartPrice: ("part_id",),
        PartGroupDiscount: ("group_id",),
        LabourPrice: ("grade_id",),
    }[model]
    lookup = {k: getattr(obj, k) for k in key}
    values = {
        f.attname: getattr(obj, f.attname)
        for f in model._meta.concrete_fields
        if f.attname not in ("id", "version_id", *key)
    }
    model.objects.update_or_create(version=version, **lookup, defaults=values)
    _back_to_draft(version)
    _audit(actor, version, "price_list.line", list=version.price_list.name, line=repr(row))


@transaction.atomic
def remove_line(*, version: PriceListVersion, model: Any, line_id: int, actor: Any) -> None:
    _check_hq(actor)
    version = _locked(version)
    _editable(version)
    deleted, _x = model.objects.filter(version=version, pk=line_id).delete()
    if not deleted:
        raise ValidationError(_("That line is not in this version."))
    _back_to_draft(version)
    _audit(actor, version, "price_list.line_removed", list=version.price_list.name, line=line_id)


# --- check, publish, withdraw -------------------------------------------------------------------


def problems(version: PriceListVersion) -> list[str]:
    """What stands in the way of publishing the version (empty: it may be checked)."""
    out: list[str] = []
    kind = version.price_list.kind
    if kind == PriceList.Kind.VEHICLE:
        priced = set(VehiclePrice.objects.filter(version=version).values_list("kind", "code"))
        if not priced:
            return [_("The version has no prices.")]
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
        for k, code in sorted(priced):
            if code not in known.get(k, set()):
                out.append(
                    _("%(kind)s “%(code)s” is not in the catalogue.")
                    % {"kind": VehiclePrice.Kind(k).label, "code": code}
                )
        active_trims = set(
            Trim.objects.filter(vehicle_model__is_active=True).values_list("code", flat=True)
        )
        for code in sorted(active_trims - {c for k, c in priced if k == "trim"}):
            out.append(_("Trim “%(code)s” of the catalogue has no price.") % {"code": code})
    elif kind == PriceList.Kind.PARTS:
        if not PartPrice.objects.filter(version=version).exists():
            out.append(_("The version has no part prices."))
    else:
        priced_grades = set(
            LabourPrice.objects.filter(version=version).values_list("grade__code", flat=True)
        )
        if not priced_grades:
            return [_("The version has no labour rates.")]
        for code in sorted(set(LabourGrade.objects.values_list("code", flat=True)) - priced_grades):
            out.append(_("Labour grade “%(code)s” has no rate.") % {"code": code})
    return out


@transaction.atomic
def check_version(*, version: PriceListVersion, actor: Any) -> list[str]:
    """Run the checks; a version without problems becomes `checked`. Returns the problems."""
    _check_hq(actor)
    version = _locked(version)
    _editable(version)
    found = problems(version)
    if not found:
        version.status = Status.CHECKED
        version.checked_by = actor
        version.checked_at = timezone.now()
        version.save(update_fields=["status", "checked_by", "checked_at"])
    _audit(actor, version, "price_list.check", problems=len(found))
    return found


@transaction.atomic
def publish(
    *,
    version: PriceListVersion,
    valid_from: dt.date,
    actor: Any,
    now: dt.datetime | None = None,
) -> PriceListVersion:
    """Publish a checked version from `valid_from` (HQ's today or later). The version in force
    that day ends where this one begins; a version already published for a later day ends this
    one. Refused: not checked, a past date, the same start as a published version."""
    _check_hq(actor)
    version = _locked(version)
    if version.status != Status.CHECKED:
        raise ValidationError(
            _("Only a checked version is published: check version %(number)s first.")
            % {"number": version.number}
        )
    today = importer_today(now)
    if valid_from < today:
        raise ValidationError(
            {
                "valid_from": [
                    _("Prices never change in the past: choose %(day)s or later.")
                    % {"day": formats.date_format(today)}
                ]
            }
        )
    published = PriceListVersion.objects.filter(
        price_list_id=version.price_list_id, status=Status.PUBLISHED
    )
    if published.filter(valid_from=valid_from).exists():
        raise ValidationError(
            {
                "valid_from": [
                    _(
                        "A published version already starts on %(day)s: withdraw it first or "
                        "choose another day."
                    )
                    % {"day": formats.date_format(valid_from)}
                ]
            }
        )
    later = published.filter(valid_from__gt=valid_from).order_by("valid_from").first()
    closed = list(
        published.filter(valid_from__lt=valid_from).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gt=valid_from)
        )
    )
    published.filter(pk__in=[v.pk for v in closed]).update(valid_until=valid_from)
    version.status = Status.PUBLISHED
    version.valid_from = valid_from
    version.valid_until = later.valid_from if later else None
    version.published_by = actor
    version.published_at = now or timezone.now()
    try:
        with transaction.atomic():
            version.save(
                update_fields=[
                    "status",
                    "valid_from",
                    "valid_until",
                    "published_by",
                    "published_at",
                ]
            )
    except IntegrityError as exc:  # the exclusion constraint: a concurrent publish
        raise ValidationError(
            _("Another version of this list is valid on those days: reload and try again.")
        ) from exc
    _audit(
        actor,
        version,
        "price_list.publish",
        list=version.price_list.name,
        number=version.number,
        valid_from=valid_from,
        valid_until=version.valid_until or "",
        closed=",".join(str(v.number) for v in closed),
    )
    return version


@transaction.atomic
def withdraw(
    *, version: PriceListVersion, actor: Any, now: dt.datetime | None = None
) -> PriceListVersion:
    """Take back a published version that is not valid yet; the version before it runs on
    to where the withdrawn one would have ended."""
    _check_hq(actor)
    version = _locked(version)
    today = importer_today(now)
    if version.status != Status.PUBLISHED or version.valid_from is None:
        raise ValidationError(_("Only a published version is withdrawn."))
    if version.valid_from <= today:
        raise ValidationError(
            _(
                "Version %(number)s is already valid (since %(day)s): publish a new version "
                "instead of withdrawing it."
            )
            % {"number": version.number, "day": formats.date_format(version.valid_from)}
        )
    start, end = version.valid_from, version.valid_until
    version.status = Status.WITHDRAWN
    version.withdrawn_by = actor
    version.withdrawn_at = now or timezone.now()
    version.save(update_fields=["status", "withdrawn_by", "withdrawn_at"])
    reopened = PriceListVersion.objects.filter(
        price_list_id=version.price_list_id, status=Status.PUBLISHED, valid_until=start
    ).update(valid_until=end)
    _audit(
        actor,
        version,
        "price_list.withdraw",
        list=version.price_list.name,
        number=version.number,
        reopened=reopened,
    )
    return version


# --- the dealer's own labour rates ------------------------------------------------------------


def _check_labour_rate_setter(actor: Any, dealer_id: int) -> None:
    role = (
        Membership.objects.filter(
            user_id=getattr(actor, "pk", 0) or 0, dealer_id=dealer_id, is_active=True
        )
        .values_list("role", flat=True)
        .first()
    )
    if Cap.LABOUR_RATES not in DEALER_ROLE_CAPS.get(role or "", frozenset()):
        raise PermissionDenied(_("Only the dealer's manager or admin sets its labour rates."))


@transaction.atomic
def set_dealer_labour_rate(
    *, dealer: Any, grade: LabourGrade, rate: Decimal, actor: Any
) -> DealerLabourRate:
    """The dealer's hourly rate for a grade, within the bounds of HQ's labour list in force on
    the dealer's today. Outside them: a ValidationError naming the bounds, nothing saved."""
    _check_labour_rate_setter(actor, dealer.pk)
    day = dealer_today(dealer)
    info = pricing.labour_rates(day, grade_ids=[grade.pk])
    bounds = info.get(grade.pk)
    if bounds is None:
        raise ValidationError(
            {"rate": [_("HQ has no rate for %(grade)s in force today.") % {"grade": grade}]}
        )
    if not isinstance(rate, Decimal) or not rate.is_finite() or rate.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationError({"rate": [_("Give an amount with at most 2 decimals.")]})
    if not bounds.minimum <= rate <= bounds.maximum:
        raise ValidationError(
            {
                "rate": [
                    _("The rate for %(grade)s must be between %(min)s and %(max)s %(cur)s.")
                    % {
                        "grade": grade,
                        "min": formats.number_format(bounds.minimum, 2),
                        "max": formats.number_format(bounds.maximum, 2),
                        "cur": info.currency,
                    }
                ]
            }
        )
    with as_dealer(dealer):
        row, _created = DealerLabourRate.objects.update_or_create(
            dealer=dealer,
            grade=grade,
            defaults={
                "rate": rate,
                "currency": info.currency,
                "set_by": actor,
                "set_at": timezone.now(),
            },
        )
    record(
        action=AuditAction.SETTINGS_CHANGE,
        actor=actor,
        dealer=dealer,
        obj=row,
        detail={"what": "labour_rate", "grade": grade.code, "rate": str(rate)},
    )
    return row
