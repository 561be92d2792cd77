"""The access declarations, checked route by route and role by role at the SAME dealer.

Every route of the project (enumerated from the resolver, as in test_access_matrix.py) declares
who may read and who may write it (dealers.access: `route(..., access=Rule(...))` for pages,
`access_rule` on API views). For every route × every role at dealer A (own and colleagues'
objects: the world's LOCAL_ID rows of A, made by A's consultant) and for both HQ roles (drilled
into A), by GET and by each write method the route has:

- a role the declaration does not admit gets 403 (401/403 or the login page when anonymous),
  and the database is unchanged;
- an admitted role reaches the view: no 403, no server error, and no detour to the login, the
  second factor or the password page (the positive control: a gate that turned everybody away,
  or sent every user to the password page first, fails here);
- every route with a GET has an admitted role for which the page answers 2xx (or a redirect that
  is not a refusal) on A's own objects.

Admitted writes run inside a transaction that is rolled back, so they cannot disturb the world.
A route without a declaration fails `test_every_route_declares_its_access`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse

from dealers.access import SAFE_METHODS, Rule, rule_of
from dealers.roles import DealerRole

from .clients import Clients, quiet_clients
from .conftest import Snapshot
from .routes import Route, enumerate_routes
from .world import LOCAL_ID, World

ROLES = [*DealerRole.values, "hq_regional_manager", "hq_admin", "hq_logistics", "anonymous"]
ROUTES = [r for r in enumerate_routes() if not r.is_admin]
# api/x/<pk>.<format> runs the same view and declaration as api/x/<pk>/.
CHECKED = [r for r in ROUTES if "format" not in r.kwargs]

# Where no own-object GET can answer 2xx in this world, and why (checked by
# test_every_get_route_answers_an_admitted_role). Keep the reasons specific.
NO_OWN_PAGE: dict[str, str] = {
    "security/locked/<user_id>/unlock/": "POST only (405 for GET): the unlock form posts here",
    "security/locked/<user_id>/approve/": "POST only (405 for GET)",
    "reports/plans/versions/<pk>/": "plan versions are HQ rows the world does not make (404)",
    "reports/plans/upload/<token>/": "a staged upload lives in the uploader's session only",
    "reports/plans/upload/<token>/errors.csv": "a staged upload lives in the uploader's session",
    "reports/plans/upload/<token>/errors.xlsx": "a staged upload lives in the uploader's session",
    "prices/versions/<pk>/": "price-list versions are HQ rows the world does not make (404); "
    "tests/bulletins/test_price_pages.py opens them",
    "prices/versions/<pk>/diff/": "price-list versions are HQ rows the world does not make",
    "prices/versions/<pk>/publish/": "price-list versions are HQ rows the world does not make",
    "prices/versions/<pk>/withdraw/": "price-list versions are HQ rows the world does not make",
    "reports/exports/jobs/<pk>/": "export jobs are made by HQ's export page, not by the world",
    "campaigns/<pk>/": "technical campaigns are HQ rows the world does not make (404)",
    "promotions/<pk>/": "promotions are HQ rows the world does not make (404)",
    "reports/promotions/<pk>/uptake/": "promotions are HQ rows the world does not make (404); "
    "tests/reports/test_promotion_uptake.py covers it",
    "reports/exports/jobs/<pk>/download/": "export jobs are made by HQ's export page",
    "api/catalogue/parts/current/": "needs ?numbers= (the part numbers to resolve): 400 "
    "without it; tests/inventory/test_catalogue_api.py covers it",
    "api/parts-stock/lookup/": "needs ?number= (the part number to find): 400 without it; "
    "tests/inventory/test_stock_api.py covers it",
    "bulletins/<pk>/": "bulletins are HQ rows the world does not make (404); tests/bulletins",
    "bulletins/<pk>/compliance/": "bulletins are HQ rows the world does not make (404)",
    "bulletins/<pk>/compliance.<file_format>": "bulletins are HQ rows the world does not make",
    "api/bulletin-compliance/<pk>/": "bulletins are HQ rows the world does not make (404)",
    "api/bulletins/<pk>/": "bulletins are HQ rows the world does not make (404); tests/bulletins",
    "bulletins/<pk>/files/<attachment_pk>/": "bulletins are HQ rows the world does not make",
    "bulletins/hq/<pk>/": "bulletins are HQ rows the world does not make (404)",
    "bulletins/hq/<pk>/edit/": "bulletins are HQ rows the world does not make (404)",
    "bulletins/hq/<pk>/revise/": "bulletins are HQ rows the world does not make (404)",
    "imports/<pk>/": "import jobs are made by HQ's upload page, not by the world",
    "imports/<pk>/progress/": "import jobs are made by HQ's upload page",
    "imports/<pk>/errors.csv": "import jobs are made by HQ's upload page",
    "imports/<pk>/errors.xlsx": "import jobs are made by HQ's upload page",
    "account/two_factor/qrcode/": "answers only inside the set-up wizard (its secret is in the "
    "wizard's session); tests/security covers the wizard",
}


def _write_methods(route: Route) -> list[str]:
    implemented = route.implemented_methods()
    if implemented is None:
        return ["POST"]
    return [m for m in ("POST", "PUT", "PATCH", "DELETE") if m in implemented]


def _cases() -> list[Any]:
    cases = []
    for route in CHECKED:
        for role in ROLES:
            for method in ["GET", *_write_methods(route)]:
                cases.append(
                    pytest.param(route, role, method, id=f"{route.display}|{role}|{method}")
                )
    return cases


@pytest.fixture(scope="module")
def clients(committed_world: World) -> Iterator[Clients]:
    with quiet_clients(committed_world) as clients:
        yield clients


def _call(client: Client, route: Route, method: str, url: str) -> Any:
    if route.is_api and route.name != "api-docs":  # the docs page is HTML
        body = b"" if method in ("GET", "DELETE") else b"{}"
        return client.generic(
            method, url, data=body, content_type="application/json", HTTP_ACCEPT="application/json"
        )
    if method == "GET":
        return client.get(url)
    return client.generic(method, url, data=b"", content_type="application/x-www-form-urlencoded")


def _path(response: Any) -> str:
    return urlparse(response.get("Location", "")).path


def _refusal_redirect(response: Any) -> str | None:
    """A redirect that turns the user away before the view (login, second factor, password)."""
    if response.status_code not in (301, 302, 303, 307, 308):
        return None
    refusals = {
        resolve_url(settings.LOGIN_URL): "the login page",
        reverse("security:verify"): "the second-factor check",
        reverse("security:password_change"): "the password change",
        reverse("two_factor:setup"): "the second-factor set-up",
    }
    return refusals.get(_path(response))


def _rule(route: Route) -> Rule:
    rule = rule_of(route.callback)
    assert rule is not None, f"{route.display} ({route.view_name}) declares no access"
    return rule


@pytest.mark.parametrize(("route", "role", "method"), _cases())
def test_role_gets_what_the_declaration_says(
    world_db: World, clients: Clients, snapshot: Snapshot, route: Route, role: str, method: str
) -> None:
    rule = _rule(route)
    url, why = route.build(LOCAL_ID)
    assert url is not None, f"cannot build {route.display}: {why}"
    audience = rule.audience(method)
    admitted = audience is not None and audience.admits_role(role)
    client = clients.get(role)
    if admitted:
        # Reaches the view; whatever it writes is rolled back.
        with transaction.atomic():
            response = _call(client, route, method, url)
            transaction.set_rollback(True)
        status = response.status_code
        assert status < 500, f"{method} {url} as {role}: server error {status}"
        assert status != 403, (
            f"{method} {url} as {role}: 403, but the declaration admits this role "
            f"({audience.label if audience else '-'}): the view refuses what the route declares"
        )
        if route.is_api and role != "anonymous":
            assert status != 401, f"{method} {url} as {role}: 401"
        detour = _refusal_redirect(response)
        logged_out = route.name == "security:logout" and method == "POST"  # its very job
        assert (
            detour is None or logged_out or (role == "anonymous" and detour == "the login page")
        ), f"{method} {url} as {role}: sent to {detour} instead of the view"
        return
    before = snapshot.take()
    response = _call(client, route, method, url)
    changes = Snapshot.diff(before, snapshot.take())
    assert not changes, f"{method} {url} as {role} (refused) changed the database: {changes}"
    status = response.status_code
    if audience is None:
        assert status == 405, f"{method} {url}: the route takes no {method}, got {status}"
    elif role == "anonymous":
        login = _refusal_redirect(response) == "the login page"
        assert login or (route.is_api and status in (401, 403)), (
            f"{method} {url} anonymous: expected the login page (401/403 from the API), "
            f"got {status}"
        )
    else:
        assert status == 403, (
            f"{method} {url} as {role}: expected 403 (the declaration admits "
            f"{audience.label}), got {status}"
        )


def _best_reader(rule: Rule) -> str | None:
    """The role to prove a route's page with: the widest reader of A's objects first (the
    world's rows belong to no consultant in particular)."""
    for role in ["sales_manager", "dealer_admin", "hq_admin", *ROLES]:
        if role != "anonymous" and rule.read.admits_role(role):
            return role
    return "anonymous" if rule.read.anonymous else None


@pytest.mark.parametrize("route", [pytest.param(r, id=r.display) for r in CHECKED])
def test_every_get_route_answers_an_admitted_role(
    world_db: World, clients: Clients, route: Route
) -> None:
    implemented = route.implemented_methods()
    if implemented is not None and "GET" not in implemented or route.display in NO_OWN_PAGE:
        pytest.skip(NO_OWN_PAGE.get(route.display, "no GET handler: POST-only route"))
    rule = _rule(route)
    role = _best_reader(rule)
    assert role is not None, f"{route.display}: no role may read it"
    url, _why = route.build(LOCAL_ID)
    assert url is not None
    with transaction.atomic():
        response = _call(clients.get(role), route, "GET", url)
        transaction.set_rollback(True)
    status = response.status_code
    ok = 200 <= status < 300 or (300 <= status < 400 and _refusal_redirect(response) is None)
    assert ok, f"GET {url} as {role} (admitted): {status} {response.get('Location', '')}"


def test_every_route_declares_its_access() -> None:
    undeclared = sorted(
        f"{r.display} ({r.view_name})" for r in ROUTES if rule_of(r.callback) is None
    )
    assert not undeclared, "routes without an access declaration: " + ", ".join(undeclared)


def test_hq_roles_are_admitted_to_no_personal_data_route() -> None:
    """Customers, leads, visits, quotes, orders, test drives: never HQ, by page or API."""
    personal = (
        "sales/customers",
        "sales/leads",
        "sales/visits",
        "showroom/",
        "api/customers",
        "api/leads",
        "api/visits",
        "api/quotes",
        "api/orders",
        "api/test-drives",
        "api/follow-ups",
        "sales/my-day",
        "sales/claims",
    )
    for route in ROUTES:
        if not route.display.startswith(personal):
            continue
        rule = _rule(route)
        for role in ("hq_regional_manager", "hq_admin"):
            for method in ("GET", "POST"):
                audience = rule.audience(method)
                assert audience is None or not audience.admits_role(role), (
                    f"{route.display} admits {role} for {method}"
                )


def test_the_gate_refuses_before_the_view_runs(world_db: World, clients: Clients) -> None:
    """The gate, not the view, answers: a refused role gets 403 even for an id that does not
    exist (no lookup happened), and the admitted owner gets the page."""
    url = reverse("sales:quote_detail", args=[LOCAL_ID])
    missing = reverse("sales:quote_detail", args=[987_654_999])
    assert clients.get("hq_regional_manager").get(url).status_code == 403
    assert clients.get("hq_regional_manager").get(missing).status_code == 403
    assert clients.get("technician").get(url).status_code == 403
    assert clients.get("sales_manager").get(url).status_code == 200
    assert {"GET", "HEAD", "OPTIONS"} == SAFE_METHODS
