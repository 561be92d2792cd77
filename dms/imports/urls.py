"""Import pages under /imports/ (HQ network admins): upload, job (progress, dry run, errors,
apply), errors download, progress for the bar."""

from dealers.access import NETWORK_ADMINS, Rule, route

from . import views

app_name = "imports"
HQ = Rule(read=NETWORK_ADMINS, write=NETWORK_ADMINS)
urlpatterns = [
    route("", views.import_list, name="list", access=HQ),
    route("<int:pk>/", views.import_job, name="job", access=Rule(read=NETWORK_ADMINS)),
    route(
        "<int:pk>/progress/", views.job_progress, name="progress", access=Rule(read=NETWORK_ADMINS)
    ),
    route("<int:pk>/errors.csv", views.job_errors, name="errors", access=Rule(read=NETWORK_ADMINS)),
    route(
        "<int:pk>/errors.xlsx",
        views.job_errors_xlsx,
        name="errors_xlsx",
        access=Rule(read=NETWORK_ADMINS),
    ),
    route(
        "<int:pk>/apply/",
        views.job_apply,
        name="apply",
        access=Rule(read=NETWORK_ADMINS, write=NETWORK_ADMINS),
    ),
    route(
        "<int:pk>/cancel/",
        views.job_cancel,
        name="cancel",
        access=Rule(read=NETWORK_ADMINS, write=NETWORK_ADMINS),
    ),
]
