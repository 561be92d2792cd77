from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from health_check.views import HealthCheckView

from . import views
from .accounts.language import set_language

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    # Browsers and the Django admin ask for /favicon.ico; the icon is the static SVG.
    path("favicon.ico", views.favicon),
    path("switch-dealer/", views.switch_dealer, name="switch_dealer"),
    path("", include("dms.security.two_factor_urls")),  # two-factor's URLs, our views
    # The switcher's URL (django.conf.urls.i18n's only route): Django's set_language, which
    # also stores the choice on the user.
    path("i18n/setlang/", set_language, name="set_language"),
    path("security/", include("dms.security.urls")),
    path("audit/", include("dms.audit.urls")),
    path("network/", include("dealers.urls")),
    path("sales/", include("leads.urls")),
    path("showroom/", include("sales.urls")),
    path("reports/", include("reports.urls")),
    path("api/", include("dms.api_urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Split view: the init script is a separate file, as CSP (script-src 'self') requires.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path(
        "health/",
        HealthCheckView.as_view(
            checks=["health_check.checks.Database", "health_check.checks.Cache"]
        ),
        name="health",
    ),
]
