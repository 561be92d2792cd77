"""A two-dealer world for the tenancy tests: dealer A and dealer B (another region), each holding
one row of EVERY tenant model, plus staff in every role and HQ users.

Ids are fixed so one number names "B's object" of any model: B's row of every tenant model (and
B itself, its region, its consultant's user, membership and OTP device, an audit entry and an
unlock approval about B) has primary key FOREIGN_ID; A's rows have LOCAL_ID. MISSING_ID never
exists. A route that takes an object id can then be called with FOREIGN_ID whatever model it
looks up.

Rows are made by TENANT_FACTORIES, keyed by model label. A new tenant model without an entry
makes the tests fail (tests/tenancy/test_access_matrix.py::test_every_tenant_model_has_a_factory)
until one is added: usually `auto()` (fills required fields from their types; tenant FKs point at
the same dealer's row of the target model) or `auto(field=value_or_callable)` for fields with
rules auto() cannot guess.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone

from dealers.models import Dealer, Membership, Region
from dealers.roles import DealerRole
from dms.tenancy.context import as_dealer
from dms.tenancy.models import TenantModel

FOREIGN_ID = 987_654_321
LOCAL_ID = 987_654_000
MISSING_ID = 987_654_999

HQ_ROLES = ("hq_regional_manager", "hq_admin", "hq_logistics")


@dataclass
class Ctx:
    """What a factory gets: the dealer to build for, the primary key to use, the world."""

    world: World
    model: type[models.Model]
    dealer: Dealer
    pk: int

    def get(self, model: type[models.Model] | str) -> models.Model:
        """This dealer's row of another tenant model (built first if needed)."""
        return self.world.obj(model, self.dealer)

    def shared(self, model: type[models.Model] | str) -> models.Model:
        """A row of a shared (HQ reference) table."""
        return self.world.shared(model)

    @property
    def user(self) -> Any:
        return self.world.staff[(self.dealer.pk, DealerRole.CONSULTANT)]

    @property
    def membership(self) -> Membership:
        return Membership.objects.get(user=self.user, dealer=self.dealer)

    def member(self, role: str) -> Membership:
        """The membership of the dealer's staff member holding `role`."""
        return Membership.objects.get(
            user=self.world.staff[(self.dealer.pk, role)], dealer=self.dealer
        )

    @property
    def now(self) -> datetime:
        return self.world.now


Factory = Callable[[Ctx], models.Model]


class AutoFactoryError(Exception):
    pass


def _value_for(fld: models.Field[Any, Any], ctx: Ctx) -> Any:
    """A valid value for a required field, from its type."""
    if fld.is_relation:
        target = fld.related_model
        assert isinstance(target, type)
        if target is Dealer:
            return ctx.dealer
        if issubclass(target, TenantModel):
            return ctx.get(target)
        if target is get_user_model():
            return ctx.user
        if target is Membership:
            return ctx.membership
        return ctx.shared(target)
    if fld.choices:
        return next(value for value, _label in fld.flatchoices if value not in ("", None))
    simple: list[tuple[type[models.Field[Any, Any]], Any]] = [
        (models.BooleanField, False),
        (models.DecimalField, Decimal("1")),
        (models.FloatField, 1.0),
        (models.IntegerField, 1),  # covers Small/Big/Positive* too
        (models.DateTimeField, ctx.now),
        (models.DateField, ctx.now.date()),
        (models.TimeField, time(9, 0)),
        (models.DurationField, timedelta(hours=1)),
        (models.JSONField, {}),
        (models.GenericIPAddressField, "127.0.0.1"),
        (models.EmailField, "matrix@example.com"),
    ]
    for kind, value in simple:
        if isinstance(fld, kind):
            return value
    if isinstance(fld, models.UUIDField):
        return uuid.uuid4()
    if isinstance(fld, models.CharField | models.TextField):
        return "" if fld.blank else "x"
    raise AutoFactoryError(
        f"auto() cannot fill {fld.model._meta.label}.{fld.name} ({type(fld).__name__}); "
        "pass it as an override: auto(" + fld.name + "=...)"
    )


