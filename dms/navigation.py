"""The main navigation, declared once and filtered by role.

Every menu entry is one `NavItem` below: its label, the URL name it opens, the capabilities
(dealers.roles.Cap) that show it, whether it belongs to dealer staff or HQ, and whether the module
is still to come. `navigation_for(access)` turns the declaration into what one user sees, and the
template context processor `navigation` hands it to base.html.

To add a module: append (or un-flag) its entry here; a test checks that every entry that is not
"coming soon" resolves to a URL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, resolve, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from dealers.access import Who, rule_of
from dealers.roles import Cap
from dealers.services import ABSENCE_VIEW_CAPS


class Audience(Enum):
    DEALER = "dealer"  # dealer staff working inside their dealer
    HQ = "hq"  # importer staff
    ANY = "any"


@dataclass(frozen=True)
class NavSection:
    key: str
    label: Any  # lazy translation


@dataclass(frozen=True)
class NavItem:
    key: str
    label: Any  # lazy translation
    section: str
    url_name: str
    capabilities: tuple[str, ...]  # any one of them shows the entry
    audience: Audience = Audience.ANY
    icon: str = "circle"  # Bootstrap Icons name, without the "bi-" prefix
    coming_soon: bool = False
    coming_text: Any = ""  # what the module will do (tooltip of a disabled entry)
    badge: str = ""  # a per-user count shown on the entry: the key of a registered provider

    def visible_to(self, access: Any) -> bool:
        if self.audience is Audience.DEALER and (access.is_hq or access.membership is None):
            return False
        if self.audience is Audience.HQ and not access.is_hq:
            return False
        if not any(access.can(cap) for cap in self.capabilities):
            return False
        # Never a link the route's own declaration would refuse (a 403 behind a menu entry).
        audience = None if self.coming_soon else read_audience(self.url_name)
        return audience is None or audience.admits(access, authenticated=True)


SECTIONS: tuple[NavSection, ...] = (
    NavSection("home", _("Home")),
    NavSection("sales", _("Sales")),
    NavSection("management", _("Management")),
    NavSection("reports", _("Reports")),
    NavSection("service", _("Service")),
    NavSection("parts", _("Parts")),
    NavSection("network", _("Network")),
    NavSection("admin", _("Administration")),
)

ITEMS: tuple[NavItem, ...] = (
    NavItem(
        "dashboard",
        _("Dashboard"),
        "home",
        "dashboard",
        capabilities=(),
        icon="speedometer2",
    ),
    NavItem(
        "bulletins_inbox",
        _("Bulletins"),
        "home",
        "bulletins:inbox",
        # every dealer role holds one of these
        (Cap.SALES_OWN, Cap.SERVICE, Cap.PARTS, Cap.STAFF_MANAGE),
        Audience.DEALER,
        icon="megaphone",
        badge="bulletins",
    ),
    # --- sales: consultants (and managers, who also sell) --------------------------------------
    NavItem(
        "my_day",
        _("My day"),
        "sales",
        "leads:my_day",
        (Cap.SALES_OWN,),
        Audience.DEALER,
        icon="calendar-check",
    ),
    NavItem(
        "visitor_log",
        _("Visitor log"),
        "sales",
        "leads:visitor-log",
        (Cap.SALES_OWN,),
        Audience.DEALER,
        icon="door-open",
    ),
    NavItem(
        "customers",
        _("Customers"),
        "sales",
        "leads:customers",
        (Cap.SALES_OWN,),
        Audience.DEALER,
        icon="people",
    ),
    NavItem(
        "leads",
        _("Leads"),
        "sales",
        "leads:leads",
        (Cap.SALES_OWN,),
        Audience.DEALER,
        icon="funnel",
    ),
    NavItem(
        "test_drives",
        _("Test drives"),
        "sales",
        "sales:test_drives",
        (Cap.SALES_OWN,),
        Audience.DEALER,
        icon="car-front",
    ),
    NavItem(
        "quotes",
        _("Quotes"),
        "sales",
        "sales:quotes",
        (Cap.SALES_OWN,),
        Audience.DEALER,
        icon="file-earmark-text",
    ),
    NavItem(
        "orders",
        _("Orders"),
        "sales",
        "sales:orders",
        (Cap.SALES_OWN,),
        Audience.DEALER,
        icon="bag-check",
    ),
    NavItem(
        "vehicle_stock",
        _("Vehicle stock"),
        "sales",
        "inventory:stock-vehicles",
        (Cap.SALES_OWN, Cap.KPI_DEALER),
        Audience.DEALER,
        icon="car-front-fill",
    ),
    # --- management: sales and dealer managers --------------------------------------------------
    NavItem(
        "funnel",
        _("Funnel"),
        "management",
        "leads:funnel",
        (Cap.SALES_ALL,),
        Audience.DEALER,
        icon="bar-chart-steps",
    ),
    NavItem(
        "approvals",
        _("Approvals"),
        "management",
        "leads:approvals",
        (Cap.SALES_APPROVE,),
        Audience.DEALER,
        icon="check2-square",
    ),
    NavItem(
        "team",
        _("Team"),
        "management",
        "dealers:staff-list",
        (Cap.SALES_ALL, Cap.STAFF_MANAGE),
        Audience.DEALER,
        icon="person-badge",
    ),
    NavItem(
        "absences",
        _("Absences"),
        "management",
        "dealers:absence-list",
        ABSENCE_VIEW_CAPS,
        Audience.DEALER,
        icon="calendar-x",
    ),
    NavItem(
        "handover",
        _("Departures and handovers"),
        "management",
        "dealers:handover:home",
        (Cap.STAFF_DEPARTURE, Cap.SALES_REASSIGN),
        Audience.DEALER,
        icon="arrow-left-right",
    ),
    # --- reports: KPI dashboards, sales plans, exports ------------------------------------------
    NavItem(
        "kpi_dashboard",
        _("Sales performance"),
        "reports",
        "reports:kpi_dashboard",
        (Cap.KPI_DEALER,),
        Audience.DEALER,
        icon="graph-up-arrow",
    ),
    NavItem(
        "network_kpis",
        _("Network performance"),
        "reports",
        "reports:kpi_network",
        (Cap.KPI_NETWORK,),
        Audience.HQ,
        icon="globe2",
    ),
    NavItem(
        "vehicle_ageing",
        _("Vehicle stock ageing"),
        "reports",
        "inventory:stock-ageing",
        (Cap.SALES_ALL, Cap.KPI_DEALER),
        Audience.DEALER,
        icon="hourglass-split",
    ),
    NavItem(
        "vehicle_ageing_hq",
        _("Vehicle stock ageing"),
        "reports",
        "inventory:vehicle-ageing-hq",
        (Cap.LOGISTICS, Cap.NETWORK_ADMIN, Cap.KPI_NETWORK),
        Audience.HQ,
        icon="hourglass-split",
    ),
    NavItem(
        "plans",
        _("Sales plans"),
        "reports",
        "reports:plan_list",
        # as reports.plans.views.READ_CAPS: HQ, and the managers who split the dealer's plan
        (Cap.NETWORK_ADMIN, Cap.KPI_NETWORK, Cap.PLAN_SPLIT),
        icon="bullseye",
    ),
    NavItem(
        "exports",
        _("Exports"),
        "reports",
        "reports:export_list",
        # as reports.exports.selectors.can_export_dealer_kpis
        (Cap.KPI_DEALER, Cap.KPI_NETWORK),
        icon="download",
    ),
    # --- service and parts --------------------------------------------------------------------
    NavItem(
        "appointments",
        _("Appointments"),
        "service",
        "service:appointments",
        (Cap.SERVICE,),
        Audience.DEALER,
        icon="calendar-week",
        coming_soon=True,
        coming_text=_("Workshop appointments and capacity."),
    ),
    NavItem(
        "repair_orders",
        _("Repair orders"),
        "service",
        "service:repair_orders",
        (Cap.SERVICE,),
        Audience.DEALER,
        icon="wrench-adjustable",
        coming_soon=True,
        coming_text=_("Repair orders, technicians' jobs and vehicle (VIN) history."),
    ),
    NavItem(
        "catalogue",
        _("Catalogue"),
        "parts",
        "inventory:catalogue-parts",
        # parts clerks, the workshop and HQ; everyone may open it (inventory.catalogue.urls)
        (Cap.PARTS, Cap.SERVICE, Cap.NETWORK_ADMIN, Cap.KPI_NETWORK),
        icon="book",
    ),
    NavItem(
        "parts_stock",
        _("Parts stock"),
        "parts",
        "inventory:parts",
        # as inventory.stock.urls READ (dealers.access.PARTS_READERS)
        (Cap.PARTS, Cap.SERVICE, Cap.STOCK_APPROVE),
        Audience.DEALER,
        icon="box-seam",
    ),
    NavItem(
        "parts_orders",
        _("Parts orders"),
        "parts",
        "inventory:parts-orders",
        (Cap.PARTS,),
        Audience.DEALER,
        icon="truck",
    ),
    # --- prices: every dealer's staff look them up; managers set the labour rates ------------------
    NavItem(
        "prices",
        _("Prices"),
        "parts",
        "prices:lookup",
        (Cap.SALES_OWN, Cap.SERVICE, Cap.PARTS, Cap.LABOUR_RATES),
        Audience.DEALER,
        icon="tag",
    ),
    NavItem(
        "labour_rates",
        _("Labour rates"),
        "management",
        "prices:labour_rates",
        (Cap.LABOUR_RATES,),
        Audience.DEALER,
        icon="clock-history",
    ),
    # --- HQ -------------------------------------------------------------------------------------
    NavItem(
        "network_parts_orders",
        _("Parts orders"),
        "network",
        "inventory:parts-network-orders",
        (Cap.LOGISTICS,),
        Audience.HQ,
        icon="truck",
    ),
    NavItem(
        "dealers",
        _("Dealers"),
        "network",
        "dealers:dealer-list",
        (Cap.NETWORK_ADMIN,),
        Audience.HQ,
        icon="shop",
    ),
    NavItem(
        "regions",
        _("Regions"),
        "network",
        "dealers:region-list",
        (Cap.NETWORK_ADMIN,),
        Audience.HQ,
        icon="map",
    ),
    NavItem(
        "users",
        _("Users"),
        "network",
        "dealers:user-list",
        (Cap.NETWORK_ADMIN,),
        Audience.HQ,
        icon="people-fill",
    ),
    NavItem(
        "vehicles",
        _("Vehicles"),
        "network",
        "inventory:vehicles",
        (Cap.LOGISTICS, Cap.NETWORK_ADMIN, Cap.KPI_NETWORK),
        Audience.HQ,
        icon="car-front-fill",
    ),
    NavItem(
        "allocation",
        _("Allocation requests"),
        "network",
        "inventory:vehicle-requests-hq",
        (Cap.LOGISTICS, Cap.NETWORK_ADMIN, Cap.KPI_NETWORK),
        Audience.HQ,
        icon="truck",
    ),
    NavItem(
        "campaigns",
        _("Technical campaigns"),
        "network",
        "campaigns:list",
        (Cap.NETWORK_ADMIN, Cap.KPI_NETWORK),
        Audience.HQ,
        icon="exclamation-octagon",
    ),
    NavItem(
        "promotions",
        _("Promotions"),
        "network",
        "promotions:list",
        (Cap.NETWORK_ADMIN, Cap.KPI_NETWORK),
        Audience.HQ,
        icon="tags",
    ),
    NavItem(
        "price_lists",
        _("Price lists"),
        "network",
        "prices:lists",
        (Cap.NETWORK_ADMIN,),
        Audience.HQ,
        icon="cash-coin",
    ),
    NavItem(
        "bulletins",
        _("Bulletins"),
        "network",
        "bulletins:list",
        (Cap.NETWORK_ADMIN, Cap.KPI_NETWORK),
        Audience.HQ,
        icon="megaphone",
    ),
    NavItem(
        "imports",
        _("Imports"),
        "network",
        "imports:list",
        (Cap.NETWORK_ADMIN,),
        Audience.HQ,
        icon="file-earmark-arrow-up",
    ),
    # --- administration: dealer admins and HQ admins ----------------------------------------------
    NavItem(
        "security",
        _("Security"),
        "admin",
        "security:locked",
        # Admins unlock alone; colleagues with the unlock right approve (dual control) here too.
        (Cap.UNLOCK_ALONE, Cap.UNLOCK),
        icon="shield-lock",
    ),
    NavItem(
        "audit_log",
        _("Audit log"),
        "admin",
        "audit:log",
        (Cap.AUDIT_VIEW,),
        icon="journal-text",
    ),
)


@dataclass(frozen=True)
class VisibleItem:
    item: NavItem
    url: str  # "" for modules still to come
    active: bool

    @property
    def key(self) -> str:
        return self.item.key

    @property
    def label(self) -> Any:
        return self.item.label

    @property
    def icon(self) -> str:
        return self.item.icon

    @property
    def coming_soon(self) -> bool:
        return self.item.coming_soon

    @property
    def coming_text(self) -> Any:
        return self.item.coming_text


@dataclass(frozen=True)
class VisibleSection:
    section: NavSection
    items: tuple[VisibleItem, ...]

    @property
    def label(self) -> Any:
        return self.section.label

    @property
    def key(self) -> str:
        return self.section.key


def items_for(access: Any) -> list[NavItem]:
    """The entries one user may see, in declaration order. Users without any dealer or HQ role
    see nothing (not even the dashboard link: their landing page says who to contact)."""
    if not access.user_id or not (access.is_hq or access.membership is not None):
        return []
    return [item for item in ITEMS if not item.capabilities or item.visible_to(access)]


def _active_url(urls: list[str], current_path: str) -> str:
    """The entry the current page belongs to: the longest entry URL that prefixes the path
    (a customer's detail page keeps "Customers" lit); the dashboard only on itself."""
    matches = [
        u for u in urls if u and (current_path == u or (u != "/" and current_path.startswith(u)))
    ]
    return max(matches, key=len) if matches else ""


@lru_cache(maxsize=256)
def read_audience(url_name: str) -> Who | None:
    """Who may open the entry's page, as its route declares (dealers.access)."""
    rule = rule_of(resolve(reverse(url_name)).func)
    return rule.read if rule else None


@lru_cache(maxsize=256)
def _url(url_name: str, prefix: str, urlconf: str) -> str:
    return reverse(url_name, urlconf=urlconf)


def entry_url(item: NavItem) -> str:
    """The entry's URL, reversed once per URL configuration and script prefix (a reverse() per
    entry on every page was a visible part of the layout's cost); "" for modules to come."""
    if item.coming_soon:
        return ""
    # reverse() puts the script prefix in front; it is part of the key, so stays right per prefix.
    return _url(item.url_name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


def navigation_for(access: Any, current_path: str = "") -> list[VisibleSection]:
    visible = items_for(access)
    urls = {item.key: entry_url(item) for item in visible}
    active = _active_url(list(urls.values()), current_path)
    sections = []
    for section in SECTIONS:
        entries = tuple(
            VisibleItem(
                item=item, url=urls[item.key], active=bool(active) and urls[item.key] == active
            )
            for item in visible
            if item.section == section.key
        )
        if entries:
            sections.append(VisibleSection(section=section, items=entries))
    return sections


_SIDEBARS: dict[tuple[Any, ...], SafeString] = {}

# Per-user counts on menu entries (e.g. unread bulletins): {badge key: provider}. A provider takes
# the request and returns the badge's HTML ("" for none); apps above the core register theirs in
# AppConfig.ready. The menu itself is rendered once and cached (sidebar_html); the badge goes
# into its placeholder per request, so it costs the provider's one query and a string replace.
BADGES: dict[str, Callable[[HttpRequest], str]] = {}


def register_badge(key: str, provider: Callable[[HttpRequest], str]) -> None:
    BADGES[key] = provider


def badge_placeholder(key: str) -> str:
    return f"<!--nav-badge:{key}-->"


def with_badges(
    html: SafeString, sections: list[VisibleSection], request: HttpRequest
) -> SafeString:
    """The cached menu with each visible entry's badge filled in."""
    keys = [e.item.badge for s in sections for e in s.items if e.item.badge and e.url]
    for key in keys:
        provider = BADGES.get(key)
        badge = provider(request) if provider else ""
        html = SafeString(html.replace(badge_placeholder(key), badge_slot(key, badge)))
    return html


def badge_slot(key: str, badge: str, *, oob: bool = False) -> str:
    """The element holding an entry's badge: a page answering an htmx request may send it again
    with `oob=True` (hx-swap-oob) to refresh the count after a change."""
    swap = ' hx-swap-oob="true"' if oob else ""
    return f'<span id="nav-badge-{key}" class="ms-auto"{swap}>{badge}</span>'


def sidebar_html(sections: list[VisibleSection]) -> SafeString:
    """includes/sidebar.html for these sections, rendered once per distinct menu (entries, their
    URLs and the lit one) and language: it reads nothing else, and entries are declared in code,
    so a rendered menu never goes stale within a process."""
    key = (
        get_language(),
        tuple((s.key, tuple((e.key, e.url, e.active) for e in s.items)) for s in sections),
    )
    html = _SIDEBARS.get(key)
    if html is None:
        if len(_SIDEBARS) >= 1024:  # bounded: roles x lit entries x languages is far less
            _SIDEBARS.clear()
        html = _SIDEBARS[key] = SafeString(
            render_to_string("includes/sidebar.html", {"nav_sections": sections})
        )
    return html


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Template context processor: `nav_sections` (the menu), `nav_sidebar` (the menu rendered,
    see sidebar_html) and `header_regions` (a regional manager's regions for the top bar), each
    computed only when a template uses it."""
    from dealers.selectors import NO_ACCESS, regions_for

    def build() -> list[VisibleSection]:
        return navigation_for(getattr(request, "access", NO_ACCESS), request.path)

    sections = SimpleLazyObject(build)

    def sidebar() -> SafeString:
        html = sidebar_html(sections)  # type: ignore[arg-type]
        return with_badges(html, sections, request)  # type: ignore[arg-type]

    def regions() -> list[Any]:
        user = getattr(request, "user", None)
        if user is None or getattr(user, "hq_role", "") != "hq_regional_manager":
            return []
        return list(regions_for(user))

    return {
        "nav_sections": sections,
        "nav_sidebar": sidebar,
        "header_regions": SimpleLazyObject(regions),
    }
