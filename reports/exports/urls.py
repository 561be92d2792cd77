"""KPI exports, included by reports/urls.py under /reports/exports/ (namespace `reports`)."""

from dealers.access import KPI_EXPORTERS, KPI_NETWORK_READERS, Rule, route

from . import views

NETWORK = Rule(read=KPI_NETWORK_READERS, write=KPI_NETWORK_READERS)
urlpatterns = [
    route("", views.ExportListView.as_view(), name="export_list", access=Rule(read=KPI_EXPORTERS)),
    route(
        "dealers/<int:dealer_id>/kpi-pack.pdf",
        views.DealerPdfView.as_view(),
        name="export_kpi_pdf",
        access=Rule(read=KPI_EXPORTERS),
    ),
    route(
        "dealers/<int:dealer_id>/csv/",
        views.DealerCsvView.as_view(),
        name="export_dealer_csv",
        access=Rule(read=KPI_EXPORTERS),
    ),
    route(
        "dealers/<int:dealer_id>/xlsx/",
        views.DealerCsvView.as_view(file_format="xlsx"),
        name="export_dealer_xlsx",
        access=Rule(read=KPI_EXPORTERS),
    ),
    route("network.csv", views.NetworkCsvView.as_view(), name="export_network_csv", access=NETWORK),
    route(
        "network.xlsx",
        views.NetworkCsvView.as_view(file_format="xlsx"),
        name="export_network_xlsx",
        access=NETWORK,
    ),
    route("jobs/", views.JobStartView.as_view(), name="export_job_start", access=NETWORK),
    route("jobs/<int:pk>/", views.JobStatusView.as_view(), name="export_job", access=NETWORK),
    route(
        "jobs/<int:pk>/download/",
        views.JobDownloadView.as_view(),
        name="export_job_download",
        access=NETWORK,
    ),
    route(
        "jobs/<int:pk>/restart/",
        views.JobRestartView.as_view(),
        name="export_job_restart",
        access=NETWORK,
    ),
]
