from django.urls import include, path

from . import views

app_name = "dealers"
urlpatterns = [
    # the current dealer: staff directory and absences
    path("staff/", views.StaffListView.as_view(), name="staff-list"),
    path("staff/new/", views.StaffAddView.as_view(), name="staff-add"),
    path("staff/<int:pk>/edit/", views.MembershipEditView.as_view(), name="membership-edit"),
    path("absences/", views.AbsenceListView.as_view(), name="absence-list"),
    path("absences/new/", views.AbsenceCreateView.as_view(), name="absence-add"),
    path("absences/<int:pk>/edit/", views.AbsenceUpdateView.as_view(), name="absence-edit"),
    path("absences/<int:pk>/delete/", views.AbsenceDeleteView.as_view(), name="absence-delete"),
    # departures, reassignment wizard, temporary cover (issue 4)
    path("handover/", include("dealers.handover.urls")),
    # HQ network administration
    path("regions/", views.RegionListView.as_view(), name="region-list"),
    path("regions/new/", views.RegionFormView.as_view(), name="region-add"),
    path("regions/<int:pk>/edit/", views.RegionFormView.as_view(), name="region-edit"),
    path("dealers/", views.DealerListView.as_view(), name="dealer-list"),
    path("dealers/new/", views.DealerFormView.as_view(), name="dealer-add"),
    path("dealers/<int:pk>/edit/", views.DealerFormView.as_view(), name="dealer-edit"),
    path("users/", views.UserListView.as_view(), name="user-list"),
    path("users/new/", views.UserCreateView.as_view(), name="user-add"),
    path("users/<int:pk>/", views.UserDetailView.as_view(), name="user-detail"),
]
