"""The quote's life: create, revise, send, accept, decline, and the discount approval."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dealers.clock import dealer_today
from dealers.models import Dealer
from dealers.roles import Cap
from dms.audit.services import record
from leads.models import Lead, Stage
from leads.services.permissions import approver_ids
from leads.services.timeline import Msg, Said

from ..models import (
    Quote,
    QuoteLine,
)
from .common import (
    Outcome,
    _log,
    _notify,
    _require_staff,
    _require_status,
    advance_lead,
    complete_steps,
    money,
)
from .pricing import Pricing, QuoteSpec, price_quote

# --- quotes: lifecycle ---------------------------------------------------------------------------


def _validate_spec_dates(spec: QuoteSpec, today: dt.date) -> None:
    if spec.valid_until is not None and spec.valid_until < today:
        raise ValidationError({"valid_until": _("The validity date cannot be in the past.")})


def check_quote(*, spec: QuoteSpec, on: dt.date, dealer: Dealer | None = None) -> Pricing:
    """The quote priced as create_quote / update_quote would price it on `on`, every problem at
    once (the validity date and the figures together, not one after the other)."""
    errors: dict[str, Any] = {}
    try:
        _validate_spec_dates(spec, on)
    except ValidationError as exc:
        exc.update_error_dict(errors)
    pricing: Pricing | None = None
    try:
        pricing = price_quote(spec=spec, on=on, dealer=dealer)
    except ValidationError as exc:
        exc.update_error_dict(errors)
    if errors or pricing is None:
        raise ValidationError(errors)
    return pricing


def _write_quote(quote: Quote, pricing: Pricing, spec: QuoteSpec) -> None:
    quote.price_version = pricing.price_version
    quote.trim = spec.trim
    quote.colour = spec.colour
    quote.currency = pricing.currency
    quote.list_price = pricing.list_price
    quote.extras_total = pricing.extras_total
    quote.discount = pricing.discount
    quote.trade_in_description = spec.trade_in_description.strip()[:200]
    quote.trade_in_value = pricing.trade_in_value
    quote.payment = pricing.payment
    quote.down_payment = pricing.down_payment
    quote.term_months = pricing.term_months
    quote.annual_rate_percent = pricing.annual_rate_percent
    quote.monthly_payment = pricing.monthly_payment
    quote.promotion = pricing.promotion
    quote.promotion_amount = pricing.promotion_amount
    quote.total = pricing.total
    quote.valid_until = spec.valid_until


def _write_lines(quote: Quote, pricing: Pricing) -> None:
    QuoteLine.objects.filter(quote=quote).delete()
    QuoteLine.objects.bulk_create(
        [
            QuoteLine(
                dealer_id=quote.dealer_id,
                quote=quote,
                kind=line.kind,
                code=line.code,
                description=line.description[:200],
                price=line.price,
            )
            for line in pricing.lines
        ]
    )


def _discount_status(pricing: Pricing, approved_up_to: Decimal | None) -> str:
    if not pricing.needs_approval:
        return Quote.DiscountStatus.NONE
    if approved_up_to is not None and pricing.discount <= approved_up_to:
        return Quote.DiscountStatus.APPROVED
    return Quote.DiscountStatus.PENDING


def _next_version(lead: Lead) -> int:
    # The lead's row lock numbers one quote at a time: two quotes (or a new quote and a
    # revision) of one lead at once would both take max + 1 and collide on the unique version.
    Lead.objects.select_for_update(of=("self",)).filter(pk=lead.pk).first()
    current = Quote.objects.filter(lead=lead).aggregate(v=Max("version"))["v"]
    return (current or 0) + 1


def _after_pending(quote: Quote) -> None:
    """Tell the dealer's approvers that a discount waits for them."""
    if quote.discount_status != Quote.DiscountStatus.PENDING:
        return

    def text() -> str:
        return _(
            "Discount of %(discount)s on quote %(number)s (%(customer)s) awaits your approval."
        ) % {
            "discount": money(quote.discount, quote.currency),
            "number": quote_number(quote),
            "customer": quote.customer,
        }

    _notify(
        user_ids=[uid for uid in approver_ids(quote.dealer_id) if uid != quote.created_by_id],
        dealer_id=quote.dealer_id,
        kind="approval",
        text=text,
        url=reverse("sales:quote_detail", args=[quote.pk]),
    )


