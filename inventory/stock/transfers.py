"""Inter-dealer transfers of parts (issue 15, item 8).

A transfer is two tenant rows, one per dealer, sharing `transfer_key` (DESIGN.md: a row that
concerns two dealers is two rows). Every step opens a write scope over exactly those two dealers
for one transaction, locks both rows (in dealer order), moves the stock and both statuses, and
audits — so a failure anywhere leaves both dealers as they were: nothing lost, nothing doubled.

    requested ──accept──▶ accepted ──dispatch──▶ dispatched ──receive──▶ received
        │  └──refuse──▶ refused          (supplier's parts reserved on accept, issued on dispatch,
        └──cancel (requester)──▶ cancelled   received into the requester's store on receipt)

The requester learns of the supplier's stock only through the network projection (a band); the
supplier's acceptance is where its real stock is checked (a reservation under a row lock).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dealers.clock import dealer_today
from dealers.models import Dealer
from dms.audit import services as audit
from dms.audit.models import AuditAction
from dms.tenancy.context import as_dealers
from sales.numbering import next_number

from ..models import Part
from . import services
from .models import PartReservation, PartTransfer, StockMovement
from .services import StockRefused

Status = PartTransfer.Status
Side = PartTransfer.Side
NUMBER_SERIES = "transfer"


@contextmanager
def _both(dealer_ids: tuple[int, int]) -> Iterator[None]:
    """One transaction that may write exactly these two dealers' rows."""
    with as_dealers(dealer_ids, write=True), transaction.atomic():
        yield


def _price(part: Part, day: Any) -> Decimal | None:
    """What the requester pays: the dealer net price of the day's parts price list."""
    from bulletins.pricing import part_prices

    info = part_prices(day, numbers=[part.number]).get(part.number)
    return info.dealer_net if info else None


def _audit(rows: dict[str, PartTransfer], step: str, actor: Any, request: Any = None) -> None:
    incoming, outgoing = rows[Side.IN], rows[Side.OUT]
    for row in (incoming, outgoing):
        audit.record(
            action=AuditAction.STOCK_TRANSFER,
            actor=actor,
            dealer=row.dealer_id,
            obj=row,
            request=request,
            detail={
                "step": step,
                "transfer": str(row.transfer_key),
                "number": row.number,
                "part": incoming.part.number,
                "quantity": str(incoming.quantity),
                "from": outgoing.dealer_id,
                "to": incoming.dealer_id,
            },
        )


@transaction.atomic
def request_transfer(
    *,
    requester: Dealer,
    supplier: Dealer,
    part: Part,
    quantity: Any,
    actor: Any,
    note: str = "",
    request: Any = None,
) -> PartTransfer:
    """The requesting dealer asks another dealer of the network for parts. Returns the
    requester's row."""
    if supplier.pk == requester.pk:
        raise StockRefused(_("Choose another dealer: a transfer goes between two dealers."))
    if not supplier.is_active:
        raise StockRefused(_("This dealer no longer takes transfer requests."))
    amount = services.check_quantity(part, quantity)
    key = uuid.uuid4()
    now = timezone.now()
    with _both((requester.pk, supplier.pk)):
        number = next_number(dealer_id=requester.pk, kind=NUMBER_SERIES)
        price = _price(part, dealer_today(requester))
        common = {
            "transfer_key": key,
            "number": number,
            "part": part,
            "quantity": amount,
            "unit_price": price,
            "note": " ".join(note.split())[:200],
            "requested_at": now,
            "changed_at": now,
        }
        incoming = PartTransfer.objects.create(
            dealer=requester, side=Side.IN, partner=supplier, **common
        )
        outgoing = PartTransfer.objects.create(
            dealer=supplier, side=Side.OUT, partner=requester, **common
        )
        _audit({Side.IN: incoming, Side.OUT: outgoing}, "requested", actor, request)
    return incoming


def _locked_pair(row: PartTransfer) -> dict[str, PartTransfer]:
    """Both sides of `row`'s transfer, locked in dealer order (two steps never deadlock)."""
    pair = list(
        PartTransfer.objects.select_for_update()
        .filter(transfer_key=row.transfer_key, dealer_id__in=[row.dealer_id, row.partner_id])
        .select_related("part")
        .order_by("dealer_id")
    )
    if len(pair) != 2:
        raise StockRefused(_("This transfer is incomplete; ask your administrator."))
    return {r.side: r for r in pair}


