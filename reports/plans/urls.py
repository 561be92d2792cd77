"""Sales plan pages, included by reports/urls.py under /reports/plans/ (namespace `reports`)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.PlanListView.as_view(), name="plan_list"),
    path("versions/<int:pk>/", views.PlanVersionView.as_view(), name="plan_version"),
    path("upload/", views.PlanUploadView.as_view(), name="plan_upload"),
    path("upload/<str:token>/", views.PlanPreviewView.as_view(), name="plan_preview"),
    path("upload/<str:token>/confirm/", views.PlanConfirmView.as_view(), name="plan_confirm"),
    path("upload/<str:token>/errors.csv", views.PlanErrorsCsvView.as_view(), name="plan_errors"),
    path("template.csv", views.PlanTemplateCsvView.as_view(), name="plan_template_csv"),
    path("template.xlsx", views.PlanTemplateXlsxView.as_view(), name="plan_template_xlsx"),
    path("split/", views.PlanSplitView.as_view(), name="plan_split"),
]
