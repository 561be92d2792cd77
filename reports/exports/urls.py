"""KPI exports, included by reports/urls.py under /reports/exports/ (namespace `reports`)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.ExportListView.as_view(), name="export_list"),
    path(
        "dealers/<int:dealer_id>/kpi-pack.pdf",
        views.DealerPdfView.as_view(),
        name="export_kpi_pdf",
    ),
    path("dealers/<int:dealer_id>/csv/", views.DealerCsvView.as_view(), name="export_dealer_csv"),
    path("network.csv", views.NetworkCsvView.as_view(), name="export_network_csv"),
    path("jobs/", views.JobStartView.as_view(), name="export_job_start"),
    path("jobs/<int:pk>/", views.JobStatusView.as_view(), name="export_job"),
    path("jobs/<int:pk>/download/", views.JobDownloadView.as_view(), name="export_job_download"),
    path("jobs/<int:pk>/restart/", views.JobRestartView.as_view(), name="export_job_restart"),
]
