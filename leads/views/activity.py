"""The daily sales activity report, per consultant and for the dealer; printable."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views import View

from dealers.clock import dealer_today
from dealers.roles import Cap
from leads.forms.funnel import parse_day
from leads.selectors.activity import activity_report

from .leads import SalesPageMixin


class ActivityReportView(SalesPageMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        today = dealer_today(self.dealer)  # the dealer's own date, not the server's
        day = min(parse_day(request.GET.get("day"), today), today)
        sees_all = self.access.can(Cap.SALES_ALL)
        report = activity_report(
            dealer=self.dealer,
            day=day,
            user_ids=None if sees_all else [int(request.user.pk or 0)],
        )
        return TemplateResponse(
            request,
            "leads/activity/report.html",
            {
                "report": report,
                "sees_all": sees_all,
                "previous_day": day - dt.timedelta(days=1),
                "next_day": day + dt.timedelta(days=1) if day < today else None,
                "dealer": self.dealer,
                "printed_at": timezone.now(),
            },
        )
