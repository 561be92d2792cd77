"""factory_boy factories for the network. Tenant rows are created inside `as_dealer(...)`."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from dealers.models import Dealer, DealerGroup, Membership, Region

TEST_PASSWORD = "correct-horse-battery-staple-42"


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"r{n}")
    name = factory.Sequence(lambda n: f"Region {n}")


class DealerGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DealerGroup

    name = factory.Sequence(lambda n: f"Group {n}")


class DealerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dealer

    code = factory.Sequence(lambda n: f"D{n:04d}")
    name = factory.Sequence(lambda n: f"Dealer {n}")
    legal_name = factory.LazyAttribute(lambda o: f"{o.name} GmbH")
    region = factory.SubFactory(RegionFactory)
    city = "Berlin"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password_changed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def password(obj: Any, create: bool, extracted: str | None, **kwargs: Any) -> None:  # noqa: N805
        obj.set_password(extracted or TEST_PASSWORD)
        if create:
            obj.save(update_fields=["password"])


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    dealer = factory.SubFactory(DealerFactory)
    role = "consultant"


def staff(dealer: Dealer, role: str, **user_kwargs: Any) -> Any:
    """A user holding `role` at `dealer`."""
    user = UserFactory(**user_kwargs)
    MembershipFactory(user=user, dealer=dealer, role=role)
    return user


def signed_in_client(user: Any, *, verified: bool = True, client: Client | None = None) -> Client:
    """A test client (a new one unless given) logged in as `user`. `verified`: the session has
    passed a second factor on a new TOTP device, as the security middleware demands of HQ roles
    and admins."""
    client = client or Client()
    client.force_login(user)
    if verified:
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def hq_user(role: str, regions: list[Region] | tuple[Region, ...] = (), **user_kwargs: Any) -> Any:
    from guardian.shortcuts import assign_perm

    user = UserFactory(hq_role=role, **user_kwargs)
    for region in regions:
        assign_perm("dealers.view_region_kpis", user, region)
    return user


# --- sales funnel (leads) ------------------------------------------------------------------------
# Tenant rows: create them inside `with as_dealer(dealer):`.


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "leads.Customer"

    dealer = factory.SubFactory(DealerFactory)
    first_name = factory.Faker("first_name")
    # A realistic name made unique: tests check that one customer's name is absent from a page,
    # which a plain Faker surname shared with anything else on it would break at random.
    last_name = factory.LazyAttributeSequence(lambda o, n: f"{o.surname}-{n:05d}")
    phone = factory.Sequence(lambda n: f"+4915{n:09d}")

    class Params:
        surname = factory.Faker("last_name")


class LeadFactory(factory.django.DjangoModelFactory):
    """A lead of the customer's dealer. Reference data (sources, grades) comes from the leads
    data migration."""

    class Meta:
        model = "leads.Lead"

    customer = factory.SubFactory(CustomerFactory)
    dealer = factory.LazyAttribute(lambda o: o.customer.dealer)
    source = factory.LazyFunction(lambda: _lead_source("phone"))
    assigned_at = factory.LazyFunction(timezone.now)
    first_response_due = factory.LazyFunction(timezone.now)


def _lead_source(code: str) -> Any:
    from leads.models import LeadSource

    return LeadSource.objects.get(code=code)


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "leads.FollowUp"

    lead = factory.SubFactory(LeadFactory)
    dealer = factory.LazyAttribute(lambda o: o.lead.dealer)
    customer = factory.LazyAttribute(lambda o: o.lead.customer)
    owner = factory.LazyAttribute(lambda o: o.lead.consultant)
    kind = "callback"
    due_at = factory.LazyFunction(timezone.now)


# --- visitor log and ownership claims (H6) -------------------------------------------------------


class VisitFactory(factory.django.DjangoModelFactory):
    """A row of the visitor register. Pass `served_by`; the customer defaults to a new one."""

    class Meta:
        model = "leads.Visit"

    customer = factory.SubFactory(CustomerFactory)
    dealer = factory.LazyAttribute(lambda o: o.customer.dealer)
    kind = "walk_in"
    source = factory.LazyFunction(lambda: _lead_source("walk_in"))
    party_size = 1
    arrived_at = factory.LazyFunction(timezone.now)


class OwnershipClaimFactory(factory.django.DjangoModelFactory):
    """A pending claim. Pass `customer` (owned by someone) and `claimant`."""

    class Meta:
        model = "leads.OwnershipClaim"

    customer = factory.SubFactory(CustomerFactory)
    dealer = factory.LazyAttribute(lambda o: o.customer.dealer)
    current_owner = factory.LazyAttribute(lambda o: o.customer.owner)
    reason = "The customer asked for me."


# --- showroom: demo vehicles, test drives, quotes, orders (H8) -----------------------------------


def _catalogue(model: str, **lookup: Any) -> Any:
    from django.apps import apps

    return apps.get_model(model).objects.get(**lookup)


def _current_price_list() -> Any:
    from sales.services import price_list_on

    return price_list_on(timezone.localdate())


def _money(amount: str) -> Any:
    from decimal import Decimal

    return Decimal(amount)


def _hours_from_now(hours: float) -> Any:
    import datetime as dt

    return timezone.now() + dt.timedelta(hours=hours)


def _plus_hours(value: Any, hours: float) -> Any:
    import datetime as dt

    return value + dt.timedelta(hours=hours)


class DemoVehicleFactory(factory.django.DjangoModelFactory):
    """A demo car of `dealer` (call inside `as_dealer(dealer)`). The catalogue comes from the
    reference-data migration."""

    class Meta:
        model = "sales.DemoVehicle"

    dealer = factory.SubFactory(DealerFactory)
    vehicle_model = factory.LazyFunction(lambda: _catalogue("inventory.VehicleModel", code="X4"))
    trim = factory.LazyFunction(lambda: _catalogue("inventory.Trim", code="X4-AWD"))
    vin = factory.Sequence(lambda n: f"WAU1X4DEM0{n:07d}")
    plate = factory.Sequence(lambda n: f"B-AU {n + 100}")
    odometer_km = 1200


class TestDriveFactory(factory.django.DjangoModelFactory):
    """A booked test drive of `lead` in `vehicle` (same dealer), an hour from `starts_at`."""

    __test__ = False

    class Meta:
        model = "sales.TestDrive"

    lead = factory.SubFactory(LeadFactory)
    dealer = factory.LazyAttribute(lambda o: o.lead.dealer)
    customer = factory.LazyAttribute(lambda o: o.lead.customer)
    vehicle = factory.SubFactory(DemoVehicleFactory, dealer=factory.SelfAttribute("..dealer"))
    consultant = factory.LazyAttribute(lambda o: o.lead.consultant)
    starts_at = factory.LazyFunction(lambda: _hours_from_now(2))
    ends_at = factory.LazyAttribute(lambda o: _plus_hours(o.starts_at, 1))


class QuoteFactory(factory.django.DjangoModelFactory):
    """A draft quote of an Aurora 3 Core at its current list price (no lines, no discount).
    For priced quotes with options, call sales.services.create_quote."""

    class Meta:
        model = "sales.Quote"

    lead = factory.SubFactory(LeadFactory)
    dealer = factory.LazyAttribute(lambda o: o.lead.dealer)
    customer = factory.LazyAttribute(lambda o: o.lead.customer)
    version = factory.Sequence(lambda n: n + 1)
    price_version = factory.LazyFunction(_current_price_list)
    trim = factory.LazyFunction(lambda: _catalogue("inventory.Trim", code="A3-CORE"))
    list_price = factory.LazyFunction(lambda: _money("21490.00"))
    discount = factory.LazyFunction(lambda: _money("0"))
    total = factory.LazyAttribute(lambda o: o.list_price - o.discount)
    created_by = factory.LazyAttribute(lambda o: o.lead.consultant)


class OrderFactory(factory.django.DjangoModelFactory):
    """An open order of an (accepted) quote. For the real flow call sales.services.create_order."""

    class Meta:
        model = "sales.Order"

    quote = factory.SubFactory(QuoteFactory, status="accepted")
    dealer = factory.LazyAttribute(lambda o: o.quote.dealer)
    lead = factory.LazyAttribute(lambda o: o.quote.lead)
    customer = factory.LazyAttribute(lambda o: o.quote.customer)
    consultant = factory.LazyAttribute(lambda o: o.quote.lead.consultant)
    total = factory.LazyAttribute(lambda o: o.quote.total)
    ordered_at = factory.LazyFunction(timezone.now)


def ensure_reference_data() -> None:
    """HQ defaults (grades, playbooks, lead sources, catalogue, price list) come from the leads
    data migration; a transactional test's flush removes them: load them again when missing
    (idempotent), and forget the choice lists cached from before."""
    from django.apps import apps

    from bulletins.models import PriceListVersion
    from leads.forms.funnel import clear_choice_cache
    from leads.models import Grade
    from leads.services.reference import load_reference_data
    from sales.models import PlaybookStep

    if not (
        Grade.objects.exists()
        and PlaybookStep.objects.exists()
        and PriceListVersion.objects.exists()
    ):
        load_reference_data(apps)
        clear_choice_cache()
