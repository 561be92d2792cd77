"""The site's URLs. Every route declares who may read and who may write it (dealers.access.route;
API views carry `access_rule`); tests/tenancy/test_role_matrix.py checks every route against it. The
admin site keeps its own gate (dms.admin.HqAdminSite: HQ admins with a second factor)."""

from django.contrib import admin
from django.urls import include, path
from health_check.views import HealthCheckView

from dealers.access import ANYONE, SIGNED_IN, Rule, route
from leads import urls as leads_urls
from reports.funnel import urls as funnel_urls

from . import views
from .accounts.language import set_language
from .api.views import SchemaDocsView, SchemaView

urlpatterns = [
    route("", views.dashboard, name="dashboard", access=Rule(read=SIGNED_IN)),
    # Browsers and the Django admin ask for /favicon.ico; the icon is the static SVG.
    route("favicon.ico", views.favicon, access=Rule(read=ANYONE)),
    route(
        "switch-dealer/",
        views.switch_dealer,
        name="switch_dealer",
        access=Rule(read=SIGNED_IN, write=SIGNED_IN),
    ),
    path("", include("dms.security.two_factor_urls")),  # two-factor's URLs, our views
    # The switcher's URL (django.conf.urls.i18n's only route): Django's set_language, which
    # also stores the choice on the user. Open to all: the login page has the switcher too.
    route(
        "i18n/setlang/", set_language, name="set_language", access=Rule(read=ANYONE, write=ANYONE)
    ),
    path("security/", include("dms.security.urls")),
    path("audit/", include("dms.audit.urls")),
    path("imports/", include("dms.imports.urls")),
    path("network/", include("dealers.urls")),
    # The sales area: the leads pages and the funnel page (its figures come from the KPI facts,
    # so it lives in reports/, which leads/ does not import), in one namespace: leads:funnel.
    path(
        "sales/", include((leads_urls.urlpatterns + funnel_urls.urlpatterns, leads_urls.app_name))
    ),
    path("showroom/", include("sales.urls")),
    path("reports/", include("reports.urls")),
    path("campaigns/", include("bulletins.campaign_urls")),
    path("promotions/", include("bulletins.promotion_urls")),
    path("inventory/", include("inventory.urls")),
    path("prices/", include("bulletins.pricing_urls")),
    path("bulletins/", include("bulletins.urls")),
    path("api/", include("dms.api_urls")),
    path("admin/", admin.site.urls),
    # The API's description and docs: signed-in users (DRF views carrying their declaration).
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    # Split view: the init script is a separate file, as CSP (script-src 'self') requires.
    path("api/docs/", SchemaDocsView.as_view(url_name="api-schema"), name="api-docs"),
    route(
        "health/",
        HealthCheckView.as_view(
            checks=["health_check.checks.Database", "health_check.checks.Cache"]
        ),
        name="health",
        access=Rule(read=ANYONE),
    ),
]

# A URL no route matches: JSON under /api/, the styled page elsewhere.
handler404 = "dms.views.not_found"