def quote_number(quote: Quote) -> str:
    # The lead's id from the related object when the quote was built before the lead had one
    # (the demo's history writer saves leads and quotes in bulk).
    lead_id = quote.lead_id if quote.lead_id is not None else quote.lead.pk
    return f"Q{lead_id}-{quote.version}"


def quote_not_valid(quote: Quote, today: dt.date | None = None) -> str:
    """Why this quote is not a valid offer to the customer, or "" when it is: its PDF then says
    so across every page and carries no signature lines (sales/pdf.py). A discount waiting for a
    manager or rejected is not offered yet; a replaced, declined or expired quote no longer is."""
    if quote.status in (Quote.Status.SUPERSEDED, Quote.Status.DECLINED):
        return str(quote.status)
    if quote.discount_status == Quote.DiscountStatus.PENDING:
        return "discount_pending"
    if quote.discount_status == Quote.DiscountStatus.REJECTED:
        return "discount_rejected"
    open_offer = quote.status in (Quote.Status.DRAFT, Quote.Status.SENT)
    if (
        open_offer
        and quote.valid_until
        and quote.valid_until < (today or dealer_today(quote.dealer))
    ):
        return "expired"
    return ""


def create_quote(*, lead: Lead, actor: Any, spec: QuoteSpec, on: dt.date | None = None) -> Quote:
    """A new quote (next version number of the lead), priced from the list valid on its date."""
    if not lead.is_open:
        raise ValidationError(_("This lead is closed: no new quote."))
    dealer = Dealer.objects.get(pk=lead.dealer_id)
    today = on or dealer_today(dealer)
    pricing = check_quote(spec=spec, on=today, dealer=dealer)
    with transaction.atomic():
        quote = Quote(
            dealer_id=lead.dealer_id,
            lead=lead,
            customer_id=lead.customer_id,
            version=_next_version(lead),
            created_by=actor,
        )
        _write_quote(quote, pricing, spec)
        quote.discount_status = _discount_status(pricing, None)
        quote.save()
        _write_lines(quote, pricing)
        _log(
            lead=lead,
            kind="quote_created",
            summary=Said(
                gettext_noop("Quote %(number)s prepared: %(trim)s, %(total)s"),
                {
                    "number": quote_number(quote),
                    "trim": spec.trim,
                    "total": money(quote.total, quote.currency),
                },
            ),
            actor=actor,
            ref=quote,
            contact=False,
        )
        _after_pending(quote)
    return quote


def update_quote(*, quote: Quote, actor: Any, spec: QuoteSpec, on: dt.date | None = None) -> Quote:
    """Edit a quote. A draft changes in place; a sent quote is never rewritten: the edit becomes
    version n+1 (a new draft) and the sent one is marked superseded. An approved discount carries
    over to the new version as long as the discount does not grow."""
    _require_status(
        quote,
        (Quote.Status.DRAFT, Quote.Status.SENT),
        _("A quote that is “%(status)s” cannot be edited."),
    )
    lead = quote.lead
    if not lead.is_open:
        raise ValidationError(_("This lead is closed: the quote cannot change."))
    dealer = Dealer.objects.get(pk=quote.dealer_id)
    today = on or dealer_today(dealer)
    pricing = check_quote(spec=spec, on=today, dealer=dealer)
    approved_up_to = (
        quote.discount if quote.discount_status == Quote.DiscountStatus.APPROVED else None
    )
    with transaction.atomic():
        if quote.status == Quote.Status.DRAFT:
            previous_status = quote.discount_status
            _write_quote(quote, pricing, spec)
            quote.discount_status = _discount_status(pricing, approved_up_to)
            if quote.discount_status != previous_status:
                quote.discount_decided_by = None
                quote.discount_decided_at = None
                quote.discount_note = ""
            quote.save()
            _write_lines(quote, pricing)
            _log(
                lead=lead,
                kind="quote_changed",
                summary=Said(
                    gettext_noop("Quote %(number)s changed: %(total)s"),
                    {"number": quote_number(quote), "total": money(quote.total, quote.currency)},
                ),
                actor=actor,
                ref=quote,
                contact=False,
            )
            if quote.discount_status != previous_status:
                _after_pending(quote)
            return quote
        locked = Quote.objects.select_for_update().get(pk=quote.pk)
        if locked.status != Quote.Status.SENT:
            raise ValidationError(_("This quote changed meanwhile: reload the page."))
        new = Quote(
            dealer_id=quote.dealer_id,
            lead=lead,
            customer_id=quote.customer_id,
            version=_next_version(lead),
            created_by=actor,
            supersedes=quote,
        )
        _write_quote(new, pricing, spec)
        new.discount_status = _discount_status(pricing, approved_up_to)
        if new.discount_status == Quote.DiscountStatus.APPROVED:
            new.discount_decided_by_id = quote.discount_decided_by_id
            new.discount_decided_at = quote.discount_decided_at
            new.discount_note = quote.discount_note
        new.save()
        _write_lines(new, pricing)
        Quote.objects.filter(pk=quote.pk).update(status=Quote.Status.SUPERSEDED)
        quote.status = Quote.Status.SUPERSEDED
        _log(
            lead=lead,
            kind="quote_revised",
            summary=Said(
                gettext_noop("Quote %(old)s revised as %(new)s: %(total)s"),
                {
                    "old": quote_number(quote),
                    "new": quote_number(new),
                    "total": money(new.total, new.currency),
                },
            ),
            actor=actor,
            ref=new,
            contact=False,
        )
        _after_pending(new)
    return new


