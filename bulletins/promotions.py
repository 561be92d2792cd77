"""HQ promotions: defined and published by HQ admins, offered on a dealer's quotes while valid
for that dealer, day and trim, and limited network-wide by an optional budget of orders.

The budget is one counter on the promotion, taken by `take_budget` — a conditional UPDATE
(`used < budget`), never read-then-write — so when two dealers order the last unit at the same
moment exactly one gets it (the database check `used <= budget` backs it up).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from dealers.models import Dealer, Region
from dms.audit.services import record_reference_change
from inventory.models import Trim, VehicleModel

from . import services as bulletin_services
from .models import Promotion

CENT = Decimal("0.01")


class PromotionUnavailable(ValidationError):
    """The promotion cannot be taken (any more): budget used up, withdrawn or out of dates."""


def _audit(promotion: Promotion, actor: Any, change: str, request: Any, **detail: Any) -> None:
    record_reference_change(obj=promotion, actor=actor, change=change, request=request,
                            promotion=promotion.code, **detail)  # fmt: skip


@transaction.atomic
def create_promotion(
    *,
    actor: Any,
    code: str,
    name: str,
    valid_from: dt.date,
    valid_to: dt.date,
    kind: str,
    value: Decimal,
    description: str = "",
    currency: str = "EUR",
    stacks_with_discount: bool = False,
    budget: int | None = None,
    all_dealers: bool = False,
    regions: Iterable[Region] = (),
    dealers: Iterable[Dealer] = (),
    vehicle_models: Iterable[VehicleModel] = (),
    trims: Iterable[Trim] = (),
    request: HttpRequest | None = None,
) -> Promotion:
    """A draft promotion (no quote offers it until it is published)."""
    bulletin_services._check_hq_author(actor)
    regions, dealers = list(regions), list(dealers)
    errors: dict[str, str] = {}
    code = (code or "").strip().upper()
    if not code:
        errors["code"] = _("Enter a code.")
    elif Promotion.objects.filter(code=code).exists():
        errors["code"] = _("A promotion with this code exists already.")
    if not (name or "").strip():
        errors["name"] = _("Enter a name.")
    if valid_from and valid_to and valid_to < valid_from:
        errors["valid_to"] = _("The last day comes before the first.")
    if kind not in Promotion.Kind.values:
        errors["kind"] = _("Choose an amount or a percentage.")
    elif value is None or value <= 0 or value != value.quantize(CENT):
        errors["value"] = _("Enter a value above zero with at most two decimals.")
    elif kind == Promotion.Kind.PERCENT and value > 100:
        errors["value"] = _("A percentage goes up to 100.")
    if budget is not None and budget < 1:
        errors["budget"] = _("A budget is at least one order; leave it empty for no limit.")
    if not (all_dealers or regions or dealers):
        errors["targets"] = _("Choose the whole network or at least one region or dealer.")
    if errors:
        raise ValidationError(errors)
    promotion = Promotion.objects.create(
        code=code,
        name=name.strip(),
        description=description.strip(),
        valid_from=valid_from,
        valid_to=valid_to,
        kind=kind,
        value=value,
        currency=currency,
        stacks_with_discount=stacks_with_discount,
        budget=budget,
        all_dealers=all_dealers,
        created_by=actor,
    )
    promotion.target_regions.set(regions)
    promotion.target_dealers.set(dealers)
    promotion.vehicle_models.set(list(vehicle_models))
    promotion.trims.set(list(trims))
    _audit(promotion, actor, "created", request)
    return promotion


def _set_status(promotion: Promotion, actor: Any, *, old: str, new: str, request: Any) -> None:
    bulletin_services._check_hq_author(actor)
    changes: dict[str, Any] = {"status": new}
    if new == Promotion.Status.PUBLISHED:
        changes["published_at"] = timezone.now()
    if not Promotion.objects.filter(pk=promotion.pk, status=old).update(**changes):
        raise ValidationError(_("This promotion is not a %(status)s.") % {"status": old})
    _audit(promotion, actor, new, request)
    promotion.refresh_from_db()


def publish_promotion(
    *, actor: Any, promotion: Promotion, request: HttpRequest | None = None
) -> None:
    _set_status(promotion, actor, old=Promotion.Status.DRAFT, new=Promotion.Status.PUBLISHED,
                request=request)  # fmt: skip


def withdraw_promotion(
    *, actor: Any, promotion: Promotion, request: HttpRequest | None = None
) -> None:
    """No new quote offers it; quotes and orders that took it keep it."""
    _set_status(promotion, actor, old=Promotion.Status.PUBLISHED, new=Promotion.Status.WITHDRAWN,
                request=request)  # fmt: skip


def promotions_for(
    *, dealer: Dealer, day: dt.date, trim: Trim | None = None
) -> QuerySet[Promotion]:
    """The published promotions a quote of `dealer` on its day `day` may take for `trim` (any
    trim when None), with budget left. One query."""
    eligible = Q(vehicle_models__isnull=True, trims__isnull=True)
    if trim is not None:
        eligible |= Q(trims=trim) | Q(vehicle_models=trim.vehicle_model_id)
    ids = (
        Promotion.objects.filter(
            Q(all_dealers=True) | Q(target_regions=dealer.region_id) | Q(target_dealers=dealer),
            eligible,
            status=Promotion.Status.PUBLISHED,
            valid_from__lte=day,
            valid_to__gte=day,
        )
        .filter(Q(budget__isnull=True) | Q(used__lt=F("budget")))
        .values("pk")
    )
    return Promotion.objects.filter(pk__in=ids).order_by("valid_to", "code")


def promotion_amount(promotion: Promotion, *, price: Decimal) -> Decimal:
    """What the promotion takes off `price` (never more than the price itself)."""
    if promotion.kind == Promotion.Kind.PERCENT:
        off = (price * promotion.value / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    else:
        off = promotion.value
    return min(off, price)


def take_budget(*, promotion_id: int, day: dt.date) -> None:
    """Take one order from the promotion's budget, or PromotionUnavailable (nothing taken).
    Call inside the order's transaction: a rolled-back order gives the unit back."""
    taken = Promotion.objects.filter(
        Q(budget__isnull=True) | Q(used__lt=F("budget")),
        pk=promotion_id,
        status=Promotion.Status.PUBLISHED,
        valid_from__lte=day,
        valid_to__gte=day,
    ).update(used=F("used") + 1)
    if not taken:
        raise PromotionUnavailable(
            _("This promotion is no longer available (its budget is used up, or it ended).")
        )


def give_back_budget(*, promotion_id: int) -> None:
    """An order that took the promotion was cancelled: its unit is free again."""
    Promotion.objects.filter(pk=promotion_id, used__gt=0).update(used=F("used") - 1)