def _auto_values(model: type[models.Model], ctx: Ctx, overrides: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for fld in model._meta.concrete_fields:
        if fld.name in overrides:
            value = overrides[fld.name]
            values[fld.name] = value(ctx) if callable(value) else value
            continue
        if fld.primary_key or fld.name == "dealer" or fld.auto_created:
            continue
        if getattr(fld, "auto_now", False) or getattr(fld, "auto_now_add", False):
            continue
        if fld.has_default() or fld.null:
            continue
        values[fld.name] = _value_for(fld, ctx)
    return values


def auto(**overrides: Any) -> Factory:
    """Factory that fills every required field from its type; `overrides` give values (or
    callables taking the Ctx) for fields with rules of their own."""

    def build(ctx: Ctx) -> models.Model:
        values = _auto_values(ctx.model, ctx, overrides)
        return ctx.model._default_manager.create(pk=ctx.pk, dealer=ctx.dealer, **values)

    return build


def _hour(hours: int) -> Callable[[Ctx], datetime]:
    return lambda ctx: ctx.now + timedelta(hours=hours)


# One entry per tenant model. Keep it sorted; prefer auto().
TENANT_FACTORIES: dict[str, Factory] = {
    "bulletins.BulletinRecipient": auto(),
    "bulletins.DealerLabourRate": auto(),
    "dealers.CoverPeriod": auto(
        covering=lambda c: Membership.objects.get(
            user=c.world.staff[(c.dealer.pk, DealerRole.SALES_MANAGER)], dealer=c.dealer
        ),
        starts_on=lambda c: c.now.date() + timedelta(days=30),
        ends_on=lambda c: c.now.date() + timedelta(days=35),
    ),
    "dealers.Departure": auto(leaving_on=lambda c: c.now.date() + timedelta(days=30)),
    "dealers.ReassignmentBatch": auto(),
    "dealers.ReassignmentItem": auto(),
    "dealers.StaffAbsence": auto(
        starts_on=lambda c: c.now.date(), ends_on=lambda c: c.now.date() + timedelta(days=2)
    ),
    "inventory.StockVehicle": lambda ctx: _stock_vehicle(ctx),
    "inventory.VehicleRequest": auto(),
    "leads.Customer": auto(first_name="Matrix", last_name=lambda c: f"Customer {c.dealer.code}"),
    "leads.CustomerModelInterest": auto(),
    "leads.FollowUp": auto(due_at=_hour(24)),
    "leads.GradeChange": auto(to_grade="A"),
    "leads.Lead": auto(),
    "leads.LeadSettings": auto(),
    "leads.Notification": auto(),
    "leads.OwnershipClaim": auto(reason="matrix"),
    "leads.StageChange": auto(to_stage="new"),
    "leads.TimelineEvent": auto(),
    "leads.Visit": auto(),
    "sales.DemoVehicle": auto(vin=lambda c: f"VIN{c.pk}"),
    "sales.LeadStep": auto(),
    "sales.NumberSeries": auto(kind="order"),
    "sales.Order": auto(total=Decimal("1000")),
    "sales.Payment": auto(),
    "sales.Quote": auto(),
    "sales.QuoteLine": auto(),
    "inventory.CounterSale": auto(),
    "inventory.CounterSaleLine": auto(
        quantity=Decimal("1"), unit_price=Decimal("9.90"), line_total=Decimal("9.90")
    ),
    "inventory.PartReservation": auto(quantity=Decimal("1"), reference="RO 1"),
    # numbered out of the way of the number series (a new order takes 1)
    "inventory.PartsOrder": auto(state="sent", number=lambda c: c.pk),
    "inventory.PartsOrderLine": auto(quantity=Decimal("2")),
    "inventory.PartsShipment": auto(),
    "inventory.PartsShipmentLine": auto(quantity=Decimal("1")),
    "inventory.PartStock": auto(),
    "inventory.StockCount": auto(bin_from="A", bin_to="Z"),
    "inventory.StockCountLine": auto(),
    "inventory.PartTransfer": auto(
        side="in",
        quantity=Decimal("1"),
        partner=lambda c: c.world.b if c.dealer == c.world.a else c.world.a,
    ),
    "inventory.StockMovement": auto(kind="receipt", quantity=Decimal("1")),
    "reports.ConsultantTarget": auto(),
    "reports.KpiDay": auto(),
    # the triggers already marked the days of the world's rows: a day of its own
    "reports.KpiDirtyDay": auto(day=lambda ctx: (ctx.now - timedelta(days=4000)).date()),
    "reports.KpiMonth": auto(),
    "reports.KpiFunnelMonth": auto(),
    "reports.PlanTarget": auto(),
    "sales.TestDrive": auto(starts_at=_hour(1), ends_at=_hour(2)),
}


def _stock_vehicle(ctx: Ctx) -> models.Model:
    """The dealer's stock vehicle: an HQ vehicle (id = the dealer's id of the world, so HQ's
    vehicle pages answer for A's) allocated to the dealer."""
    from inventory.models import Allocation, StockVehicle, Trim, Vehicle

    trim = Trim.objects.get(pk=LOCAL_ID)
    vehicle = Vehicle.objects.create(
        id=ctx.pk,
        vin=f"WMX{ctx.dealer.code[-1]}{ctx.pk:013d}",
        vehicle_model_id=trim.vehicle_model_id,
        trim=trim,
        price=Decimal("30000"),
        state=Vehicle.State.AT_DEALER,
    )
    allocation = Allocation.objects.create(
        id=ctx.pk, vehicle=vehicle, dealer=ctx.dealer, method="manual", allocated_by=ctx.user
    )
    return StockVehicle.objects.create(
        pk=ctx.pk,
        dealer=ctx.dealer,
        vehicle=vehicle,
        allocation=allocation,
        vin=vehicle.vin,
        state=StockVehicle.State.AT_DEALER,
        arrived_on=ctx.now.date(),
        allocated_at=ctx.now,
    )


def tenant_models() -> list[type[models.Model]]:
    from django.apps import apps

    return sorted(
        (
            m
            for m in apps.get_models()
            if issubclass(m, TenantModel) and not m._meta.proxy and m._meta.managed
        ),
        key=lambda m: m._meta.label,
    )


def _model(model: type[models.Model] | str) -> type[models.Model]:
    from django.apps import apps

    return apps.get_model(model) if isinstance(model, str) else model


@dataclass
class World:
    now: datetime = field(default_factory=timezone.now)
    regions: dict[str, Region] = field(default_factory=dict)
    dealers: dict[str, Dealer] = field(default_factory=dict)
    staff: dict[tuple[int, str], Any] = field(default_factory=dict)  # (dealer id, role) -> user
    hq: dict[str, Any] = field(default_factory=dict)
    objects: dict[tuple[str, int], models.Model] = field(default_factory=dict)
    shared_rows: dict[str, models.Model] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)  # model label -> why it has no row
    _building: set[tuple[str, int]] = field(default_factory=set)

    @property
    def a(self) -> Dealer:
        return self.dealers["A"]

    @property
    def b(self) -> Dealer:
        return self.dealers["B"]

    def pk_for(self, dealer: Dealer) -> int:
        return FOREIGN_ID if dealer.pk == FOREIGN_ID else LOCAL_ID

    def role_user(self, role: str) -> Any:
        """The user acting in the matrix for `role`: a dealer role at A, or an HQ user."""
        if role in HQ_ROLES:
            return self.hq[role]
        return self.staff[(self.a.pk, role)]

    def b_user_ids(self) -> list[int]:
        return sorted(u.pk for (dealer_id, _r), u in self.staff.items() if dealer_id == self.b.pk)

    def obj(self, model: type[models.Model] | str, dealer: Dealer) -> models.Model:
        model = _model(model)
        key = (model._meta.label, dealer.pk)
        if key in self.objects:
            return self.objects[key]
        factory = TENANT_FACTORIES.get(model._meta.label)
        if factory is None:
            raise AutoFactoryError(
                f"no factory for tenant model {model._meta.label}: add it to "
                "tests/tenancy/world.py TENANT_FACTORIES (auto() usually does)"
            )
        if key in self._building:
            raise AutoFactoryError(f"dependency cycle while building {model._meta.label}")
        self._building.add(key)
        try:
            ctx = Ctx(world=self, model=model, dealer=dealer, pk=self.pk_for(dealer))
            with as_dealer(dealer), transaction.atomic():
                row = factory(ctx)
        finally:
            self._building.discard(key)
        assert row.pk == ctx.pk, f"factory of {model._meta.label} ignored ctx.pk"
        assert row.dealer_id == dealer.pk, f"factory of {model._meta.label} ignored ctx.dealer"  # type: ignore[attr-defined]
        self.objects[key] = row
        return row

    def shared(self, model: type[models.Model] | str) -> models.Model:
        model = _model(model)
        label = model._meta.label
        if label not in self.shared_rows:
            row = model._default_manager.order_by("pk").first()
            if row is None:
                ctx = Ctx(world=self, model=model, dealer=self.a, pk=0)
                values = _auto_values(model, ctx, {})
                row = model._default_manager.create(**values)
            self.shared_rows[label] = row
        return self.shared_rows[label]