def _discount_blocks(quote: Quote, doing: str) -> None:
    if quote.discount_status == Quote.DiscountStatus.PENDING:
        raise ValidationError(
            _(
                "The discount of %(discount)s awaits a sales manager's approval: the quote cannot be "
                "%(doing)s yet."
            )
            % {"discount": money(quote.discount, quote.currency), "doing": doing}
        )
    if quote.discount_status == Quote.DiscountStatus.REJECTED:
        raise ValidationError(
            _(
                "The discount of %(discount)s was rejected: lower it (edit the quote) before the quote "
                "can be %(doing)s."
            )
            % {"discount": money(quote.discount, quote.currency), "doing": doing}
        )


def _check_valid(quote: Quote) -> None:
    if quote.valid_until and quote.valid_until < dealer_today(quote.lead.dealer):
        raise ValidationError(
            _("This quote expired on %(day)s: edit it to make a new version.")
            % {"day": formats.date_format(quote.valid_until)}
        )


@contextmanager
def _quote_transition(
    quote: Quote,
    *,
    from_status: str,
    to_status: str,
    stamp_field: str,
    wrong_status: str,
    doing: str,
) -> Iterator[dt.datetime]:
    """Move a quote one step on towards the customer (draft → sent, sent → accepted).

    Both steps refuse the same things: the wrong status (``wrong_status`` is the message, with a
    ``%(status)s`` placeholder), a discount still waiting or rejected, an expired quote. The status
    then switches, stamped with the time yielded, through a conditional UPDATE so that of two
    clicks at once only one goes through. The ``with`` body runs in the same transaction."""
    _require_status(quote, from_status, wrong_status)
    _discount_blocks(quote, doing)
    _check_valid(quote)
    now = timezone.now()
    with transaction.atomic():
        updated = Quote.objects.filter(pk=quote.pk, status=from_status).update(
            **{"status": to_status, stamp_field: now}
        )
        if not updated:
            raise ValidationError(_("This quote changed meanwhile: reload the page."))
        quote.status = to_status
        setattr(quote, stamp_field, now)
        yield now


def _quote_steps(quote: Quote) -> list[str]:
    codes = ["trade_in_appraised"]  # the trade-in section of a quote: a value or none
    if quote.payment in (Quote.Payment.FINANCE, Quote.Payment.LEASE):
        codes.append("finance_offered")
    return codes


def send_quote(*, quote: Quote, actor: Any) -> Outcome[Quote]:
    """The quote goes to the customer (handed over, mailed or printed): never with a discount
    still waiting for approval or rejected. The lead moves to the quote stage."""
    with _quote_transition(
        quote,
        from_status=Quote.Status.DRAFT,
        to_status=Quote.Status.SENT,
        stamp_field="sent_at",
        wrong_status=_("Only a draft quote can be sent (this one is “%(status)s”)."),
        doing=_("sent"),
    ) as now:
        lead = quote.lead
        complete_steps(lead=lead, codes=_quote_steps(quote), actor=actor)
        _log(
            lead=lead,
            kind="quote_sent",
            summary=Said(
                gettext_noop("Quote %(number)s given to the customer: %(total)s"),
                {"number": quote_number(quote), "total": money(quote.total, quote.currency)},
            ),
            actor=actor,
            ref=quote,
            at=now,
        )
    notes = advance_lead(lead=quote.lead, to_stage=Stage.QUOTE, actor=actor)
    return Outcome(quote, notes)


