"""Demo funnel history: months of realistic sales work for every dealer of the demo network.

`seed_funnel()` gives each dealer about six months of what its consultants would have done:
customers from the dealer's country (Faker in its locale, phone numbers valid for the country and
normalised to E.164 by leads.services.normalize), leads from every source moving through the
funnel (stage and grade history, HQ playbook steps), the visitor log on most working days, calls
from the grade cadence, test drives on demo vehicles in fixed slots (never overlapping), quotes
priced from the HQ price list, orders with deposits and balances, deliveries with their
after-delivery calls, lost (approved by the sales manager) and dormant leads — with the customer
timeline written alongside.

The history is simulated in memory and bulk-inserted (a few thousand leads: the services would
take minutes one call at a time); the timestamps are set explicitly, everything else follows the
services' rules and texts. What happens "now" then goes through the real services: the nightly
jobs (lead pool, grade follow-ups), today's walk-ins and web leads, upcoming test-drive bookings,
an order made ready for delivery tomorrow, the approvals waiting for the sales manager (a lost
request, a discount, an ownership claim), call-backs so every consultant's "my day" has something
overdue, due today and due tomorrow, and the reminders.

Deterministic: the same seed (and the same network) gives the same data, apart from timestamps,
which are relative to the time of seeding. Run inside nothing: it enters each dealer's tenant
scope itself.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import operator
import random
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import phonenumbers
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from faker import Faker

from dealers.clock import dealer_zone
from dealers.models import Dealer, Membership
from dealers.roles import DealerRole
from dms.kpi import dirty
from dms.tenancy.context import as_dealer
from inventory.models import Colour, Option, Trim, VehicleModel
from leads.models import (
    FUNNEL_STAGES,
    Customer,
    CustomerModelInterest,
    FollowUp,
    GradeChange,
    Lead,
    LeadSettings,
    LeadSource,
    LostReason,
    Notification,
    OwnershipClaim,
    Stage,
    StageChange,
    TimelineEvent,
    Visit,
)
from leads.services.normalize import normalize_email, normalize_phone
from leads.signals import history_seeded
from leads.timeline_lines import Choice, Hq, Msg, Said, said
from sales.models import (
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
from sales.numbering import next_number

DEFAULT_SEED = 42
DEFAULT_MONTHS = 6
DEFAULT_LEADS_PER_MONTH = 35

# Faker locale per dealer country (the demo network's markets first).
LOCALES = {
    "DE": "de_DE",
    "NL": "nl_NL",
    "FR": "fr_FR",
    "IT": "it_IT",
    "PL": "pl_PL",
    "AT": "de_AT",
    "CH": "de_CH",
    "BE": "nl_BE",
    "ES": "es_ES",
    "PT": "pt_PT",
    "GB": "en_GB",
    "IE": "en_IE",
    "CZ": "cs_CZ",
    "DK": "da_DK",
    "SE": "sv_SE",
}
SOURCE_MIX = [
    ("walk_in", 34),
    ("phone", 22),
    ("web", 22),
    ("hq_campaign", 8),
    ("referral", 6),
    ("event", 3),
    ("service", 3),
    ("fleet", 2),
]
ONLINE_SOURCES = frozenset({"web", "hq_campaign"})
# stage -> (probability to go on, gap in days to the next stage, gap to losing the lead)
TRANSITIONS: dict[str, tuple[float, tuple[float, float], tuple[float, float]]] = {
    Stage.CONTACTED: (0.62, (1, 10), (8, 40)),
    Stage.VISITED: (0.66, (1, 12), (8, 40)),
    Stage.TEST_DRIVE: (0.76, (1, 7), (5, 30)),
    Stage.QUOTE: (0.52, (3, 20), (7, 30)),
}
FUNNEL_ORDER: list[str] = list(FUNNEL_STAGES)  # the funnel's stages in order (leads.models)
# every_stage: how a lead that must end in a stage starts (source, days before now), so that its
# shortest path fits before now (a delivery 12 days after the order leaves the 30-day call open).
# Test drive and quote need two: the live part turns one of them into today's ready order.
STAGE_PLAN: dict[str, tuple[str, float, int]] = {
    Stage.NEW: ("web", 5 / (24 * 60), 1),
    Stage.CONTACTED: ("phone", 2, 1),
    Stage.VISITED: ("walk_in", 2, 1),
    Stage.TEST_DRIVE: ("walk_in", 6, 2),
    Stage.QUOTE: ("walk_in", 10, 2),
    Stage.ORDER: ("walk_in", 12, 1),
    Stage.DELIVERED: ("walk_in", 25, 1),
    Stage.LOST: ("phone", 20, 1),
    Stage.DORMANT: ("phone", 20, 1),
}
NEXT_STAGE = {
    Stage.CONTACTED: Stage.VISITED,
    Stage.VISITED: Stage.TEST_DRIVE,
    Stage.TEST_DRIVE: Stage.QUOTE,
    Stage.QUOTE: Stage.ORDER,
}
CADENCE_DAYS = {"H": 2, "A": 3, "B": 7, "C": 14, "": 14}
LOST_EARLY = ["unreachable", "postponed", "product_fit", "postponed", "duplicate"]
LOST_LATE = ["price", "competitor_brand", "other_dealer", "finance_declined", "delivery_time"]
STAGE_STEPS = {
    Stage.CONTACTED: ["first_contact_logged"],
    Stage.VISITED: ["greeting", "needs_analysis"],
    Stage.TEST_DRIVE: ["walk_around", "licence_checked"],
    Stage.QUOTE: ["trade_in_appraised"],
    Stage.ORDER: ["deposit_received", "delivery_date_agreed"],
    Stage.DELIVERED: ["pdi_done", "balance_paid", "handover"],
}
SLOTS = [(10, 0), (11, 30), (13, 0), (14, 30), (16, 0)]  # test drives: one hour each
CHECKLIST_CODES = ["pdi_done", "documents", "handover_prep"]
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
# Demo content (data, not interface text).
TRADE_INS = [
    "VW Golf VII 1.4 TSI, 2016, 98,000 km",
    "Opel Astra K 1.6 CDTI, 2017, 121,000 km",
    "Ford Focus 1.0 EcoBoost, 2018, 76,000 km",
    "Renault Clio IV, 2015, 88,000 km",
    "Toyota Yaris Hybrid, 2019, 54,000 km",
    "Skoda Octavia Combi 2.0 TDI, 2016, 164,000 km",
    "Peugeot 308 SW, 2017, 102,000 km",
    "Fiat 500 1.2, 2014, 71,000 km",
]
COMPETITORS = [
    "VW Golf",
    "Toyota Corolla",
    "Skoda Octavia",
    "Kia Ceed",
    "Hyundai Tucson",
    "Peugeot 3008",
    "Renault Clio",
    "Ford Kuga",
    "Tesla Model 3",
]
INTERESTS = [
    "cycling",
    "camping",
    "skiing",
    "golf",
    "dog owner",
    "family trips",
    "home charging",
    "caravan",
]
DRIVING = [
    "Mostly city driving, about 10,000 km a year.",
    "Long motorway commute, 30,000 km a year.",
    "Family car for weekends and holidays.",
    "Needs a tow bar for a trailer.",
    "Short trips; wants low running costs.",
    "Drives in the mountains in winter: wants all-wheel drive.",
]
DRIVE_OUTCOMES = [
    "Very positive, wants an offer",
    "Positive",
    "Compares with a competitor",
    "Undecided about the trim",
]
DRIVE_FEEDBACK = [
    "Liked the ride comfort and the quiet cabin.",
    "Found the infotainment easy to use.",
    "Boot is a little small for the pram.",
    "Impressed by the fuel consumption.",
    "Wants to try the hybrid as well.",
]
DORMANT_REASONS = [
    "Purchase postponed to next year",
    "No answer after several calls",
    "Waiting for the new model year",
    "Decided to keep the current car for now",
]
LOST_NOTES = [
    "",
    "Went with a cheaper offer",
    "Partner decided against it",
    "Could not wait for the delivery date",
    "",
]
CLAIM_REASONS = [
    "I sold this family their last car; they asked for me.",
    "Met the customer at the motor show and promised the offer myself.",
    "The customer is a neighbour and asked me to take over.",
]

User = get_user_model()

# The seeder writes the same few texts thousands of times in one language: gettext once each.
_TRANSLATED: dict[str, str] = {}


def _(message: str) -> str:
    found = _TRANSLATED.get(message)
    if found is None:
        found = _TRANSLATED[message] = gettext(message)
    return found


# --- helpers -------------------------------------------------------------------------------------


class _Row:
    """A row to insert, lighter than a model instance (the history has tens of thousands):
    field name -> value, where a value may be a model object or another _Row (its pk is used).
    `pk` is set when the row is inserted."""

    __slots__ = ("model", "pk", "values")

    def __init__(self, model: type[models.Model], **values: Any) -> None:
        self.model = model
        self.values = values
        self.pk: int | None = None


_MISSING = object()


def _row_getter(f: Any) -> Callable[[_Row], Any]:
    if f.primary_key:
        return operator.attrgetter("pk")
    name, attname = f.name, f.attname
    default = f.get_default()

    def get(row: _Row) -> Any:
        values = row.values
        value = values.get(name, _MISSING)
        if value is _MISSING:
            value = values.get(attname, default)
        pk = getattr(value, "pk", _MISSING)
        return value if pk is _MISSING else pk

    if isinstance(f, models.JSONField):
        return lambda row: json.dumps(get(row))
    return get


def _column_getter(f: Any) -> Callable[[models.Model], Any]:
    if f.is_relation:
        attname = f.attname

        def related(obj: models.Model) -> Any:
            value = getattr(obj, attname)
            if value is None and f.is_cached(obj):  # assigned as an object saved since
                target = f.get_cached_value(obj)
                value = target.pk if target is not None else None
            return value

        return related
    if isinstance(f, models.JSONField):
        return lambda obj: json.dumps(getattr(obj, f.attname))
    return operator.attrgetter(f.attname)


def insert_rows(objs: list[Any], *, chunk: int = 400) -> None:
    """INSERT unsaved model objects of one model, ids drawn from the table's sequence, a few
    hundred rows per statement, every column as the object holds it (creation times included:
    auto_now fields are not touched). bulk_create's per-field work in Python was most of the
    seeding time. Goes through Django's cursor, so the tenant settings (RLS) apply as usual.
    Rows of a table the KPI facts read mark their days as the ORM would (dms.kpi.dirty;
    reports.rollup.demo.roll_up_history, on leads.signals.history_seeded, then recomputes the seeded history
    and drops those marks)."""
    if not objs:
        return
    light = isinstance(objs[0], _Row)
    model = objs[0].model if light else type(objs[0])
    meta = model._meta
    qn = connection.ops.quote_name
    fields = list(meta.concrete_fields)
    getters: list[Callable[[Any], Any]] = [
        _row_getter(f) if light else _column_getter(f) for f in fields
    ]
    columns = ", ".join(qn(f.column) for f in fields)
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [meta.db_table, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
            if not light:
                obj._state.adding = False
                obj._state.db = connection.alias
        for start in range(0, len(objs), chunk):
            part = objs[start : start + chunk]
            cursor.execute(
                f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES "  # noqa: S608 - names from model meta
                + ", ".join([row_sql] * len(part)),
                [get(obj) for obj in part for get in getters],
            )
    if meta.label in dirty.SOURCES:
        tracked = [
            (f.attname, get)
            for f, get in zip(fields, getters, strict=True)
            if f.attname in dirty.SOURCES[meta.label].columns
        ]
        dirty.mark_rows(model, ({name: get(obj) for name, get in tracked} for obj in objs))


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _round_to(value: float, step: int) -> Decimal:
    return Decimal(int(round(value / step)) * step).quantize(Decimal("0.01"))


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def remove_funnel_data(dealer: Dealer) -> None:
    """Delete the dealer's funnel and sales rows (customers, leads and everything hanging off
    them). Audit entries stay: the audit log is append-only. Call inside as_dealer(dealer)."""
    with transaction.atomic():
        Notification.objects.filter(dealer=dealer).delete()
        OwnershipClaim.objects.filter(dealer=dealer).delete()
        Payment.objects.filter(dealer=dealer).delete()
        Order.objects.filter(dealer=dealer).delete()
        QuoteLine.objects.filter(dealer=dealer).delete()
        Quote.objects.filter(dealer=dealer).update(supersedes=None)
        Quote.objects.filter(dealer=dealer).delete()
        TestDrive.objects.filter(dealer=dealer).delete()
        DemoVehicle.objects.filter(dealer=dealer).delete()
        LeadStep.objects.filter(dealer=dealer).delete()
        FollowUp.objects.filter(dealer=dealer).delete()
        TimelineEvent.objects.filter(dealer=dealer).delete()
        Visit.objects.filter(dealer=dealer).delete()
        GradeChange.objects.filter(dealer=dealer).delete()
        StageChange.objects.filter(dealer=dealer).delete()
        Lead.objects.filter(dealer=dealer).delete()
        CustomerModelInterest.objects.filter(dealer=dealer).delete()
        Customer.objects.filter(dealer=dealer).update(merged_into=None)
        Customer.objects.filter(dealer=dealer).delete()
        LeadSettings.objects.filter(dealer=dealer).delete()


@dataclass
class FunnelSeedResult:
    seeded: dict[str, Counter[str]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    @property
    def totals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for counts in self.seeded.values():
            total.update(counts)
        return total


def seed_funnel(
    *,
    seed: int = DEFAULT_SEED,
    months: int = DEFAULT_MONTHS,
    leads_per_month: int = DEFAULT_LEADS_PER_MONTH,
    dealers: Iterable[Dealer] | None = None,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
    now: dt.datetime | None = None,
) -> FunnelSeedResult:
    """Seed the funnel history of `dealers` (default: every active dealer). A dealer that
    already has customers is skipped unless `force` (its funnel data is replaced). The history
    ends at the full hour before `now` (default: the current time). The seeder's own decisions
    all read `now`; the live part (today's work) goes through the services, which stamp the
    current time: pass the current time, or freeze the clock as the tests do."""
    if months < 1 or leads_per_month < 1:
        raise ValueError("months and leads per month must be at least 1")
    now = now or timezone.now()
    chosen = (
        list(dealers)
        if dealers is not None
        else list(Dealer.objects.filter(is_active=True).order_by("code"))
    )
    if not (LeadSource.objects.exists() and PlaybookStep.objects.exists()):
        # HQ defaults come with the leads data migration; a flushed database lost them.
        from django.apps import apps

        from leads.services.reference import load_reference_data

        load_reference_data(apps)
    result = FunnelSeedResult()
    for index, dealer in enumerate(chosen):
        with as_dealer(dealer):
            if Customer.objects.filter(dealer=dealer).exists():
                if not force:
                    result.skipped.append(dealer.code)
                    continue
                remove_funnel_data(dealer)
            seeder = DealerSeeder(
                dealer,
                seed=seed,
                index=index,
                months=months,
                leads_per_month=leads_per_month,
                now=now,
            )
            if not seeder.consultants:
                result.skipped.append(dealer.code)
                continue
            counts = seeder.run()
        result.seeded[dealer.code] = counts
        if progress is not None:
            timings = ", ".join(f"{k} {v:.1f} s" for k, v in seeder.timings.items())
            progress(
                f"{dealer.code}: {counts['customers']} customers, {counts['leads']} leads, "
                f"{counts['visits']} visits, {counts['test drives']} test drives, "
                f"{counts['orders']} orders ({timings})"
            )
    if result.seeded:
        history_seeded.send(
            sender=DealerSeeder,
            dealers=[d for d in chosen if d.code in result.seeded],
            network=dealers is None,
            progress=progress,
            now=now,
        )
    return result


# --- one dealer ----------------------------------------------------------------------------------


@dataclass
class _Sim:
    """One lead while its history is simulated."""

    lead: Lead
    customer: Customer
    consultant: Any
    model: VehicleModel
    source: LeadSource
    grade: str = ""
    stage: str = ""
    steps: set[str] = field(default_factory=set)
    last_activity: dt.datetime | None = None
    quote: Quote | None = None
    quotes: list[Quote] = field(default_factory=list)
    # A lead made to end in a given stage (see DealerSeeder.every_stage): shortest gaps.
    target: str | None = None


@dataclass
class _Event:
    event: _Row
    ref: models.Model | _Row | None
    summary: str | Said | Callable[[], str | Said]


class DealerSeeder:
    def __init__(
        self,
        dealer: Dealer,
        *,
        seed: int,
        index: int,
        months: int,
        leads_per_month: int,
        now: dt.datetime | None = None,
    ) -> None:
        self.dealer = dealer
        self.index = index
        self.months = months
        self.leads_per_month = leads_per_month
        _TRANSLATED.clear()  # the active language may differ from the last run's
        key = f"{seed}:{dealer.code}"
        self.rng = random.Random(key)  # noqa: S311 - demo data, not secrets
        self.fake = Faker(LOCALES.get(dealer.country.upper(), "en_US"))
        self.fake.seed_instance(key)
        self.region = (dealer.country or "DE").upper()
        self.tz = dealer_zone(dealer)
        self.now = now or timezone.now()
        # The history ends at the last full hour: two runs a few seconds apart agree.
        self.horizon = self.now.replace(minute=0, second=0, microsecond=0)
        self.today = self.local(self.now).date()

        memberships = list(
            Membership.objects.filter(dealer=dealer, is_active=True, user__is_active=True)
            .select_related("user")
            .order_by("user__username")
        )
        self.consultants = [m.user for m in memberships if m.role == DealerRole.CONSULTANT]
        managers = [m.user for m in memberships if m.role == DealerRole.SALES_MANAGER] or [
            m.user for m in memberships if m.role == DealerRole.DEALER_MANAGER
        ]
        self.manager = managers[0] if managers else None

        self.sources = {s.code: s for s in LeadSource.objects.all()}
        self.reasons = {r.code: r for r in LostReason.objects.filter(is_active=True)}
        self.steps = {
            s.code: s
            for s in PlaybookStep.objects.filter(is_active=True).order_by("stage", "order")
        }
        self.vehicle_models = list(VehicleModel.objects.filter(is_active=True).order_by("code"))
        self.trims: dict[int, list[Trim]] = defaultdict(list)
        for trim in Trim.objects.order_by("code"):
            self.trims[trim.vehicle_model_id].append(trim)
        self.vehicle_models = [m for m in self.vehicle_models if self.trims.get(m.pk)]
        self.colours = list(Colour.objects.order_by("code"))
        options = list(Option.objects.order_by("code"))
        self.options = [o for o in options if o.kind == Option.Kind.OPTION]
        self.accessories = [o for o in options if o.kind == Option.Kind.ACCESSORY]
        from sales.services import price_list_on

        self.price_list = price_list_on(self.today)
        self.prices: dict[tuple[str, str], Decimal] = {}
        if self.price_list is not None:
            self.prices = {
                (item.kind, item.code): item.price for item in self.price_list.vehicle_prices.all()
            }
        self.cities = [(dealer.postal_code, dealer.city)] + [
            (self.fake.postcode(), self.fake.city()) for _ in range(10)
        ]

        self.customers: list[Customer] = []
        self.interests: list[CustomerModelInterest] = []
        self.leads: list[Lead] = []
        self.stage_changes: list[_Row] = []
        self.grade_changes: list[_Row] = []
        self.lead_steps: list[_Row] = []
        self.visits: list[Visit] = []
        self.drives: list[TestDrive] = []
        self.quotes: list[Quote] = []
        self.quote_lines: list[QuoteLine] = []
        self.orders: list[Order] = []
        self.payments: list[Payment] = []
        self.follow_ups: list[_Row] = []
        self.events: list[_Event] = []
        self.phones: set[str] = set()
        self.emails: set[str] = set()
        self.vins: set[str] = set()
        self.vehicles: list[DemoVehicle] = []
        self.booked: dict[tuple[int, dt.date], set[int]] = defaultdict(set)
        self.returning: list[tuple[dt.datetime, Customer]] = []  # (free from, customer)
        self.round_robin = 0
        self.counts: Counter[str] = Counter()
        self.timings: dict[str, float] = {}

    # --- time ------------------------------------------------------------------------------------

    def local(self, moment: dt.datetime) -> dt.datetime:
        return timezone.localtime(moment, self.tz)

    def at(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.tz)

    def working(self, moment: dt.datetime) -> dt.datetime:
        """The moment, or the next showroom time (Mon–Sat, 9:00–18:30) after it."""
        local = self.local(moment)
        day = local.date()
        if local.weekday() < 6 and dt.time(9) <= local.time() <= dt.time(18, 30):
            return moment
        if local.time() > dt.time(18, 30) or local.weekday() == 6:
            day += dt.timedelta(days=1)
        while day.weekday() == 6:
            day += dt.timedelta(days=1)
        return self.at(day, 9) + dt.timedelta(minutes=self.rng.randint(0, 180))

    def call_time(self, due: dt.datetime) -> dt.datetime:
        """When a consultant makes a call that is due: mostly ahead of the due time (in showroom
        hours), about one in five late."""
        if self.rng.random() < 0.8:
            early = due - dt.timedelta(minutes=self.rng.randint(5, 240))
            if self.working(early) == early:
                return early
        return self.working(due + dt.timedelta(minutes=self.rng.randint(0, 180)))

    def days(self, low: float, high: float) -> dt.timedelta:
        return dt.timedelta(days=self.rng.uniform(low, high))

    # --- identities ------------------------------------------------------------------------------

    def phone(self) -> str:
        """A phone number valid for the dealer's country, as a consultant would type it, in the
        E.164 form leads.services.normalize stores. Unique within the dealer."""
        example = phonenumbers.example_number_for_type(
            self.region, phonenumbers.PhoneNumberType.MOBILE
        )
        for _attempt in range(50):
            if example is not None and self.rng.random() < 0.7:
                digits = str(example.national_number)
                candidate = digits[:3] + "".join(str(self.rng.randrange(10)) for _ in digits[3:])
                number = phonenumbers.parse(candidate, self.region)
                raw = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            else:
                raw = self.fake.phone_number()
            try:
                e164 = normalize_phone(raw, self.region)
            except ValidationError:
                continue
            # Faker's national formats may start with "00", which phonenumbers reads as an
            # international call (a German "0027…" became a South African +27…): keep only
            # numbers of the dealer's own country.
            if phonenumbers.region_code_for_number(phonenumbers.parse(e164)) != self.region:
                continue
            if e164 not in self.phones:
                self.phones.add(e164)
                return e164
        raise RuntimeError(f"no valid phone number for {self.region}")

    def email(self, first: str, last: str) -> str:
        base = ".".join(p for p in (_slug(first), _slug(last)) if p) or "customer"
        domain = self.fake.free_email_domain()
        for n in range(100):
            candidate = normalize_email(f"{base}{n or ''}@{domain}")
            if candidate not in self.emails:
                self.emails.add(candidate)
                return candidate
        raise RuntimeError("no free e-mail address")

    def vin(self) -> str:
        while True:
            vin = "AUR" + "".join(self.rng.choice(VIN_CHARS) for _ in range(14))
            if vin not in self.vins:
                self.vins.add(vin)
                return vin

    def new_customer(self, *, at: dt.datetime, consultant: Any, source: str) -> Customer:
        rng, fake = self.rng, self.fake
        is_company = source == "fleet" or rng.random() < 0.04
        first, last = fake.first_name(), fake.last_name()
        postcode, city = self.cities[0] if rng.random() < 0.4 else rng.choice(self.cities)
        customer = Customer(
            dealer=self.dealer,
            kind=Customer.Kind.COMPANY if is_company else Customer.Kind.PERSON,
            first_name=first,
            last_name=last,
            company_name=fake.company()[:200] if is_company else "",
            phone=self.phone(),
            email=self.email(first, last) if rng.random() < 0.85 else "",
            street=fake.street_address()[:200],
            postal_code=postcode[:20],
            city=city[:100],
            country=self.region,
            owner=consultant,
            owner_since=at,
            created_at=at,
            updated_at=at,
            consent_phone_at=at if rng.random() < 0.75 else None,
            consent_sms_at=at if rng.random() < 0.3 else None,
            consent_post_at=at if rng.random() < 0.2 else None,
        )
        if customer.email and rng.random() < 0.65:
            customer.consent_email_at = at
        self.customers.append(customer)
        return customer

    def fill_needs(self, sim: _Sim, at: dt.datetime) -> None:
        """The needs analysis writes the customer card."""
        rng, customer = self.rng, sim.customer
        trim_price = self.prices.get(("trim", self.trims[sim.model.pk][0].code), Decimal(25000))
        customer.budget = _round_to(float(trim_price) * rng.uniform(0.9, 1.25), 500)
        customer.payment = rng.choice(["cash", "finance", "finance", "lease"])
        if rng.random() < 0.5:
            customer.trade_in = rng.choice(TRADE_INS)
        customer.driving_preferences = rng.choice(DRIVING)
        customer.competitor_models = ", ".join(rng.sample(COMPETITORS, rng.randint(0, 2)))
        customer.interests = ", ".join(rng.sample(INTERESTS, rng.randint(0, 2)))
        customer.updated_at = max(customer.updated_at, at)
        wanted = {sim.model.pk}
        if rng.random() < 0.3:
            wanted.add(rng.choice(self.vehicle_models).pk)
        have: set[int] = getattr(customer, "_demo_interests", set())
        for model_id in sorted(wanted - have):
            self.interests.append(
                CustomerModelInterest(
                    dealer=self.dealer, customer=customer, vehicle_model_id=model_id
                )
            )
        customer._demo_interests = have | wanted  # type: ignore[attr-defined]

    # --- the writing primitives (same rows and texts as the services) ----------------------------

    def event(
        self,
        sim: _Sim,
        *,
        kind: str,
        summary: str | Said | Callable[[], str | Said],
        at: dt.datetime,
        actor: Any,
        ref: models.Model | _Row | None = None,
        lead: bool = True,
    ) -> None:
        row = _Row(
            TimelineEvent,
            dealer=self.dealer,
            customer=sim.customer,
            lead=sim.lead if lead else None,
            kind=kind,
            summary="",
            at=at,
            actor=actor,
        )
        self.events.append(_Event(row, ref, summary))

    def contact(
        self,
        sim: _Sim,
        *,
        kind: str,
        summary: str | Said | Callable[[], str | Said],
        at: dt.datetime,
        actor: Any,
        ref: models.Model | _Row | None = None,
    ) -> None:
        """record_activity: timeline, last activity, first response; New → Contacted."""
        self.event(sim, kind=kind, summary=summary, at=at, actor=actor, ref=ref)
        lead = sim.lead
        if sim.last_activity is None or at > sim.last_activity:
            sim.last_activity = at
        if lead.first_response_at is None:
            lead.first_response_at = at
        sim.customer.updated_at = max(sim.customer.updated_at, at)
        if sim.stage == Stage.NEW:
            self.step(sim, "first_contact_logged", at, actor)
            self.move(sim, Stage.CONTACTED, at, actor)

    def move(
        self, sim: _Sim, to_stage: str, at: dt.datetime, actor: Any, *, timeline: bool = True
    ) -> None:
        before = sim.stage
        self.stage_changes.append(
            _Row(
                StageChange,
                dealer=self.dealer,
                lead=sim.lead,
                from_stage=before,
                to_stage=to_stage,
                changed_at=at,
                changed_by=actor,
                consultant=sim.consultant,  # who holds the lead now: the KPI credit snapshot
            )
        )
        if not timeline:  # opening a lead writes "lead opened", not a stage line
            sim.stage = to_stage
            return
        self.event(
            sim,
            kind="stage",
            summary=Said(
                gettext_noop("Stage: %(from)s → %(to)s"),
                {
                    "from": Choice("stage", before) if before else "—",
                    "to": Choice("stage", to_stage),
                },
            ),
            at=at,
            actor=actor,
        )
        sim.stage = to_stage

    def set_grade(self, sim: _Sim, grade: str, at: dt.datetime, actor: Any) -> None:
        if grade == sim.grade:
            return
        self.grade_changes.append(
            _Row(
                GradeChange,
                dealer=self.dealer,
                lead=sim.lead,
                from_grade=sim.grade,
                to_grade=grade,
                changed_at=at,
                changed_by=actor,
                consultant=sim.consultant,  # who holds the lead now: credited in the report
            )
        )
        self.event(
            sim,
            kind="grade",
            summary=Said(
                gettext_noop("Grade: %(from)s → %(to)s"), {"from": sim.grade or "—", "to": grade}
            ),
            at=at,
            actor=actor,
        )
        sim.grade = grade

    def step(self, sim: _Sim, code: str, at: dt.datetime, actor: Any) -> None:
        step = self.steps.get(code)
        if step is None or code in sim.steps:
            return
        sim.steps.add(code)
        done = _Row(
            LeadStep, dealer=self.dealer, lead=sim.lead, step=step, done_at=at, done_by=actor
        )
        self.lead_steps.append(done)
        self.event(
            sim,
            kind="step",
            summary=said(gettext_noop("Playbook: %(step)s"), step=Hq(step.name)),
            at=at,
            actor=actor,
            ref=done,
        )

    def visit(
        self,
        sim: _Sim,
        *,
        kind: str,
        arrived: dt.datetime,
        minutes: float,
        outcome: str,
        party: int = 1,
    ) -> Visit:
        from leads.services.visits import visit_summary

        row = Visit(
            dealer=self.dealer,
            kind=kind,
            customer=sim.customer,
            lead=sim.lead,
            served_by=sim.consultant,
            source=sim.source,
            vehicle_model=sim.model,
            party_size=party if kind == Visit.Kind.WALK_IN else 1,
            arrived_at=arrived,
            left_at=arrived + dt.timedelta(minutes=minutes),
            outcome=outcome,
        )
        self.visits.append(row)
        self.contact(
            sim,
            kind="visit" if kind == Visit.Kind.WALK_IN else "call",
            summary=visit_summary(row),
            at=arrived,
            actor=sim.consultant,
            ref=row,
        )
        return row

    def follow_up_done(
        self, sim: _Sim, *, kind: str, due: dt.datetime, done: dt.datetime, result: str
    ) -> None:
        row = _Row(
            FollowUp,
            dealer=self.dealer,
            lead=sim.lead,
            customer=sim.customer,
            owner=sim.consultant,
            kind=kind,
            due_at=due,
            done_at=done,
            result=result,
            reminded_at=due if due < done else None,
            created_at=min(due, done) - dt.timedelta(days=1),
        )
        self.follow_ups.append(row)
        summary = said(
            gettext_noop("%(kind)s: %(result)s"),
            kind=Choice("follow_up_kind", kind),
            result=Choice("follow_up_result", result),
        )
        if sim.lead.is_open or kind != FollowUp.Kind.AFTER_DELIVERY:
            self.contact(sim, kind="call", summary=summary, at=done, actor=sim.consultant, ref=row)
        else:  # after delivery: the lead is closed, the call is still logged
            self.event(sim, kind="call", summary=summary, at=done, actor=sim.consultant, ref=row)

    def cadence_calls(self, sim: _Sim, *, until: dt.datetime, may_stop: bool = False) -> None:
        """Grade follow-up calls made on time until `until`. At the end of the history
        (`may_stop`) a consultant sometimes misses one: that follow-up is overdue now."""
        rng = self.rng
        for _call in range(40):
            base = sim.last_activity or sim.lead.created_at
            due = base + dt.timedelta(days=CADENCE_DAYS.get(sim.grade, 14))
            done = self.call_time(due)
            if done >= until - dt.timedelta(hours=12):
                return
            if may_stop and rng.random() < 0.12:
                return
            result = rng.choices(
                [FollowUp.Result.REACHED, FollowUp.Result.NOT_REACHED, FollowUp.Result.APPOINTMENT],
                [60, 30, 10],
            )[0]
            self.follow_up_done(sim, kind=FollowUp.Kind.CADENCE, due=due, done=done, result=result)

    # --- test drives -----------------------------------------------------------------------------

    def make_vehicles(self) -> None:
        from sales.services import create_demo_vehicle

        if self.manager is None:
            return  # only a sales manager adds demo vehicles
        wanted = max(3, len(self.consultants) - 1)
        models_ = self.vehicle_models
        for n in range(min(wanted, len(models_) * 2)):
            model = models_[(self.index + n) % len(models_)]
            trims = self.trims[model.pk]
            try:
                plate = self.fake.license_plate()
            except AttributeError:
                plate = f"DEMO-{n + 1}"
            vehicle = create_demo_vehicle(
                dealer=self.dealer,
                actor=self.manager,
                vehicle_model=model,
                trim=trims[-1],
                vin=self.vin(),
                plate=plate[:20],
                odometer_km=self.rng.randint(300, 4000),
            )
            self.vehicles.append(vehicle)

    def slot(
        self, model: VehicleModel, near: dt.datetime, *, max_days: int = 14
    ) -> tuple[DemoVehicle, dt.datetime] | None:
        """A free one-hour slot on a demo vehicle (the customer's model first) at or after
        `near`: fixed slots per vehicle and day, so bookings never overlap."""
        if not self.vehicles:
            return None
        first = self.local(near).date()
        ordered = sorted(self.vehicles, key=lambda v: (v.vehicle_model_id != model.pk, v.pk))
        for offset in range(max_days):
            day = first + dt.timedelta(days=offset)
            if day.weekday() == 6:
                continue
            for vehicle in ordered:
                taken = self.booked[(vehicle.pk, day)]
                for i, (hour, minute) in enumerate(SLOTS):
                    start = self.at(day, hour, minute)
                    if i in taken or start < near:
                        continue
                    taken.add(i)
                    return vehicle, start
        return None

    def release(self, vehicle: DemoVehicle, start: dt.datetime) -> None:
        local = self.local(start)
        index = SLOTS.index((local.hour, local.minute))
        self.booked[(vehicle.pk, local.date())].discard(index)

    def test_drive(self, sim: _Sim, near: dt.datetime) -> dt.datetime | None:
        """Booked, out (licence checked, consent signed), back: the lead enters Test drive."""
        from sales.services import format_slot

        found = self.slot(sim.model, self.working(near))
        if found is None:
            return None
        vehicle, start = found
        end = start + dt.timedelta(hours=1)
        if end >= self.horizon:
            self.release(vehicle, start)
            return None
        consultant, rng = sim.consultant, self.rng
        booked_at = max(
            (sim.last_activity or start) + dt.timedelta(minutes=5),
            start - self.days(1, 3),
        )
        booked_at = min(booked_at, start - dt.timedelta(minutes=30))
        drive = TestDrive(
            dealer=self.dealer,
            lead=sim.lead,
            customer=sim.customer,
            vehicle=vehicle,
            consultant=consultant,
            starts_at=start,
            ends_at=end,
            status=TestDrive.Status.DONE,
            licence_number=f"{self.region}{rng.randint(10**7, 10**8 - 1)}",
            licence_checked_at=start,
            consent_at=start,
            outcome=rng.choice(DRIVE_OUTCOMES),
            feedback=rng.choice(DRIVE_FEEDBACK),
            out_at=start,
            returned_at=end,
            created_at=booked_at,
        )
        self.drives.append(drive)
        label = f"{vehicle.vehicle_model.name} {vehicle.plate or vehicle.vin}".strip()
        slot_start, slot_end = format_slot(start, end, self.dealer)
        self.contact(
            sim,
            kind="test_drive_booked",
            summary=said(
                gettext_noop("Test drive booked: %(vehicle)s, %(start)s–%(end)s"),
                vehicle=label,
                start=slot_start,
                end=slot_end,
            ),
            at=booked_at,
            actor=consultant,
            ref=drive,
        )
        self.step(sim, "test_drive_offered", booked_at, consultant)
        self.visit(
            sim,
            kind=Visit.Kind.WALK_IN,
            arrived=start - dt.timedelta(minutes=15),
            minutes=rng.randint(90, 120),
            outcome=Visit.Outcome.TEST_DRIVE,
            party=rng.choice([1, 1, 2, 2, 3]),
        )
        self.step(sim, "walk_around", start, consultant)
        self.step(sim, "licence_checked", start, consultant)
        self.contact(
            sim,
            kind="test_drive_out",
            summary=lambda: Said(
                gettext_noop(
                    "Test drive started: %(vehicle)s, licence checked, consent signed, %(km)s km"
                ),
                {"vehicle": label, "km": drive.km_out},
            ),
            at=start,
            actor=consultant,
            ref=drive,
        )
        self.move(sim, Stage.TEST_DRIVE, start, consultant)
        self.contact(
            sim,
            kind="test_drive_done",
            summary=lambda: Said(
                gettext_noop("Test drive done (%(km)s km): %(outcome)s"),
                {"km": (drive.km_in or 0) - (drive.km_out or 0), "outcome": drive.outcome},
            ),
            at=end,
            actor=consultant,
            ref=drive,
        )
        if sim.grade in ("B", "C") and rng.random() < 0.6:
            self.set_grade(sim, "A", end, consultant)
        return end

    def upcoming_drive(self, sim: _Sim, near: dt.datetime) -> None:
        """A test drive booked for the coming days (status booked)."""
        from sales.services import format_slot

        found = self.slot(sim.model, max(near, self.now + dt.timedelta(hours=1)), max_days=7)
        if found is None:
            return
        vehicle, start = found
        end = start + dt.timedelta(hours=1)
        booked_at = max(
            (sim.last_activity or self.horizon) + dt.timedelta(minutes=5),
            self.horizon - self.days(0.2, 2),
        )
        if booked_at >= self.horizon:
            self.release(vehicle, start)
            return
        drive = TestDrive(
            dealer=self.dealer,
            lead=sim.lead,
            customer=sim.customer,
            vehicle=vehicle,
            consultant=sim.consultant,
            starts_at=start,
            ends_at=end,
            status=TestDrive.Status.BOOKED,
            created_at=booked_at,
        )
        self.drives.append(drive)
        label = f"{vehicle.vehicle_model.name} {vehicle.plate or vehicle.vin}".strip()
        slot_start, slot_end = format_slot(start, end, self.dealer)
        self.contact(
            sim,
            kind="test_drive_booked",
            summary=said(
                gettext_noop("Test drive booked: %(vehicle)s, %(start)s–%(end)s"),
                vehicle=label,
                start=slot_start,
                end=slot_end,
            ),
            at=booked_at,
            actor=sim.consultant,
            ref=drive,
        )
        self.step(sim, "test_drive_offered", booked_at, sim.consultant)

    def odometers(self) -> None:
        """km out/in in time order per vehicle; the vehicle ends at its last km in."""
        by_vehicle: dict[int, list[TestDrive]] = defaultdict(list)
        for drive in self.drives:
            if drive.status == TestDrive.Status.DONE:
                by_vehicle[drive.vehicle.pk].append(drive)
        for vehicle in self.vehicles:
            km = vehicle.odometer_km
            for drive in sorted(by_vehicle[vehicle.pk], key=lambda d: d.starts_at):
                drive.km_out = km
                km += self.rng.randint(8, 45)
                drive.km_in = km
            vehicle.odometer_km = km

    # --- quotes, orders, deliveries --------------------------------------------------------------

    def build_quote(
        self, sim: _Sim, at: dt.datetime, *, version: int, supersedes: Quote | None = None
    ) -> Quote:
        """A quote priced from the HQ price list (the arithmetic of sales.services.price_quote)."""
        from sales.services import discount_threshold, monthly_payment

        rng, customer = self.rng, sim.customer
        trim = rng.choice(self.trims[sim.model.pk])
        colour = rng.choice(self.colours) if self.colours else None
        options = rng.sample(self.options, min(len(self.options), rng.choice([0, 1, 1, 2])))
        accessories = rng.sample(
            self.accessories, min(len(self.accessories), rng.choice([0, 0, 1, 2]))
        )
        list_price = self.prices.get(("trim", trim.code), Decimal("25000.00"))
        lines: list[tuple[str, str, str, Decimal]] = []
        if colour is not None and ("colour", colour.code) in self.prices:
            lines.append(("colour", colour.code, colour.name, self.prices[("colour", colour.code)]))
        for kind, chosen in (("option", options), ("accessory", accessories)):
            for o in chosen:
                if (kind, o.code) in self.prices:
                    lines.append((kind, o.code, o.name, self.prices[(kind, o.code)]))
        extras = sum((line[3] for line in lines), Decimal("0.00"))
        subtotal = list_price + extras
        threshold = discount_threshold(list_price)
        roll = rng.random()
        if roll < 0.55:
            discount = Decimal("0.00")
        elif roll < 0.88:
            discount = min(threshold, _round_to(float(subtotal) * rng.uniform(0.01, 0.045), 10))
        else:
            discount = threshold + _round_to(rng.uniform(200, 1500), 10)
        total = subtotal - discount
        trade_in_value = Decimal("0.00")
        trade_in = ""
        if customer.trade_in:
            trade_in = customer.trade_in
            trade_in_value = min(_round_to(rng.uniform(2500, 14000), 100), total / 2)
            trade_in_value = _money(trade_in_value)
        payment = customer.payment or rng.choice(["cash", "finance", "lease"])
        term = rate = monthly = None
        down = Decimal("0.00")
        if payment in (Quote.Payment.FINANCE, Quote.Payment.LEASE):
            term = rng.choice([36, 48, 60])
            rate = Decimal(rng.choice(["2.90", "3.90", "4.90", "5.90"]))
            amount_due = total - trade_in_value
            down = min(_round_to(float(amount_due) * rng.uniform(0.1, 0.25), 100), amount_due)
            monthly = monthly_payment(
                principal=amount_due - down, annual_rate_percent=rate, term_months=term
            )
        quote = Quote(
            dealer=self.dealer,
            lead=sim.lead,
            customer=customer,
            version=version,
            status=Quote.Status.DRAFT,
            price_version=self.price_list,
            trim=trim,
            colour=colour,
            currency=self.price_list.price_list.currency if self.price_list else "EUR",
            list_price=list_price,
            extras_total=extras,
            discount=discount,
            discount_status=(
                Quote.DiscountStatus.APPROVED if discount > threshold else Quote.DiscountStatus.NONE
            ),
            trade_in_description=trade_in[:200],
            trade_in_value=trade_in_value,
            payment=payment,
            down_payment=down,
            term_months=term,
            annual_rate_percent=rate,
            monthly_payment=monthly,
            total=total,
            valid_until=(self.local(at) + dt.timedelta(days=30)).date(),
            supersedes=supersedes,
            created_by=sim.consultant,
            created_at=at,
        )
        self.quotes.append(quote)
        for kind, code, description, price in lines:
            self.quote_lines.append(
                QuoteLine(
                    dealer=self.dealer,
                    quote=quote,
                    kind=kind,
                    code=code,
                    description=description[:200],
                    price=price,
                )
            )
        return quote

    def send_quote_history(self, sim: _Sim, quote: Quote, at: dt.datetime) -> dt.datetime:
        from sales.services import money, quote_number

        consultant = sim.consultant
        self.event(
            sim,
            kind="quote_created",
            summary=lambda: Said(
                gettext_noop("Quote %(number)s prepared: %(trim)s, %(total)s"),
                {
                    "number": quote_number(quote),
                    "trim": str(quote.trim),
                    "total": money(quote.total, quote.currency),
                },
            ),
            at=at,
            actor=consultant,
            ref=quote,
        )
        sent = at + dt.timedelta(minutes=self.rng.randint(10, 40))
        if quote.discount_status == Quote.DiscountStatus.APPROVED and self.manager is not None:
            decided = at + dt.timedelta(minutes=self.rng.randint(20, 240))
            quote.discount_decided_by = self.manager
            quote.discount_decided_at = decided
            quote.discount_note = "OK – end of quarter"
            self.event(
                sim,
                kind="discount_decided",
                summary=lambda: Said(
                    gettext_noop("Discount of %(discount)s on quote %(number)s %(verdict)s"),
                    {
                        "discount": money(quote.discount, quote.currency),
                        "number": quote_number(quote),
                        "verdict": Msg(gettext_noop("approved")),
                    },
                ),
                at=decided,
                actor=self.manager,
                ref=quote,
            )
            sent = decided + dt.timedelta(minutes=10)
        quote.status = Quote.Status.SENT
        quote.sent_at = sent
        self.step(sim, "trade_in_appraised", sent, consultant)
        if quote.payment in (Quote.Payment.FINANCE, Quote.Payment.LEASE):
            self.step(sim, "finance_offered", sent, consultant)
        self.contact(
            sim,
            kind="quote_sent",
            summary=lambda: Said(
                gettext_noop("Quote %(number)s given to the customer: %(total)s"),
                {"number": quote_number(quote), "total": money(quote.total, quote.currency)},
            ),
            at=sent,
            actor=consultant,
            ref=quote,
        )
        sim.quote = quote
        sim.quotes.append(quote)
        return sent

    def quote_stage(self, sim: _Sim, at: dt.datetime) -> dt.datetime:
        from sales.services import money, quote_number

        rng = self.rng
        at = self.working(at)
        if rng.random() < 0.5:
            self.visit(
                sim,
                kind=Visit.Kind.WALK_IN,
                arrived=at - dt.timedelta(minutes=20),
                minutes=rng.randint(30, 70),
                outcome=Visit.Outcome.QUOTE,
                party=rng.choice([1, 2]),
            )
        sent = self.send_quote_history(sim, self.build_quote(sim, at, version=1), at)
        self.move(sim, Stage.QUOTE, sent, sim.consultant)
        if sim.grade != "H":
            self.set_grade(sim, rng.choice(["H", "A"]), sent, sim.consultant)
        # The customer wanted changes: version 2 (not on a lead that must reach its stage in time).
        if rng.random() < 0.25 and sim.target is None:
            revised_at = self.working(sent + self.days(1, 5))
            if revised_at < self.horizon - dt.timedelta(hours=2):
                old = sim.quote
                if old is None:
                    return sent
                new = self.build_quote(sim, revised_at, version=2, supersedes=old)
                old.status = Quote.Status.SUPERSEDED
                self.event(
                    sim,
                    kind="quote_revised",
                    summary=lambda: Said(
                        gettext_noop("Quote %(old)s revised as %(new)s: %(total)s"),
                        {
                            "old": quote_number(old),
                            "new": quote_number(new),
                            "total": money(new.total, new.currency),
                        },
                    ),
                    at=revised_at,
                    actor=sim.consultant,
                    ref=new,
                )
                sent = self.send_quote_history(sim, new, revised_at + dt.timedelta(minutes=1))
        return sent

    def order_stage(self, sim: _Sim, at: dt.datetime) -> None:
        from sales.services import money, order_number, quote_number

        rng, consultant = self.rng, sim.consultant
        quote = sim.quote
        if quote is None:
            return
        at = self.working(at)
        if at >= self.horizon:
            return
        self.visit(
            sim,
            kind=Visit.Kind.WALK_IN,
            arrived=at - dt.timedelta(minutes=30),
            minutes=rng.randint(45, 90),
            outcome=Visit.Outcome.ORDER,
            party=rng.choice([1, 2, 2]),
        )
        quote.status = Quote.Status.ACCEPTED
        quote.accepted_at = at
        self.contact(
            sim,
            kind="quote_accepted",
            summary=lambda: Said(
                gettext_noop("Quote %(number)s accepted by the customer: %(total)s"),
                {"number": quote_number(quote), "total": money(quote.total, quote.currency)},
            ),
            at=at,
            actor=consultant,
            ref=quote,
        )
        amount_due = quote.total - quote.trade_in_value
        deposit = min(_round_to(float(amount_due) * 0.1, 100), amount_due)
        lead_time = dt.timedelta(days=12) if sim.target else self.days(12, 35)
        expected = (self.local(at) + lead_time).date()
        while expected.weekday() == 6:
            expected += dt.timedelta(days=1)
        order = Order(
            dealer=self.dealer,
            quote=quote,
            lead=sim.lead,
            customer=sim.customer,
            consultant=consultant,
            status=Order.Status.OPEN,
            currency=quote.currency,
            total=quote.total,
            deposit_required=deposit,
            expected_delivery=expected,
            vin="",
            checklist={},
            ordered_at=at,
        )
        self.orders.append(order)
        self.contact(
            sim,
            kind="order_placed",
            summary=lambda: Said(
                gettext_noop("Order %(number)s placed: %(trim)s, %(total)s"),
                {
                    "number": order_number(order),
                    "trim": str(quote.trim),
                    "total": money(order.total, order.currency),
                },
            ),
            at=at,
            actor=consultant,
            ref=order,
        )
        if deposit > 0:
            self.payment(sim, order, Payment.Kind.DEPOSIT, deposit, at + dt.timedelta(minutes=5))
        self.step(sim, "delivery_date_agreed", at, consultant)
        self.step(sim, "deposit_received", at + dt.timedelta(minutes=5), consultant)
        self.move(sim, Stage.ORDER, at + dt.timedelta(minutes=6), consultant)
        self.set_grade(sim, "O", at + dt.timedelta(minutes=6), consultant)

        delivered_at = self.at(expected, 15, 0)
        # While the car is on its way the consultant keeps the customer posted.
        update = self.working(at + (delivered_at - at) * self.rng.uniform(0.4, 0.6))
        if update < min(delivered_at, self.horizon):
            self.contact(
                sim,
                kind="call",
                summary=_("Delivery date confirmed for %(day)s") % {"day": expected.isoformat()},
                at=update,
                actor=consultant,
            )
        balance = amount_due - deposit
        if delivered_at < self.horizon:
            self.deliver(sim, order, delivered_at, balance)
            return
        # Still to be delivered: ready when it is due within two days, otherwise the balance
        # is open.
        if expected <= self.today + dt.timedelta(days=2):
            paid = max(at + dt.timedelta(hours=1), self.horizon - self.days(1, 3))
            if balance > 0 and paid < self.horizon:
                self.payment(sim, order, Payment.Kind.BALANCE, balance, paid)
                self.step(sim, "balance_paid", paid, consultant)
            order.vin = self.vin()
            order.checklist = self.checklist(min(paid, self.horizon - dt.timedelta(hours=1)))
            self.step(sim, "pdi_done", min(paid, self.horizon - dt.timedelta(hours=1)), consultant)
        elif rng.random() < 0.5:
            order.vin = self.vin()

    def checklist(self, at: dt.datetime) -> dict[str, Any]:
        by = self.manager.get_username() if self.manager is not None else ""
        return {code: {"done": True, "at": at.isoformat(), "by": by} for code in CHECKLIST_CODES}

    def payment(self, sim: _Sim, order: Order, kind: str, amount: Decimal, at: dt.datetime) -> None:
        from sales.services import money, order_number

        row = Payment(
            dealer=self.dealer,
            order=order,
            kind=kind,
            amount=amount,
            received_at=at,
            received_by=sim.consultant,
        )
        self.payments.append(row)
        self.contact(
            sim,
            kind="payment",
            summary=lambda: Said(
                gettext_noop("%(kind)s of %(amount)s on order %(number)s"),
                {
                    "kind": Choice("payment_kind", kind),
                    "amount": money(amount, order.currency),
                    "number": order_number(order),
                },
            ),
            at=at,
            actor=sim.consultant,
            ref=row,
        )

    def deliver(self, sim: _Sim, order: Order, at: dt.datetime, balance: Decimal) -> None:
        from sales.services import order_number

        consultant, rng = sim.consultant, self.rng
        paid = at - self.days(1, 4)
        if balance > 0:
            self.payment(sim, order, Payment.Kind.BALANCE, balance, paid)
        order.vin = self.vin()
        order.checklist = self.checklist(at - dt.timedelta(days=1))
        self.step(sim, "pdi_done", at - dt.timedelta(days=1), consultant)
        self.visit(
            sim,
            kind=Visit.Kind.WALK_IN,
            arrived=at - dt.timedelta(minutes=10),
            minutes=rng.randint(40, 75),
            outcome=Visit.Outcome.ORDER,
            party=rng.choice([1, 2, 3]),
        )
        self.step(sim, "balance_paid", at, consultant)
        self.step(sim, "handover", at, consultant)
        self.contact(
            sim,
            kind="delivered",
            summary=lambda: Said(
                gettext_noop("Delivered: %(trim)s, VIN %(vin)s (order %(number)s)"),
                {"trim": str(order.quote.trim), "vin": order.vin, "number": order_number(order)},
            ),
            at=at,
            actor=consultant,
            ref=order,
        )
        self.move(sim, Stage.DELIVERED, at, consultant)
        order.status = Order.Status.DELIVERED
        order.delivered_at = at
        order.delivered_by = consultant
        lead = sim.lead
        lead.is_open = False
        lead.closed_at = at
        lead.credited_to = consultant
        # The customer journey continues: calls on day 3 and 30 after delivery.
        from leads.services.reference import defaults

        for days in defaults().after_delivery_calls_days:
            due = at + dt.timedelta(days=days)
            if due < self.horizon - dt.timedelta(hours=2):
                self.follow_up_done(
                    sim,
                    kind=FollowUp.Kind.AFTER_DELIVERY,
                    due=due,
                    done=self.call_time(due),
                    result=rng.choice(
                        [
                            FollowUp.Result.REACHED,
                            FollowUp.Result.REACHED,
                            FollowUp.Result.NOT_REACHED,
                        ]
                    ),
                )
            else:
                self.follow_ups.append(
                    _Row(
                        FollowUp,
                        dealer=self.dealer,
                        lead=lead,
                        customer=sim.customer,
                        owner=consultant,
                        kind=FollowUp.Kind.AFTER_DELIVERY,
                        due_at=due,
                        note=_("Call %(days)s days after delivery") % {"days": days},
                        created_at=at,
                    )
                )

    # --- closing ---------------------------------------------------------------------------------

    def lose(self, sim: _Sim, at: dt.datetime) -> None:
        """Lost request by the consultant, decided by the sales manager (still waiting when the
        decision would fall after now)."""
        rng, consultant, lead = self.rng, sim.consultant, sim.lead
        late = sim.stage in (Stage.TEST_DRIVE, Stage.QUOTE)
        codes = [c for c in (LOST_LATE if late else LOST_EARLY) if c in self.reasons]
        reason = self.reasons[rng.choice(codes)] if codes else next(iter(self.reasons.values()))
        at = self.working(at)
        if at >= self.horizon:
            return
        lead.lost_reason = reason
        lead.lost_note = rng.choice(LOST_NOTES)
        lead.lost_requested_by = consultant
        if sim.quote is not None and sim.quote.status == Quote.Status.SENT:
            sim.quote.status = Quote.Status.DECLINED
        self.event(
            sim,
            kind="lost_requested",
            summary=said(
                gettext_noop("Lost requested: %(reason)s"),
                reason=Hq(reason.name),
                tail=f" — {lead.lost_note}" if lead.lost_note else "",
            ),
            at=at,
            actor=consultant,
        )
        decided = self.working(at + dt.timedelta(hours=rng.uniform(2, 30)))
        if decided >= self.horizon or self.manager is None:
            lead.lost_requested_at = at  # waiting in the manager's inbox
            return
        self.move(sim, Stage.LOST, decided, self.manager)
        lead.is_open = False
        lead.closed_at = decided
        self.event(
            sim,
            kind="lost_decided",
            summary=said(
                gettext_noop("Lost approved by %(who)s"),
                who=self.manager.get_full_name() or self.manager.get_username(),
            ),
            at=decided,
            actor=self.manager,
        )

    def go_dormant(self, sim: _Sim, at: dt.datetime) -> None:
        at = self.working(at)
        if at >= self.horizon:
            return
        reason = self.rng.choice(DORMANT_REASONS)
        self.move(sim, Stage.DORMANT, at, sim.consultant)
        sim.lead.is_open = False
        sim.lead.closed_at = at
        sim.lead.lost_note = reason
        self.event(
            sim,
            kind="dormant",
            summary=said(gettext_noop("Dormant: %(reason)s"), reason=reason),
            at=at,
            actor=sim.consultant,
        )

    # --- one lead --------------------------------------------------------------------------------

    def pick_consultant(self) -> Any:
        if self.rng.random() < 0.2:
            return self.rng.choice(self.consultants)
        self.round_robin += 1
        return self.consultants[self.round_robin % len(self.consultants)]

    def simulate(self, t0: dt.datetime, source_code: str, *, target: str | None = None) -> None:
        """One lead from its arrival at `t0` to now. Chance decides how far it gets, unless a
        `target` stage is given (every_stage): then it goes on until it is there, by the
        shortest gaps."""
        rng = self.rng
        source = self.sources[source_code]
        customer: Customer | None = None
        if self.returning and rng.random() < 0.06:
            free = [c for free_from, c in self.returning if free_from < t0]
            if free:
                customer = rng.choice(free)
                self.returning = [(f, c) for f, c in self.returning if c is not customer]
        consultant = customer.owner if customer is not None else self.pick_consultant()
        if customer is None:
            customer = self.new_customer(at=t0, consultant=consultant, source=source_code)
        model = rng.choice(self.vehicle_models)
        lead = Lead(
            dealer=self.dealer,
            customer=customer,
            consultant=consultant,
            source=source,
            vehicle_model=model,
            stage=Stage.NEW,
            created_at=t0,
            assigned_at=t0,
            first_response_due=t0 + dt.timedelta(minutes=source.first_response_minutes),
        )
        self.leads.append(lead)
        sim = _Sim(
            lead=lead,
            customer=customer,
            consultant=consultant,
            model=model,
            source=source,
            target=target,
        )
        opener = None if source_code in ONLINE_SOURCES else consultant
        self.event(
            sim,
            kind="lead_opened",
            summary=said(
                gettext_noop("Lead opened (%(source)s)"),
                source=Hq(source.name),
                tail=f" — {model.name}",
            ),
            at=t0,
            actor=opener,
        )
        self.move(sim, Stage.NEW, t0, opener, timeline=False)
        outcome_grade = rng.choices(["H", "A", "B", "C"], [12, 28, 35, 25])[0]

        # first contact
        if source_code == "walk_in":
            self.visit(
                sim,
                kind=Visit.Kind.WALK_IN,
                arrived=t0,
                minutes=rng.randint(20, 75),
                outcome=rng.choice([Visit.Outcome.INFO, Visit.Outcome.APPOINTMENT]),
                party=rng.choice([1, 1, 2, 2, 3, 4]),
            )
            self.set_grade(sim, outcome_grade, t0, consultant)
            self.step(sim, "greeting", t0, consultant)
            self.step(sim, "needs_analysis", t0 + dt.timedelta(minutes=15), consultant)
            self.fill_needs(sim, t0)
            self.move(sim, Stage.VISITED, t0 + dt.timedelta(minutes=20), consultant)
            t = t0 + dt.timedelta(minutes=25)
        elif source_code == "phone":
            self.visit(
                sim,
                kind=Visit.Kind.PHONE,
                arrived=t0,
                minutes=rng.randint(4, 15),
                outcome=rng.choice([Visit.Outcome.INFO, Visit.Outcome.APPOINTMENT]),
            )
            self.set_grade(sim, outcome_grade, t0 + dt.timedelta(minutes=5), consultant)
            t = t0 + dt.timedelta(minutes=10)
        else:
            answered = self.working(t0 + dt.timedelta(minutes=rng.randint(8, 200)))
            if answered >= self.horizon:  # still New: the first-response follow-up is open
                self.follow_ups.append(
                    _Row(
                        FollowUp,
                        dealer=self.dealer,
                        lead=lead,
                        customer=customer,
                        owner=consultant,
                        kind=FollowUp.Kind.FIRST_RESPONSE,
                        due_at=lead.first_response_due or t0,
                        created_at=t0,
                    )
                )
                self.finish(sim)
                return
            due = lead.first_response_due or t0
            self.follow_up_done(
                sim,
                kind=FollowUp.Kind.FIRST_RESPONSE,
                due=due,
                done=answered,
                result=rng.choice([FollowUp.Result.REACHED, FollowUp.Result.APPOINTMENT]),
            )
            self.set_grade(sim, outcome_grade, answered, consultant)
            t = answered

        # through the funnel
        while sim.stage in TRANSITIONS and sim.lead.is_open:
            p, go_gap, lose_gap = TRANSITIONS[Stage(sim.stage)]
            p *= {"H": 1.25, "A": 1.1, "B": 0.95, "C": 0.8}.get(sim.grade, 1.0)
            if target is None:
                go_on = rng.random() < p
            elif target in FUNNEL_ORDER:
                go_on = FUNNEL_ORDER.index(sim.stage) < FUNNEL_ORDER.index(target)
                if not go_on:
                    break  # there: the lead stays open in its target stage
            else:  # lost or dormant: closed at the first chance
                go_on = False
            if go_on:
                nxt = NEXT_STAGE[Stage(sim.stage)]
                when = t + (dt.timedelta(days=go_gap[0]) if target else self.days(*go_gap))
                self.cadence_calls(sim, until=min(when, self.horizon))
                if when >= self.horizon:
                    if nxt == Stage.TEST_DRIVE and when < self.horizon + dt.timedelta(days=7):
                        self.upcoming_drive(sim, when)
                    break
                if nxt == Stage.VISITED:
                    arrived = self.working(when)
                    if arrived >= self.horizon:
                        break
                    self.visit(
                        sim,
                        kind=Visit.Kind.WALK_IN,
                        arrived=arrived,
                        minutes=rng.randint(30, 90),
                        outcome=rng.choice([Visit.Outcome.INFO, Visit.Outcome.APPOINTMENT]),
                        party=rng.choice([1, 1, 2, 2, 3]),
                    )
                    self.step(sim, "greeting", arrived, consultant)
                    self.step(sim, "needs_analysis", arrived + dt.timedelta(minutes=20), consultant)
                    self.fill_needs(sim, arrived)
                    self.move(sim, Stage.VISITED, arrived + dt.timedelta(minutes=25), consultant)
                    t = arrived + dt.timedelta(minutes=30)
                elif nxt == Stage.TEST_DRIVE:
                    back = self.test_drive(sim, when)
                    if back is None:
                        break
                    t = back
                elif nxt == Stage.QUOTE:
                    t = self.quote_stage(sim, when)
                else:  # order (and delivery when its date has come)
                    self.order_stage(sim, when)
                    break
            else:
                when = t + (dt.timedelta(days=lose_gap[0]) if target else self.days(*lose_gap))
                self.cadence_calls(sim, until=min(when, self.horizon))
                if when < self.horizon:
                    if target == Stage.LOST or (
                        target is None
                        and rng.random() < (0.7 if sim.stage != Stage.CONTACTED else 0.55)
                    ):
                        self.lose(sim, when)
                    else:
                        self.go_dormant(sim, when)
                break
        if sim.lead.is_open and sim.stage != Stage.ORDER and sim.lead.lost_requested_at is None:
            self.cadence_calls(sim, until=self.horizon, may_stop=True)
        self.finish(sim)

    def every_stage(self) -> None:
        """Chance may leave a stage empty (a small dealer, a short history): then a lead is made
        to end there, so every page of the funnel has something to show."""
        have = Counter(lead.stage for lead in self.leads)
        for stage, (source, days_back, wanted) in STAGE_PLAN.items():
            if source not in self.sources:
                continue
            for _n in range(wanted - have[stage]):
                start = self.horizon - dt.timedelta(days=days_back)
                if source not in ONLINE_SOURCES:
                    start = self.working(start)
                self.simulate(start, source, target=stage)

    def finish(self, sim: _Sim) -> None:
        lead = sim.lead
        lead.stage = sim.stage
        lead.grade = sim.grade
        lead.last_activity_at = sim.last_activity
        if not lead.is_open:
            self.returning.append((lead.closed_at or self.horizon, sim.customer))

    # --- the whole dealer ------------------------------------------------------------------------

    def arrivals(self) -> list[tuple[dt.datetime, str]]:
        rng = self.rng
        codes = [code for code, _w in SOURCE_MIX if code in self.sources]
        weights = [w for code, w in SOURCE_MIX if code in self.sources]
        online = [c for c in codes if c in ONLINE_SOURCES]
        per_day = self.leads_per_month / 26
        start = self.today - dt.timedelta(days=30 * self.months)
        found: list[tuple[dt.datetime, str]] = []
        day = start
        while day <= self.today:
            weekday = day.weekday()
            mean = per_day * (1.3 if weekday == 5 else 1.0) if weekday < 6 else per_day * 0.15
            for _n in range(_poisson(rng, mean)):
                code = rng.choices(codes, weights)[0] if weekday < 6 else rng.choice(online)
                if code in ONLINE_SOURCES:
                    moment = self.at(day, rng.randint(7, 22), rng.randint(0, 59))
                else:
                    moment = self.at(day, rng.randint(9, 17), rng.randint(0, 59))
                if moment < self.horizon - dt.timedelta(minutes=20):
                    found.append((moment, code))
            day += dt.timedelta(days=1)
        found.sort()
        return found

    def run(self) -> Counter[str]:
        clock = time.perf_counter()
        with transaction.atomic():
            self.make_vehicles()
            for t0, code in self.arrivals():
                self.simulate(t0, code)
            self.every_stage()
            self.odometers()
            self.timings["simulate"] = time.perf_counter() - clock
            clock = time.perf_counter()
            self.save_history()
            DemoVehicle.objects.bulk_update(self.vehicles, ["odometer_km"])
            self.timings["insert"] = time.perf_counter() - clock
            clock = time.perf_counter()
            self.live()
            self.timings["live services"] = time.perf_counter() - clock
        self.counts.update(
            customers=Customer.objects.filter(dealer=self.dealer).count(),
            leads=Lead.objects.filter(dealer=self.dealer).count(),
            visits=Visit.objects.filter(dealer=self.dealer).count(),
            **{
                "test drives": TestDrive.objects.filter(dealer=self.dealer).count(),
                "orders": Order.objects.filter(dealer=self.dealer).count(),
                "timeline events": TimelineEvent.objects.filter(dealer=self.dealer).count(),
                "open follow-ups": FollowUp.objects.filter(
                    dealer=self.dealer, done_at__isnull=True
                ).count(),
            },
        )
        return self.counts

    def save_history(self) -> None:
        if self.orders:  # the dealer's own order numbers, oldest order first (as placed)
            last = next_number(
                dealer_id=self.dealer.pk, kind=NumberSeries.Kind.ORDER, count=len(self.orders)
            )
            chronological = sorted(self.orders, key=lambda o: o.ordered_at)
            for number, order in enumerate(chronological, start=last - len(self.orders) + 1):
                order.number = number
        for rows in (
            self.customers,
            self.interests,
            self.leads,
            self.stage_changes,
            self.grade_changes,
            self.lead_steps,
            self.visits,
            self.drives,
            # Revisions point at the version they replace: the first versions go in first.
            [q for q in self.quotes if q.supersedes is None],
            [q for q in self.quotes if q.supersedes is not None],
            self.quote_lines,
            self.orders,
            self.payments,
            self.follow_ups,
        ):
            insert_rows(rows)
        events = []
        for item in self.events:
            row = item.event
            summary = item.summary() if callable(item.summary) else item.summary
            if isinstance(summary, Said):  # as the services write it: read in any language
                row.values["message"] = summary.message
                row.values["params"] = summary.row_params()
            row.values["summary"] = str(summary)[:300]
            ref = item.ref
            if ref is not None:
                label = ref.model._meta.label if isinstance(ref, _Row) else ref._meta.label
                row.values["ref_type"] = label
                row.values["ref_id"] = ref.pk
            events.append(row)
        insert_rows(events)

    # --- now: the real services ------------------------------------------------------------------

    def live(self) -> None:
        """What the nightly jobs and today's work do, through the services themselves."""
        from leads.services.followups import plan_missing_cadence_follow_ups
        from leads.services.leads import pool_stale_leads

        pool_stale_leads(dealer_id=self.dealer.pk, now=self.horizon)
        plan_missing_cadence_follow_ups(dealer_id=self.dealer.pk)
        self.live_walk_ins()
        self.live_web_leads()
        self.live_test_drives()
        self.live_ready_order()
        self.live_approvals()
        self.fill_my_day()
        from leads.services.followups import send_due_reminders

        send_due_reminders(dealer_id=self.dealer.pk)

    def open_leads(self, consultant: Any, stages: Iterable[str]) -> list[Lead]:
        return list(
            Lead.objects.filter(
                dealer=self.dealer,
                consultant=consultant,
                is_open=True,
                in_pool=False,
                lost_requested_at__isnull=True,
                stage__in=list(stages),
            )
            .select_related("customer")
            .order_by("created_at", "id")
        )

    def local_window(self) -> tuple[dt.datetime, dt.datetime]:
        start = self.at(self.today, 0)
        return start, start + dt.timedelta(days=1)

    def live_walk_ins(self) -> None:
        """Today's walk-ins, registered in the visitor log as the consultant would."""
        from leads.services.customers import register_contact

        now = self.now
        local = self.local(now)
        if local.weekday() == 6 or local.hour < 10:
            return  # the showroom has not seen anyone yet today
        opening = self.at(self.today, 9)
        for n, consultant in enumerate(self.consultants[:2]):
            arrived = max(opening, now - dt.timedelta(minutes=self.rng.randint(40, 150)))
            first, last = self.fake.first_name(), self.fake.last_name()
            result = register_contact(
                dealer=self.dealer,
                actor=consultant,
                kind=Visit.Kind.WALK_IN,
                source_code="walk_in",
                first_name=first,
                last_name=last,
                phone=self.phone(),
                email=self.email(first, last),
                vehicle_model=self.vehicle_models[(self.index + n) % len(self.vehicle_models)],
                party_size=self.rng.choice([1, 2, 3]),
                arrived_at=arrived,
                left_at=min(now, arrived + dt.timedelta(minutes=self.rng.randint(20, 45))),
                outcome=Visit.Outcome.INFO,
            )
            if result.lead is not None:
                from leads.services.leads import set_grade

                set_grade(lead=result.lead, grade=self.rng.choice("ABC"), actor=consultant)
            self.counts["live walk-ins"] += 1

    def live_web_leads(self) -> None:
        """Web-form leads that arrived in the last hour: routed, first response still due."""
        from leads.services.leads import receive_lead

        if self.manager is None:
            return
        for n in range(2):
            first, last = self.fake.first_name(), self.fake.last_name()
            receive_lead(
                dealer=self.dealer,
                actor=self.manager,
                source="web",
                contact={
                    "first_name": first,
                    "last_name": last,
                    "phone": self.phone(),
                    "email": self.email(first, last),
                },
                vehicle_model=self.vehicle_models[(self.index + n + 2) % len(self.vehicle_models)],
                note="Requested a test drive on the website.",
            )
            self.counts["live web leads"] += 1

    def next_working_day(self, day: dt.date) -> dt.date:
        day += dt.timedelta(days=1)
        while day.weekday() == 6:
            day += dt.timedelta(days=1)
        return day

    def live_test_drives(self) -> None:
        """Every consultant has a test drive booked for the next showroom day (and today, where
        a slot is still ahead), through the booking service (the exclusion constraint judges)."""
        from sales.services import book_test_drive

        now = self.now
        tomorrow = self.next_working_day(self.today)
        for consultant in self.consultants:
            candidates = self.open_leads(consultant, [Stage.VISITED, Stage.CONTACTED])
            targets = [self.at(tomorrow, 9)]
            if now + dt.timedelta(hours=1) < self.at(self.today, 16) and self.today.weekday() < 6:
                targets.insert(0, now + dt.timedelta(minutes=30))
            for target in targets:
                if not candidates:
                    break
                lead = candidates.pop(0)
                model = lead.vehicle_model or self.vehicle_models[0]
                for _attempt in range(10):
                    found = self.slot(model, target, max_days=3)
                    if found is None:
                        break
                    vehicle, start = found
                    try:
                        book_test_drive(
                            lead=lead,
                            vehicle=vehicle,
                            starts_at=start,
                            ends_at=start + dt.timedelta(hours=1),
                            actor=consultant,
                        )
                    except ValidationError:
                        continue
                    self.counts["live test drives"] += 1
                    break

    def live_ready_order(self) -> None:
        """One order per dealer, made ready for delivery tomorrow through the sales services:
        quote → sent → accepted → order with deposit → balance paid → checklist done."""
        from sales.services import (
            QuoteSpec,
            accept_quote,
            create_order,
            create_quote,
            order_balance,
            record_payment,
            send_quote,
            set_checklist,
        )

        if self.price_list is None:
            return
        for consultant in self.consultants:
            leads = self.open_leads(consultant, [Stage.TEST_DRIVE, Stage.QUOTE])
            leads = [lead for lead in leads if not lead.quotes.filter(status="draft").exists()]
            if not leads:
                continue
            lead = leads[0]
            model_id = lead.vehicle_model_id or self.vehicle_models[0].pk
            spec = QuoteSpec(
                trim=self.trims[model_id][0],
                colour=self.colours[0] if self.colours else None,
                accessory_codes=tuple(a.code for a in self.accessories[:1]),
            )
            quote = create_quote(lead=lead, actor=consultant, spec=spec)
            send_quote(quote=quote, actor=consultant)
            accept_quote(quote=quote, actor=consultant)
            amount_due = quote.total - quote.trade_in_value
            deposit = min(_round_to(float(amount_due) * 0.1, 100), amount_due)
            order = create_order(
                quote=quote,
                actor=consultant,
                deposit_required=deposit,
                expected_delivery=self.next_working_day(self.today),
                vin=self.vin(),
                deposit_paid=deposit,
            ).obj
            balance = order_balance(order)
            if balance > 0:
                record_payment(order=order, actor=consultant, kind="balance", amount=balance)
            set_checklist(order=order, actor=self.manager or consultant, done=CHECKLIST_CODES)
            self.counts["live orders"] += 1
            return

    def live_approvals(self) -> None:
        """Waiting for the sales manager: a lost request, a discount above the threshold and an
        ownership claim."""
        from leads.services.claims import file_claim
        from leads.services.leads import request_lost
        from sales.services import QuoteSpec, create_quote, discount_threshold

        consultants = self.consultants
        first = consultants[0]
        candidates = self.open_leads(first, [Stage.CONTACTED, Stage.VISITED])
        if candidates and "postponed" in self.reasons:
            request_lost(
                lead=candidates[-1],
                actor=first,
                reason="postponed",
                note="Customer wants to wait for next year's model.",
            )
            self.counts["live lost requests"] += 1
        if self.price_list is not None:
            for consultant in consultants[1:] + consultants[:1]:
                leads = self.open_leads(consultant, [Stage.TEST_DRIVE, Stage.QUOTE])
                leads = [lead for lead in leads if not lead.quotes.filter(status="draft").exists()]
                if not leads:
                    continue
                lead = leads[-1]
                trim = self.trims[lead.vehicle_model_id or self.vehicle_models[0].pk][-1]
                list_price = self.prices.get(("trim", trim.code), Decimal("25000.00"))
                discount = discount_threshold(list_price) + Decimal("900.00")
                create_quote(
                    lead=lead, actor=consultant, spec=QuoteSpec(trim=trim, discount=discount)
                )
                self.counts["live discount requests"] += 1
                break
        if len(consultants) > 1:
            owner, claimant = consultants[-1], consultants[0]
            leads = self.open_leads(owner, [Stage.CONTACTED, Stage.VISITED, Stage.TEST_DRIVE])
            if leads:
                file_claim(
                    customer=leads[0].customer,
                    claimant=claimant,
                    reason=self.rng.choice(CLAIM_REASONS),
                )
                self.counts["live claims"] += 1

    def fill_my_day(self) -> None:
        """Every consultant's "my day" is a working day: a few calls overdue (missed
        yesterday), some due today and some tomorrow. Call-backs go through the follow-up
        service; an overdue call is a planned grade follow-up whose time has passed."""
        from leads.services.followups import create_follow_up

        now = self.now
        _start, tomorrow_start = self.local_window()
        day_after = tomorrow_start + dt.timedelta(days=1)
        callback_notes = [
            "Customer asked for a call back about the offer.",
            "Call back: financing questions.",
            "Call back: trade-in valuation.",
            "Confirm the test-drive appointment.",
        ]
        for consultant in self.consultants:
            open_rows = FollowUp.objects.filter(
                dealer=self.dealer, owner=consultant, done_at__isnull=True
            )
            with_callback = set(
                open_rows.filter(kind=FollowUp.Kind.CALLBACK).values_list("lead_id", flat=True)
            )
            leads = [
                lead
                for lead in self.open_leads(
                    consultant, [Stage.CONTACTED, Stage.VISITED, Stage.TEST_DRIVE, Stage.QUOTE]
                )
                if lead.pk not in with_callback
            ]
            overdue = open_rows.filter(due_at__lt=now).count()
            if overdue < 2:  # yesterday's calls slipped through
                missed = list(
                    open_rows.filter(kind=FollowUp.Kind.CADENCE, due_at__gte=now)
                    .order_by("-due_at", "-id")
                    .values_list("pk", flat=True)[: 2 - overdue]
                )
                for n, pk in enumerate(missed):
                    FollowUp.objects.filter(pk=pk).update(
                        due_at=now - dt.timedelta(hours=18 + 2 * n)
                    )
            wanted = [
                (tomorrow_start, day_after, 2, tomorrow_start + dt.timedelta(hours=10)),
            ]
            if now + dt.timedelta(minutes=30) < tomorrow_start:
                wanted.insert(0, (now, tomorrow_start, 3, now + dt.timedelta(minutes=20)))
            for since, until, target, first_due in wanted:
                have = open_rows.filter(due_at__gte=since, due_at__lt=until).count()
                for n in range(max(0, target - have)):
                    if not leads:
                        break
                    due = min(
                        first_due + dt.timedelta(minutes=70 * n), until - dt.timedelta(minutes=5)
                    )
                    create_follow_up(
                        lead=leads.pop(0),
                        actor=consultant,
                        due_at=due,
                        note=callback_notes[n % len(callback_notes)],
                    )
                    self.counts["live call-backs"] += 1
