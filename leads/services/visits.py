"""The visitor register: walk-ins and calls, who served them, how long, with what outcome."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from dealers.clock import day_start, dealer_today
from dealers.models import Dealer
from leads.models import Customer, Lead, LeadSource, Visit
from leads.selectors.customers import sees_all_customers
from leads.timeline_lines import Choice, Join, Msg, Said, said

MAX_PARTY_SIZE = 50
# Clocks differ a little between a tablet and the server: a few minutes ahead is still "now".
FUTURE_TOLERANCE = timedelta(minutes=10)


def earliest_arrival(dealer: Dealer) -> datetime:
    """The first moment a visit may be entered for: the start of the dealer's local day
    `visit_days_back` days ago (a walk-in backdated by years would still be "in the showroom")."""
    first_day = dealer_today(dealer) - timedelta(days=dealer.visit_days_back)
    return day_start(dealer, first_day)


def validate_visit_times(
    *,
    arrived_at: datetime,
    left_at: datetime | None,
    now: datetime | None = None,
    dealer: Dealer | None = None,
) -> dict[str, str]:
    now = now or timezone.now()
    errors: dict[str, str] = {}
    if arrived_at > now + FUTURE_TOLERANCE:
        errors["arrived_at"] = _("The arrival time cannot be in the future.")
    elif dealer is not None and arrived_at < (earliest := earliest_arrival(dealer)):
        # compare, never convert: 0001-01-01 in a zone east of UTC has no UTC time
        days = dealer.visit_days_back
        errors["arrived_at"] = (
            ngettext(
                "A visit can be entered at most %(days)d day back (from %(first)s).",
                "A visit can be entered at most %(days)d days back (from %(first)s).",
                days,
            )
            if days
            else _("Only today's visits and calls can be entered (from %(first)s).")
        ) % {"days": days, "first": date_format(earliest.date(), "SHORT_DATE_FORMAT")}
    if left_at is not None:
        if left_at < arrived_at:
            errors["left_at"] = _("The leave time must be after the arrival time.")
        elif left_at > now + FUTURE_TOLERANCE:
            errors["left_at"] = _("The leave time cannot be in the future.")
    return errors


def validate_party_size(party_size: Any) -> str | None:
    if isinstance(party_size, bool) or not isinstance(party_size, int):
        return _("Enter the number of people as a whole number.")
    if not 1 <= party_size <= MAX_PARTY_SIZE:
        return _("The party size must be between 1 and %(max)d.") % {"max": MAX_PARTY_SIZE}
    return None


def visit_summary(visit: Visit) -> Said:
    """The timeline line of a visit or call, e.g. "Walk-in, interested in Aurora 3, party of 2,
    Test drive", read in the reader's language."""
    kind = (
        gettext_noop("Walk-in") if visit.kind == Visit.Kind.WALK_IN else gettext_noop("Phone call")
    )
    parts: list[Any] = [Msg(kind)]
    if visit.vehicle_model_id is not None and visit.vehicle_model is not None:
        parts.append(said(gettext_noop("interested in %(model)s"), model=visit.vehicle_model.name))
    if visit.kind == Visit.Kind.WALK_IN and visit.party_size > 1:
        parts.append(said(gettext_noop("party of %(n)d"), n=visit.party_size))
    if visit.outcome:
        parts.append(Choice("visit_outcome", visit.outcome))
    return Said("%(parts)s", {"parts": Join(tuple(parts))})


def log_visit(
    *,
    customer: Customer,
    actor: Any,
    kind: str,
    source: LeadSource,
    lead: Lead | None = None,
    vehicle_model: Any = None,
    party_size: int = 1,
    arrived_at: datetime | None = None,
    left_at: datetime | None = None,
    outcome: str = "",
    note: str = "",
) -> Visit:
    """One row of the visitor register (validated). The caller writes the timeline line."""
    arrived_at = arrived_at or timezone.now()
    dealer = Dealer.objects.get(pk=customer.dealer_id)
    errors = validate_visit_times(arrived_at=arrived_at, left_at=left_at, dealer=dealer)
    if kind not in Visit.Kind.values:
        errors["kind"] = _("Choose walk-in or phone call.")
    if (msg := validate_party_size(party_size)) is not None:
        errors["party_size"] = msg
    if outcome and outcome not in Visit.Outcome.values:
        errors["outcome"] = _("Choose an outcome from the list.")
    if errors:
        raise ValidationError(errors)
    return Visit.objects.create(
        dealer_id=customer.dealer_id,
        kind=kind,
        customer=customer,
        lead=lead,
        served_by=actor,
        source=source,
        vehicle_model=vehicle_model,
        party_size=party_size,
        arrived_at=arrived_at,
        left_at=left_at,
        outcome=outcome,
        note=(note or "")[:300],
    )


def can_edit_visit(*, visit: Visit, actor: Any) -> bool:
    return visit.served_by_id == actor.pk or sees_all_customers(actor, visit.dealer_id)


@transaction.atomic
def update_visit(
    *,
    visit: Visit,
    actor: Any,
    left_at: datetime | None,
    outcome: str = "",
    note: str | None = None,
) -> Visit:
    """Set the leave time and outcome later (the consultant who served them, or a manager)."""
    if not can_edit_visit(visit=visit, actor=actor):
        raise PermissionDenied
    errors = validate_visit_times(arrived_at=visit.arrived_at, left_at=left_at)
    errors.pop("arrived_at", None)
    if outcome and outcome not in Visit.Outcome.values:
        errors["outcome"] = _("Choose an outcome from the list.")
    if errors:
        raise ValidationError(errors)
    visit.left_at = left_at
    visit.outcome = outcome
    fields = ["left_at", "outcome"]
    if note is not None:
        visit.note = note[:300]
        fields.append("note")
    visit.save(update_fields=fields)
    return visit


def mark_left(*, visit: Visit, actor: Any, at: datetime | None = None) -> Visit:
    """ "They just left": leave time now (never before the arrival)."""
    at = at or timezone.now()
    return update_visit(
        visit=visit, actor=actor, left_at=max(at, visit.arrived_at), outcome=visit.outcome
    )