def accept_quote(*, quote: Quote, actor: Any) -> Outcome[Quote]:
    """The customer accepts a sent quote; the lead's other open quotes are superseded."""
    with _quote_transition(
        quote,
        from_status=Quote.Status.SENT,
        to_status=Quote.Status.ACCEPTED,
        stamp_field="accepted_at",
        wrong_status=_("Only a sent quote can be accepted (this one is “%(status)s”)."),
        doing=_("accepted"),
    ) as now:
        Quote.objects.filter(
            lead_id=quote.lead_id, status__in=[Quote.Status.DRAFT, Quote.Status.SENT]
        ).exclude(pk=quote.pk).update(status=Quote.Status.SUPERSEDED)
        _log(
            lead=quote.lead,
            kind="quote_accepted",
            summary=Said(
                gettext_noop("Quote %(number)s accepted by the customer: %(total)s"),
                {"number": quote_number(quote), "total": money(quote.total, quote.currency)},
            ),
            actor=actor,
            ref=quote,
            at=now,
        )
    notes = advance_lead(lead=quote.lead, to_stage=Stage.QUOTE, actor=actor)
    return Outcome(quote, notes)


def decline_quote(*, quote: Quote, actor: Any) -> Quote:
    _require_status(
        quote, Quote.Status.SENT, _("Only a sent quote can be declined (this one is “%(status)s”).")
    )
    with transaction.atomic():
        Quote.objects.filter(pk=quote.pk).update(status=Quote.Status.DECLINED)
        quote.status = Quote.Status.DECLINED
        _log(
            lead=quote.lead,
            kind="quote_declined",
            summary=Said(
                gettext_noop("Quote %(number)s declined by the customer"),
                {"number": quote_number(quote)},
            ),
            actor=actor,
            ref=quote,
        )
    return quote


def decide_discount(
    *, quote: Quote, actor: Any, approve: bool, note: str = "", request: Any = None
) -> Quote:
    """A sales manager approves or rejects a discount above the threshold (audited). Nobody
    approves a discount on a quote they made themselves (four eyes)."""
    _require_staff(actor, quote.dealer_id, Cap.SALES_APPROVE)
    if quote.discount_status != Quote.DiscountStatus.PENDING or quote.status != Quote.Status.DRAFT:
        raise ValidationError(_("This discount is not waiting for a decision."))
    if quote.created_by_id == getattr(actor, "pk", None):
        raise ValidationError(
            _("You cannot decide on a discount of a quote you prepared yourself.")
        )
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": _("Say why the discount is rejected.")})
    now = timezone.now()
    status = Quote.DiscountStatus.APPROVED if approve else Quote.DiscountStatus.REJECTED
    with transaction.atomic():
        updated = Quote.objects.filter(
            pk=quote.pk, discount_status=Quote.DiscountStatus.PENDING, status=Quote.Status.DRAFT
        ).update(
            discount_status=status,
            discount_decided_by=actor,
            discount_decided_at=now,
            discount_note=note[:300],
        )
        if not updated:
            raise ValidationError(_("This discount is not waiting for a decision."))
        quote.discount_status, quote.discount_decided_by, quote.discount_decided_at = (
            status,
            actor,
            now,
        )
        quote.discount_note = note[:300]
        record(
            action="discount_approved" if approve else "discount_rejected",
            actor=actor,
            dealer=quote.dealer_id,
            obj=quote,
            request=request,
            detail={
                "kind": "discount",
                "decision": "approved" if approve else "rejected",
                "quote": quote_number(quote),
                "discount": str(quote.discount),
                "list_price": str(quote.list_price),
                "note": note[:300],
            },
        )
        _log(
            lead=quote.lead,
            kind="discount_decided",
            summary=Said(
                gettext_noop("Discount of %(discount)s on quote %(number)s %(verdict)s"),
                {
                    "discount": money(quote.discount, quote.currency),
                    "number": quote_number(quote),
                    "verdict": Msg(
                        gettext_noop("approved") if approve else gettext_noop("rejected")
                    ),
                },
            ),
            actor=actor,
            ref=quote,
            contact=False,
            at=now,
        )
        _notify(
            user_ids=[quote.created_by_id],
            dealer_id=quote.dealer_id,
            kind="decision",
            text=lambda: (
                _("Your discount on quote %(number)s was %(verdict)s.")
                % {
                    "number": quote_number(quote),
                    "verdict": _("approved") if approve else _("rejected"),
                }
                + (f" {note}" if note else "")
            ),
            url=reverse("sales:quote_detail", args=[quote.pk]),
        )
    return quote
