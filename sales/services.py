"""Test drives, quotes, orders and deliveries: every write with a business rule.

Keyword-only functions. Bad input raises django.core.exceptions.ValidationError with a clear
message (a dict keyed by field where one field is at fault) and changes nothing: each service runs
inside one transaction (a savepoint inside a request's transaction).

The funnel moves as a side effect of this work: booking / checking out a test drive, sending a
quote, placing an order and delivering call the lead services of the funnel (leads.services) to
complete HQ playbook steps, advance the stage and finally close the lead as won. A stage the HQ
playbook does not let the lead enter yet never blocks the sale itself: the missing steps come back
as `notes` of the `Outcome`, for the page to show.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, Sum
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from bulletins.models import PriceList, PriceListItem
from dealers.clock import day_start, dealer_today, dealer_zone
from dealers.models import Dealer
from dealers.roles import Cap
from dms.audit.services import record
from inventory.models import Colour, Option, Trim, VehicleModel
from leads.models import FUNNEL_STAGES, Customer, Lead, Stage
from leads.services.followups import schedule_after_delivery_calls
from leads.services.leads import advance_stage, complete_step, mark_won, record_activity
from leads.services.permissions import actor_can, approver_ids
from leads.services.routing import notify
from leads.services.timeline import Choice, Join, Msg, Said, When, add_timeline_event

from . import numbering
from .licences import clean_licence_number
from .models import (
    DemoVehicle,
    LeadStep,
    NumberSeries,
    Order,
    Payment,
    PlaybookStep,
    Quote,
    QuoteLine,
    TestDrive,
)

T = TypeVar("T")

CENT = Decimal("0.01")
ZERO = Decimal("0")
# ISO 3779: 17 characters, digits and capital letters without I, O and Q.
VIN_PATTERN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
DOUBLE_BOOKING_CONSTRAINT = "test_drive_no_double_booking"
ACTIVE_BOOKING_STATUSES = (TestDrive.Status.BOOKED, TestDrive.Status.OUT, TestDrive.Status.DONE)
MAX_TERM_MONTHS = 120
MAX_ANNUAL_RATE = Decimal("30")

# The pre-delivery checklist: HQ's steps before a car is handed over (Order.checklist keys).
CHECKLIST_ITEMS: tuple[tuple[str, str], ...] = (
    ("pdi_done", gettext_noop("Pre-delivery inspection done")),
    ("documents", gettext_noop("Registration and documents ready")),
    (
        "handover_prep",
        gettext_noop("Handover prepared: features, service plan, accessories fitted"),
    ),
)


def checklist_items() -> list[tuple[str, str]]:
    """(code, translated label) of the pre-delivery checklist."""
    return [(code, _(label)) for code, label in CHECKLIST_ITEMS]


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


def validate_vin(value: str) -> str:
    """The VIN upper-cased without spaces, or a clear ValidationError."""
    vin = re.sub(r"[\s-]+", "", value or "").upper()
    if len(vin) != 17:
        raise ValidationError(
            _("A VIN has exactly 17 characters; this one has %(count)d.") % {"count": len(vin)}
        )
    if not VIN_PATTERN.match(vin):
        raise ValidationError(_("A VIN uses only digits and the letters A–Z except I, O and Q."))
    return vin


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


# --- the funnel (leads.services, written by the funnel helper) ------------------------------------


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


# --- demo vehicles -------------------------------------------------------------------------------


def create_demo_vehicle(
    *,
    dealer: Dealer,
    actor: Any,
    vehicle_model: VehicleModel,
    vin: str,
    trim: Trim | None = None,
    plate: str = "",
    odometer_km: int = 0,
) -> DemoVehicle:
    _require_staff(actor, dealer.pk, Cap.SALES_ALL)
    try:
        vin = validate_vin(vin)
    except ValidationError as exc:
        raise ValidationError({"vin": exc.messages}) from exc
    if trim is not None and trim.vehicle_model_id != vehicle_model.pk:
        raise ValidationError({"trim": _("This trim belongs to another model.")})
    if odometer_km is None or odometer_km < 0:
        raise ValidationError({"odometer_km": _("The odometer cannot be negative.")})
    if DemoVehicle.objects.filter(dealer=dealer, vin=vin).exists():
        raise ValidationError({"vin": _("This VIN is already one of your demo vehicles.")})
    try:
        with transaction.atomic():
            return DemoVehicle.objects.create(
                dealer=dealer,
                vehicle_model=vehicle_model,
                trim=trim,
                vin=vin,
                plate=plate.strip().upper(),
                odometer_km=odometer_km,
            )
    except IntegrityError as exc:
        raise ValidationError({"vin": _("This VIN is already one of your demo vehicles.")}) from exc


def set_demo_vehicle_active(*, vehicle: DemoVehicle, actor: Any, active: bool) -> DemoVehicle:
    """Take a demo vehicle out of (or back into) the fleet. Not while bookings are ahead of it."""
    _require_staff(actor, vehicle.dealer_id, Cap.SALES_ALL)
    if not active:
        ahead = TestDrive.objects.filter(
            vehicle=vehicle,
            status__in=[TestDrive.Status.BOOKED, TestDrive.Status.OUT],
            ends_at__gte=timezone.now(),
        ).count()
        if ahead:
            raise ValidationError(
                ngettext(
                    "%(vehicle)s still has %(count)d test drive booked or on the road: cancel or "
                    "finish it first.",
                    "%(vehicle)s still has %(count)d test drives booked or on the road: cancel or "
                    "finish them first.",
                    ahead,
                )
                % {"vehicle": vehicle_label(vehicle), "count": ahead}
            )
    vehicle.is_active = active
    vehicle.save(update_fields=["is_active"])
    return vehicle


def vehicle_label(vehicle: DemoVehicle) -> str:
    model = (
        VehicleModel.objects.filter(pk=vehicle.vehicle_model_id)
        .values_list("name", flat=True)
        .first()
    )
    return f"{model or ''} {vehicle.plate or vehicle.vin}".strip()


# --- test drives ---------------------------------------------------------------------------------


def _require_status(obj: Any, allowed: str | tuple[str, ...], message: str) -> None:
    """Refuse to act on a test drive, quote or order that is not in the `allowed` status (or one
    of them): `message` names the status it is in through ``%(status)s``."""
    if obj.status not in ((allowed,) if isinstance(allowed, str) else allowed):
        raise ValidationError(message % {"status": obj.get_status_display()})


def _integrity_constraint(exc: IntegrityError) -> str:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", "") or ""


def clashing_bookings(
    *,
    vehicle: DemoVehicle,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    exclude_id: int | None = None,
) -> Any:
    qs = TestDrive.objects.filter(
        vehicle=vehicle,
        status__in=ACTIVE_BOOKING_STATUSES,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    ).order_by("starts_at")
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return qs


def _double_booking_error(
    vehicle: DemoVehicle, starts_at: dt.datetime, ends_at: dt.datetime
) -> ValidationError:
    clash = clashing_bookings(vehicle=vehicle, starts_at=starts_at, ends_at=ends_at).first()
    if clash is None:  # the other booking was cancelled meanwhile: say so without details
        return ValidationError(
            {
                "starts_at": _(
                    "%(vehicle)s was booked for this time by someone else "
                    "a moment ago; pick another slot."
                )
                % {"vehicle": vehicle_label(vehicle)}
            }
        )
    start, end = format_slot(clash.starts_at, clash.ends_at, vehicle.dealer)
    return ValidationError(
        {
            "starts_at": _("%(vehicle)s is already booked from %(start)s to %(end)s.")
            % {"vehicle": vehicle_label(vehicle), "start": start, "end": end}
        }
    )


def _check_showroom_window(dealer: Dealer, starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    """A test drive starts within the dealer's booking horizon, and starts and ends within the
    showroom's opening hours (the car is handed over and taken back by staff)."""
    days = dealer.test_drive_days_ahead
    last_day = dealer_today(dealer) + dt.timedelta(days=days)
    # compare before converting: 9999-12-31 in a zone west of UTC has no UTC time
    if starts_at >= day_start(dealer, last_day + dt.timedelta(days=1)):
        raise ValidationError(
            {
                "starts_at": ValidationError(
                    _("A test drive can be booked at most %(days)d days ahead (until %(last)s).")
                    % {"days": days, "last": formats.date_format(last_day, "SHORT_DATE_FORMAT")},
                    code="too_far_ahead",
                )
            }
        )
    opens, closes = dealer.showroom_opens_at, dealer.showroom_closes_at
    start, end = _local(starts_at, dealer).time(), _local(ends_at, dealer).time()
    if not (opens <= start <= closes and opens <= end <= closes):
        raise ValidationError(
            {
                "starts_at": ValidationError(
                    _(
                        "Test drives start and end within the showroom's opening hours "
                        "(%(opens)s–%(closes)s)."
                    )
                    % {"opens": opens.strftime("%H:%M"), "closes": closes.strftime("%H:%M")},
                    code="outside_hours",
                )
            }
        )


