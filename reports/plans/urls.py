"""Sales plan pages, included by reports/urls.py under /reports/plans/ (namespace `reports`)."""

from dealers.access import NETWORK_ADMINS, PLAN_READERS, PLAN_SPLITTERS, Rule, route

from . import views

ADMINS = Rule(read=NETWORK_ADMINS, write=NETWORK_ADMINS)
urlpatterns = [
    route("", views.PlanListView.as_view(), name="plan_list", access=Rule(read=PLAN_READERS)),
    route(
        "versions/<int:pk>/",
        views.PlanVersionView.as_view(),
        name="plan_version",
        access=Rule(read=PLAN_READERS),
    ),
    route("upload/", views.PlanUploadView.as_view(), name="plan_upload", access=ADMINS),
    route(
        "upload/<str:token>/", views.PlanPreviewView.as_view(), name="plan_preview", access=ADMINS
    ),
    route(
        "upload/<str:token>/confirm/",
        views.PlanConfirmView.as_view(),
        name="plan_confirm",
        access=ADMINS,
    ),
    route(
        "upload/<str:token>/errors.csv",
        views.PlanErrorsCsvView.as_view(),
        name="plan_errors",
        access=ADMINS,
    ),
    route(
        "upload/<str:token>/errors.xlsx",
        views.PlanErrorsCsvView.as_view(file_format="xlsx"),
        name="plan_errors_xlsx",
        access=ADMINS,
    ),
    route(
        "template.csv", views.PlanTemplateCsvView.as_view(), name="plan_template_csv", access=ADMINS
    ),
    route(
        "template.xlsx",
        views.PlanTemplateXlsxView.as_view(),
        name="plan_template_xlsx",
        access=ADMINS,
    ),
    route(
        "split/",
        views.PlanSplitView.as_view(),
        name="plan_split",
        access=Rule(read=PLAN_SPLITTERS, write=PLAN_SPLITTERS),
    ),
]
