"""The sales funnel's pages (mounted at /sales/). Who may read and write each is declared here
(dealers.access): customers, leads and visits are personal data, the dealer's own sales staff
only. The funnel page (/sales/funnel/, leads:funnel) is mounted with these by dms/urls.py from
reports.funnel.urls: its figures come from the KPI facts, and leads/ does not import reports/."""

from dealers.access import (
    SALES_APPROVERS,
    SALES_MANAGERS,
    SALES_STAFF,
    SIGNED_IN,
    Rule,
    route,
)
from leads.views import claims as claim_views
from leads.views import customers as customer_views
from leads.views import visits as visit_views
from leads.views.activity import ActivityReportView
from leads.views.approvals import ApprovalsView
from leads.views.leads import (
    FollowUpActionView,
    GradeTableView,
    LeadActionView,
    LeadDetailView,
    LeadListView,
    LeadSettingsView,
    PoolView,
)
from leads.views.myday import MyDayView
from leads.views.notifications import (
    NotificationCountView,
    NotificationListView,
    NotificationOpenView,
    NotificationReadAllView,
)

app_name = "leads"

STAFF = Rule(read=SALES_STAFF, write=SALES_STAFF)
MANAGERS = Rule(read=SALES_MANAGERS, write=SALES_MANAGERS)
APPROVERS = Rule(read=SALES_APPROVERS, write=SALES_APPROVERS)
# Notifications are the reader's own (any role may get one): the view shows only theirs.
OWN = Rule(read=SIGNED_IN, write=SIGNED_IN)

urlpatterns = [
    # visitor log, customers, ownership claims
    route("visits/", visit_views.VisitorLogView.as_view(), name="visitor-log", access=STAFF),
    route(
        "visits/register/",
        visit_views.RegisterContactView.as_view(),
        name="visit-register",
        access=STAFF,
    ),
    route(
        "visits/<int:pk>/edit/",
        visit_views.VisitEditView.as_view(),
        name="visit-edit",
        access=STAFF,
    ),
    route(
        "visits/<int:pk>/left/",
        visit_views.VisitLeftView.as_view(),
        name="visit-left",
        access=STAFF,
    ),
    route("customers/", customer_views.CustomerListView.as_view(), name="customers", access=STAFF),
    route(
        "customers/new/",
        customer_views.CustomerCreateView.as_view(),
        name="customer-add",
        access=STAFF,
    ),
    route(
        "customers/<int:pk>/",
        customer_views.CustomerDetailView.as_view(),
        name="customer-detail",
        access=STAFF,
    ),
    route(
        "customers/<int:pk>/edit/",
        customer_views.CustomerEditView.as_view(),
        name="customer-edit",
        access=STAFF,
    ),
    route(
        "customers/<int:pk>/merge/",
        customer_views.CustomerMergeView.as_view(),
        name="customer-merge",
        access=MANAGERS,
    ),
    route("claims/", claim_views.ClaimListView.as_view(), name="claims", access=STAFF),
    route("claims/file/", claim_views.ClaimFileView.as_view(), name="claim-file", access=STAFF),
    route(
        "claims/<int:pk>/approve/",
        claim_views.ClaimApproveView.as_view(),
        name="claim-approve",
        access=APPROVERS,
    ),
    route(
        "claims/<int:pk>/reject/",
        claim_views.ClaimRejectView.as_view(),
        name="claim-reject",
        access=APPROVERS,
    ),
    # leads, follow-ups, my day, funnel, approvals, activity report, notifications
    route("my-day/", MyDayView.as_view(), name="my_day", access=STAFF),
    route("leads/", LeadListView.as_view(), name="leads", access=STAFF),
    route("leads/pool/", PoolView.as_view(), name="pool", access=STAFF),
    route("leads/grades/", GradeTableView.as_view(), name="grade_table", access=STAFF),
    route("leads/<int:pk>/", LeadDetailView.as_view(), name="lead_detail", access=STAFF),
    route(
        "leads/<int:pk>/<slug:action>/", LeadActionView.as_view(), name="lead_action", access=STAFF
    ),
    route(
        "follow-ups/<int:pk>/<slug:action>/",
        FollowUpActionView.as_view(),
        name="follow_up_action",
        access=STAFF,
    ),
    route("funnel/settings/", LeadSettingsView.as_view(), name="lead_settings", access=APPROVERS),
    route("approvals/", ApprovalsView.as_view(), name="approvals", access=APPROVERS),
    route("activity/", ActivityReportView.as_view(), name="activity", access=STAFF),
    route("notifications/", NotificationListView.as_view(), name="notifications", access=OWN),
    route(
        "notifications/count/",
        NotificationCountView.as_view(),
        name="notifications_count",
        access=OWN,
    ),
    route(
        "notifications/read-all/",
        NotificationReadAllView.as_view(),
        name="notifications_read_all",
        access=OWN,
    ),
    route(
        "notifications/<int:pk>/open/",
        NotificationOpenView.as_view(),
        name="notification_open",
        access=OWN,
    ),
]
