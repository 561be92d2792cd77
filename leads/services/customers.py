"""Customers: registration from the visitor log (match or create, open or continue a lead), the
card (identity, needs, consent), and the manager's merge of true duplicates.

Dedupe rules:
- identifiers are normalised first (phone E.164 in the dealer's country, e-mail lower case,
  national ID upper case without separators), so a different spelling still matches;
- PostgreSQL partial unique constraints per dealer are the final word: a concurrent second
  registration of the same phone fails its INSERT inside a savepoint, re-reads and continues with
  the customer the first one created;
- a consultant who registers a colleague's customer learns only ConflictInfo (who, since when,
  stage) and may file an ownership claim. Ownership never moves silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dealers.models import Dealer
from dealers.roles import Cap
from dms.accounts.language import every_language, speaking, supported
from dms.addresses import clean_country, clean_postal_code
from dms.audit.models import AuditAction
from dms.audit.services import record
from inventory.models import VehicleModel
from leads.models import (
    Customer,
    CustomerModelInterest,
    Lead,
    LeadSource,
    Notification,
    OwnershipClaim,
    Visit,
)
from leads.selectors.customers import (
    ConflictInfo,
    capabilities_of,
    conflict_info,
    find_matches,
    person_name,
)
from leads.services.leads import open_lead, record_activity, record_showroom_visit
from leads.services.normalize import normalize_email, normalize_national_id, normalize_phone
from leads.services.timeline import Msg, Said, add_timeline_event
from leads.services.visits import log_visit, visit_summary

CONSENT_FIELDS: dict[str, str] = {
    "phone": "consent_phone_at",
    "email": "consent_email_at",
    "sms": "consent_sms_at",
    "post": "consent_post_at",
}

# Card fields a form or the API may set directly (identifiers are normalised separately).
PLAIN_FIELDS = (
    "kind",
    "first_name",
    "last_name",
    "company_name",
    "street",
    "postal_code",
    "city",
    "country",
    "budget",
    "payment",
    "trade_in",
    "driving_preferences",
    "competitor_models",
    "interests",
)
IDENTIFIER_FIELDS = ("phone", "phone_alt", "email", "national_id")

_FIELD_LIMITS: dict[str, int] = {
    name: limit
    for name in PLAIN_FIELDS
    if (limit := getattr(Customer._meta.get_field(name), "max_length", None))
}
# A text column has no length of its own: the card's note is bounded here (the form's textarea
# has the same maxlength).
DRIVING_PREFERENCES_MAX = 2000
_FIELD_LIMITS["driving_preferences"] = DRIVING_PREFERENCES_MAX


@dataclass(frozen=True)
class RegistrationResult:
    """What register_contact did. On a conflict nothing about the card is returned: customer,
    lead and visit are None and `conflict` holds the non-leaking information."""

    customer: Customer | None = None
    lead: Lead | None = None
    visit: Visit | None = None
    conflict: ConflictInfo | None = None
    created_customer: bool = False
    continued_lead: bool = False  # an open lead of the customer went on (else one was opened)


class DuplicateCustomer(Exception):
    """A customer with these identifiers exists. `customer` is set only when the actor may open
    that card (their own, or they are a manager); `conflict` is always safe to show."""

    def __init__(self, *, conflict: ConflictInfo, customer: Customer | None) -> None:
        super().__init__(str(conflict.owner_name))
        self.conflict = conflict
        self.customer = customer


# --- helpers -------------------------------------------------------------------------------------


def dealer_region(dealer: Dealer) -> str:
    return (getattr(dealer, "country", "") or "DE").upper()


@dataclass(frozen=True)
class Identity:
    phone: str = ""
    phone_alt: str = ""
    email: str = ""
    national_id: str = ""


def clean_identity(
    *,
    dealer: Dealer,
    phone: str | None = "",
    phone_alt: str | None = "",
    email: str | None = "",
    national_id: str | None = "",
) -> Identity:
    """Normalise every identifier; all problems at once as one ValidationError keyed by field."""
    values, errors = _identity_values(
        dealer=dealer, phone=phone, phone_alt=phone_alt, email=email, national_id=national_id
    )
    if errors:
        raise ValidationError(errors)
    return Identity(**values)


def _identity_values(
    *,
    dealer: Dealer,
    phone: str | None = "",
    phone_alt: str | None = "",
    email: str | None = "",
    national_id: str | None = "",
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The identifiers normalised ('' where refused) and the problems by field."""
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    region = dealer_region(dealer)
    for field, raw, func in (
        ("phone", phone, lambda v: normalize_phone(v, region)),
        ("phone_alt", phone_alt, lambda v: normalize_phone(v, region)),
        ("email", email, normalize_email),
        ("national_id", national_id, normalize_national_id),
    ):
        try:
            values[field] = func(raw)
        except ValidationError as exc:
            errors[field] = exc.messages
            values[field] = ""
    if values["phone_alt"] and values["phone_alt"] == values["phone"]:
        values["phone_alt"] = ""
    return values, errors