def _step(
    row: PartTransfer,
    *,
    side: str,
    expected: tuple[str, ...],
    new_status: str,
    actor: Any,
    request: Any,
    work: Any = None,
    note: str = "",
) -> PartTransfer:
    """Check who acts (the right side) and from which state, run the stock work, move both rows."""
    if row.side != side:
        raise StockRefused(_("The other dealer takes this step."))
    with _both((row.dealer_id, row.partner_id)):
        rows = _locked_pair(row)
        if rows[side].status not in expected:
            raise StockRefused(
                _("This transfer is %(status)s: nothing was changed.")
                % {"status": rows[side].get_status_display().lower()}
            )
        if work is not None:
            work(rows)
        now = timezone.now()
        for r in rows.values():
            r.status = new_status
            r.changed_at = now
            if note:
                r.note = note[:200]
        PartTransfer.objects.bulk_update(list(rows.values()), ["status", "changed_at", "note"])
        _audit(rows, new_status, actor, request)
        return rows[side]


def accept(*, transfer: PartTransfer, actor: Any, request: Any = None) -> PartTransfer:
    """The supplier agrees: the parts are reserved in its store (refused, nothing changed, when
    it no longer has them available)."""

    def reserve(rows: dict[str, PartTransfer]) -> None:
        outgoing = rows[Side.OUT]
        (reservation, *more) = services.reserve(
            dealer_id=outgoing.dealer_id,
            part=outgoing.part,
            quantity=outgoing.quantity,
            reference=_("Transfer T%(number)s") % {"number": outgoing.number},
            actor=actor,
        )
        if more:  # older numbers' stock served part of it: send the current number only
            raise StockRefused(
                _("Part of this stock is under an older part number; transfer that number.")
            )
        outgoing.reservation = reservation
        outgoing.save(update_fields=["reservation"])

    return _step(
        transfer,
        side=Side.OUT,
        expected=(Status.REQUESTED,),
        new_status=Status.ACCEPTED,
        actor=actor,
        request=request,
        work=reserve,
    )


def refuse(*, transfer: PartTransfer, actor: Any, reason: str, request: Any = None) -> PartTransfer:
    reason = " ".join(str(reason).split())
    if not reason:
        raise StockRefused(_("Say why the request is refused."))
    return _step(
        transfer,
        side=Side.OUT,
        expected=(Status.REQUESTED,),
        new_status=Status.REFUSED,
        actor=actor,
        request=request,
        note=reason,
    )


def cancel(*, transfer: PartTransfer, actor: Any, request: Any = None) -> PartTransfer:
    """The requester withdraws a request the supplier has not accepted yet."""
    return _step(
        transfer,
        side=Side.IN,
        expected=(Status.REQUESTED,),
        new_status=Status.CANCELLED,
        actor=actor,
        request=request,
    )


def dispatch(*, transfer: PartTransfer, actor: Any, request: Any = None) -> PartTransfer:
    """The supplier sends the reserved parts: they leave its store (a transfer-out movement)."""

    def send(rows: dict[str, PartTransfer]) -> None:
        outgoing = rows[Side.OUT]
        if outgoing.reservation_id is None:
            raise StockRefused(_("This transfer has no reserved parts to send."))
        reservation = PartReservation.objects.get(pk=outgoing.reservation_id)
        services.issue_reservation(
            reservation=reservation, actor=actor, kind=StockMovement.Kind.TRANSFER_OUT
        )

    return _step(
        transfer,
        side=Side.OUT,
        expected=(Status.ACCEPTED,),
        new_status=Status.DISPATCHED,
        actor=actor,
        request=request,
        work=send,
    )


def receive(*, transfer: PartTransfer, actor: Any, request: Any = None) -> PartTransfer:
    """The requester takes the parts into its store (a transfer-in movement at the agreed
    price)."""

    def take_in(rows: dict[str, PartTransfer]) -> None:
        incoming = rows[Side.IN]
        services.receive(
            dealer_id=incoming.dealer_id,
            part=incoming.part,
            quantity=incoming.quantity,
            unit_cost=incoming.unit_price,
            reference=_("Transfer T%(number)s") % {"number": incoming.number},
            actor=actor,
            kind=StockMovement.Kind.TRANSFER_IN,
        )

    return _step(
        transfer,
        side=Side.IN,
        expected=(Status.DISPATCHED,),
        new_status=Status.RECEIVED,
        actor=actor,
        request=request,
        work=take_in,
    )
