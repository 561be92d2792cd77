"""In-app notifications: the list, opening one (marks it read), marking all read, and a small
htmx endpoint with the unread count for the top bar."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from dealers.selectors import request_access
from dms.paging import paginate
from leads.models import Notification
from leads.selectors.notifications import UNREAD_CAP, notifications_of, unread_count

PAGE = 50
# Every kind a service writes (tests/leads/test_words.py finds them in the code): a kind
# without a label here was shown as its code ("claim decided", "handover") in every language.
KIND_LABELS = {
    "follow_up": gettext_lazy("Follow-up"),
    "escalation": gettext_lazy("Escalation"),
    "assigned": gettext_lazy("New lead"),
    "unassigned": gettext_lazy("Unassigned lead"),
    "approval": gettext_lazy("Approval"),
    "decision": gettext_lazy("Decision"),
    "claim_decided": gettext_lazy("Claim decided"),
    "customer_moved": gettext_lazy("Customer moved"),
    "customer_contact": gettext_lazy("Customer contact"),
    "handover": gettext_lazy("Handover"),
}


def kind_label(kind: str) -> str:
    """A notification kind in the reader's language ("Notification" for a kind not known)."""
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else str(gettext_lazy("Notification"))


class NotificationsMixin(LoginRequiredMixin):
    """Any signed-in dealer staff member: their own notifications in the current dealer."""

    def dispatch(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.access = request_access(request)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class NotificationListView(NotificationsMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        unread_only = request.GET.get("show") != "all"
        paged = paginate(
            request,
            notifications_of(self.access, unread_only=unread_only),
            per_page=PAGE,
            keep={"show": "" if unread_only else "all"},
        )
        rows = list(paged.object_list)
        for row in rows:
            row.kind_label = kind_label(row.kind)  # type: ignore[attr-defined]
        return TemplateResponse(
            request,
            "leads/notifications/list.html",
            {
                "rows": rows,
                **paged.context,
                "unread_only": unread_only,
                "can_write": self.access.dealer is not None and self.access.writable,
            },
        )


class NotificationOpenView(NotificationsMixin, View):
    """POST: mark read and go to the notification's page (an internal URL only)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        note = get_object_or_404(notifications_of(self.access, unread_only=False), pk=pk)
        if note.read_at is None and self.access.writable:
            Notification.objects.filter(pk=note.pk).update(read_at=timezone.now())
        target = note.url
        if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
            return redirect("leads:notifications")
        return redirect(target)


class NotificationReadAllView(NotificationsMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        if self.access.writable:
            count = notifications_of(self.access, unread_only=True).update(read_at=timezone.now())
            from django.contrib import messages

            messages.success(request, _("%(count)s notifications marked read.") % {"count": count})
        return redirect("leads:notifications")


class NotificationCountView(NotificationsMixin, View):
    """GET (htmx): the unread badge for the top bar."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return TemplateResponse(
            request,
            "leads/notifications/_badge.html",
            {"unread": unread_count(self.access), "cap": UNREAD_CAP},
        )
