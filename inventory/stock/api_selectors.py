"""Reads of the parts store that the API needs as querysets (to paginate them), inside the
dealer's tenant scope. The pages' reads stay in inventory.stock.selectors."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from .models import PartReservation, PartTransfer, StockMovement

CLOSED_TRANSFER = (
    PartTransfer.Status.RECEIVED,
    PartTransfer.Status.REFUSED,
    PartTransfer.Status.CANCELLED,
)


def movements_of(*, dealer_id: int, part_id: int) -> QuerySet[StockMovement]:
    """The dealer's ledger lines of one part, newest first."""
    return (
        StockMovement.objects.filter(dealer_id=dealer_id, part_id=part_id)
        .select_related("actor")
        .order_by("-at", "-id")
    )


def reservations_of(*, dealer_id: int) -> QuerySet[PartReservation]:
    """The dealer's reservations (any status: a closed one answers why it cannot move)."""
    return PartReservation.objects.filter(dealer_id=dealer_id).select_related("part")


def transfer_rows(*, dealer_id: int) -> QuerySet[PartTransfer]:
    """The dealer's side of its transfers, open ones first, newest first (as the page)."""
    return (
        PartTransfer.objects.filter(dealer_id=dealer_id)
        .select_related("part", "partner")
        .annotate(
            done=Case(
                When(status__in=CLOSED_TRANSFER, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("done", "-changed_at", "-id")
    )
