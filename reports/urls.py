from django.urls import include, path

app_name = "reports"

urlpatterns = [
    path("plans/", include("reports.plans.urls")),
    path("exports/", include("reports.exports.urls")),
    path("promotions/", include("reports.promotions.urls")),
    path("", include("reports.dashboards.urls")),
]