def book_test_drive(
    *, lead: Lead, vehicle: DemoVehicle, starts_at: dt.datetime, ends_at: dt.datetime, actor: Any
) -> TestDrive:
    """Book a demo vehicle for the lead's customer. PostgreSQL's exclusion constraint is the
    judge of double bookings (safe under concurrent bookings); its refusal becomes a clear error
    naming the slot already taken, and nothing is written."""
    if lead.dealer_id != vehicle.dealer_id:  # cannot happen through scoped lookups
        raise ValidationError({"vehicle": _("Choose one of your demo vehicles.")})
    if not lead.is_open:
        raise ValidationError(_("This lead is closed: reopen it before booking a test drive."))
    if not vehicle.is_active:
        raise ValidationError({"vehicle": _("This demo vehicle is out of the fleet.")})
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ValidationError({"starts_at": _("Give a date and time.")})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The test drive must end after it starts.")})
    if ends_at - starts_at > dt.timedelta(days=3):
        raise ValidationError({"ends_at": _("A test drive lasts at most three days.")})
    if ends_at <= timezone.now():
        raise ValidationError({"starts_at": _("This slot is already over: pick a time ahead.")})
    _check_showroom_window(vehicle.dealer, starts_at, ends_at)
    if clashing_bookings(vehicle=vehicle, starts_at=starts_at, ends_at=ends_at).exists():
        raise _double_booking_error(vehicle, starts_at, ends_at)
    try:
        with transaction.atomic():
            drive = TestDrive.objects.create(
                dealer_id=lead.dealer_id,
                lead=lead,
                customer_id=lead.customer_id,
                vehicle=vehicle,
                consultant=lead.consultant or actor,
                starts_at=starts_at,
                ends_at=ends_at,
            )
    except IntegrityError as exc:
        if _integrity_constraint(exc) == DOUBLE_BOOKING_CONSTRAINT:
            raise _double_booking_error(vehicle, starts_at, ends_at) from exc
        raise
    start, end = format_slot(starts_at, ends_at, vehicle.dealer)
    with transaction.atomic():
        _log(
            lead=lead,
            kind="test_drive_booked",
            summary=Said(
                gettext_noop("Test drive booked: %(vehicle)s, %(start)s–%(end)s"),
                {"vehicle": vehicle_label(vehicle), "start": start, "end": end},
            ),
            actor=actor,
            ref=drive,
        )
        complete_steps(lead=lead, codes=["test_drive_offered"], actor=actor)
    return drive


