"""My day: the consultant's plan for today and tomorrow (the landing page of a consultant)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views import View

from leads.forms.funnel import FollowUpDoneForm, RescheduleForm, default_due
from leads.selectors.myday import my_day

from .leads import SalesPageMixin, safe_reverse


class MyDayView(SalesPageMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        plan = my_day(user=request.user, dealer=self.dealer)
        context: dict[str, Any] = {
            "plan": plan,
            "can_write": self.access.writable,
            "done_form": FollowUpDoneForm(),
            "reschedule_form": RescheduleForm(initial={"due_at": default_due()}),
            "register_url": safe_reverse("leads:visit-register"),
            "planner_url": safe_reverse("sales:testdrive_planner"),
        }
        return TemplateResponse(request, "leads/myday/my_day.html", context)
