from django.urls import path  # noqa: F401  (H6/H7 add their views below)

from leads.views import claims as claim_views  # H6
from leads.views import customers as customer_views  # H6
from leads.views import visits as visit_views  # H6
from leads.views.activity import ActivityReportView  # H7
from leads.views.approvals import ApprovalsView  # H7
from leads.views.funnel import FunnelView  # H7
from leads.views.leads import (  # H7
    FollowUpActionView,
    GradeTableView,
    LeadActionView,
    LeadDetailView,
    LeadListView,
    LeadSettingsView,
    PoolView,
)
from leads.views.myday import MyDayView  # H7
from leads.views.notifications import (  # H7
    NotificationCountView,
    NotificationListView,
    NotificationOpenView,
    NotificationReadAllView,
)

app_name = "leads"

urlpatterns: list = [
    # --- H6: visitor log, customers, ownership claims ---
    path("visits/", visit_views.VisitorLogView.as_view(), name="visitor-log"),
    path("visits/register/", visit_views.RegisterContactView.as_view(), name="visit-register"),
    path("visits/<int:pk>/edit/", visit_views.VisitEditView.as_view(), name="visit-edit"),
    path("visits/<int:pk>/left/", visit_views.VisitLeftView.as_view(), name="visit-left"),
    path("customers/", customer_views.CustomerListView.as_view(), name="customers"),
    path("customers/new/", customer_views.CustomerCreateView.as_view(), name="customer-add"),
    path(
        "customers/<int:pk>/", customer_views.CustomerDetailView.as_view(), name="customer-detail"
    ),
    path(
        "customers/<int:pk>/edit/", customer_views.CustomerEditView.as_view(), name="customer-edit"
    ),
    path(
        "customers/<int:pk>/merge/",
        customer_views.CustomerMergeView.as_view(),
        name="customer-merge",
    ),
    path("claims/", claim_views.ClaimListView.as_view(), name="claims"),
    path("claims/file/", claim_views.ClaimFileView.as_view(), name="claim-file"),
    path("claims/<int:pk>/approve/", claim_views.ClaimApproveView.as_view(), name="claim-approve"),
    path("claims/<int:pk>/reject/", claim_views.ClaimRejectView.as_view(), name="claim-reject"),
    # --- end H6 ---
    # --- H7: leads, follow-ups, my day, funnel, approvals, activity report, notifications ---
    path("my-day/", MyDayView.as_view(), name="my_day"),
    path("leads/", LeadListView.as_view(), name="leads"),
    path("leads/pool/", PoolView.as_view(), name="pool"),
    path("leads/grades/", GradeTableView.as_view(), name="grade_table"),
    path("leads/<int:pk>/", LeadDetailView.as_view(), name="lead_detail"),
    path("leads/<int:pk>/<slug:action>/", LeadActionView.as_view(), name="lead_action"),
    path(
        "follow-ups/<int:pk>/<slug:action>/", FollowUpActionView.as_view(), name="follow_up_action"
    ),
    path("funnel/", FunnelView.as_view(), name="funnel"),
    path("funnel/settings/", LeadSettingsView.as_view(), name="lead_settings"),
    path("approvals/", ApprovalsView.as_view(), name="approvals"),
    path("activity/", ActivityReportView.as_view(), name="activity"),
    path("notifications/", NotificationListView.as_view(), name="notifications"),
    path("notifications/count/", NotificationCountView.as_view(), name="notifications_count"),
    path(
        "notifications/read-all/", NotificationReadAllView.as_view(), name="notifications_read_all"
    ),
    path("notifications/<int:pk>/open/", NotificationOpenView.as_view(), name="notification_open"),
    # --- end H7 ---
]