def licence_country(test_drive: TestDrive) -> str:
    """Where the customer's licence is presumed issued: the country on their card, else the
    dealer's."""
    customer_country = (
        Customer.objects.filter(pk=test_drive.customer_id).values_list("country", flat=True).first()
    )
    if customer_country:
        return str(customer_country)
    return str(
        Dealer.objects.filter(pk=test_drive.dealer_id).values_list("country", flat=True).first()
        or ""
    )


def check_out_test_drive(
    *,
    test_drive: TestDrive,
    actor: Any,
    licence_number: str,
    licence_checked: bool,
    consent: bool,
    km_out: int | None,
    walk_around: bool = False,
) -> Outcome[TestDrive]:
    """The car goes out: only with the driving licence checked and the customer's consent
    signed. Completes the playbook steps and moves the lead to the test-drive stage."""
    _require_status(
        test_drive,
        TestDrive.Status.BOOKED,
        _("Only a booked test drive can go out (this one is “%(status)s”)."),
    )
    errors: dict[str, str] = {}
    licence_number = (licence_number or "").strip().upper()
    if not licence_number:
        errors["licence_number"] = _("Enter the driving licence number.")
    else:
        try:
            licence_number = clean_licence_number(licence_number, licence_country(test_drive))
        except ValidationError as exc:
            errors["licence_number"] = exc.messages[0]
    if not licence_checked:
        errors["licence_checked"] = _("Check the driving licence before the car goes out.")
    if not consent:
        errors["consent"] = _(
            "The customer must sign the test-drive consent before the car goes out."
        )
    vehicle = test_drive.vehicle
    if km_out is None:
        errors["km_out"] = _("Enter the odometer reading (km out).")
    elif km_out < 0:
        errors["km_out"] = _("The odometer cannot be negative.")
    elif km_out < vehicle.odometer_km:
        errors["km_out"] = _(
            "km out (%(km)s) is below the car's last known odometer (%(odo)s km)."
        ) % {
            "km": km_out,
            "odo": vehicle.odometer_km,
        }
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    lead = test_drive.lead
    with transaction.atomic():
        test_drive.licence_number = licence_number
        test_drive.licence_checked_at = now
        test_drive.consent_at = now
        test_drive.km_out = km_out
        test_drive.status = TestDrive.Status.OUT
        test_drive.out_at = now
        test_drive.save(
            update_fields=[
                "licence_number",
                "licence_checked_at",
                "consent_at",
                "km_out",
                "status",
                "out_at",
            ]
        )
        codes = ["licence_checked", "test_drive_offered"] + (["walk_around"] if walk_around else [])
        complete_steps(lead=lead, codes=codes, actor=actor)
        _log(
            lead=lead,
            kind="test_drive_out",
            summary=Said(
                gettext_noop(
                    "Test drive started: %(vehicle)s, licence checked, consent signed, %(km)s km"
                ),
                {"vehicle": vehicle_label(vehicle), "km": km_out},
            ),
            actor=actor,
            ref=test_drive,
            at=now,
        )
    notes = advance_lead(lead=lead, to_stage=Stage.TEST_DRIVE, actor=actor)
    return Outcome(test_drive, notes)


# A customer's feedback after a test drive: a note, not a document (the model's column is text).
FEEDBACK_MAX = 2000