def _user(username: str, pk: int | None = None, **kwargs: Any) -> Any:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import UserFactory

    if pk is not None:
        kwargs["id"] = pk
    user = UserFactory(username=username, **kwargs)
    device_kwargs = {"id": pk} if pk is not None else {}
    TOTPDevice.objects.create(user=user, name="matrix", confirmed=True, **device_kwargs)
    return user


def _catalogue_rows() -> None:
    """HQ catalogue rows (shared, no dealer) with the id LOCAL_ID, so the catalogue pages that
    take an id (inventory/catalogue/parts/<pk>/ ...) answer the roles that read them."""
    from inventory.models import (
        Colour,
        LabourGrade,
        LabourOperation,
        Option,
        Part,
        PartGroup,
        Trim,
        VehicleModel,
    )

    group = PartGroup.objects.create(id=LOCAL_ID, code="MXG", name="Matrix group")
    Part.objects.create(id=LOCAL_ID, number="MX-0001", description="Matrix part", group=group)
    grade = LabourGrade.objects.create(id=LOCAL_ID, code="MXG", name="Matrix grade")
    LabourOperation.objects.create(
        id=LOCAL_ID, code="MX-OP", description="Matrix op", grade=grade, standard_hours=1
    )
    model = VehicleModel.objects.create(id=LOCAL_ID, code="MXM", name="Matrix model")
    Trim.objects.create(id=LOCAL_ID, vehicle_model=model, code="MXM-T", name="Matrix trim")
    Colour.objects.create(id=LOCAL_ID, code="MXC", name="Matrix colour")
    Option.objects.create(id=LOCAL_ID, code="MXO", name="Matrix option")