def split_name(name: str) -> tuple[str, str]:
    """ "Anna Maria Schmidt" → ("Anna Maria", "Schmidt"); "Schmidt" → ("", "Schmidt")."""
    parts = " ".join((name or "").split()).rsplit(" ", 1)
    if len(parts) == 1:
        return "", parts[0]
    return parts[0], parts[1]


def _identifier_taken(field: str, value: str, *, exclude_pk: int | None = None) -> bool:
    if not value:
        return False
    qs = Customer.objects.filter(merged_into__isnull=True, **{field: value})
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def _actor_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def notify_user(
    *, dealer_id: int, user: Any, kind: str, text: Callable[[], str], url: str = ""
) -> None:
    """One in-app notification, `text` written in the user's own language (and in every
    language: shown in the one they read in)."""
    if user is None:
        return
    with speaking(supported(user.preferred_language)):
        body = str(text())
    every = {code: line[:300] for code, line in every_language(text).items()}
    Notification.objects.create(
        dealer_id=dealer_id, user=user, kind=kind, text=body[:300], texts=every, url=url
    )


def customer_url(customer: Customer) -> str:
    try:
        return reverse("leads:customer-detail", args=[customer.pk])
    except NoReverseMatch:
        return ""


# --- leads: open or continue ---------------------------------------------------------------------


def _continue_or_open_lead(
    *, customer: Customer, actor: Any, source: LeadSource, vehicle_model: Any, consultant: Any
) -> tuple[Lead, bool]:
    """The customer's open lead (the consultant's first) and True, or a new lead and False."""
    open_leads = list(
        Lead.objects.select_for_update()
        .filter(customer=customer, is_open=True, in_pool=False)
        .order_by("-created_at", "-id")
    )
    lead = next((x for x in open_leads if x.consultant_id == consultant.pk), None) or next(
        iter(open_leads), None
    )
    if lead is None:
        opened = open_lead(
            customer=customer,
            source=source,
            actor=actor,
            consultant=consultant,
            vehicle_model=vehicle_model,
        )
        return opened, False
    if lead.vehicle_model_id is None and vehicle_model is not None:
        lead.vehicle_model = vehicle_model
        lead.save(update_fields=["vehicle_model"])
    return lead, True


def add_model_interest(*, customer: Customer, vehicle_model: VehicleModel | None) -> None:
    if vehicle_model is None:
        return
    CustomerModelInterest.objects.get_or_create(
        dealer_id=customer.dealer_id, customer=customer, vehicle_model=vehicle_model
    )


# --- registration from the visitor log -----------------------------------------------------------


def _lock_match(identity: Identity) -> Customer | None:
    found = find_matches(
        phone=identity.phone, email=identity.email, national_id=identity.national_id
    )
    if not found:
        return None
    return Customer.objects.select_for_update().get(pk=found[0].pk)


def _match_or_create(
    *, dealer: Dealer, identity: Identity, values: Mapping[str, Any], owner: Any
) -> tuple[Customer, bool]:
    """The existing customer (row locked) or a new one. Safe under concurrency: the database's
    unique constraints decide, a losing INSERT rolls back to its savepoint and re-reads."""
    existing = _lock_match(identity)
    if existing is not None:
        return existing, False
    now = timezone.now()
    try:
        with transaction.atomic():
            customer = Customer.objects.create(
                dealer=dealer,
                phone=identity.phone,
                phone_alt=identity.phone_alt,
                email=identity.email,
                national_id=identity.national_id,
                country=dealer_region(dealer),
                owner=owner,
                owner_since=now if owner is not None else None,
                **values,
            )
    except IntegrityError:
        existing = _lock_match(identity)
        if existing is None:
            raise
        return existing, False
    return customer, True