def check_in_test_drive(
    *, test_drive: TestDrive, actor: Any, km_in: int | None, outcome: str, feedback: str = ""
) -> TestDrive:
    """The car is back: km in (never below km out), outcome and the customer's feedback."""
    _require_status(
        test_drive,
        TestDrive.Status.OUT,
        _("Only a test drive on the road can come back (this one is “%(status)s”)."),
    )
    if km_in is None:
        raise ValidationError({"km_in": _("Enter the odometer reading (km in).")})
    if test_drive.km_out is not None and km_in < test_drive.km_out:
        raise ValidationError(
            {
                "km_in": _("km in (%(km_in)s) cannot be less than km out (%(km_out)s).")
                % {"km_in": km_in, "km_out": test_drive.km_out}
            }
        )
    outcome = (outcome or "").strip()
    if not outcome:
        raise ValidationError({"outcome": _("Record the outcome of the test drive.")})
    if len((feedback or "").strip()) > FEEDBACK_MAX:
        raise ValidationError({"feedback": _("At most %(n)d characters.") % {"n": FEEDBACK_MAX}})
    now = timezone.now()
    with transaction.atomic():
        test_drive.km_in = km_in
        test_drive.outcome = outcome[:200]
        test_drive.feedback = (feedback or "").strip()
        test_drive.status = TestDrive.Status.DONE
        test_drive.returned_at = now
        test_drive.save(update_fields=["km_in", "outcome", "feedback", "status", "returned_at"])
        DemoVehicle.objects.filter(pk=test_drive.vehicle_id, odometer_km__lt=km_in).update(
            odometer_km=km_in
        )
        driven = km_in - (test_drive.km_out or km_in)
        _log(
            lead=test_drive.lead,
            kind="test_drive_done",
            summary=Said(
                gettext_noop("Test drive done (%(km)s km): %(outcome)s"),
                {"km": driven, "outcome": outcome},
            ),
            actor=actor,
            ref=test_drive,
            at=now,
        )
    return test_drive


def cancel_test_drive(*, test_drive: TestDrive, actor: Any, no_show: bool = False) -> TestDrive:
    """Cancel a booking (or record that the customer did not come): the slot becomes free."""
    _require_status(
        test_drive,
        TestDrive.Status.BOOKED,
        _("Only a booked test drive can be cancelled (this one is “%(status)s”)."),
    )
    with transaction.atomic():
        test_drive.status = TestDrive.Status.NO_SHOW if no_show else TestDrive.Status.CANCELLED
        test_drive.save(update_fields=["status"])
        _log(
            lead=test_drive.lead,
            kind="test_drive_no_show" if no_show else "test_drive_cancelled",
            summary=Said(
                gettext_noop("Customer did not come to the test drive")
                if no_show
                else gettext_noop("Test drive cancelled")
            ),
            actor=actor,
            ref=test_drive,
            contact=False,
        )
    return test_drive


# --- quotes: pricing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteSpec:
    """What the consultant configures; prices always come from the price list."""

    trim: Trim
    colour: Colour | None = None
    option_codes: tuple[str, ...] = ()
    accessory_codes: tuple[str, ...] = ()
    discount: Decimal = ZERO
    trade_in_description: str = ""
    trade_in_value: Decimal = ZERO
    payment: str = Quote.Payment.CASH
    down_payment: Decimal = ZERO
    term_months: int | None = None
    annual_rate_percent: Decimal | None = None
    valid_until: dt.date | None = None


@dataclass(frozen=True)
class PricedLine:
    kind: str
    code: str
    description: str
    price: Decimal


@dataclass(frozen=True)
class Pricing:
    price_list: PriceList
    currency: str
    list_price: Decimal
    lines: tuple[PricedLine, ...]
    extras_total: Decimal
    discount: Decimal
    total: Decimal
    trade_in_value: Decimal
    amount_due: Decimal  # total less the trade-in
    payment: str
    down_payment: Decimal
    financed_amount: Decimal
    term_months: int | None
    annual_rate_percent: Decimal | None
    monthly_payment: Decimal | None
    approval_threshold: Decimal
    needs_approval: bool

    @property
    def subtotal(self) -> Decimal:
        return self.list_price + self.extras_total


def price_list_on(day: dt.date) -> PriceList | None:
    """The HQ price list valid on `day` (the most recent one that started on or before it)."""
    return (
        PriceList.objects.filter(valid_from__lte=day)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        .order_by("-valid_from", "-id")
        .first()
    )


