from dealers.access import AUDITORS, Rule, route

from . import views

app_name = "audit"
urlpatterns = [
    route("", views.AuditLogView.as_view(), name="log", access=Rule(read=AUDITORS)),
    route("export.csv", views.AuditExportView.as_view(), name="export", access=Rule(read=AUDITORS)),
    route(
        "export.xlsx",
        views.AuditExportView.as_view(file_format="xlsx"),
        name="export_xlsx",
        access=Rule(read=AUDITORS),
    ),
]
