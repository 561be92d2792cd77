"""Test drives: booking within the showroom's hours without double bookings, check-out with a
licence, check-in with feedback, cancellation and no-show."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dealers.clock import day_start, dealer_today
from dealers.models import Dealer
from leads.models import Customer, Lead, Stage
from leads.services.timeline import Said

from ..licences import clean_licence_number
from ..models import (
    DemoVehicle,
    TestDrive,
)
from .common import (
    Outcome,
    _integrity_constraint,
    _local,
    _log,
    _require_status,
    advance_lead,
    complete_steps,
    format_slot,
)
from .demo_fleet import vehicle_label

DOUBLE_BOOKING_CONSTRAINT = "test_drive_no_double_booking"
ACTIVE_BOOKING_STATUSES = (TestDrive.Status.BOOKED, TestDrive.Status.OUT, TestDrive.Status.DONE)
# --- test drives ---------------------------------------------------------------------------------


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
