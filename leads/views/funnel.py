"""The manager's funnel: stage counts and conversion by consultant, source or model for a period,
and the stale leads. Sales managers of the dealer; HQ reads it for the dealer it drilled into."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views import View

from dealers.roles import Cap
from dealers.selectors import Access
from leads.forms.funnel import parse_day
from leads.selectors.funnel import DIMENSIONS, funnel, stale_leads
from leads.services.routing import settings_for

from .leads import SalesPageMixin

PERIODS = {"7": 7, "30": 30, "90": 90, "365": 365}


class FunnelView(SalesPageMixin, View):
    any_of = (Cap.SALES_ALL, Cap.KPI_DEALER)

    def has_access(self, access: Access) -> bool:
        return super().has_access(access) and access.dealer is not None

    def get(self, request: HttpRequest) -> HttpResponse:
        today = timezone.localdate()
        days = PERIODS.get(request.GET.get("period", ""), 30)
        end = parse_day(request.GET.get("end"), today)
        start = parse_day(request.GET.get("start"), end - dt.timedelta(days=days - 1))
        if start > end:
            start, end = end, start
        if (end - start).days > 731:
            start = end - dt.timedelta(days=731)
        dimension = request.GET.get("by", "consultant")
        if dimension not in DIMENSIONS:
            dimension = "consultant"
        stale_days = settings_for(self.dealer.pk).stale_after_days
        data = funnel(dealer=self.dealer, start=start, end=end, dimension=dimension)
        stale, more_stale = stale_leads(dealer=self.dealer, days=stale_days)
        context: dict[str, Any] = {
            "funnel": data,
            "dimensions": [(k, v[2]) for k, v in DIMENSIONS.items()],
            "dimension": dimension,
            "dimension_label": DIMENSIONS[dimension][2],
            "periods": list(PERIODS),
            "start": start,
            "end": end,
            "stale": stale,
            "more_stale": more_stale,
            "stale_days": stale_days,
            "can_open_leads": self.access.can(Cap.SALES_ALL),
        }
        return TemplateResponse(request, "leads/funnel/funnel.html", context)
