"""Who may read and who may write each route: declared once, where the route is defined.

Every HTML route is registered with `route(..., access=Rule(read=..., write=...))` (a
`django.urls.path` with its declaration), every API view carries `access_rule = Rule(...)`. The gate here enforces the declaration
before the view runs (role limit → 403 for any id, before any object is looked up; anonymous →
login page), and tests/tenancy/test_role_matrix.py enumerates every route × every role and checks
the answers against it. A route without a declaration fails that test.

An audience (`Who`) is built from the role → capability table of dealers/roles.py, so what a role
may do is decided by its capabilities, never by its name. HQ roles read aggregates only: no
audience that opens a customer's personal data admits them (`staff=True`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase, HttpResponseNotAllowed
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from .roles import DEALER_ROLE_CAPS, HQ_ROLE_CAPS, Cap
from .selectors import Access, request_access
from .services import ABSENCE_MANAGE_CAPS, ABSENCE_VIEW_CAPS

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Who:
    """An audience: the users a route admits for reading or for writing.

    - `anonymous`: no login needed (login pages, health check);
    - `any_of`: at least one of these capabilities (empty: any signed-in user);
    - `staff`: the dealer's own staff only (a writable scope), never HQ: personal data and writes;
    - `dealer`: a current dealer is needed (staff, or HQ drilled into one dealer);
    - `hq`: HQ users only.
    """

    label: Any  # who they are, in the reader's language (lazy)
    any_of: frozenset[str] = field(default_factory=frozenset)
    anonymous: bool = False
    staff: bool = False
    dealer: bool = False
    hq: bool = False

    def admits(self, access: Access, *, authenticated: bool) -> bool:
        if self.anonymous:
            return True
        if not authenticated:
            return False
        if self.any_of and not any(access.can(cap) for cap in self.any_of):
            return False
        if self.staff and not access.writable:
            return False
        if self.hq and not access.is_hq:
            return False
        return not (self.dealer and access.dealer is None)

    def admits_role(self, role: str) -> bool:
        """Whether a user holding `role` (at a dealer, or in HQ drilled into a dealer) is
        admitted: the same rule as `admits`, read off the role table (for tests and docs)."""
        if self.anonymous:
            return True
        if role == "anonymous":
            return False
        is_hq = role in HQ_ROLE_CAPS
        caps = HQ_ROLE_CAPS[role] if is_hq else DEALER_ROLE_CAPS.get(role, frozenset())
        access = Access(
            user_id=1,
            role=role,
            capabilities=caps,
            writable=not is_hq,
            dealer_ids=(1,),
            dealer=_ANY_DEALER,  # type: ignore[arg-type]
        )
        return self.admits(access, authenticated=True)


class _AnyDealer:
    pk = 1


_ANY_DEALER = _AnyDealer()


def who(label: Any, *caps: str, **flags: bool) -> Who:
    return Who(label=label, any_of=frozenset(caps), **flags)


# --- the audiences (name them after who they are, so a declaration reads as a sentence) ---------
ANYONE = who(_("anyone, signed in or not"), anonymous=True)
SIGNED_IN = who(_("any signed-in user"))
SALES_STAFF = who(_("the dealer's sales staff"), Cap.SALES_OWN, staff=True)
SALES_MANAGERS = who(_("the dealer's sales managers"), Cap.SALES_ALL, staff=True)
SALES_APPROVERS = who(_("the dealer's approvers"), Cap.SALES_APPROVE, staff=True)
FUNNEL_READERS = who(
    _("sales managers and KPI readers of a dealer"), Cap.SALES_ALL, Cap.KPI_DEALER, dealer=True
)
KPI_DEALER_READERS = who(_("KPI readers of a dealer"), Cap.KPI_DEALER)
KPI_NETWORK_READERS = who(_("HQ KPI readers"), Cap.KPI_NETWORK, hq=True)
KPI_EXPORTERS = who(_("KPI readers"), Cap.KPI_DEALER, Cap.KPI_NETWORK)
PLAN_READERS = who(
    _("HQ and the dealers' plan splitters"), Cap.NETWORK_ADMIN, Cap.KPI_NETWORK, Cap.PLAN_SPLIT
)
PLAN_SPLITTERS = who(_("the dealer's plan splitters"), Cap.PLAN_SPLIT, staff=True, dealer=True)
NETWORK_ADMINS = who(_("HQ network admins"), Cap.NETWORK_ADMIN)
# Campaigns and promotions: HQ admins write them, regional managers follow them.
HQ_READERS = who(
    _("HQ network admins and regional managers"), Cap.NETWORK_ADMIN, Cap.KPI_NETWORK, hq=True
)
CAMPAIGN_READERS = HQ_READERS
# The promotions a dealer's quotes may take: its sales staff, and HQ drilled into the dealer.
PROMOTION_READERS = who(
    _("the dealer's sales staff and HQ"),
    Cap.SALES_OWN,
    Cap.KPI_NETWORK,
    Cap.NETWORK_ADMIN,
    dealer=True,
)
LABOUR_RATE_READERS = who(
    _("the dealer's managers, admins and workshop staff"),
    Cap.LABOUR_RATES,
    Cap.SERVICE,
    dealer=True,
)
LABOUR_RATE_SETTERS = who(
    _("the dealer's managers and admins"), Cap.LABOUR_RATES, staff=True, dealer=True
)
STAFF_READERS = who(
    _("the dealer's managers and admins"),
    Cap.STAFF_MANAGE,
    Cap.STAFF_DEPARTURE,
    Cap.SALES_ALL,
    Cap.NETWORK_ADMIN,
)
STAFF_MANAGERS = who(_("staff managers"), Cap.STAFF_MANAGE, Cap.NETWORK_ADMIN)
DEALER_STAFF_MANAGERS = who(
    _("the dealer's staff managers"), Cap.STAFF_MANAGE, staff=True, dealer=True
)
HANDOVER = who(
    _("the dealer's managers and admins who hand over customers"),
    Cap.STAFF_DEPARTURE,
    Cap.SALES_REASSIGN,
    staff=True,
    dealer=True,
)
DEPARTURES = who(
    _("the dealer's managers and admins who record departures"),
    Cap.STAFF_DEPARTURE,
    staff=True,
    dealer=True,
)
UNLOCKERS = who(_("colleagues with the unlock right"), Cap.UNLOCK, Cap.UNLOCK_ALONE)
SECURITY_ADMINS = who(_("security admins"), Cap.UNLOCK_ALONE)
AUDITORS = who(_("audit readers"), Cap.AUDIT_VIEW)
ABSENCE_READERS = who(_("absence readers"), *ABSENCE_VIEW_CAPS)
ABSENCE_MANAGERS = who(
    _("the dealer's absence managers"), *ABSENCE_MANAGE_CAPS, staff=True, dealer=True
)
# The HQ catalogue (vehicles, parts, labour): every dealer role and every HQ role reads it (each
# holds at least one capability); HQ network admins change it (inventory.services checks again).
CATALOGUE_READERS = who(
    _("the dealers' staff and HQ"),
    *sorted(set().union(*DEALER_ROLE_CAPS.values(), *HQ_ROLE_CAPS.values())),
)
CATALOGUE_EDITORS = who(_("HQ network admins"), Cap.NETWORK_ADMIN, hq=True)

# Parts stock (issue 15): the dealer's parts store, parts orders, transfers, counts.
# The parts store is read by its clerks, the workshop and the dealer's managers; only the
# dealer's parts clerks change it.
PARTS_READERS = who(
    _("the dealer's parts and workshop staff and managers"),
    Cap.PARTS,
    Cap.SERVICE,
    Cap.STOCK_APPROVE,
    dealer=True,
)
PARTS_CLERKS = who(_("the dealer's parts clerks"), Cap.PARTS, staff=True, dealer=True)
# A stock count: clerks count, the dealer's managers approve the differences.
STOCK_COUNT_READERS = who(
    _("the dealer's parts clerks and managers"), Cap.PARTS, Cap.STOCK_APPROVE, dealer=True
)
STOCK_COUNT_APPROVERS = who(_("the dealer's managers"), Cap.STOCK_APPROVE, staff=True, dealer=True)
# Counter sales name a customer: the dealer's own parts clerks only.
PARTS_SALES = PARTS_CLERKS
# HQ logistics / aftersales work the network's parts orders and vehicle allocation; HQ admins
# may look.
LOGISTICS = who(_("HQ logistics"), Cap.LOGISTICS, hq=True)
LOGISTICS_READERS = who(_("HQ logistics and admins"), Cap.LOGISTICS, Cap.NETWORK_ADMIN, hq=True)

# Parts orders to the importer (issue 15, item 7) and reorder suggestions (item 6).
# The dealer's orders (parts, quantities, backorder dates, at most a VIN: no customer) are read
# by the parts store's readers (the workshop follows its backorders); its parts clerks draft,
# send and receive them. HQ logistics confirms and ships every dealer's orders; admins may look.
PARTS_ORDER_READERS = PARTS_READERS
PARTS_ORDER_CLERKS = PARTS_CLERKS
PARTS_ORDER_HQ_READERS = LOGISTICS_READERS
PARTS_ORDER_HQ = LOGISTICS

# Bulletins (issue 14): every member of a dealer's staff reads their own inbox; HQ reads the list
# of bulletins and who acknowledged them (admins write them); a dealer's managers see their staff's.
BULLETIN_READERS = who(_("the dealer's staff"), staff=True, dealer=True)
BULLETIN_HQ = who(_("HQ admins and KPI readers"), Cap.NETWORK_ADMIN, Cap.KPI_NETWORK, hq=True)
BULLETIN_COMPLIANCE = who(
    _("HQ KPI readers and the dealer's managers"), Cap.KPI_NETWORK, Cap.KPI_DEALER, Cap.STAFF_MANAGE
)
# Attachments: any signed-in user reaches the view, which answers "not found" unless the
# bulletin reaches them (or they are HQ).
BULLETIN_ATTACHMENT_READERS = who(_("the bulletin's readers and HQ"))
BULLETIN_STAFF_STATUS = who(
    _("the dealer's managers"), Cap.KPI_DEALER, Cap.STAFF_MANAGE, staff=True, dealer=True
)

# Vehicle stock (issue 15): vehicles by VIN, HQ allocation, the dealer's stock and its ageing.
# HQ reads the vehicles, allocations and the network's stock ageing (counts, never a customer);
# HQ logistics loads, ships and allocates; a dealer's sales staff see their own stock (with ETA)
# and ask HQ for a configuration; its sales managers record arrivals and fleet use.
VEHICLE_HQ_READERS = who(
    _("HQ logistics, network admins and regional managers"),
    Cap.LOGISTICS,
    Cap.NETWORK_ADMIN,
    Cap.KPI_NETWORK,
    hq=True,
)
VEHICLE_ALLOCATORS = who(_("HQ logistics"), Cap.LOGISTICS, hq=True)
VEHICLE_LOADERS = who(
    _("HQ logistics and network admins"), Cap.LOGISTICS, Cap.NETWORK_ADMIN, hq=True
)
VEHICLE_STOCK_READERS = who(
    _("the dealer's sales staff and managers"), Cap.SALES_OWN, Cap.KPI_DEALER, staff=True
)
VEHICLE_STOCK_KEEPERS = who(_("the dealer's sales managers"), Cap.SALES_ALL, staff=True)
VEHICLE_REQUESTERS = who(_("the dealer's sales staff"), Cap.SALES_OWN, staff=True)
VEHICLE_AGEING_READERS = who(
    _("the dealer's sales managers and KPI readers"), Cap.SALES_ALL, Cap.KPI_DEALER, staff=True
)


@dataclass(frozen=True)
class Rule:
    """Who may read (GET, HEAD, OPTIONS) and who may write (every other method) a route.
    `write=None`: the route takes no writes (405)."""

    read: Who
    write: Who | None = None

    def audience(self, method: str) -> Who | None:
        return self.read if method.upper() in SAFE_METHODS else self.write

    def admits(self, access: Access, method: str, *, authenticated: bool) -> bool:
        audience = self.audience(method)
        return audience is not None and audience.admits(access, authenticated=authenticated)


RULE_ATTRIBUTE = "access_rule"
# A DRF viewset's extra actions may differ from its rule: {action name: Rule}.
ACTION_RULES_ATTRIBUTE = "action_access_rules"


def _api_rule(cls: Any, action: str | None) -> Rule | None:
    by_action = getattr(cls, ACTION_RULES_ATTRIBUTE, None) or {}
    return by_action.get(action) or getattr(cls, RULE_ATTRIBUTE, None)


def rule_of(callback: Any) -> Rule | None:
    """The declaration of a resolved route's callback (HTML gate or DRF view class)."""
    rule = getattr(callback, RULE_ATTRIBUTE, None)
    cls = getattr(callback, "cls", None)  # DRF: the APIView class carries it
    if rule is None and cls is not None:
        # A viewset route maps methods to actions; an extra action's own rule wins (as in
        # DeclaredAccess, which asks _api_rule for the action being run).
        actions = getattr(callback, "actions", None) or {}
        by_action = getattr(cls, ACTION_RULES_ATTRIBUTE, None) or {}
        action = next((a for a in actions.values() if a in by_action), None)
        rule = _api_rule(cls, action)
    return rule if isinstance(rule, Rule) else None