def build_world() -> World:
    """Create the world (committed when called outside a transaction)."""
    from guardian.shortcuts import assign_perm

    from dms.audit.models import AuditAction, AuditEntry
    from dms.security.models import UnlockApproval
    from tests.factories import DealerFactory, RegionFactory, ensure_reference_data

    ensure_reference_data()  # a transactional test's flush may have removed the HQ defaults
    world = World()
    world.regions["A"] = RegionFactory(id=LOCAL_ID, code="mx-ra", name="Matrix region A")
    world.regions["B"] = RegionFactory(id=FOREIGN_ID, code="mx-rb", name="Matrix region B")
    for key, pk in (("A", LOCAL_ID), ("B", FOREIGN_ID)):
        world.dealers[key] = DealerFactory(
            id=pk, code=f"MX{key}", name=f"Matrix dealer {key}", region=world.regions[key]
        )
    for key, dealer in world.dealers.items():
        for role in DealerRole.values:
            fixed = role == DealerRole.CONSULTANT
            pk = world.pk_for(dealer) if fixed else None
            user = _user(f"mx-{key.lower()}-{role}", pk=pk)
            Membership.objects.create(
                **({"id": pk} if fixed else {}), user=user, dealer=dealer, role=role
            )
            world.staff[(dealer.pk, role)] = user
    world.hq["hq_regional_manager"] = _user("mx-hq-rm", hq_role="hq_regional_manager")
    assign_perm("dealers.view_region_kpis", world.hq["hq_regional_manager"], world.regions["A"])
    world.hq["hq_admin"] = _user("mx-hq-admin", hq_role="hq_admin", is_staff=True)
    world.hq["hq_logistics"] = _user("mx-hq-logistics", hq_role="hq_logistics")

    for dealer in (world.a, world.b):
        pk = world.pk_for(dealer)
        consultant = world.staff[(dealer.pk, DealerRole.CONSULTANT)]
        manager = world.staff[(dealer.pk, DealerRole.SALES_MANAGER)]
        AuditEntry.objects.create(
            id=pk,
            actor=manager,
            actor_label=manager.username,
            dealer=dealer,
            action=AuditAction.EXPORT,
            object_type="matrix",
            object_id=str(pk),
        )
        UnlockApproval.objects.create(
            id=pk, locked_user=consultant, approver=manager, dealer=dealer
        )

    _catalogue_rows()
    for model in tenant_models():
        for dealer in (world.a, world.b):
            try:
                world.obj(model, dealer)
            except Exception as exc:  # noqa: BLE001 - reported by a test, naming the model
                world.problems.setdefault(model._meta.label, f"{type(exc).__name__}: {exc}")
    return world
