"""Pieces every sales service shares: outcomes with notes, money, permission checks, the
funnel side effects (playbook steps, stage moves, timeline, notifications)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from dealers.clock import dealer_zone
from dealers.models import Dealer
from leads.models import FUNNEL_STAGES, Lead, Stage
from leads.services.leads import advance_stage, complete_step, record_activity
from leads.services.permissions import actor_can
from leads.services.routing import notify
from leads.services.timeline import Said, add_timeline_event

from ..models import (
    LeadStep,
    PlaybookStep,
)

T = TypeVar("T")

CENT = Decimal("0.01")
ZERO = Decimal("0")


@dataclass
class Outcome(Generic[T]):
    """What a service did, plus notes for the user (e.g. a stage the playbook keeps closed)."""

    obj: T
    notes: list[str] = field(default_factory=list)


# --- small helpers -------------------------------------------------------------------------------


def money(value: Decimal, currency: str = "EUR") -> str:
    """ "EUR 21,490.00": the one money format of messages, pages and the PDF."""
    return f"{currency} {value.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"


def _local(value: dt.datetime, dealer: Dealer) -> dt.datetime:
    return timezone.localtime(value, dealer_zone(dealer))


def format_slot(starts_at: dt.datetime, ends_at: dt.datetime, dealer: Dealer) -> tuple[str, str]:
    """Start and end of a slot in the dealer's time, the end without its date on the same day."""
    start, end = _local(starts_at, dealer), _local(ends_at, dealer)
    start_text = formats.date_format(start, "j M Y, H:i")
    end_text = formats.date_format(end, "H:i" if end.date() == start.date() else "j M Y, H:i")
    return start_text, end_text


def _decimal(value: Any, field_name: str, label: str) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else "0"))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(
            {field_name: _("%(label)s must be a number.") % {"label": label}}
        ) from exc
    if not amount.is_finite():
        raise ValidationError({field_name: _("%(label)s must be a number.") % {"label": label}})
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _require_staff(actor: Any, dealer_id: int, capability: str) -> None:
    """Defence in depth (views check request.access first): the actor's role at the dealer."""
    if not actor_can(actor, dealer_id, capability):
        raise PermissionDenied(_("Your role at this dealer may not do this."))


# --- the funnel side effects (through leads.services) ---------------------------------------------


def _stage_index(stage: str) -> int:
    try:
        return FUNNEL_STAGES.index(Stage(stage))
    except ValueError:
        return -1


def complete_steps(*, lead: Lead, codes: Iterable[str], actor: Any) -> None:
    """Mark HQ playbook steps of the lead as done (steps already done or waived, and steps HQ
    does not define, are skipped)."""
    wanted = set(codes)
    if not wanted:
        return
    defined = set(
        PlaybookStep.objects.filter(code__in=wanted, is_active=True).values_list("code", flat=True)
    )
    done = set(
        LeadStep.objects.filter(lead=lead, step__code__in=wanted).values_list(
            "step__code", flat=True
        )
    )
    for code in sorted(defined - done):
        complete_step(lead=lead, step_code=code, actor=actor)


def advance_lead(*, lead: Lead, to_stage: str, actor: Any) -> list[str]:
    """Move an open lead forward to `to_stage` (never backwards) through the funnel service.
    Returns notes for the user when the HQ playbook keeps the stage closed (nothing changes)."""
    lead.refresh_from_db()
    if not lead.is_open or _stage_index(lead.stage) >= _stage_index(to_stage):
        return []
    try:
        with transaction.atomic():
            advance_stage(lead=lead, to_stage=to_stage, actor=actor)
    except ValidationError as exc:
        lead.refresh_from_db()
        return [
            _("The lead stays at stage “%(stage)s”: %(reasons)s")
            % {"stage": lead.get_stage_display(), "reasons": " ".join(exc.messages)}
        ]
    lead.refresh_from_db()
    return []


def _log(
    *,
    lead: Lead,
    kind: str,
    summary: str | Said,
    actor: Any,
    ref: Any = None,
    at: dt.datetime | None = None,
    contact: bool = True,
) -> None:
    """One line on the customer's timeline. Work done with the customer (`contact`) goes through
    the funnel's record_activity: last activity, first response, the grade follow-up covered and
    re-planned. Back-office work (a draft, a manager's decision) is a plain timeline line."""
    if contact and lead.is_open:
        record_activity(lead=lead, actor=actor, kind=kind, summary=summary, ref=ref, at=at)
    else:
        add_timeline_event(
            customer=lead.customer,
            lead=lead,
            kind=kind,
            summary=summary,
            actor=actor,
            ref=ref,
            at=at,
        )


def _notify(
    *, user_ids: list[int], dealer_id: int, kind: str, text: Callable[[], str], url: str = ""
) -> None:
    """In-app notifications, `text` written in each reader's language (leads' notify)."""
    notify(user_ids=user_ids, dealer_id=dealer_id, kind=kind, text=text, url=url)


def _require_status(obj: Any, allowed: str | tuple[str, ...], message: str) -> None:
    """Refuse to act on a test drive, quote or order that is not in the `allowed` status (or one
    of them): `message` names the status it is in through ``%(status)s``."""
    if obj.status not in ((allowed,) if isinstance(allowed, str) else allowed):
        raise ValidationError(message % {"status": obj.get_status_display()})


def _integrity_constraint(exc: IntegrityError) -> str:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", "") or ""