def gate(view: Callable[..., Any], rule: Rule) -> Callable[..., Any]:
    """Wrap an HTML view: anonymous users go to the login page, a role the rule does not admit
    gets 403 (before the view looks anything up), a method the route takes no writes for 405."""

    def refusal(request: HttpRequest) -> HttpResponseBase | None:
        audience = rule.audience(request.method or "GET")
        if audience is None:
            return HttpResponseNotAllowed(sorted(SAFE_METHODS))
        authenticated = request.user.is_authenticated
        if audience.admits(request_access(request), authenticated=authenticated):
            return None
        if not authenticated:
            return redirect_to_login(request.get_full_path())
        raise PermissionDenied(
            _("Your role may not open this page: it is for %(audience)s.")
            % {"audience": audience.label}
        )

    if iscoroutinefunction(view):  # e.g. the health check: stay async for Django's handler

        @wraps(view)
        async def guarded_async(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            return refusal(request) or await view(request, *args, **kwargs)

        setattr(guarded_async, RULE_ATTRIBUTE, rule)
        return guarded_async

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return refusal(request) or view(request, *args, **kwargs)

    setattr(guarded, RULE_ATTRIBUTE, rule)
    return guarded


def route(
    route_str: str,
    view: Callable[..., Any],
    *,
    access: Rule,
    name: str | None = None,
) -> URLPattern:
    """`django.urls.path` for a view, with who may read and who may write it."""
    guarded = gate(view, access)
    return path(route_str, guarded) if name is None else path(route_str, guarded, name=name)


class DeclaredAccess(BasePermission):
    """DRF: the view's `access_rule` decides (403 before any object is looked up; DRF answers
    401 to anonymous callers before this runs). A method the rule takes no writes for reaches
    DRF's own 405 when the view has no handler for it, else 403."""

    message = _("Your role may not do this.")

    def has_permission(self, request: Any, view: Any) -> bool:
        rule = _api_rule(view, getattr(view, "action", None))
        if not isinstance(rule, Rule):
            return False  # fail closed: an API view without a declaration answers nobody
        if rule.audience(request.method) is None and not hasattr(view, request.method.lower()):
            return True  # DRF answers 405
        return rule.admits(
            request_access(request), request.method, authenticated=request.user.is_authenticated
        )
