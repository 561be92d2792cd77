"""Wall 3, the second half: another dealer's ids in request BODIES and QUERY STRINGS.

test_access_matrix.py puts dealer B's ids into URLs. Here every input that can carry an object
id is enumerated — never hand-listed:

- API: every integer (or list of integers) property of an operation's request body and every
  integer query parameter, read from the OpenAPI schema (the schema is the API's truth);
- forms: every ModelChoiceField / ModelMultipleChoiceField / IntegerField / TypedChoiceField
  coerced to int / hidden input of every form class of the project;
- list pages: every ModelChoiceFilter / NumberFilter of every django-filter FilterSet;
- views that read a parameter themselves: every `GET.get("x")`, `POST.get("x")`,
  `query_params.get("x")` in the project's sources.

Each input is either exercised by a case below (`covers`) or listed in NOT_AN_ID with the reason
(a quantity, a date, a shared HQ reference row, a directory object the HQ admin manages
network-wide). Choice fields over shared HQ reference data (catalogue, lead sources, lost
reasons) are exempt automatically: every dealer reads those. A new input fails
test_every_id_input_is_covered until it is classified, so nothing is skipped silently.

Body cases: an admitted role at dealer A sends a body that is valid except for one field set to
B's row (FOREIGN_ID). The answer must be a 4xx that is the same as for a never-existing id
(MISSING_ID: nothing reveals that B's row exists), must not contain B's data, and the owner
connection's snapshot must show that no tenant table and no directory row of B changed. The
positive control sends the same body with A's own row inside a rolled-back transaction and must
succeed, so a body that is refused for another reason cannot pass unnoticed.

Query cases: a list or export with the filter set to B's id answers 200/400/404 (alike for a
never-existing id) and shows no row of B; the same filter with A's id shows A's row.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import pkgutil
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import django_filters
import pytest
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.test import Client

from dealers.models import Dealer, DealerGroup, Membership, Region
from dealers.roles import DealerRole
from dms.tenancy.context import as_dealer
from dms.tenancy.models import TenantModel

from .clients import Clients, quiet_clients
from .conftest import Snapshot
from .world import FOREIGN_ID, LOCAL_ID, MISSING_ID, World

PROJECT_PACKAGES = (
    "dealers",
    "leads",
    "sales",
    "reports",
    "bulletins",
    "inventory",
    "service",
    "dms",
)
ROOT = Path(settings.BASE_DIR)

# Models whose rows belong to a dealer or to the network directory: a choice over them is an id
# that must be tested. Anything else (catalogue, lead sources, lost reasons ...) is shared HQ
# reference data that every dealer reads.
DIRECTORY_MODELS: tuple[type[models.Model], ...] = (Dealer, DealerGroup, Membership, Region)


def _is_dealer_data(model: type[models.Model] | None) -> bool:
    if model is None:
        return True  # unknown until the view sets it: classify it
    return (
        issubclass(model, TenantModel)
        or issubclass(model, DIRECTORY_MODELS)
        or model is get_user_model()
    )


# --- enumeration ---------------------------------------------------------------------------------


def _schema() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-any-return]


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    for key in ("allOf", "oneOf", "anyOf"):
        if key in node and len(node[key]) == 1:
            return _resolve(schema, node[key][0])
    return node


def _is_integer(schema: dict[str, Any], node: dict[str, Any]) -> bool:
    node = _resolve(schema, node)
    if node.get("type") == "array":
        return _is_integer(schema, node.get("items", {}))
    return node.get("type") in ("integer", "number") and node.get("format") not in (
        "double",
        "float",
    )


def api_inputs() -> set[str]:
    """ "api METHOD path body:name" and "api GET path query:name" of every integer input."""
    schema = _schema()
    found: set[str] = set()
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            for param in op.get("parameters", []):
                if param["in"] == "query" and _is_integer(schema, param.get("schema", {})):
                    found.add(f"api {method.upper()} {path} query:{param['name']}")
            content = op.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema")
            if body:
                for name, prop in _resolve(schema, body).get("properties", {}).items():
                    if not prop.get("readOnly") and _is_integer(schema, prop):
                        found.add(f"api {method.upper()} {path} body:{name}")
    return found


def _project_modules() -> Iterator[Any]:
    for package in PROJECT_PACKAGES:
        root = importlib.import_module(package)
        yield root
        for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            try:
                yield importlib.import_module(info.name)
            except ImportError:  # optional modules (e.g. a missing extra) hold no forms
                continue


def _classes_of(base: type) -> list[type]:
    seen: dict[str, type] = {}
    for module in _project_modules():
        # vars(), not inspect.getmembers(): isinstance() would evaluate lazy proxies (Celery's
        # shared_task) against whatever Celery app another test left current.
        for cls in list(vars(module).values()):
            if not issubclass(type(cls), type):
                continue
            if issubclass(cls, base) and cls.__module__ == module.__name__:
                seen[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return [seen[k] for k in sorted(seen)]


def _queryset_model(obj: Any) -> type[models.Model] | None:
    queryset = getattr(obj, "queryset", None)
    if callable(queryset) and not isinstance(queryset, models.QuerySet):
        return None  # a callable (scoped per request): classify it
    return getattr(queryset, "model", None)


def form_inputs() -> set[str]:
    """ "form module.Form.field" of every field of a project form that can carry an id."""
    found: set[str] = set()
    for cls in _classes_of(forms.BaseForm):
        for name, fld in getattr(cls, "base_fields", {}).items():
            key = f"form {cls.__module__}.{cls.__qualname__}.{name}"
            if isinstance(fld, forms.ModelChoiceField):
                if _is_dealer_data(_queryset_model(fld)):
                    found.add(key)
            elif isinstance(fld, forms.DecimalField | forms.FloatField):
                continue  # money and rates (IntegerField's subclasses), never ids
            elif (
                isinstance(fld, forms.IntegerField)
                or (isinstance(fld, forms.TypedChoiceField) and fld.coerce is int)
                or isinstance(fld.widget, forms.HiddenInput)
            ):
                found.add(key)
    return found


def filter_inputs() -> set[str]:
    """ "filter module.FilterSet.name" of every id-like filter of a project FilterSet."""
    found: set[str] = set()
    for cls in _classes_of(django_filters.FilterSet):
        for name, flt in cls.base_filters.items():
            key = f"filter {cls.__module__}.{cls.__qualname__}.{name}"
            if isinstance(
                flt, django_filters.ModelChoiceFilter | django_filters.ModelMultipleChoiceFilter
            ):
                if _is_dealer_data(_queryset_model(flt)):
                    found.add(key)
            elif isinstance(flt, django_filters.NumberFilter):
                found.add(key)
    return found


_RAW_READ = re.compile(r"""\b(?:GET|POST|query_params)(?:\.get\(|\[)\s*["'](\w+)["']""")


def raw_inputs() -> set[str]:
    """ "raw path:name" of every parameter a view reads from request.GET/POST itself."""
    found: set[str] = set()
    for package in PROJECT_PACKAGES:
        for source in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in source.parts:
                continue
            for name in _RAW_READ.findall(source.read_text()):
                found.add(f"raw {source.relative_to(ROOT).as_posix()}:{name}")
    return found


def enumerated_inputs() -> set[str]:
    return api_inputs() | form_inputs() | filter_inputs() | raw_inputs()


# Inputs that name no dealer's object, with the reason. Keep the reasons specific.
_QTY = "a quantity, not an id"
_PAGE = "pagination"
_HQ_DIRECTORY = (
    "network directory the HQ admin manages network-wide (Cap.NETWORK_ADMIN); dealer roles never "
    "reach the page (test_role_matrix)"
)
_NETWORK_SUPPLIER = (
    "a dealer of the network directory asked for parts (inter-dealer transfer): naming another "
    "dealer is the point; inventory.stock.selectors.transfer_partner admits any active dealer"
)
NOT_AN_ID: dict[str, str] = {
    # Bulletins (HQ admins target regions, groups and dealers of the whole network)
    "form bulletins.forms.DraftForm.dealers": _HQ_DIRECTORY,
    "form bulletins.forms.DraftForm.groups": _HQ_DIRECTORY,
    "form bulletins.forms.DraftForm.regions": _HQ_DIRECTORY,
    "raw bulletins/views.py:body": "bulletin text for the editor's preview (cleaned, echoed back)",
    "raw bulletins/views.py:category": "a bulletin category (a fixed choice)",
    "raw bulletins/views.py:sort": "a column name",
    # Promotions and campaigns (HQ admins, whole network)
    "form bulletins.promotion_forms.PromotionForm.dealers": _HQ_DIRECTORY,
    "form bulletins.promotion_forms.PromotionForm.regions": _HQ_DIRECTORY,
    "form bulletins.promotion_forms.PromotionForm.budget": "a count of orders, not an id",
    "raw bulletins/campaign_views.py:checked": "a digest of the VIN list that was checked",
    # API
    "api POST /api/demo-vehicles/ body:odometer_km": _QTY,
    "api POST /api/quotes/ body:term_months": _QTY,
    "api POST /api/quotes/{id}/revise/ body:term_months": _QTY,
    "api POST /api/test-drives/{id}/check-in/ body:km_in": _QTY,
    "api POST /api/test-drives/{id}/check-out/ body:km_out": _QTY,
    "api POST /api/visits/ body:party_size": _QTY,
    "api POST /api/leads/ body:vehicle_model": "shared catalogue (VehicleModel), read by every dealer",
    "raw inventory/api.py:numbers": "part numbers of the shared HQ catalogue",
    "raw inventory/api.py:on": "a day (YYYY-MM-DD)",
    "raw inventory/catalogue/views.py:vehicle_model": "shared catalogue (VehicleModel): the "
    "model a new trim form starts with (HQ only)",
    "api POST /api/visits/ body:vehicle_model": "shared catalogue (VehicleModel)",
    "api POST /api/customers/ body:models_of_interest": "shared catalogue (VehicleModel)",
    "api PUT /api/customers/{id}/ body:models_of_interest": "shared catalogue (VehicleModel)",
    "api PATCH /api/customers/{id}/ body:models_of_interest": "shared catalogue (VehicleModel)",
    "raw bulletins/pricing_views.py:q": "a search text (code, part number, description)",
    # Parts store (issue 15): a transfer is asked of ANOTHER dealer on purpose. Its supplier is
    # a dealer id of the network directory, as the audited network look-up (bands only) lists
    # it; the request reveals nothing of that dealer's stock, and the supplier must accept.
    "raw inventory/stock/views.py:supplier": _NETWORK_SUPPLIER,
    "api POST /api/parts-transfers/ body:supplier": _NETWORK_SUPPLIER,
    "api POST /api/parts-transfers/ body:part": "shared catalogue (Part), read by every dealer",
    "raw inventory/stock/api.py:number": "a part number of the shared HQ catalogue",
    "raw inventory/stock/views.py:step": "a step of a stock count (save, submit, approve, cancel)",
    # Parts orders (issue 15): HQ logistics filters the whole network's orders by dealer and
    # region (its scope is every dealer); the dealer's own page removes the line its URL names.
    "api GET /api/parts-orders/network/ query:dealer": _HQ_DIRECTORY,
    "api GET /api/parts-orders/network/ query:region": _HQ_DIRECTORY,
    "form inventory.orders.forms.NetworkFilterForm.dealer": _HQ_DIRECTORY,
    "form inventory.orders.forms.NetworkFilterForm.region": _HQ_DIRECTORY,
    "raw inventory/orders/views.py:remove": "a flag: remove the line the URL names",
    # forms
    "form dealers.forms.DealerForm.region": _HQ_DIRECTORY,
    "form dealers.forms.DealerForm.group": _HQ_DIRECTORY,
    "form dealers.forms.MembershipAddForm.dealer": _HQ_DIRECTORY,
    "form dealers.forms.DealerForm.delivery_days_ahead": _QTY,
    "form dealers.forms.DealerForm.follow_up_days_ahead": _QTY,
    "form dealers.forms.DealerForm.test_drive_days_ahead": _QTY,
    "form dealers.forms.DealerForm.visit_days_back": _QTY,
    "form reports.plans.forms.SplitChoiceForm.year": "a plan year",
    "form sales.forms.BookingForm.duration": "minutes",
    "form sales.forms.DemoVehicleForm.odometer_km": _QTY,
    "form sales.forms.CheckOutForm.km_out": _QTY,
    "form sales.forms.CheckInForm.km_in": _QTY,
    "form sales.forms.QuoteForm.term_months": _QTY,
    "raw sales/views.py:reason": "free text: why an order is cancelled",
    "form sales.forms.DiscountDecisionForm.decision": "approve/reject choice",
    "form leads.forms.visits.RegisterContactForm.party_size": _QTY,
    "form leads.forms.funnel.StepForm.step": "a playbook step code (shared HQ playbook)",
    "form leads.forms.funnel.WaiveForm.step": "a playbook step code (shared HQ playbook)",
    "form leads.forms.funnel.LeadSettingsForm.pool_after_days": _QTY,
    "form leads.forms.funnel.LeadSettingsForm.max_open_leads": _QTY,
    "form leads.forms.funnel.LeadSettingsForm.stale_after_days": _QTY,
    "form leads.forms.customers.ClaimForm.token": (
        "a signed claim token, not an id (leads' claim tests cover a forged token)"
    ),
    "form reports.plans.forms.PlanUploadForm.year": "a plan year",
    "form reports.plans.forms.ConfirmForm.number": "the staged upload's version number, checked "
    "against the uploader's session (with its sha256)",
    "form reports.dashboards.forms.PeriodForm.year": "a year",
    "form reports.dashboards.forms.PeriodForm.month": "a month",
    "form reports.dashboards.forms.NetworkFilterForm.year": "a year",
    "form reports.dashboards.forms.NetworkFilterForm.month": "a month",
    "form reports.dashboards.forms.NetworkFilterForm.sort": "a column name",
    # Vehicle stock (issue 15): HQ logistics allocates to any dealer of the network
    "form inventory.vehicles.forms.AllocateForm.dealer": (
        "HQ logistics allocates to any dealer of the network (HQ route: dealer roles never "
        "reach it, test_role_matrix)"
    ),
    "form inventory.vehicles.forms.VehicleFilterForm.dealer": (
        "HQ's vehicle list filtered by the dealer a vehicle is allocated to (HQ route)"
    ),
    "raw inventory/vehicles/api.py:q": "a search text (part of a VIN or a trim's name)",
    "raw inventory/vehicles/api.py:state": "a vehicle state (a fixed choice)",
    "raw inventory/vehicles/views.py:state": "a vehicle state (a fixed choice)",
    "raw inventory/vehicles/views.py:dealer": (
        "HQ ageing drill-down: checked against the reader's dealer ids, 404 outside them "
        "(tests/inventory/test_vehicle_pages.py)"
    ),
    "raw inventory/vehicles/views.py:region": (
        "HQ ageing drill-down: only the reader's dealers of the region are counted, 404 for a "
        "region without any (tests/inventory/test_vehicle_pages.py)"
    ),
    "raw sales/views.py:note": "free text: a note to HQ with a vehicle request",
    # list filters
    "filter dealers.filters.DealerListFilterSet.region": _HQ_DIRECTORY,
    "filter dealers.filters.UserListFilterSet.dealer": _HQ_DIRECTORY,
}
# Parameter names that never name an object wherever they occur (API query parameters and
# parameters views read themselves): dates, flags, page numbers, choices.
NAMES_NOT_IDS = {
    "page": _PAGE,
    "page_size": _PAGE,
    "language": "a language code",
    "otp_token": "a one-time password",
    "password": "a password",
    "back": "a query string of the network page (checked to start with '?')",
    "active": "a flag",
    "no_show": "a flag",
    "shown": _PAGE,
    "more": "a section name",
    "partial": "an htmx fragment name",
    "cancel": "an htmx flag",
    "at": "a planning time",
    "date": "a date",
    "day": "a date",
    "start": "a date",
    "end": "a date",
    "period": "a period name",
    "by": "a dimension name",
    "status": "a status choice",
    "show": "a flag",
    "download": "a flag",
    "table": "a table name",
    "grade": "a grade letter",
    "next": "a local URL (safe_next)",
    "search": "free text",
    "kind": "a visit kind choice",
    "action": "a form action name",
    "token": "a signed token",
}


# --- the world's clients and data ----------------------------------------------------------------


@pytest.fixture(scope="module")
def clients(committed_world: World) -> Iterator[Clients]:
    with quiet_clients(committed_world) as clients:
        yield clients


def b_markers(world: World) -> list[str]:
    """Text that only B's data contains: its customer, its name, its staff's names and logins."""
    a_names = {u.get_full_name() for (d, _r), u in world.staff.items() if d == world.a.pk} | {
        u.get_full_name() for u in world.hq.values()
    }
    b_names = {u.get_full_name() for (d, _r), u in world.staff.items() if d == world.b.pk} - a_names
    return [
        "Customer MXB",
        "Matrix dealer B",
        "mx-b-",
        f"VIN{FOREIGN_ID}",
        *sorted(n for n in b_names if len(n) > 5),
    ]


def _leaks(world: World, response: Any) -> list[str]:
    text = response.content.decode(errors="replace")
    return [m for m in b_markers(world) if m in text]


def _member(world: World, role: str, dealer: Dealer | None = None) -> int:
    dealer = dealer or world.a
    return Membership.objects.get(user=world.staff[(dealer.pk, role)], dealer=dealer).pk


def _user(world: World, role: str) -> int:
    return int(world.staff[(world.a.pk, role)].pk)


def _tomorrow(world: World, hour: int) -> dt.datetime:
    tz = ZoneInfo(world.a.timezone)
    day = world.now.astimezone(tz).date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=tz)


def _day(world: World, days: int) -> str:
    return (
        world.now.astimezone(ZoneInfo(world.a.timezone)).date() + dt.timedelta(days=days)
    ).isoformat()


# --- body cases ---------------------------------------------------------------------------------

Body = Callable[[World, int], dict[str, Any]]


@dataclass(frozen=True)
class BodyCase:
    name: str
    covers: tuple[str, ...]
    role: str
    method: str
    path: str
    body: Body  # (world, id under test) -> the request body
    api: bool = False
    # Runs inside the positive control's rolled-back transaction (as dealer A); returns the id
    # of A's own row to send (default LOCAL_ID).
    local: Callable[[World], int] | None = None
    # Refused by a redirect back to the form with a message (same for a missing id) instead of
    # a 4xx; `local_done` then proves the positive control did its work.
    refused_by_redirect: bool = False
    local_done: Callable[[World], bool] | None = None

    def __str__(self) -> str:
        return self.name


def _source_code() -> str:
    from leads.models import LeadSource

    return str(LeadSource.objects.order_by("pk").values_list("code", flat=True).first())


def _trim_code() -> str:
    from inventory.models import Trim

    return str(Trim.objects.order_by("pk").values_list("code", flat=True).first())


def _booking(world: World, lead: int, vehicle: int) -> dict[str, Any]:
    return {
        "lead": lead,
        "vehicle": vehicle,
        "starts_at": _tomorrow(world, 10).isoformat(),
        "ends_at": _tomorrow(world, 11).isoformat(),
    }


def _absence(membership: int, world: World) -> dict[str, Any]:
    return {
        "membership": membership,
        "starts_on": _day(world, 10),
        "ends_on": _day(world, 11),
        "reason": "sick",
        "note": "",
    }


def _cover(world: World, absent: int, covering: int) -> dict[str, Any]:
    return {
        "absent": absent,
        "covering": covering,
        "starts_on": _day(world, 50),
        "ends_on": _day(world, 52),
    }


def _accepted_quote(world: World) -> int:
    """A's quote, accepted and without the order the world gave it."""
    from sales.models import Order, Payment, Quote

    with as_dealer(world.a):
        Payment.objects.filter(order_id=LOCAL_ID).delete()
        Order.objects.filter(pk=LOCAL_ID).delete()
        Quote.objects.filter(pk=LOCAL_ID).update(status=Quote.Status.ACCEPTED)
    return LOCAL_ID


def _second_customer(world: World) -> int:
    from leads.models import Customer

    with as_dealer(world.a):
        return int(
            Customer.objects.create(
                dealer=world.a,
                first_name="Second",
                last_name="Customer MXA",
                owner_id=_user(world, "consultant"),
            ).pk
        )


def _user_sessions() -> Any:
    from dms.security.models import UserSession

    return UserSession.objects.all()


def _login_session(user: Any, pk: int) -> Any:
    """A login session row of `user` (a row of the security page, not a real session)."""
    return _user_sessions().create(pk=pk, user=user, session_key=f"matrix-session-{pk}")


ABSENCES_API = "/api/absences/"
BODY_CASES: list[BodyCase] = [
    # --- API ---
    BodyCase(
        "api absence create: membership",
        ("api POST /api/absences/ body:membership",),
        "dealer_admin",
        "POST",
        ABSENCES_API,
        lambda w, v: _absence(v, w),
        api=True,
    ),
    BodyCase(
        "api absence put: membership",
        ("api PUT /api/absences/{id}/ body:membership",),
        "dealer_admin",
        "PUT",
        f"{ABSENCES_API}{LOCAL_ID}/",
        lambda w, v: _absence(v, w),
        api=True,
    ),
    BodyCase(
        "api absence patch: membership",
        ("api PATCH /api/absences/{id}/ body:membership",),
        "dealer_admin",
        "PATCH",
        f"{ABSENCES_API}{LOCAL_ID}/",
        lambda w, v: {"membership": v},
        api=True,
    ),
    BodyCase(
        "api lead create: customer",
        ("api POST /api/leads/ body:customer",),
        "sales_manager",
        "POST",
        "/api/leads/",
        lambda w, v: {"customer": v, "source": _source_code()},
        api=True,
    ),
    BodyCase(
        "api lead create: consultant",
        ("api POST /api/leads/ body:consultant",),
        "sales_manager",
        "POST",
        "/api/leads/",
        lambda w, v: {"customer": LOCAL_ID, "source": _source_code(), "consultant": v},
        api=True,
    ),
    BodyCase(
        "api lead reassign: consultant",
        ("api POST /api/leads/{id}/reassign/ body:consultant",),
        "sales_manager",
        "POST",
        f"/api/leads/{LOCAL_ID}/reassign/",
        lambda w, v: {"consultant": v, "reason": "matrix"},
        api=True,
        local=lambda w: _user(w, "sales_manager"),
    ),
    BodyCase(
        "api test drive: lead",
        ("api POST /api/test-drives/ body:lead",),
        "sales_manager",
        "POST",
        "/api/test-drives/",
        lambda w, v: _booking(w, v, LOCAL_ID),
        api=True,
    ),
    BodyCase(
        "api test drive: vehicle",
        ("api POST /api/test-drives/ body:vehicle",),
        "sales_manager",
        "POST",
        "/api/test-drives/",
        lambda w, v: _booking(w, LOCAL_ID, v),
        api=True,
    ),
    BodyCase(
        "api quote: lead",
        ("api POST /api/quotes/ body:lead",),
        "sales_manager",
        "POST",
        "/api/quotes/",
        lambda w, v: {"lead": v, "trim": _trim_code()},
        api=True,
    ),
    BodyCase(
        "api order: quote",
        ("api POST /api/orders/ body:quote",),
        "sales_manager",
        "POST",
        "/api/orders/",
        lambda w, v: {"quote": v, "deposit_required": "0"},
        api=True,
        local=_accepted_quote,
    ),
    # --- HTML forms ---
    BodyCase(
        "form absence add: membership",
        ("form dealers.forms.AbsenceForm.membership",),
        "dealer_admin",
        "POST",
        "/network/absences/new/",
        lambda w, v: _absence(v, w),
    ),
    BodyCase(
        "form absence edit: membership",
        ("form dealers.forms.AbsenceForm.membership",),
        "dealer_admin",
        "POST",
        f"/network/absences/{LOCAL_ID}/edit/",
        lambda w, v: _absence(v, w),
    ),
    BodyCase(
        "form cover: absent",
        ("form dealers.handover.forms.CoverForm.absent",),
        "dealer_manager",
        "POST",
        "/network/handover/cover/new/",
        lambda w, v: _cover(w, v, _member(w, DealerRole.SALES_MANAGER)),
    ),
    BodyCase(
        "form cover: covering",
        ("form dealers.handover.forms.CoverForm.covering",),
        "dealer_manager",
        "POST",
        "/network/handover/cover/new/",
        lambda w, v: _cover(w, LOCAL_ID, v),
        local=lambda w: _member(w, DealerRole.SALES_MANAGER),
    ),
    BodyCase(
        "form handover wizard: targets",
        ("form dealers.handover.forms.DistributionForm.targets",),
        "dealer_manager",
        "POST",
        f"/network/handover/staff/{LOCAL_ID}/",
        lambda w, v: {"strategy": "round_robin", "targets": [v]},
        local=lambda w: _user(w, "sales_manager"),
    ),
    *(
        BodyCase(
            f"form handover wizard: grade {grade}",
            (f"form dealers.handover.forms.DistributionForm.grade_{grade}",),
            "dealer_manager",
            "POST",
            f"/network/handover/staff/{LOCAL_ID}/",
            lambda w, v, grade=grade: {
                "strategy": "round_robin",
                "targets": [_user(w, "sales_manager")],
                f"grade_{grade}": v,
            },
            local=lambda w: _user(w, "sales_manager"),
        )
        for grade in ("H", "A")
    ),
    BodyCase(
        "form handover batch: to_user",
        ("form dealers.handover.forms.ReassignForm.to_user",),
        "dealer_manager",
        "POST",
        f"/network/handover/batches/{LOCAL_ID}/",
        lambda w, v: {"to_user": v, "item": LOCAL_ID},
        local=lambda w: _user(w, "sales_manager"),
    ),
    BodyCase(
        "form handover batch: item",
        ("form dealers.handover.forms.ReassignForm.item",),
        "dealer_manager",
        "POST",
        f"/network/handover/batches/{LOCAL_ID}/",
        lambda w, v: {"to_user": _user(w, "sales_manager"), "item": v},
    ),
    BodyCase(
        "form lead reassign: consultant",
        ("form leads.forms.funnel.ReassignForm.consultant",),
        "sales_manager",
        "POST",
        f"/sales/leads/{LOCAL_ID}/reassign/",
        lambda w, v: {"consultant": v, "reason": "matrix"},
        local=lambda w: _user(w, "sales_manager"),
    ),
    BodyCase(
        "form customer merge: duplicate",
        ("form leads.forms.customers.MergeForm.duplicate",),
        "sales_manager",
        "POST",
        f"/sales/customers/{LOCAL_ID}/merge/",
        lambda w, v: {"duplicate": v, "confirm": "on"},
        local=_second_customer,
    ),
    BodyCase(
        "form test drive booking: vehicle",
        ("form sales.forms.BookingForm.vehicle",),
        "sales_manager",
        "POST",
        f"/showroom/leads/{LOCAL_ID}/test-drive/",
        lambda w, v: {
            "vehicle": v,
            "day": _tomorrow(w, 10).date().isoformat(),
            "start_time": "10:00",
            "duration": "60",
        },
    ),
    BodyCase(
        "form region: managers",
        ("form dealers.forms.RegionForm.managers",),
        "hq_admin",
        "POST",
        f"/network/regions/{LOCAL_ID}/edit/",
        lambda w, v: {"code": "mx-ra", "name": "Matrix region A", "managers": [v]},
        local=lambda w: int(w.hq["hq_regional_manager"].pk),
    ),
    BodyCase(
        "security page end session: session",
        ("raw dms/security/views.py:session",),
        "dealer_admin",
        "POST",
        f"/security/users/{LOCAL_ID}/",
        lambda w, v: {"action": "end_session", "session": v},
        refused_by_redirect=True,
        local=lambda w: _login_session(w.staff[(w.a.pk, "consultant")], LOCAL_ID).pk,
        local_done=lambda w: not _user_sessions().filter(pk=LOCAL_ID).exists(),
    ),
    BodyCase(
        "switch dealer: dealer",
        ("raw dms/views.py:dealer",),
        "consultant",
        "POST",
        "/switch-dealer/",
        lambda w, v: {"dealer": v},
        local=lambda w: w.a.pk,
    ),
]


# --- query cases --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryCase:
    name: str
    covers: tuple[str, ...]
    role: str
    path: str
    param: str
    api: bool = False
    # What A's own id must show (positive control): for the API a row with id LOCAL_ID unless
    # `local_marker` is given; for pages this text.
    local_marker: str | None = None
    local: Callable[[World], int] | None = None

    def __str__(self) -> str:
        return self.name


A_CUSTOMER = "Customer MXA"


def _a_consultant_owns(world: World) -> int:
    """A's lead and customer belong to A's consultant (the world leaves them unassigned)."""
    from leads.models import Customer, Lead

    consultant = _user(world, "consultant")
    with as_dealer(world.a):
        Lead.objects.filter(pk=LOCAL_ID).update(consultant_id=consultant)
        Customer.objects.filter(pk=LOCAL_ID).update(owner_id=consultant)
    return consultant


QUERY_CASES: list[QueryCase] = [
    # --- API lists ---
    QueryCase(
        "api absences ?dealer",
        ("api GET /api/absences/ query:dealer", "filter dealers.filters.AbsenceFilterSet.dealer"),
        "dealer_admin",
        "/api/absences/",
        "dealer",
        api=True,
        local=lambda w: w.a.pk,
    ),
    QueryCase(
        "api absences ?membership",
        (
            "api GET /api/absences/ query:membership",
            "filter dealers.filters.AbsenceFilterSet.membership",
        ),
        "dealer_admin",
        "/api/absences/",
        "membership",
        api=True,
    ),
    QueryCase(
        "api audit ?actor",
        (
            "api GET /api/audit-entries/ query:actor",
            "filter dms.audit.filters.AuditEntryFilterSet.actor",
        ),
        "dealer_admin",
        "/api/audit-entries/",
        "actor",
        api=True,
        local=lambda w: _user(w, "sales_manager"),
    ),
    QueryCase(
        "api audit ?dealer",
        (
            "api GET /api/audit-entries/ query:dealer",
            "filter dms.audit.filters.AuditEntryFilterSet.dealer",
        ),
        "dealer_admin",
        "/api/audit-entries/",
        "dealer",
        api=True,
        local=lambda w: w.a.pk,
    ),
    QueryCase(
        "api follow-ups ?lead",
        (
            "api GET /api/follow-ups/ query:lead",
            "filter leads.api.followups.FollowUpFilter.lead",
        ),
        "sales_manager",
        "/api/follow-ups/",
        "lead",
        api=True,
    ),
    QueryCase(
        "api leads ?consultant",
        ("api GET /api/leads/ query:consultant", "filter leads.api.leads.LeadFilter.consultant"),
        "sales_manager",
        "/api/leads/",
        "consultant",
        api=True,
        local=_a_consultant_owns,
    ),
    QueryCase(
        "api orders ?lead",
        ("api GET /api/orders/ query:lead", "filter sales.api.OrderFilter.lead"),
        "sales_manager",
        "/api/orders/",
        "lead",
        api=True,
    ),
    QueryCase(
        "api quotes ?lead",
        ("api GET /api/quotes/ query:lead", "filter sales.api.QuoteFilter.lead"),
        "sales_manager",
        "/api/quotes/",
        "lead",
        api=True,
    ),
    QueryCase(
        "api test drives ?lead",
        ("api GET /api/test-drives/ query:lead", "filter sales.api.TestDriveFilter.lead"),
        "sales_manager",
        "/api/test-drives/",
        "lead",
        api=True,
    ),
    QueryCase(
        "api test drives ?vehicle",
        ("api GET /api/test-drives/ query:vehicle", "filter sales.api.TestDriveFilter.vehicle"),
        "sales_manager",
        "/api/test-drives/",
        "vehicle",
        api=True,
    ),
    # --- pages ---
    QueryCase(
        "absence list ?membership",
        ("filter dealers.filters.AbsenceFilterSet.membership",),
        "dealer_admin",
        "/network/absences/",
        "membership",
        local_marker="",
    ),
    QueryCase(
        "absence list ?dealer",
        ("filter dealers.filters.AbsenceFilterSet.dealer",),
        "dealer_admin",
        "/network/absences/",
        "dealer",
        local_marker="",
        local=lambda w: w.a.pk,
    ),
    QueryCase(
        "audit log ?actor",
        ("filter dms.audit.filters.AuditEntryFilterSet.actor",),
        "dealer_admin",
        "/audit/",
        "actor",
        local_marker="mx-a-sales_manager",
        local=lambda w: _user(w, "sales_manager"),
    ),
    QueryCase(
        "audit log ?dealer",
        ("filter dms.audit.filters.AuditEntryFilterSet.dealer",),
        "dealer_admin",
        "/audit/",
        "dealer",
        local_marker="mx-a-sales_manager",
        local=lambda w: w.a.pk,
    ),
    QueryCase(
        "lead list ?consultant",
        ("filter leads.forms.funnel.LeadFilterSet.consultant",),
        "sales_manager",
        "/sales/leads/",
        "consultant",
        local_marker=A_CUSTOMER,
        local=_a_consultant_owns,
    ),
    QueryCase(
        "customer list ?owner",
        ("filter leads.forms.customers.CustomerFilterSet.owner",),
        "sales_manager",
        "/sales/customers/",
        "owner",
        local_marker=A_CUSTOMER,
        local=_a_consultant_owns,
    ),
    QueryCase(
        "grade table ?consultant",
        ("raw leads/views/leads.py:consultant",),
        "sales_manager",
        "/sales/leads/grades/",
        "consultant",
        local_marker="",
    ),
    QueryCase(
        "customer merge ?duplicate",
        ("raw leads/views/customers.py:duplicate",),
        "sales_manager",
        f"/sales/customers/{LOCAL_ID}/merge/",
        "duplicate",
        local_marker="Second",
        local=_second_customer,
    ),
    QueryCase(
        "test drive booking ?vehicle",
        ("raw sales/views.py:vehicle",),
        "sales_manager",
        f"/showroom/leads/{LOCAL_ID}/test-drive/",
        "vehicle",
        local_marker=f"VIN{LOCAL_ID}",
    ),
    QueryCase(
        "plan versions ?dealer",
        ("form reports.plans.forms.VersionFilterForm.dealer",),
        "sales_manager",
        "/reports/plans/",
        "dealer",
        local_marker="",
        local=lambda w: w.a.pk,
    ),
    QueryCase(
        "plan versions ?region",
        ("form reports.plans.forms.VersionFilterForm.region",),
        "hq_regional_manager",
        "/reports/plans/",
        "region",
        local_marker="",
    ),
    QueryCase(
        "network KPIs ?region",
        ("form reports.dashboards.forms.NetworkFilterForm.region",),
        "hq_regional_manager",
        "/reports/network/",
        "region",
        local_marker="Matrix dealer A",
    ),
    QueryCase(
        "export list ?dealer",
        ("raw reports/exports/views.py:dealer",),
        "sales_manager",
        "/reports/exports/",
        "dealer",
        local_marker="Matrix dealer A",
        local=lambda w: w.a.pk,
    ),
    QueryCase(
        "network CSV ?region",
        ("raw reports/exports/views.py:region",),
        "hq_regional_manager",
        "/reports/exports/network.csv",
        "region",
        local_marker="",
    ),
]


def _covered() -> set[str]:
    return {key for case in [*BODY_CASES, *QUERY_CASES] for key in case.covers}


# --- calling ------------------------------------------------------------------------------------


def _send(client: Client, case: BodyCase, body: dict[str, Any]) -> Any:
    if case.api:
        return client.generic(
            case.method,
            case.path,
            data=json.dumps(body),
            content_type="application/json",
            HTTP_ACCEPT="application/json",
        )
    response = client.post(case.path, data=body)
    if response.status_code == 303:
        # A refused form comes back on its own page (dms.refused_forms): judge that page.
        page = client.get(response["Location"])
        page.refused_to = response["Location"]
        return page
    return response


def _get(client: Client, case: QueryCase, value: int) -> Any:
    headers = {"HTTP_ACCEPT": "application/json"} if case.api else {}
    return client.get(case.path, {case.param: value}, **headers)


def _in_rollback(world: World, run: Callable[[], Any]) -> Any:
    with transaction.atomic():
        try:
            return run()
        finally:
            transaction.set_rollback(True)


def _answer(response: Any) -> str:
    text = response.content.decode(errors="replace")
    errors = re.findall(r"(?:errorlist[^>]*>|invalid-feedback[^>]*>)(.{0,200})", text)
    shown = " | ".join(errors) if errors else text[:600]
    return f"{response.status_code} {response.get('Location', '')} {shown}"


def _form_error(response: Any) -> bool:
    """The page shows a form error (Django's error list or Bootstrap's invalid field)."""
    text = response.content.decode(errors="replace")
    return "errorlist" in text or "is-invalid" in text or "invalid-feedback" in text


def _rows(response: Any) -> list[dict[str, Any]]:
    data = response.json()
    return list(data["results"] if isinstance(data, dict) else data)


# --- the tests ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def b_login_session(committed_world: World, django_db_blocker: Any) -> Iterator[Any]:
    """A login session of B's consultant with the id FOREIGN_ID (the security page's rows)."""
    with django_db_blocker.unblock():
        b_consultant = committed_world.staff[(committed_world.b.pk, "consultant")]
        row = _login_session(b_consultant, FOREIGN_ID)
    yield row
    with django_db_blocker.unblock():
        _user_sessions().filter(pk=FOREIGN_ID).delete()


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in BODY_CASES])
def test_foreign_id_in_body_is_refused(
    world_db: World, clients: Clients, snapshot: Snapshot, b_login_session: Any, case: BodyCase
) -> None:
    client = clients.get(case.role)

    before = snapshot.take()
    foreign = _send(client, case, case.body(world_db, FOREIGN_ID))
    changes = Snapshot.diff(before, snapshot.take())
    missing = _send(client, case, case.body(world_db, MISSING_ID))

    status = foreign.status_code
    assert _user_sessions().filter(pk=FOREIGN_ID).exists(), "B's login session was ended"
    if case.refused_by_redirect:
        assert status == 302, f"B's id in {case.name}: {_answer(foreign)}"
        assert foreign["Location"] == missing.get("Location"), "the redirect reveals B's row"
    elif case.api:
        assert 400 <= status < 500, f"B's id in {case.name}: {_answer(foreign)}"
    else:
        # A page answers 4xx, or shows the form again with the field's error.
        refused = 400 <= status < 500 or (status == 200 and _form_error(foreign))
        assert refused, f"B's id in {case.name}: {_answer(foreign)}"
        where = getattr(foreign, "refused_to", None)
        assert where == getattr(missing, "refused_to", None), "the page reveals B's row"
    assert not changes, f"B's id in {case.name} changed the database: {changes}"
    assert not _leaks(world_db, foreign), f"{case.name} shows B's data: {_leaks(world_db, foreign)}"
    # Alike for a row that never existed: the answer does not confirm that B's row exists.
    assert missing.status_code == status, (
        f"{case.name}: B's id answers {status}, a missing id {missing.status_code}"
    )
    if case.api and status == 400:
        field_name = next(k.rsplit(":", 1)[-1] for k in case.covers)
        assert field_name in foreign.json(), (
            f"{case.name}: refused for another reason: {foreign.json()}"
        )
        text = foreign.content.decode().replace(str(FOREIGN_ID), str(MISSING_ID))
        assert text == missing.content.decode(), f"{case.name}: the messages differ"

    # Positive control: the same body with A's own row is accepted (rolled back).
    def own() -> Any:
        value = case.local(world_db) if case.local else LOCAL_ID
        return _send(client, case, case.body(world_db, value))

    def own_done() -> tuple[Any, bool]:
        response = own()
        return response, case.local_done(world_db) if case.local_done else True

    response, done = _in_rollback(world_db, own_done)
    accepted = response.status_code < 400 and done
    if not case.api:
        accepted = accepted and not _form_error(response)
    assert accepted, (
        f"{case.name} with A's own row is refused, so the body proves nothing: {_answer(response)}"
    )


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in QUERY_CASES])
def test_foreign_id_in_query_shows_nothing_of_b(
    world_db: World, clients: Clients, snapshot: Snapshot, case: QueryCase
) -> None:
    client = clients.get(case.role)
    before = snapshot.take()
    foreign = _get(client, case, FOREIGN_ID)
    changes = Snapshot.diff(before, snapshot.take())
    missing = _get(client, case, MISSING_ID)

    status = foreign.status_code
    assert status in (200, 400, 404), f"?{case.param}=B's id on {case.path}: {_answer(foreign)}"
    assert missing.status_code == status, (
        f"{case.name}: B's id answers {status}, a missing id {missing.status_code}"
    )
    assert not changes, f"{case.name} changed the database: {changes}"
    assert not _leaks(world_db, foreign), f"{case.name} shows B's data: {_leaks(world_db, foreign)}"
    if case.api and status == 200:
        assert FOREIGN_ID not in {row.get("id") for row in _rows(foreign)}

    def own() -> Any:
        value = case.local(world_db) if case.local else LOCAL_ID
        return _get(client, case, value)

    response = _in_rollback(world_db, own)
    assert response.status_code == 200, f"{case.name} with A's id: {_answer(response)}"
    if case.api and case.local_marker is None:
        assert LOCAL_ID in {row.get("id") for row in _rows(response)}, (
            f"{case.name}: A's row is not listed for A's id, so the filter proves nothing"
        )
    elif case.local_marker:
        assert case.local_marker in response.content.decode(), (
            f"{case.name}: A's data ({case.local_marker!r}) is not shown for A's id"
        )