def _fill_blanks(*, customer: Customer, identity: Identity, values: Mapping[str, Any]) -> None:
    """Complete an existing card with what the consultant typed, never overwriting anything and
    never taking an identifier another customer holds."""
    changed: list[str] = []
    for field, value in values.items():
        if value and not getattr(customer, field):
            setattr(customer, field, value)
            changed.append(field)
    if identity.phone and identity.phone not in (customer.phone, customer.phone_alt):
        if not customer.phone and not _identifier_taken("phone", identity.phone):
            customer.phone = identity.phone
            changed.append("phone")
        elif not customer.phone_alt:
            customer.phone_alt = identity.phone
            changed.append("phone_alt")
    for field in ("email", "national_id"):
        value = getattr(identity, field)
        if value and not getattr(customer, field) and not _identifier_taken(field, value):
            setattr(customer, field, value)
            changed.append(field)
    if not changed:
        return
    try:
        with transaction.atomic():
            customer.save(update_fields=[*changed, "updated_at"])
    except IntegrityError:
        customer.refresh_from_db()


def _check_registration(
    *,
    dealer: Dealer,
    kind: str,
    source_code: str,
    name: str = "",
    first_name: str = "",
    last_name: str = "",
    company_name: str = "",
    customer_kind: str = Customer.Kind.PERSON,
    phone: str = "",
    email: str = "",
    national_id: str = "",
    party_size: int = 1,
    arrived_at: datetime | None = None,
    left_at: datetime | None = None,
    outcome: str = "",
) -> tuple[Identity, dict[str, Any], LeadSource | None, datetime, dict[str, Any]]:
    """register_contact's checks, every problem at once (nothing is written)."""
    from leads.services.visits import validate_party_size, validate_visit_times

    errors: dict[str, Any] = {}
    try:
        identity = clean_identity(dealer=dealer, phone=phone, email=email, national_id=national_id)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        identity = Identity()
    if name and not (first_name or last_name or company_name):
        if customer_kind == Customer.Kind.COMPANY:
            company_name = name
        else:
            first_name, last_name = split_name(name)
    values = {
        "kind": customer_kind,
        "first_name": " ".join(first_name.split())[:100],
        "last_name": " ".join(last_name.split())[:100],
        "company_name": " ".join(company_name.split())[:200],
    }
    if customer_kind not in Customer.Kind.values:
        errors["customer_kind"] = [_("Choose person or company.")]
    if not (values["first_name"] or values["last_name"] or values["company_name"]):
        errors.setdefault("name", []).append(_("Enter the customer's name."))
    if "phone" not in errors and "email" not in errors and not (identity.phone or identity.email):
        errors["phone"] = [_("Enter a phone number or an e-mail address to reach the customer.")]
    if kind not in Visit.Kind.values:
        errors["kind"] = [_("Choose walk-in or phone call.")]
    source = LeadSource.objects.filter(code=source_code).first() if source_code else None
    if source is None:
        errors["source"] = [_("Choose how the customer found us.")]
    if (msg := validate_party_size(party_size)) is not None:
        errors["party_size"] = [msg]
    arrived_at = arrived_at or timezone.now()
    for field, msg in validate_visit_times(
        arrived_at=arrived_at, left_at=left_at, dealer=dealer
    ).items():
        errors[field] = [msg]
    if outcome and outcome not in Visit.Outcome.values:
        errors["outcome"] = [_("Choose an outcome from the list.")]
    return identity, values, source, arrived_at, errors


def registration_problems(*, dealer: Dealer, **fields: Any) -> dict[str, list[str]]:
    """What register_contact would refuse, by field (nothing is written): the visitor log's
    form shows these with its own, all at once."""
    errors = _check_registration(dealer=dealer, **fields)[4]
    return {field: [str(m) for m in messages] for field, messages in errors.items()}


