"""Wall 3: the cross-dealer access matrix.

Every URL pattern of the project (enumerated from the resolver: Django views, the DRF router,
two_factor, the admin) is called by every role with ANOTHER dealer's object ids, by every method,
and must answer without revealing or changing that dealer's data.

The world (tests/tenancy/world.py) has dealers A and B (B in another region). B's row of every
tenant model, B itself, its region, its consultant's user/membership/OTP device, an audit entry and
an unlock approval of B all have the id FOREIGN_ID, so one number is "B's object" whatever the
route looks up. Subjects:

- anonymous;
- each dealer role at A, and the regional manager of A's region: B is invisible to them, so every
  method on B's ids answers 404 (405 where the view has no such method);
- the regional manager on A's own ids and the HQ admin on B's ids: the object is visible, but HQ
  is read-only on dealer data, so GET may answer, changes are refused (403/404/405).

Accepted besides: 302 to the login page for anonymous users (401/403 from the API); the admin's
gate (302 to the admin login for users without admin rights: it answers every admin URL alike,
before any lookup); a redirect that is the same for a never-existing id (MISSING_ID) and so
reveals nothing. 403 for a dealer user needs a DECLARED entry with the reason. After every call,
the owner connection checks that no tenant table and none of B's directory rows changed.

Routes with no object argument get a smoke pass (GET and POST, every subject): no server error.

A route the harness cannot build a URL for fails until it is DECLARED (with a reason), and so
does a DECLARED entry for a route that no longer exists: nothing is skipped silently.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.shortcuts import resolve_url
from django.test import Client, override_settings
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from dealers.access import rule_of
from dealers.roles import DealerRole

from .conftest import Snapshot
from .routes import Route, enumerate_routes
from .world import FOREIGN_ID, LOCAL_ID, MISSING_ID, TENANT_FACTORIES, World, tenant_models


@dataclass(frozen=True)
class Declared:
    """Why a route answers differently from the default expectation. Be specific."""

    reason: str
    allow_403: bool = False  # dealer users get 403 (role limit checked before any lookup)
    hq_admin_manages: bool = False  # HQ admin may act on B's (directory) object here
    hq_logistics_manages: bool = False  # HQ logistics acts on this HQ object network-wide
    skip: bool = False  # cannot be exercised by this harness at all (reason says how it is tested)


_ROLE_FIRST = (
    "the role check runs before the object is looked up, so a role limit answers 403 alike for "
    "every id (the harness verifies it against a never-existing id); ids outside the caller's "
    "scope answer 404"
)
_HQ_ADMIN_DIRECTORY = (
    "network directory object (region, dealer, user, membership, locked account) that the HQ "
    "admin manages network-wide (Cap.NETWORK_ADMIN / UNLOCK_ALONE); empty submissions re-render "
    "or redirect, and the snapshot proves nothing changed"
)

_HQ_VEHICLE = (
    "an HQ vehicle (HQ data, inventory.vehicles.models.Vehicle, not a dealer's row) that HQ "
    "logistics builds, ships, allocates and withdraws network-wide (Cap.LOGISTICS); the empty "
    "POST is refused with a message and redirects, and the snapshot proves nothing changed"
)

_HQ_LOGISTICS_WORK = (
    "a dealer's parts order or vehicle request that HQ logistics answers network-wide "
    "(Cap.LOGISTICS: confirm, ship, allocate, decline), the one designed HQ write to dealer rows, "
    "through a service that opens a write scope over exactly that dealer; the empty submission "
    "is refused (422 / re-rendered form / redirect with a message) and the snapshot proves "
    "nothing changed"
)

# Per route, keyed by Route.display. Every entry needs a reason a reviewer can check.
DECLARED: dict[str, Declared] = {
    **{
        f"inventory/vehicles/<pk>/{step}/": Declared(
            _HQ_VEHICLE, allow_403=True, hq_logistics_manages=True
        )
        for step in ("built", "ship", "withdraw", "allocate", "allocate-by-rule")
    },
    **{
        display: Declared(_HQ_LOGISTICS_WORK, allow_403=True, hq_logistics_manages=True)
        for display in (
            "inventory/vehicles/requests/<pk>/",
            "inventory/orders/network/<pk>/confirm/",
            "inventory/orders/network/<pk>/ship/",
            "api/parts-orders/network/<pk>/confirm/",
            "api/parts-orders/network/<pk>/ship/",
            "api/vehicles/<pk>/allocate/",
        )
    },
    "network/staff/<pk>/edit/": Declared(
        _HQ_ADMIN_DIRECTORY, allow_403=True, hq_admin_manages=True
    ),
    "network/regions/<pk>/edit/": Declared(
        _HQ_ADMIN_DIRECTORY, allow_403=True, hq_admin_manages=True
    ),
    "network/dealers/<pk>/edit/": Declared(
        _HQ_ADMIN_DIRECTORY, allow_403=True, hq_admin_manages=True
    ),
    "network/users/<pk>/": Declared(_HQ_ADMIN_DIRECTORY, allow_403=True, hq_admin_manages=True),
    "security/locked/<user_id>/unlock/": Declared(
        "_require_unlock_rights() runs before locked_account_for(); " + _HQ_ADMIN_DIRECTORY,
        allow_403=True,
        hq_admin_manages=True,
    ),
    "security/users/<pk>/": Declared(
        "user_security() checks the admin scope (security_admin_scope: dealer admin or HQ admin) "
        "before managed_user_for(); a POST needs an `action` field, so the empty POST only "
        "redirects with an error; " + _HQ_ADMIN_DIRECTORY,
        allow_403=True,
        hq_admin_manages=True,
    ),
    "security/locked/<user_id>/approve/": Declared(
        "_require_unlock_rights() runs before locked_account_for(); " + _HQ_ADMIN_DIRECTORY,
        allow_403=True,
        hq_admin_manages=True,
    ),
}

# Every route's access declaration (dealers.access) is enforced by its gate before the view looks
# anything up, so a role limit answers 403 alike for every id.
_GATED = Declared(
    "the route's access declaration (dealers.access.route / access_rule) is enforced before the "
    "view runs: " + _ROLE_FIRST,
    allow_403=True,
)


def declared_for(route: Route) -> Declared | None:
    if route.display in DECLARED:
        return DECLARED[route.display]
    if rule_of(route.callback) is not None:
        return _GATED
    return None


@dataclass(frozen=True)
class Subject:
    name: str
    role: str  # DealerRole value, an HQ role (dealers.roles.HQ_ROLE_CAPS) or "anonymous"
    kind: str  # "anonymous" | "outsider" (target invisible) | "readonly" (visible, may not act)
    target: int  # object id put into the route


SUBJECTS = [
    Subject("anonymous", "anonymous", "anonymous", FOREIGN_ID),
    *(Subject(role, role, "outsider", FOREIGN_ID) for role in DealerRole.values),
    Subject("hq_regional_manager", "hq_regional_manager", "outsider", FOREIGN_ID),
    Subject("hq_regional_manager@own_region", "hq_regional_manager", "readonly", LOCAL_ID),
    Subject("hq_admin", "hq_admin", "readonly", FOREIGN_ID),
    Subject("hq_logistics", "hq_logistics", "readonly", FOREIGN_ID),
]
SMOKE_SUBJECTS = [s for s in SUBJECTS if s.name != "hq_regional_manager@own_region"]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
SMOKE_METHODS = ["GET", "POST"]

ROUTES = enumerate_routes()
ID_ROUTES = [r for r in ROUTES if r.object_kwargs]
SMOKE_ROUTES = [r for r in ROUTES if not r.object_kwargs]

# Keeping the run short (DMS_MATRIX_FULL=1 runs every combination instead):
# - admin site routes: the admin gate (HqAdminSite.has_permission) looks only at is_staff, the HQ
#   role and the second factor before any admin view runs; every non-staff user is the same kind
#   of user to it, so the consultant (every method) stands for the dealer roles and the regional
#   manager; anonymous users send GET and POST; the HQ admin every method;
# - format-suffix variants (api/x/<pk>.<format>) run the same view code as the plain route with
#   another renderer: anonymous, consultant and HQ admin;
# - methods a view has no handler for (class-based views, DRF viewsets, require_http_methods)
#   answer 405 before the view body; any lookup in an overridden dispatch also runs for the
#   implemented methods, which every subject calls; the others are probed by the consultant.
FULL = os.environ.get("DMS_MATRIX_FULL", "") == "1"
PROBE_SUBJECT = "consultant"
ADMIN_METHODS = {"anonymous": {"GET", "POST"}, PROBE_SUBJECT: None, "hq_admin": None}


def _is_format_variant(route: Route) -> bool:
    plain = set(route.kwargs) - {"format"}
    return "format" in route.kwargs and any(
        other is not route and other.callback is route.callback and set(other.kwargs) == plain
        for other in ROUTES
    )


def _subjects_for(route: Route, pool: list[Subject]) -> list[Subject]:
    if FULL:
        return pool
    if route.is_admin:
        names = set(ADMIN_METHODS)
    elif _is_format_variant(route):
        names = {"anonymous", PROBE_SUBJECT, "hq_admin"}
    else:
        return pool
    return [s for s in pool if s.name in names]


def _cases(routes: list[Route], pool: list[Subject], methods: list[str]) -> list[Any]:
    cases = []
    for route in routes:
        implemented = route.implemented_methods()
        for subject in _subjects_for(route, pool):
            for method in methods:
                unimplemented = implemented is not None and method not in implemented
                if unimplemented and not FULL and subject.name != PROBE_SUBJECT:
                    continue
                only = ADMIN_METHODS.get(subject.name) if route.is_admin and not FULL else None
                if only is not None and method not in only:
                    continue
                case_id = f"{route.display}|{subject.name}|{method}"
                cases.append(pytest.param(route, subject, method, id=case_id))
    return cases


ID_CASES = _cases(ID_ROUTES, SUBJECTS, METHODS)
SMOKE_CASES = _cases(SMOKE_ROUTES, SMOKE_SUBJECTS, SMOKE_METHODS)


class Harness:
    """Logged-in clients per role (reused between cases) and the last database snapshot."""

    def __init__(self, world: World, snapshot: Snapshot) -> None:
        self.world = world
        self.snapshot = snapshot
        self.clients: dict[str, Client] = {}
        self.last: dict[str, tuple[int, str]] | None = None

    def client(self, subject: Subject) -> Client:
        if subject.role == "anonymous":
            return self.clients.setdefault("anonymous", Client(raise_request_exception=False))
        client = self.clients.get(subject.role)
        if client is not None:
            session = client.session
            if session.get(SESSION_KEY) and session.get(DEVICE_ID_SESSION_KEY):
                return client
        client = Client(raise_request_exception=False)
        user = self.world.role_user(subject.role)
        client.force_login(user)
        # Verified second factor from the start (HQ and admins must have one).
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = user.totpdevice_set.get().persistent_id
        session.save()
        self.clients[subject.role] = client
        return client

    def call(self, subject: Subject, route: Route, method: str, url: str) -> Any:
        client = self.client(subject)
        headers: dict[str, Any] = {}
        if route.is_api:
            headers["HTTP_ACCEPT"] = "application/json"
            body, content_type = (b"" if method in ("GET", "DELETE") else b"{}"), "application/json"
        else:
            body, content_type = b"", "application/x-www-form-urlencoded"
        if method == "GET":
            return client.get(url, **headers)
        return client.generic(method, url, data=body, content_type=content_type, **headers)

    def take(self) -> dict[str, tuple[int, str]]:
        self.last = self.snapshot.take()
        return self.last


@pytest.fixture(scope="module")
def harness(committed_world: World, snapshot: Snapshot) -> Iterator[Harness]:
    # A private cache: DRF's per-user throttle must not carry hits over from other runs.
    caches = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Thousands of expected 403/404s would flood the log; server errors (ERROR) still show.
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)
    try:
        with override_settings(CACHES=caches):
            yield Harness(committed_world, snapshot)
    finally:
        request_log.setLevel(level)


def _location(response: Any) -> str:
    return urlparse(response.get("Location", "")).path


def _is_login_redirect(response: Any, *, admin: bool = False) -> bool:
    if response.status_code not in (301, 302, 303, 307, 308):
        return False
    targets = {resolve_url(settings.LOGIN_URL)}
    if admin:
        targets.add(reverse("admin:login"))
    return _location(response) in targets


def _same_for_missing_id(
    harness: Harness, subject: Subject, route: Route, method: str, response: Any
) -> bool:
    """Does a never-existing id get the same answer? Then the answer reveals nothing."""
    url, _why = route.build(MISSING_ID)
    assert url is not None
    other = harness.call(subject, route, method, url)
    if other.status_code != response.status_code:
        return False
    location = other.get("Location", "").replace(str(MISSING_ID), str(subject.target))
    return location == response.get("Location", "")


def _server_error(response: Any) -> str:
    exc_info = getattr(response, "exc_info", None)
    if not exc_info:
        return f"server error {response.status_code}"
    lines = traceback.format_exception(*exc_info)
    return f"server error {response.status_code}:\n" + "".join(lines[-6:])


def judge(
    harness: Harness, subject: Subject, route: Route, method: str, response: Any
) -> str | None:
    status = response.status_code
    declared = declared_for(route)
    if status >= 500:
        return _server_error(response)
    if status == 405:
        return None  # the view does not implement this method
    redirect = 300 <= status < 400
    if subject.kind == "anonymous":
        if status == 404 or (route.is_api and status in (401, 403)):
            return None
        if _is_login_redirect(response, admin=route.is_admin):
            return None
        if redirect and _same_for_missing_id(harness, subject, route, method, response):
            return None
        return f"anonymous user got {status} (expected a login redirect, 401/403 or 404)"
    is_admin_gate = route.is_admin and _is_login_redirect(response, admin=True)
    if is_admin_gate and subject.role != "hq_admin":
        return None  # the admin gate: users without admin rights never reach a view
    if subject.kind == "outsider":
        if status == 404:
            return None
        if redirect and _same_for_missing_id(harness, subject, route, method, response):
            return None
        if status == 403 and declared and declared.allow_403:
            if _same_for_missing_id(harness, subject, route, method, response):
                return None
            return "403 for B's id but not for a missing id: the answer reveals B's object"
        hint = ""
        if status == 403 and _same_for_missing_id(harness, subject, route, method, response):
            hint = (
                " (403 alike for a missing id: if it is a role limit checked before any lookup,"
                " declare it in DECLARED with allow_403 and the reason)"
            )
        return f"{subject.name} at dealer A got {status} for dealer B's id (expected 404){hint}"
    # readonly: the object is visible (HQ), but HQ may not change dealer data
    if method == "GET" or status in (403, 404):
        return None
    if subject.role == "hq_admin" and (route.is_admin or (declared and declared.hq_admin_manages)):
        return None  # HQ admin manages these objects; the snapshot still proves nothing changed
    if subject.role == "hq_logistics" and declared and declared.hq_logistics_manages:
        return None  # HQ logistics manages these HQ objects; the snapshot proves nothing changed
    return (
        f"{subject.name} got {status} for {method} on a dealer's object it may only read "
        "(expected 403, 404 or 405)"
    )


@pytest.mark.parametrize(("route", "subject", "method"), ID_CASES)
def test_other_dealers_object(
    world_db: World, harness: Harness, route: Route, subject: Subject, method: str
) -> None:
    declared = declared_for(route)
    if declared and declared.skip:
        pytest.skip(f"DECLARED: {declared.reason}")
    url, why = route.build(subject.target)
    if url is None:
        pytest.fail(
            f"cannot exercise {route.display} ({route.view_name}): {why}. Add a value in "
            "tests/tenancy/routes.py NON_OBJECT_KWARGS or declare the route in DECLARED with a "
            "reason."
        )
    before = harness.last or harness.take()
    response = harness.call(subject, route, method, url)
    after = harness.take()
    problems = []
    verdict = judge(harness, subject, route, method, response)
    if verdict:
        problems.append(verdict)
    changes = Snapshot.diff(before, after)
    if changes:
        problems.append("the database changed: " + "; ".join(changes))
    assert not problems, f"{method} {url} ({route.view_name}) as {subject.name}: " + "\n".join(
        problems
    )


@pytest.mark.parametrize(("route", "subject", "method"), SMOKE_CASES)
def test_route_without_object_answers(
    world_db: World, harness: Harness, route: Route, subject: Subject, method: str
) -> None:
    declared = declared_for(route)
    if declared and declared.skip:
        pytest.skip(f"DECLARED: {declared.reason}")
    url, why = route.build(None)
    if url is None:
        pytest.fail(f"cannot exercise {route.display} ({route.view_name}): {why}")
    harness.last = None  # smoke calls may legitimately change A's data
    response = harness.call(subject, route, method, url)
    assert response.status_code < 500, (
        f"{method} {url} ({route.view_name}) as {subject.name}: {_server_error(response)}"
    )


# --- the harness itself ------------------------------------------------------------------------


def test_every_tenant_model_has_a_factory(world_db: World) -> None:
    labels = {m._meta.label for m in tenant_models()}
    missing = sorted(labels - set(TENANT_FACTORIES))
    stale = sorted(set(TENANT_FACTORIES) - labels)
    assert not missing, (
        f"tenant models without a factory in tests/tenancy/world.py TENANT_FACTORIES: {missing}"
    )
    assert not stale, f"TENANT_FACTORIES entries for models that no longer exist: {stale}"
    assert not world_db.problems, "\n".join(f"{k}: {v}" for k, v in world_db.problems.items())


def test_enumeration_finds_the_router_two_factor_and_admin_routes() -> None:
    from dms.api_urls import router

    names = {r.name for r in ROUTES}
    assert {"two_factor:login", "api-root", "admin:index"} <= names
    for prefix, _viewset, basename in router.registry:
        assert any(
            r.display.startswith(f"api/{prefix}/") or r.display == f"api/{prefix}/" for r in ROUTES
        ), f"router prefix {prefix} ({basename}) not enumerated"
    assert len(ID_ROUTES) > 0 and len(SMOKE_ROUTES) > 0


def test_declared_entries_name_existing_routes() -> None:
    displays = {r.display for r in ROUTES}
    stale = sorted(set(DECLARED) - displays)
    assert not stale, f"DECLARED entries for routes that no longer exist: {stale}"
    assert all(d.reason.strip() for d in DECLARED.values())


# --- the judge must be able to say no ------------------------------------------------------------


class _FakeHarness:
    """Answers the never-existing-id request of the differential check."""

    def __init__(self, missing: Any) -> None:
        self.missing = missing

    def call(self, *args: Any) -> Any:
        return self.missing


def _response(status: int, location: str = "") -> Any:
    from django.http import HttpResponse

    response = HttpResponse(status=status)
    if location:
        response["Location"] = location
    return response


@pytest.mark.parametrize(
    ("kind", "method", "status", "location", "missing_status", "ok"),
    [
        ("outsider", "GET", 404, "", 404, True),
        ("outsider", "GET", 200, "", 404, False),  # B's object shown
        ("outsider", "POST", 302, "/sales/", 404, False),  # acted on B's object
        ("outsider", "POST", 302, "/sales/", 302, True),  # same redirect for any id
        ("outsider", "GET", 403, "", 403, False),  # undeclared role limit
        ("outsider", "GET", 400, "", 400, False),
        ("outsider", "DELETE", 405, "", 405, True),
        ("outsider", "GET", 500, "", 404, False),
        ("anonymous", "GET", 302, "/account/login/", 302, True),
        ("anonymous", "GET", 200, "", 404, False),
        ("readonly", "GET", 200, "", 404, True),
        ("readonly", "POST", 403, "", 403, True),
        ("readonly", "POST", 200, "", 404, False),  # HQ may only read
        ("readonly", "PATCH", 302, "/sales/", 302, False),
    ],
)
def test_judge_rejects_what_it_must(
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    method: str,
    status: int,
    location: str,
    missing_status: int,
    ok: bool,
) -> None:
    route = next(r for r in ID_ROUTES if not r.is_admin and r.display not in DECLARED)
    # As if the route had no access declaration: a 403 must then be declared to pass.
    monkeypatch.setattr(sys.modules[__name__], "rule_of", lambda callback: None)
    subject = Subject(
        "probe", "consultant" if kind != "anonymous" else "anonymous", kind, FOREIGN_ID
    )
    missing = _response(missing_status, location)
    verdict = judge(
        _FakeHarness(missing),  # type: ignore[arg-type]
        subject,
        route,
        method,
        _response(status, location),
    )
    assert (verdict is None) is ok, verdict


def test_declared_403_must_be_alike_for_a_missing_id() -> None:
    route = next(r for r in ID_ROUTES if (d := declared_for(r)) and d.allow_403 and not r.is_admin)
    subject = Subject("probe", "consultant", "outsider", FOREIGN_ID)
    alike = judge(_FakeHarness(_response(403)), subject, route, "GET", _response(403))  # type: ignore[arg-type]
    oracle = judge(_FakeHarness(_response(404)), subject, route, "GET", _response(403))  # type: ignore[arg-type]
    assert alike is None
    assert oracle and "reveals" in oracle