def test_every_id_input_is_covered() -> None:
    """Every enumerated input is exercised by a case or declared not to be an id."""
    enumerated = enumerated_inputs()
    covered = _covered()
    raw_exempt = {
        k
        for k in enumerated
        if k.startswith(("raw ", "api GET ")) and k.rsplit(":", 1)[-1] in NAMES_NOT_IDS
    }
    unclassified = sorted(enumerated - covered - set(NOT_AN_ID) - raw_exempt)
    assert not unclassified, (
        "inputs that may carry another dealer's id, neither tested here nor declared in "
        f"NOT_AN_ID: {unclassified}"
    )
    stale = sorted((covered | set(NOT_AN_ID)) - enumerated)
    assert not stale, f"cases or NOT_AN_ID entries for inputs that no longer exist: {stale}"


def test_the_enumeration_finds_each_kind_of_input() -> None:
    """The enumerators themselves: each must find inputs we know exist (a broken walk that
    finds nothing would otherwise pass the coverage test)."""
    assert "api POST /api/test-drives/ body:lead" in api_inputs()
    assert "api GET /api/leads/ query:consultant" in api_inputs()
    assert "form sales.forms.BookingForm.vehicle" in form_inputs()
    assert "form dealers.handover.forms.ReassignForm.item" in form_inputs()  # hidden integer
    assert "filter dealers.filters.AbsenceFilterSet.membership" in filter_inputs()
    assert "raw dms/views.py:dealer" in raw_inputs()
    # shared catalogue choices are exempt, directory and tenant choices are not
    assert not any(k.endswith("DemoVehicleForm.vehicle_model") for k in form_inputs())
    assert "form dealers.forms.MembershipAddForm.dealer" in form_inputs()
