from dealers.access import DEPARTURES, HANDOVER, Rule, route

from . import views

app_name = "handover"
HAND = Rule(read=HANDOVER, write=HANDOVER)
urlpatterns = [
    route("", views.HandoverHomeView.as_view(), name="home", access=HAND),
    route(
        "staff/<int:pk>/leave/",
        views.DepartureView.as_view(),
        name="leave",
        access=Rule(read=DEPARTURES, write=DEPARTURES),
    ),
    route("staff/<int:pk>/", views.WizardView.as_view(), name="wizard", access=HAND),
    route("batches/<int:pk>/", views.BatchView.as_view(), name="batch", access=HAND),
    route(
        "batches/<int:pk>/apply/", views.BatchApplyView.as_view(), name="batch-apply", access=HAND
    ),
    route(
        "batches/<int:pk>/discard/",
        views.BatchDiscardView.as_view(),
        name="batch-discard",
        access=HAND,
    ),
    route("cover/new/", views.CoverCreateView.as_view(), name="cover-add", access=HAND),
    route("cover/<int:pk>/end/", views.CoverEndView.as_view(), name="cover-end", access=HAND),
]