def register_contact(
    *,
    dealer: Dealer,
    actor: Any,
    kind: str,
    source_code: str,
    name: str = "",
    first_name: str = "",
    last_name: str = "",
    company_name: str = "",
    customer_kind: str = Customer.Kind.PERSON,
    phone: str = "",
    email: str = "",
    national_id: str = "",
    vehicle_model: VehicleModel | None = None,
    party_size: int = 1,
    arrived_at: datetime | None = None,
    left_at: datetime | None = None,
    outcome: str = "",
    note: str = "",
) -> RegistrationResult:
    """A walk-in or call from the visitor log: match or create the customer, open or continue
    the lead, log the visit, write the timeline. Must run inside the dealer's tenant scope.

    Bad input raises ValidationError (keyed by field) and changes nothing. A colleague's
    customer gives a RegistrationResult with only `conflict` set."""
    identity, values, source, arrived_at, errors = _check_registration(
        dealer=dealer,
        kind=kind,
        source_code=source_code,
        name=name,
        first_name=first_name,
        last_name=last_name,
        company_name=company_name,
        customer_kind=customer_kind,
        phone=phone,
        email=email,
        national_id=national_id,
        party_size=party_size,
        arrived_at=arrived_at,
        left_at=left_at,
        outcome=outcome,
    )
    if errors:
        raise ValidationError(errors)
    if source is None:  # for the type checker: errors above covered it
        raise ValidationError({"source": [_("Choose how the customer found us.")]})

    caps = capabilities_of(actor, dealer)
    if Cap.SALES_OWN not in caps:
        raise PermissionDenied
    sees_all = Cap.SALES_ALL in caps

    with transaction.atomic():
        customer, created = _match_or_create(
            dealer=dealer, identity=identity, values=values, owner=actor
        )
        if not created and customer.owner_id not in (None, actor.pk) and not sees_all:
            return _colleague_conflict(customer=customer, actor=actor, kind=kind)
        if not created:
            _fill_blanks(customer=customer, identity=identity, values=values)
            if customer.owner_id is None:
                _take_unowned(customer=customer, actor=actor)
        consultant = customer.owner or actor
        lead, continued = _continue_or_open_lead(
            customer=customer,
            actor=actor,
            source=source,
            vehicle_model=vehicle_model,
            consultant=consultant,
        )
        add_model_interest(customer=customer, vehicle_model=vehicle_model)
        visit = log_visit(
            customer=customer,
            actor=actor,
            kind=kind,
            source=source,
            lead=lead,
            vehicle_model=vehicle_model,
            party_size=party_size,
            arrived_at=arrived_at,
            left_at=left_at,
            outcome=outcome,
            note=note,
        )
        record_activity(
            lead=lead,
            actor=actor,
            kind="visit" if kind == Visit.Kind.WALK_IN else "call",
            summary=visit_summary(visit),
            ref=visit,
            at=arrived_at,
        )
        if kind == Visit.Kind.WALK_IN:  # served in person: the lead has reached Visited
            record_showroom_visit(lead=lead, actor=actor)
    return RegistrationResult(
        customer=customer,
        lead=lead,
        visit=visit,
        created_customer=created,
        continued_lead=continued,
    )


def _colleague_conflict(*, customer: Customer, actor: Any, kind: str) -> RegistrationResult:
    """The colleague keeps the customer; they (and the timeline) learn that the customer
    contacted someone else. The actor gets only the conflict info."""
    info = conflict_info(customer=customer, actor=actor)
    channel = gettext_noop("came in") if kind == Visit.Kind.WALK_IN else gettext_noop("called")
    add_timeline_event(
        customer=customer,
        kind="contact_elsewhere",
        summary=Said(
            gettext_noop("%(customer)s %(channel)s and was met by %(colleague)s (not served)."),
            {
                "customer": customer.display_name,
                "channel": Msg(channel),
                "colleague": person_name(actor),
            },
        ),
        actor=actor,
    )
    notify_user(
        dealer_id=customer.dealer_id,
        user=customer.owner,
        kind="customer_contact",
        text=lambda: (
            _("Your customer %(customer)s %(channel)s and was met by %(colleague)s.")
            % {
                "customer": customer.display_name,
                "channel": _("came in") if kind == Visit.Kind.WALK_IN else _("called"),
                "colleague": person_name(actor),
            }
        ),
        url=customer_url(customer),
    )
    return RegistrationResult(conflict=info)