def discount_threshold(list_price: Decimal) -> Decimal:
    percent = Decimal(str(getattr(settings, "DMS_DISCOUNT_APPROVAL_PERCENT", 5)))
    return (list_price * percent / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


def monthly_payment(
    *, principal: Decimal, annual_rate_percent: Decimal, term_months: int
) -> Decimal:
    """Annuity: P·r / (1 − (1 + r)^−n) with r the monthly rate, in Decimal, rounded to cents
    (half up). A zero rate divides the principal evenly."""
    if term_months <= 0:
        raise ValueError("term_months must be positive")
    if principal <= 0:
        return ZERO.quantize(CENT)
    with localcontext() as ctx:
        ctx.prec = 40
        rate = Decimal(annual_rate_percent) / Decimal(1200)
        if rate == 0:
            payment = Decimal(principal) / Decimal(term_months)
        else:
            payment = (
                Decimal(principal) * rate / (Decimal(1) - (Decimal(1) + rate) ** (-term_months))
            )
        return payment.quantize(CENT, rounding=ROUND_HALF_UP)


def price_quote(*, spec: QuoteSpec, on: dt.date) -> Pricing:
    """Price a configuration from the price list valid on `on`. Raises ValidationError (by field)
    for anything the list does not price or figures that do not add up."""
    price_list = price_list_on(on)
    if price_list is None:
        raise ValidationError(
            _("No HQ price list is valid on %(day)s: a quote cannot be priced.")
            % {"day": formats.date_format(on)}
        )
    wanted: list[tuple[str, str]] = [(PriceListItem.Kind.TRIM, spec.trim.code)]
    if spec.colour is not None:
        wanted.append((PriceListItem.Kind.COLOUR, spec.colour.code))
    option_codes = list(dict.fromkeys(spec.option_codes))
    accessory_codes = list(dict.fromkeys(spec.accessory_codes))
    wanted += [(PriceListItem.Kind.OPTION, c) for c in option_codes]
    wanted += [(PriceListItem.Kind.ACCESSORY, c) for c in accessory_codes]
    query = Q()
    for kind, code in wanted:
        query |= Q(kind=kind, code=code)
    prices = {
        (item.kind, item.code): item.price
        for item in PriceListItem.objects.filter(query, price_list=price_list)
    }
    errors: dict[str, list[str]] = {}

    def missing(field_name: str, what: str) -> None:
        errors.setdefault(field_name, []).append(
            _("%(what)s has no price in “%(list)s”.") % {"what": what, "list": price_list.name}
        )

    trim_price = prices.get((PriceListItem.Kind.TRIM, spec.trim.code))
    if trim_price is None:
        missing("trim", str(spec.trim))
    lines: list[PricedLine] = []
    if spec.colour is not None:
        colour_price = prices.get((PriceListItem.Kind.COLOUR, spec.colour.code))
        if colour_price is None:
            missing("colour", spec.colour.name)
        else:
            lines.append(PricedLine("colour", spec.colour.code, spec.colour.name, colour_price))
    names = dict(
        Option.objects.filter(code__in=option_codes + accessory_codes).values_list("code", "name")
    )
    for kind, codes, field_name in (
        (PriceListItem.Kind.OPTION, option_codes, "options"),
        (PriceListItem.Kind.ACCESSORY, accessory_codes, "accessories"),
    ):
        for code in codes:
            price = prices.get((kind, code))
            if price is None:
                missing(field_name, names.get(code, code))
            else:
                lines.append(PricedLine(str(kind), code, names.get(code, code), price))
    if errors or trim_price is None:
        raise ValidationError(errors)
    list_price = trim_price
    extras_total = sum((line.price for line in lines), ZERO)
    subtotal = list_price + extras_total
    discount = _decimal(spec.discount, "discount", _("The discount"))
    trade_in = _decimal(spec.trade_in_value, "trade_in_value", _("The trade-in value"))
    down = _decimal(spec.down_payment, "down_payment", _("The down payment"))
    if discount < 0:
        errors["discount"] = [_("The discount cannot be negative.")]
    elif discount > subtotal:
        errors["discount"] = [
            _("The discount cannot exceed the price (%(price)s).")
            % {"price": money(subtotal, price_list.currency)}
        ]
    total = subtotal - discount
    # A discount beyond the price leaves no total to check the trade-in and the down payment
    # against: its own message is the one to give (not "cannot exceed EUR -960,009.00").
    priced = "discount" not in errors
    if trade_in < 0:
        errors["trade_in_value"] = [_("The trade-in value cannot be negative.")]
    elif priced and trade_in > total:
        errors["trade_in_value"] = [
            _("The trade-in value cannot exceed the total (%(total)s).")
            % {"total": money(total, price_list.currency)}
        ]
    elif trade_in > 0 and not spec.trade_in_description.strip():
        errors["trade_in_description"] = [
            _("Describe the trade-in vehicle (make, model, year, km).")
        ]
    amount_due = total - trade_in
    payment = spec.payment or Quote.Payment.CASH
    term: int | None = None
    rate: Decimal | None = None
    monthly: Decimal | None = None
    financed = ZERO
    if payment not in Quote.Payment.values:
        errors["payment"] = [_("Choose cash, finance or lease.")]
    elif payment == Quote.Payment.CASH:
        down = ZERO
    else:
        term = spec.term_months
        if term is None or not 1 <= term <= MAX_TERM_MONTHS:
            errors["term_months"] = [
                _("Give a term between 1 and %(max)d months.") % {"max": MAX_TERM_MONTHS}
            ]
        if spec.annual_rate_percent is None:
            errors["annual_rate_percent"] = [_("Give the annual interest rate (0 for none).")]
        else:
            rate = _decimal(spec.annual_rate_percent, "annual_rate_percent", _("The annual rate"))
            if not ZERO <= rate <= MAX_ANNUAL_RATE:
                errors["annual_rate_percent"] = [
                    _("The annual rate must be between 0 and %(max)s %%.")
                    % {"max": MAX_ANNUAL_RATE}
                ]
        if down < 0:
            errors["down_payment"] = [_("The down payment cannot be negative.")]
        elif priced and down > amount_due and "trade_in_value" not in errors:
            errors["down_payment"] = [
                _("The down payment cannot exceed the amount due (%(due)s).")
                % {"due": money(amount_due, price_list.currency)}
            ]
    if errors:
        raise ValidationError(errors)
    if payment != Quote.Payment.CASH and term is not None and rate is not None:
        financed = amount_due - down
        monthly = monthly_payment(principal=financed, annual_rate_percent=rate, term_months=term)
    threshold = discount_threshold(list_price)
    return Pricing(
        price_list=price_list,
        currency=price_list.currency,
        list_price=list_price,
        lines=tuple(lines),
        extras_total=extras_total,
        discount=discount,
        total=total,
        trade_in_value=trade_in,
        amount_due=amount_due,
        payment=payment,
        down_payment=down,
        financed_amount=financed,
        term_months=term,
        annual_rate_percent=rate,
        monthly_payment=monthly,
        approval_threshold=threshold,
        needs_approval=discount > threshold,
    )


# --- quotes: lifecycle ---------------------------------------------------------------------------


def _validate_spec_dates(spec: QuoteSpec, today: dt.date) -> None:
    if spec.valid_until is not None and spec.valid_until < today:
        raise ValidationError({"valid_until": _("The validity date cannot be in the past.")})


def check_quote(*, spec: QuoteSpec, on: dt.date) -> Pricing:
    """The quote priced as create_quote / update_quote would price it on `on`, every problem at
    once (the validity date and the figures together, not one after the other)."""
    errors: dict[str, Any] = {}
    try:
        _validate_spec_dates(spec, on)
    except ValidationError as exc:
        exc.update_error_dict(errors)
    pricing: Pricing | None = None
    try:
        pricing = price_quote(spec=spec, on=on)
    except ValidationError as exc:
        exc.update_error_dict(errors)
    if errors or pricing is None:
        raise ValidationError(errors)
    return pricing


def _write_quote(quote: Quote, pricing: Pricing, spec: QuoteSpec) -> None:
    quote.price_list = pricing.price_list
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
    pricing = check_quote(spec=spec, on=today)
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
    pricing = check_quote(spec=spec, on=today)
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


# --- orders, payments, delivery ------------------------------------------------------------------


def _payment_sums(order: Order) -> dict[str, Decimal]:
    """Paid per kind: from prefetched payments when the list page/API prefetched them (no query
    per order), else one grouped query."""
    cache = getattr(order, "_prefetched_objects_cache", {})
    if "payments" in cache:
        sums: dict[str, Decimal] = {}
        for payment in cache["payments"]:
            sums[payment.kind] = sums.get(payment.kind, ZERO) + payment.amount
        return sums
    return {
        row["kind"]: row["total"]
        for row in Payment.objects.filter(order=order).values("kind").annotate(total=Sum("amount"))
    }


def order_paid(order: Order) -> Decimal:
    sums = _payment_sums(order)
    return (sums.get(Payment.Kind.DEPOSIT, ZERO) + sums.get(Payment.Kind.BALANCE, ZERO)) - sums.get(
        Payment.Kind.REFUND, ZERO
    )


def order_trade_in(order: Order) -> Decimal:
    if Order.quote.is_cached(order):  # type: ignore[attr-defined]
        return order.quote.trade_in_value
    return (
        Quote.objects.filter(pk=order.quote_id).values_list("trade_in_value", flat=True).first()
        or ZERO
    )


def _forget_payments(order: Order) -> None:
    getattr(order, "_prefetched_objects_cache", {}).pop("payments", None)


def order_balance(order: Order) -> Decimal:
    """Still to pay: order total − trade-in value − payments (refunds count back)."""
    return order.total - order_trade_in(order) - order_paid(order)


def _deposit_paid(order: Order) -> Decimal:
    return (
        Payment.objects.filter(order=order, kind=Payment.Kind.DEPOSIT).aggregate(s=Sum("amount"))[
            "s"
        ]
        or ZERO
    )


def _order_steps(order: Order) -> list[str]:
    codes = []
    if order.expected_delivery:
        codes.append("delivery_date_agreed")
    deposit = _deposit_paid(order)
    if deposit > 0 and deposit >= order.deposit_required:
        codes.append("deposit_received")
    if order_balance(order) <= 0:
        codes.append("balance_paid")
    if (order.checklist or {}).get("pdi_done", {}).get("done"):
        codes.append("pdi_done")
    return codes


def _sync_order_funnel(order: Order, actor: Any) -> list[str]:
    lead = order.lead
    complete_steps(lead=lead, codes=_order_steps(order), actor=actor)
    return advance_lead(lead=lead, to_stage=Stage.ORDER, actor=actor)


def _delivery_problem(dealer: Dealer, day: dt.date) -> str:
    """Why `day` cannot be the expected delivery date ("" when it can): not in the past, and
    within the dealer's horizon (a delivery in 2290 is a typo)."""
    today = dealer_today(dealer)
    if day < today:
        return _("The expected delivery date cannot be in the past.")
    days = dealer.delivery_days_ahead
    last = today + dt.timedelta(days=days)
    if day > last:
        return _("The expected delivery can be at most %(days)d days ahead (until %(last)s).") % {
            "days": days,
            "last": formats.date_format(last, "SHORT_DATE_FORMAT"),
        }
    return ""


def create_order(
    *,
    quote: Quote,
    actor: Any,
    deposit_required: Decimal,
    expected_delivery: dt.date | None = None,
    vin: str = "",
    deposit_paid: Decimal | None = None,
) -> Outcome[Order]:
    """An order, only from an accepted quote (one order per quote). The lead moves to the order
    stage (grade O) once HQ's steps are met (deposit received, delivery date agreed)."""
    _require_status(
        quote,
        Quote.Status.ACCEPTED,
        _("An order can only be placed from an accepted quote (this one is “%(status)s”)."),
    )
    existing = Order.objects.filter(quote=quote).first()
    if existing is not None:
        raise ValidationError(
            _("This quote already has an order (%(number)s).") % {"number": order_number(existing)}
        )
    if not quote.lead.is_open:
        raise ValidationError(_("This lead is closed: no new order."))
    errors: dict[str, str] = {}
    deposit = _decimal(deposit_required, "deposit_required", _("The deposit"))
    paid_now = _decimal(deposit_paid, "deposit_paid", _("The deposit paid"))
    amount_due = quote.total - quote.trade_in_value
    if deposit < 0:
        errors["deposit_required"] = _("The deposit cannot be negative.")
    elif deposit > amount_due:
        errors["deposit_required"] = _("The deposit cannot exceed the amount due (%(due)s).") % {
            "due": money(amount_due, quote.currency)
        }
    if paid_now < 0:
        errors["deposit_paid"] = _("A payment cannot be negative.")
    elif paid_now > amount_due:
        errors["deposit_paid"] = _("The payment exceeds the amount due (%(due)s).") % {
            "due": money(amount_due, quote.currency)
        }
    dealer = Dealer.objects.get(pk=quote.dealer_id)
    if expected_delivery is not None and (problem := _delivery_problem(dealer, expected_delivery)):
        errors["expected_delivery"] = problem
    if vin:
        try:
            vin = validate_vin(vin)
        except ValidationError as exc:
            errors["vin"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    lead = quote.lead
    try:
        with transaction.atomic():
            order = Order.objects.create(
                dealer_id=quote.dealer_id,
                # In this transaction: a refused order gives its number back (no gaps), and a
                # second order of the dealer waits on the series row until this one commits.
                number=numbering.next_number(
                    dealer_id=quote.dealer_id, kind=NumberSeries.Kind.ORDER
                ),
                quote=quote,
                lead=lead,
                customer_id=quote.customer_id,
                consultant=lead.consultant or actor,
                currency=quote.currency,
                total=quote.total,
                deposit_required=deposit,
                expected_delivery=expected_delivery,
                vin=vin or "",
                checklist={},
                ordered_at=now,
            )
    except IntegrityError as exc:
        if _integrity_constraint(exc) != "order_one_per_quote":
            raise  # the dealer's number series is the only way to a number: never a clash
        raise ValidationError(_("This quote already has an order.")) from exc
    with transaction.atomic():
        if paid_now > 0:
            Payment.objects.create(
                dealer_id=order.dealer_id,
                order=order,
                kind=Payment.Kind.DEPOSIT,
                amount=paid_now,
                received_at=now,
                received_by=actor,
            )
        _log(
            lead=lead,
            kind="order_placed",
            summary=Said(
                gettext_noop("Order %(number)s placed: %(trim)s, %(total)s"),
                {
                    "number": order_number(order),
                    "trim": quote.trim,
                    "total": money(order.total, order.currency),
                },
            ),
            actor=actor,
            ref=order,
            at=now,
        )
    notes = _sync_order_funnel(order, actor)
    return Outcome(order, notes)


def order_number(order: Order) -> str:
    """The order's number as the dealer and the customer see it: the dealer's own series
    (sales.numbering), never the network-wide id."""
    return order.display_number


def _open_order(order: Order) -> None:
    _require_status(order, Order.Status.OPEN, _("This order is “%(status)s”: it cannot change."))


def record_payment(
    *, order: Order, actor: Any, kind: str, amount: Any, received_at: dt.datetime | None = None
) -> Outcome[Payment]:
    """A deposit, balance payment (or the finance bank's payout) or a refund."""
    _open_order(order)
    if kind not in Payment.Kind.values:
        raise ValidationError({"kind": _("Choose deposit, balance or refund.")})
    value = _decimal(amount, "amount", _("The amount"))
    if value <= 0:
        raise ValidationError({"amount": _("The amount must be more than zero.")})
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)  # one payment at a time
        # Checked again under the lock: a delivery (or cancellation) that held it has won.
        _open_order(locked)
        _forget_payments(order)  # the balance from the payments as they are now
        balance = order_balance(order)
        if kind == Payment.Kind.REFUND:
            paid = order_paid(order)
            if value > paid:
                raise ValidationError(
                    {
                        "amount": _("A refund cannot exceed what was paid (%(paid)s).")
                        % {"paid": money(paid, order.currency)}
                    }
                )
        elif value > balance:
            raise ValidationError(
                {
                    "amount": _("This is more than the open balance (%(balance)s).")
                    % {"balance": money(max(balance, ZERO), order.currency)}
                }
            )
        when = received_at or timezone.now()
        payment = Payment.objects.create(
            dealer_id=order.dealer_id,
            order=order,
            kind=kind,
            amount=value,
            received_at=when,
            received_by=actor,
        )
        _log(
            lead=order.lead,
            kind="payment",
            summary=Said(
                gettext_noop("%(kind)s of %(amount)s on order %(number)s"),
                {
                    "kind": Choice("payment_kind", payment.kind),
                    "amount": money(value, order.currency),
                    "number": order_number(order),
                },
            ),
            actor=actor,
            ref=payment,
            at=when,
        )
    notes = _sync_order_funnel(order, actor)
    return Outcome(payment, notes)


def update_order(
    *, order: Order, actor: Any, expected_delivery: dt.date | None, vin: str
) -> Outcome[Order]:
    _open_order(order)
    errors: dict[str, str] = {}
    if vin:
        try:
            vin = validate_vin(vin)
        except ValidationError as exc:
            errors["vin"] = exc.messages[0]
    if (
        expected_delivery is not None
        and expected_delivery != order.expected_delivery
        and (problem := _delivery_problem(order.lead.dealer, expected_delivery))
    ):
        errors["expected_delivery"] = problem
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        changed = []
        if expected_delivery != order.expected_delivery:
            order.expected_delivery = expected_delivery
            changed.append("expected_delivery")
        if (vin or "") != order.vin:
            order.vin = vin or ""
            changed.append("vin")
        if changed:
            order.save(update_fields=changed)
            parts: list[Said] = []
            if "expected_delivery" in changed:
                parts.append(
                    Said(
                        gettext_noop("delivery expected %(day)s"), {"day": When(expected_delivery)}
                    )
                    if expected_delivery
                    else Said(gettext_noop("delivery date cleared"))
                )
            if "vin" in changed:
                parts.append(
                    Said(gettext_noop("VIN %(vin)s"), {"vin": order.vin})
                    if order.vin
                    else Said(gettext_noop("VIN cleared"))
                )
            _log(
                lead=order.lead,
                kind="order_changed",
                summary=Said(
                    gettext_noop("Order %(number)s: %(changes)s"),
                    {"number": order_number(order), "changes": Join(tuple(parts))},
                ),
                actor=actor,
                ref=order,
                contact=False,
            )
    notes = _sync_order_funnel(order, actor)
    return Outcome(order, notes)


def set_checklist(*, order: Order, actor: Any, done: Sequence[str]) -> Order:
    """Tick (or untick) the pre-delivery checklist items; each remembers who and when."""
    _open_order(order)
    known = {code for code, _label in CHECKLIST_ITEMS}
    unknown = set(done) - known
    if unknown:
        raise ValidationError(
            _("Unknown checklist item(s): %(items)s") % {"items": ", ".join(sorted(unknown))}
        )
    now = timezone.now().isoformat()
    current = dict(order.checklist or {})
    checklist: dict[str, Any] = {}
    for code in (c for c, _label in CHECKLIST_ITEMS):
        before = current.get(code) or {}
        if code in done:
            checklist[code] = (
                before
                if before.get("done")
                else {"done": True, "at": now, "by": actor.get_username()}
            )
        else:
            checklist[code] = {"done": False}
    with transaction.atomic():
        order.checklist = checklist
        order.save(update_fields=["checklist"])
        complete_steps(
            lead=order.lead,
            codes=["pdi_done"] if checklist["pdi_done"]["done"] else [],
            actor=actor,
        )
    return order


def checklist_missing(order: Order) -> list[str]:
    checklist = order.checklist or {}
    return [
        label for code, label in checklist_items() if not (checklist.get(code) or {}).get("done")
    ]


def delivery_blockers(order: Order) -> list[str]:
    """Why the car cannot be handed over yet (empty: it can)."""
    blockers: list[str] = []
    if order.status != Order.Status.OPEN:
        return [_("This order is “%(status)s”.") % {"status": order.get_status_display()}]
    balance = order_balance(order)
    if balance > 0:
        blockers.append(
            _(
                "Delivery is blocked: a balance of %(balance)s is still open. Record the payment first."
            )
            % {"balance": money(balance, order.currency)}
        )
    if not order.vin:
        blockers.append(_("Enter the vehicle's VIN before delivery."))
    missing = checklist_missing(order)
    if missing:
        blockers.append(
            _("Complete the pre-delivery checklist first: %(items)s.")
            % {"items": "; ".join(missing)}
        )
    return blockers


def deliver_order(*, order: Order, actor: Any, at: dt.datetime | None = None) -> Order:
    """Hand the car over: only with nothing left to pay, a VIN and the checklist done. The lead
    closes as won (credited to the consultant who closed it) and the after-delivery calls are
    scheduled: the customer journey continues."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        blockers = delivery_blockers(locked)
        if blockers:
            raise ValidationError(blockers)
        when = at or timezone.now()
        locked.status = Order.Status.DELIVERED
        locked.delivered_at = when
        locked.delivered_by = actor
        locked.save(update_fields=["status", "delivered_at", "delivered_by"])
        lead = locked.lead
        complete_steps(
            lead=lead,
            codes=[
                "deposit_received",
                "delivery_date_agreed",
                "pdi_done",
                "balance_paid",
                "handover",
            ],
            actor=actor,
        )
        _log(
            lead=lead,
            kind="delivered",
            summary=Said(
                gettext_noop("Delivered: %(trim)s, VIN %(vin)s (order %(number)s)"),
                {"trim": locked.quote.trim, "vin": locked.vin, "number": order_number(locked)},
            ),
            actor=actor,
            ref=locked,
            at=when,
        )
        lead.refresh_from_db()
        mark_won(lead=lead, actor=actor, at=when)
        schedule_after_delivery_calls(lead=lead, delivered_at=when)
    order.status, order.delivered_at, order.delivered_by = locked.status, when, actor
    return order
