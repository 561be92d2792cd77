from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from health_check.views import HealthCheckView
from two_factor.urls import urlpatterns as two_factor_urls

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("", include(two_factor_urls)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("security/", include("dms.security.urls")),
    path("audit/", include("dms.audit.urls")),
    path("network/", include("dealers.urls")),
    path("api/", include("dms.api_urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path(
        "health/",
        HealthCheckView.as_view(checks=["health_check.checks.Database", "health_check.checks.Cache"]),
        name="health",
    ),
]