# --- the card ------------------------------------------------------------------------------------


def _clean_plain(
    data: Mapping[str, Any], *, country: str = ""
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The card's plain fields present in `data`, tidied, and the problems by field. `country`:
    the card's country when `data` does not name one (its postal code is checked for it)."""
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for field in PLAIN_FIELDS:
        if field not in data:
            continue
        value = data[field]
        if field == "budget":
            if value in (None, ""):
                values[field] = None
                continue
            try:
                amount = Decimal(str(value))
            except (InvalidOperation, ValueError):
                errors[field] = [_("Enter the budget as an amount, e.g. 35000.")]
                continue
            if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
                errors[field] = [_("Enter a budget between 0 and 9,999,999,999.")]
                continue
            values[field] = amount.quantize(Decimal("0.01"))
            continue
        text = (
            " ".join(str(value or "").split())
            if field != "driving_preferences"
            else str(value or "").strip()
        )
        limit = _FIELD_LIMITS.get(field)
        if limit and len(text) > limit:
            errors[field] = [_("At most %(n)d characters.") % {"n": limit}]
            continue
        values[field] = text
    if "kind" in values and values["kind"] not in Customer.Kind.values:
        errors["kind"] = [_("Choose person or company.")]
    if "payment" in values and values["payment"] not in Customer.Payment.values:
        errors["payment"] = [_("Choose cash, finance or lease.")]
    if "country" in values:
        try:
            values["country"] = clean_country(values["country"])
        except ValidationError as exc:
            errors["country"] = exc.messages
    if values.get("postal_code") and "country" not in errors:
        try:
            values["postal_code"] = clean_postal_code(
                values["postal_code"], values.get("country", country)
            )
        except ValidationError as exc:
            errors["postal_code"] = exc.messages
    return values, errors


def _apply_consents(
    *, customer: Customer, consents: Mapping[str, bool], actor: Any, now: datetime
) -> list[str]:
    """Ticked → timestamp (kept if already given), unticked → cleared. Returns changed fields and
    writes one timeline line per change (consent is evidence: when it was given or withdrawn)."""
    changed: list[str] = []
    for channel, given in consents.items():
        field = CONSENT_FIELDS.get(channel)
        if field is None:
            continue
        current = getattr(customer, field)
        if given and current is None:
            setattr(customer, field, now)
            changed.append(field)
            message = gettext_noop("Consent to contact by %(channel)s given.")
        elif not given and current is not None:
            setattr(customer, field, None)
            changed.append(field)
            message = gettext_noop("Consent to contact by %(channel)s withdrawn.")
        else:
            continue
        add_timeline_event(
            customer=customer,
            kind="consent",
            summary=Said(message, {"channel": Msg(CHANNEL_MSGIDS[channel])}),
            actor=actor,
            at=now,
        )
    return changed


CHANNEL_MSGIDS = {
    "phone": gettext_noop("phone"),
    "email": gettext_noop("e-mail"),
    "sms": gettext_noop("SMS"),
    "post": gettext_noop("post"),
}


def set_models_of_interest(*, customer: Customer, models: Iterable[VehicleModel]) -> None:
    wanted = {m.pk for m in models}
    CustomerModelInterest.objects.filter(customer=customer).exclude(
        vehicle_model_id__in=wanted
    ).delete()
    have = set(
        CustomerModelInterest.objects.filter(customer=customer).values_list(
            "vehicle_model_id", flat=True
        )
    )
    CustomerModelInterest.objects.bulk_create(
        [
            CustomerModelInterest(
                dealer_id=customer.dealer_id, customer=customer, vehicle_model_id=pk
            )
            for pk in sorted(wanted - have)
        ]
    )


def _duplicate_errors(identity: Identity, *, exclude_pk: int | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    messages = {
        "phone": _("Another customer of this dealer already has this phone number."),
        "email": _("Another customer of this dealer already has this e-mail address."),
        "national_id": _("Another customer of this dealer already has this national ID."),
    }
    for field, message in messages.items():
        if _identifier_taken(field, getattr(identity, field), exclude_pk=exclude_pk):
            errors[field] = [message]
    return errors


def _check_card(
    *, dealer: Dealer, data: Mapping[str, Any], customer: Customer | None
) -> tuple[dict[str, Any], Identity, dict[str, list[str]]]:
    """A new card's (`customer` None) or a change's fields checked together: the plain fields,
    the identifiers, the name, a way to reach the customer and (for a change) identifiers held
    by another card — every problem at once, keyed by field, never one block after another.
    Only the fields present in `data` change; the others keep the card's values."""
    country = (customer.country if customer is not None else "") or dealer_region(dealer)
    values, errors = _clean_plain(data, country=country)
    present = [f for f in IDENTIFIER_FIELDS if f in data]
    raw = {
        f: data.get(f, getattr(customer, f) if customer is not None else "")
        for f in IDENTIFIER_FIELDS
    }
    cleaned, problems = _identity_values(dealer=dealer, **raw)
    if customer is not None:  # a stored identifier that no longer parses is kept as it is
        cleaned = {
            f: getattr(customer, f) if f not in present and f in problems else v
            for f, v in cleaned.items()
        }
        problems = {k: v for k, v in problems.items() if k in present}
    errors.update(problems)
    identity = Identity(**cleaned)
    names = {
        f: values.get(f, getattr(customer, f) if customer is not None else "")
        for f in ("first_name", "last_name", "company_name")
    }
    if not any(names.values()) and not {"first_name", "last_name", "company_name"} & set(errors):
        errors.setdefault("last_name", []).append(_("Enter the customer's name."))
    if not (identity.phone or identity.email) and not {"phone", "email"} & set(errors):
        errors["phone"] = [
            _("Enter a phone number or an e-mail address to reach the customer.")
            if customer is None
            else _("Keep a phone number or an e-mail address to reach the customer.")
        ]
    if customer is not None:
        for field, messages in _duplicate_errors(identity, exclude_pk=customer.pk).items():
            if field not in errors:
                errors[field] = messages
    return values, identity, errors


def customer_problems(
    *, dealer: Dealer, data: Mapping[str, Any], customer: Customer | None = None
) -> dict[str, list[str]]:
    """What create_customer / update_customer would refuse in `data`, by field (nothing is
    written): the card's form shows these with its own, all at once."""
    return _check_card(dealer=dealer, data=data, customer=customer)[2]


def create_customer(*, dealer: Dealer, actor: Any, data: Mapping[str, Any]) -> Customer:
    """A new card (customer list "New customer", API). Same dedupe as registration: an existing
    match raises DuplicateCustomer (with the card only if the actor may open it)."""
    caps = capabilities_of(actor, dealer)
    if Cap.SALES_OWN not in caps:
        raise PermissionDenied
    values, identity, errors = _check_card(dealer=dealer, data=data, customer=None)
    vehicle_models = list(data.get("models_of_interest") or [])
    if errors:
        raise ValidationError(errors)
    values.setdefault("country", dealer_region(dealer))
    duplicate: DuplicateCustomer | None = None
    with transaction.atomic():
        existing = _lock_match(identity)
        if existing is None:
            now = timezone.now()
            try:
                with transaction.atomic():
                    customer = Customer.objects.create(
                        dealer=dealer,
                        phone=identity.phone,
                        phone_alt=identity.phone_alt,
                        email=identity.email,
                        national_id=identity.national_id,
                        owner=actor,
                        owner_since=now,
                        **values,
                    )
            except IntegrityError:
                existing = _lock_match(identity)
                if existing is None:
                    raise
        if existing is not None:
            if existing.owner_id is None:
                _take_unowned(customer=existing, actor=actor)
            duplicate = _duplicate(existing, actor=actor, caps=caps)
        else:
            changed = _apply_consents(
                customer=customer, consents=data.get("consents") or {}, actor=actor, now=now
            )
            if changed:
                customer.save(update_fields=changed)
            set_models_of_interest(customer=customer, models=vehicle_models)
            add_timeline_event(
                customer=customer,
                kind="created",
                summary=Said(
                    gettext_noop("Customer card created by %(name)s."), {"name": person_name(actor)}
                ),
                actor=actor,
                at=now,
            )
    if duplicate is not None:
        raise duplicate
    return customer


def _take_unowned(*, customer: Customer, actor: Any) -> None:
    """Nobody serves this customer: whoever meets them does from now on (nothing moves from a
    colleague, so no claim is needed)."""
    now = timezone.now()
    Customer.objects.filter(pk=customer.pk, owner__isnull=True).update(owner=actor, owner_since=now)
    customer.owner, customer.owner_since = actor, now
    add_timeline_event(
        customer=customer,
        kind="ownership",
        summary=Said(gettext_noop("Now served by %(name)s."), {"name": person_name(actor)}),
        actor=actor,
        at=now,
    )


def _duplicate(existing: Customer, *, actor: Any, caps: frozenset[str]) -> DuplicateCustomer:
    visible = existing.owner_id in (None, actor.pk) or Cap.SALES_ALL in caps
    return DuplicateCustomer(
        conflict=conflict_info(customer=existing, actor=actor),
        customer=existing if visible else None,
    )


def update_customer(*, customer: Customer, actor: Any, data: Mapping[str, Any]) -> Customer:
    """Change the card. Only the fields present in `data` change; identifiers are normalised and
    must stay unique in the dealer (clear error, nothing changed). `consents` maps a channel to
    ticked/unticked; `models_of_interest` replaces the list."""
    if customer.merged_into_id is not None:
        raise ValidationError(_("This card was merged into another one and can no longer change."))
    dealer = Dealer.objects.get(pk=customer.dealer_id)
    values, identity, errors = _check_card(dealer=dealer, data=data, customer=customer)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        for field, value in values.items():
            setattr(customer, field, value)
        for field in IDENTIFIER_FIELDS:
            setattr(customer, field, getattr(identity, field))
        changed = _apply_consents(
            customer=customer, consents=data.get("consents") or {}, actor=actor, now=now
        )
        fields = [*values, *IDENTIFIER_FIELDS, *changed, "updated_at"]
        try:
            with transaction.atomic():
                customer.save(update_fields=list(dict.fromkeys(fields)))
        except IntegrityError as exc:
            customer.refresh_from_db()
            raise ValidationError(
                _("Another customer of this dealer already has one of these identifiers.")
            ) from exc
        if "models_of_interest" in data:
            set_models_of_interest(customer=customer, models=data["models_of_interest"] or [])
    return customer


# --- merge ---------------------------------------------------------------------------------------


def _customer_fk_models() -> list[Any]:
    """Every tenant model with a FK `customer` to Customer whose rows move on merge."""
    from django.apps import apps

    labels = [
        "leads.Lead",
        "leads.Visit",
        "leads.TimelineEvent",
        "leads.FollowUp",
        "sales.TestDrive",
        "sales.Quote",
        "sales.Order",
    ]
    return [apps.get_model(label) for label in labels]


def merge_customers(
    *, survivor: Customer, duplicate: Customer, actor: Any, request: Any = None
) -> Customer:
    """Fold a true duplicate into the surviving card, keeping all history: leads, visits,
    timeline, follow-ups, test drives, quotes and orders move (set-based updates), the duplicate
    is marked merged_into and keeps its row. Managers only; audited."""
    if Cap.SALES_ALL not in capabilities_of(actor, survivor.dealer_id):
        raise PermissionDenied
    if survivor.pk == duplicate.pk:
        raise ValidationError(_("A customer cannot be merged with itself."))
    if survivor.dealer_id != duplicate.dealer_id:
        raise ValidationError(_("Choose a customer of this dealer."))
    with transaction.atomic():
        locked = {
            c.pk: c
            for c in Customer.objects.select_for_update()
            .filter(pk__in=[survivor.pk, duplicate.pk])
            .order_by("pk")
        }
        if len(locked) != 2:
            raise ValidationError(_("Choose a customer of this dealer."))
        survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
        if survivor.merged_into_id is not None or duplicate.merged_into_id is not None:
            raise ValidationError(_("One of these customers was already merged."))
        now = timezone.now()
        # Mark the duplicate first: its identifiers leave the unique constraints at once.
        Customer.objects.filter(pk=duplicate.pk).update(merged_into=survivor, updated_at=now)
        counts: dict[str, int] = {}
        for model in _customer_fk_models():
            counts[model._meta.label] = model.objects.filter(customer_id=duplicate.pk).update(
                customer_id=survivor.pk
            )
        have = CustomerModelInterest.objects.filter(customer=survivor).values("vehicle_model_id")
        CustomerModelInterest.objects.filter(customer=duplicate, vehicle_model_id__in=have).delete()
        counts["leads.CustomerModelInterest"] = CustomerModelInterest.objects.filter(
            customer=duplicate
        ).update(customer=survivor)
        # Claims: a claimant's pending claim on both cards becomes one.
        pending_on_survivor = OwnershipClaim.objects.filter(
            customer=survivor, status=OwnershipClaim.Status.PENDING
        ).values("claimant_id")
        OwnershipClaim.objects.filter(
            customer=duplicate,
            status=OwnershipClaim.Status.PENDING,
            claimant_id__in=pending_on_survivor,
        ).update(
            status=OwnershipClaim.Status.REJECTED,
            decided_at=now,
            decided_by=actor,
            decision_note=_("Merged into a card the claimant already claims.")[:300],
        )
        counts["leads.OwnershipClaim"] = OwnershipClaim.objects.filter(customer=duplicate).update(
            customer=survivor
        )
        _complete_survivor(survivor=survivor, duplicate=duplicate)
        detail = {
            "survivor_id": survivor.pk,
            "duplicate_id": duplicate.pk,
            "survivor_owner": person_name(survivor.owner) if survivor.owner_id else "",
            "duplicate_owner": person_name(duplicate.owner) if duplicate.owner_id else "",
            "moved": counts,
        }
        record(
            action=AuditAction.BULK_CHANGE,
            actor=actor,
            dealer=survivor.dealer_id,
            obj=survivor,
            count=sum(counts.values()),
            request=request,
            detail={"operation": "merge_customers", **detail},
        )
        add_timeline_event(
            customer=survivor,
            kind="merge",
            summary=Said(
                gettext_noop(
                    "Duplicate card %(name)s (no. %(id)s) merged into this one by %(actor)s."
                ),
                {"name": duplicate.display_name, "id": duplicate.pk, "actor": person_name(actor)},
            ),
            actor=actor,
            at=now,
        )
    survivor.refresh_from_db()
    return survivor


def _complete_survivor(*, survivor: Customer, duplicate: Customer) -> None:
    """Fill the survivor's empty fields from the duplicate (identifiers too: the duplicate no
    longer holds them once merged)."""
    changed: list[str] = []
    for field in (
        *PLAIN_FIELDS,
        "email",
        "national_id",
        "consent_phone_at",
        "consent_email_at",
        "consent_sms_at",
        "consent_post_at",
    ):
        if field == "kind":
            continue
        if getattr(duplicate, field) not in (None, "") and getattr(survivor, field) in (None, ""):
            setattr(survivor, field, getattr(duplicate, field))
            changed.append(field)
    known = {survivor.phone, survivor.phone_alt} - {""}
    for number in (duplicate.phone, duplicate.phone_alt):
        if not number or number in known:
            continue
        if not survivor.phone:
            survivor.phone = number
            changed.append("phone")
        elif not survivor.phone_alt:
            survivor.phone_alt = number
            changed.append("phone_alt")
        known.add(number)
    if changed:
        survivor.save(update_fields=[*dict.fromkeys(changed), "updated_at"])


def customers_sharing_identifiers(customer: Customer) -> list[Customer]:
    """Possible duplicates of a card (same other phone, or same name and city): the merge page
    offers them first."""
    q = Q()
    for number in {customer.phone, customer.phone_alt} - {""}:
        q |= Q(phone=number) | Q(phone_alt=number)
    if customer.last_name and customer.first_name:
        q |= Q(
            last_name__iexact=customer.last_name,
            first_name__iexact=customer.first_name,
        )
    if customer.company_name:
        q |= Q(company_name__iexact=customer.company_name)
    if not q:
        return []
    return list(
        Customer.objects.filter(q, merged_into__isnull=True)
        .exclude(pk=customer.pk)
        .select_related("owner")
        .order_by("pk")[:20]
    )


__all__ = [
    "CONSENT_FIELDS",
    "DuplicateCustomer",
    "RegistrationResult",
    "create_customer",
    "merge_customers",
    "register_contact",
    "update_customer",
]
