"""Network pages (mounted at /network/): the current dealer's staff and absences, departures, and
HQ's network administration. Who may read and write each is declared here (dealers.access)."""

from django.urls import include, path

from . import views
from .access import (
    ABSENCE_MANAGERS,
    ABSENCE_READERS,
    DEALER_STAFF_MANAGERS,
    NETWORK_ADMINS,
    STAFF_MANAGERS,
    STAFF_READERS,
    Rule,
    route,
)

app_name = "dealers"
ADMINS = Rule(read=NETWORK_ADMINS, write=NETWORK_ADMINS)
urlpatterns = [
    # the current dealer: staff directory (names, usernames, e-mails: managers and admins only)
    route(
        "staff/", views.StaffListView.as_view(), name="staff-list", access=Rule(read=STAFF_READERS)
    ),
    route(
        "staff/new/",
        views.StaffAddView.as_view(),
        name="staff-add",
        access=Rule(read=DEALER_STAFF_MANAGERS, write=DEALER_STAFF_MANAGERS),
    ),
    route(
        "staff/<int:pk>/edit/",
        views.MembershipEditView.as_view(),
        name="membership-edit",
        access=Rule(read=STAFF_MANAGERS, write=STAFF_MANAGERS),
    ),
    route(
        "absences/",
        views.AbsenceListView.as_view(),
        name="absence-list",
        access=Rule(read=ABSENCE_READERS),
    ),
    route(
        "absences/new/",
        views.AbsenceCreateView.as_view(),
        name="absence-add",
        access=Rule(read=ABSENCE_MANAGERS, write=ABSENCE_MANAGERS),
    ),
    route(
        "absences/<int:pk>/edit/",
        views.AbsenceUpdateView.as_view(),
        name="absence-edit",
        access=Rule(read=ABSENCE_MANAGERS, write=ABSENCE_MANAGERS),
    ),
    route(
        "absences/<int:pk>/delete/",
        views.AbsenceDeleteView.as_view(),
        name="absence-delete",
        access=Rule(read=ABSENCE_MANAGERS, write=ABSENCE_MANAGERS),
    ),
    # departures, reassignment wizard, temporary cover (declared in handover/urls.py)
    path("handover/", include("dealers.handover.urls")),
    # HQ network administration
    route("regions/", views.RegionListView.as_view(), name="region-list", access=ADMINS),
    route("regions/new/", views.RegionFormView.as_view(), name="region-add", access=ADMINS),
    route(
        "regions/<int:pk>/edit/", views.RegionFormView.as_view(), name="region-edit", access=ADMINS
    ),
    route("dealers/", views.DealerListView.as_view(), name="dealer-list", access=ADMINS),
    route("dealers/new/", views.DealerFormView.as_view(), name="dealer-add", access=ADMINS),
    route(
        "dealers/<int:pk>/edit/", views.DealerFormView.as_view(), name="dealer-edit", access=ADMINS
    ),
    route("users/", views.UserListView.as_view(), name="user-list", access=ADMINS),
    route("users/new/", views.UserCreateView.as_view(), name="user-add", access=ADMINS),
    route("users/<int:pk>/", views.UserDetailView.as_view(), name="user-detail", access=ADMINS),
]
