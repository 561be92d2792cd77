"""Routes of the catalogue pages (mounted under /inventory/catalogue/, names
`inventory:catalogue-*`). Every dealer user and HQ reads; HQ network admins write."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern

from dealers.access import CATALOGUE_EDITORS, CATALOGUE_READERS, Rule, route

from ..models import Colour, LabourGrade, LabourOperation, Option, Part, PartGroup, VehicleModel
from . import views

READ = Rule(read=CATALOGUE_READERS)
EDIT = Rule(read=CATALOGUE_EDITORS, write=CATALOGUE_EDITORS)
HQ_READ = Rule(read=CATALOGUE_EDITORS)


def _history(prefix: str, name: str, model: type, back: str = "") -> URLPattern:
    view: Any = type(
        f"{model.__name__}HistoryView",
        (views.HistoryView,),
        {"model": model, "section": name, "back_url_name": back},
    )
    return route(
        f"{prefix}<int:pk>/history/",
        view.as_view(),
        name=f"catalogue-{name}-history",
        access=READ,
    )


urlpatterns = [
    # parts
    route("parts/", views.PartListView.as_view(), name="catalogue-parts", access=READ),
    route("parts/new/", views.PartFormView.as_view(), name="catalogue-part-add", access=EDIT),
    route("parts/<int:pk>/", views.PartDetailView.as_view(), name="catalogue-part", access=READ),
    route(
        "parts/<int:pk>/edit/",
        views.PartFormView.as_view(),
        name="catalogue-part-edit",
        access=EDIT,
    ),
    route(
        "parts/<int:pk>/replace/",
        views.PartReplaceView.as_view(),
        name="catalogue-part-replace",
        access=EDIT,
    ),
    _history("parts/", "part", Part, "inventory:catalogue-part"),
    route(
        "part-groups/",
        views.PartGroupListView.as_view(),
        name="catalogue-part-groups",
        access=READ,
    ),
    route(
        "part-groups/new/",
        views.PartGroupFormView.as_view(),
        name="catalogue-part-group-add",
        access=EDIT,
    ),
    route(
        "part-groups/<int:pk>/edit/",
        views.PartGroupFormView.as_view(),
        name="catalogue-part-group-edit",
        access=EDIT,
    ),
    _history("part-groups/", "part-group", PartGroup),
    # labour
    route("labour/", views.LabourListView.as_view(), name="catalogue-labour-list", access=READ),
    route("labour/new/", views.LabourFormView.as_view(), name="catalogue-labour-add", access=EDIT),
    route(
        "labour/<int:pk>/",
        views.LabourDetailView.as_view(),
        name="catalogue-labour",
        access=READ,
    ),
    route(
        "labour/<int:pk>/edit/",
        views.LabourFormView.as_view(),
        name="catalogue-labour-edit",
        access=EDIT,
    ),
    _history("labour/", "labour", LabourOperation, "inventory:catalogue-labour"),
    route(
        "labour-grades/",
        views.LabourGradeListView.as_view(),
        name="catalogue-labour-grades",
        access=READ,
    ),
    route(
        "labour-grades/new/",
        views.LabourGradeFormView.as_view(),
        name="catalogue-labour-grade-add",
        access=EDIT,
    ),
    route(
        "labour-grades/<int:pk>/edit/",
        views.LabourGradeFormView.as_view(),
        name="catalogue-labour-grade-edit",
        access=EDIT,
    ),
    _history("labour-grades/", "labour-grade", LabourGrade),
    # vehicles
    route("vehicles/", views.VehicleListView.as_view(), name="catalogue-vehicles", access=READ),
    route(
        "vehicles/new/",
        views.VehicleFormView.as_view(),
        name="catalogue-vehicle-add",
        access=EDIT,
    ),
    route(
        "vehicles/<int:pk>/",
        views.VehicleDetailView.as_view(),
        name="catalogue-vehicle",
        access=READ,
    ),
    route(
        "vehicles/<int:pk>/edit/",
        views.VehicleFormView.as_view(),
        name="catalogue-vehicle-edit",
        access=EDIT,
    ),
    _history("vehicles/", "vehicle", VehicleModel, "inventory:catalogue-vehicle"),
    route("trims/new/", views.TrimFormView.as_view(), name="catalogue-trim-add", access=EDIT),
    route(
        "trims/<int:pk>/edit/",
        views.TrimFormView.as_view(),
        name="catalogue-trim-edit",
        access=EDIT,
    ),
    route("colours/", views.ColourListView.as_view(), name="catalogue-colours", access=READ),
    route("colours/new/", views.ColourFormView.as_view(), name="catalogue-colour-add", access=EDIT),
    route(
        "colours/<int:pk>/edit/",
        views.ColourFormView.as_view(),
        name="catalogue-colour-edit",
        access=EDIT,
    ),
    _history("colours/", "colour", Colour),
    route("options/", views.OptionListView.as_view(), name="catalogue-options", access=READ),
    route("options/new/", views.OptionFormView.as_view(), name="catalogue-option-add", access=EDIT),
    route(
        "options/<int:pk>/edit/",
        views.OptionFormView.as_view(),
        name="catalogue-option-edit",
        access=EDIT,
    ),
    _history("options/", "option", Option),
    # HQ: the newest changes across the catalogue
    route("changes/", views.RecentChangesView.as_view(), name="catalogue-changes", access=HQ_READ),
]
