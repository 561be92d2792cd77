"""Cycle counts of a bin range (issue 15, item 9).

    counting ──submit──▶ waiting for approval ──approve──▶ approved (differences posted)
        └────────────cancel (any time before approval)──────────▶ cancelled

Starting a count takes a snapshot of what the books say for every stocked part in the range;
the clerks type what they find without seeing it (blind entry). On approval each difference
(counted − snapshot) is posted as a count adjustment through inventory.stock.services.adjust, on
top of whatever moved since the count started — so issues made during the count are not undone.
The approval is audited with every difference."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dms.audit import services as audit
from dms.audit.models import AuditAction

from . import services
from .models import PartStock, StockCount, StockCountLine
from .services import StockRefused

Status = StockCount.Status
MAX_LINES = 2000


def _bin(value: str) -> str:
    return " ".join(str(value).split()).upper()[:20]


@transaction.atomic
def start_count(*, dealer_id: int, bin_from: str, bin_to: str, actor: Any) -> StockCount:
    low, high = _bin(bin_from), _bin(bin_to)
    if not low or not high:
        raise StockRefused(_("Give the first and the last bin of the range."))
    if low > high:
        raise StockRefused(_("The first bin comes after the last one."))
    balances = list(
        PartStock.objects.filter(dealer_id=dealer_id, bin__gte=low, bin__lte=high)
        .order_by("bin", "part_id")
        .values_list("part_id", "bin", "on_hand")[: MAX_LINES + 1]
    )
    if not balances:
        raise StockRefused(_("No stocked part lies in these bins."))
    if len(balances) > MAX_LINES:
        raise StockRefused(
            _("More than %(max)s parts lie in these bins: count a smaller range.")
            % {"max": MAX_LINES}
        )
    count = StockCount.objects.create(
        dealer_id=dealer_id, bin_from=low, bin_to=high, started_by=actor
    )
    StockCountLine.objects.bulk_create(
        StockCountLine(dealer_id=dealer_id, count=count, part_id=p, bin=b, expected=q)
        for p, b, q in balances
    )
    return count


def _locked(count: StockCount, *expected: str) -> StockCount:
    locked = StockCount.objects.select_for_update().get(pk=count.pk)
    if locked.status not in expected:
        raise StockRefused(
            _("This count is %(status)s: nothing was changed.")
            % {"status": locked.get_status_display().lower()}
        )
    return locked


@transaction.atomic
def enter_counts(*, count: StockCount, counted: Mapping[int, Any], actor: Any) -> int:
    """Record what was found (line id → quantity; blank keeps the line open). Returns how many
    lines were filled."""
    locked = _locked(count, Status.COUNTING)
    lines = {line.pk: line for line in locked.lines.select_related("part")}
    changed = []
    for line_id, raw in counted.items():
        line = lines.get(line_id)
        if line is None:
            raise StockRefused(_("This line is not part of the count."))
        if raw in (None, ""):
            continue
        value = Decimal(str(raw))
        line.counted = Decimal(0) if value == 0 else services.check_quantity(line.part, value)
        changed.append(line)
    StockCountLine.objects.bulk_update(changed, ["counted"])
    return len(changed)


@transaction.atomic
def submit(*, count: StockCount, actor: Any) -> StockCount:
    locked = _locked(count, Status.COUNTING)
    missing = locked.lines.filter(counted__isnull=True).count()
    if missing:
        raise StockRefused(
            _("%(missing)s parts are not counted yet (type 0 for none found).")
            % {"missing": missing}
        )
    locked.status = Status.SUBMITTED
    locked.save(update_fields=["status"])
    return locked


@transaction.atomic
def approve(*, count: StockCount, actor: Any, request: Any = None) -> list[dict[str, str]]:
    """Post every difference as a count adjustment; the count is closed. Refused (nothing
    changed) when an adjustment is (e.g. fewer counted than reserved since)."""
    locked = _locked(count, Status.SUBMITTED)
    differences = []
    for line in locked.lines.select_related("part").order_by("bin", "part__number"):
        # (submitted counts have every line counted)
        difference = (line.expected if line.counted is None else line.counted) - line.expected
        if difference == 0:
            continue
        stock = PartStock.objects.get(dealer_id=locked.dealer_id, part_id=line.part_id)
        services.adjust(
            dealer_id=locked.dealer_id,
            part=line.part,
            counted=max(Decimal(0), stock.on_hand + difference),
            reason=_("Stock count %(bins)s") % {"bins": f"{locked.bin_from}–{locked.bin_to}"},
            actor=actor,
            reference=f"SC {locked.pk}",
        )
        differences.append({"part": line.part.number, "difference": str(difference)})
    locked.status = Status.APPROVED
    locked.decided_at = timezone.now()
    locked.decided_by = actor
    locked.save(update_fields=["status", "decided_at", "decided_by"])
    audit.record(
        action=AuditAction.STOCK_COUNT,
        actor=actor,
        dealer=locked.dealer_id,
        obj=locked,
        request=request,
        count=len(differences),
        detail={"bins": f"{locked.bin_from}–{locked.bin_to}", "differences": differences[:200]},
    )
    return differences


@transaction.atomic
def cancel(*, count: StockCount, actor: Any) -> StockCount:
    locked = _locked(count, Status.COUNTING, Status.SUBMITTED)
    locked.status = Status.CANCELLED
    locked.decided_at = timezone.now()
    locked.decided_by = actor
    locked.save(update_fields=["status", "decided_at", "decided_by"])
    return locked
