"""My day: the consultant's plan for today and tomorrow (the landing page of a consultant).

Each follow-up section shows its first rows; "show more" (htmx, ?more=<section>&shown=<n>)
brings the next ones as list items, or without htmx the whole page with that section longer.
Done and Move open one shared dialog each instead of two forms per row."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views import View

from leads.forms.funnel import FollowUpDoneForm, RescheduleForm, default_due
from leads.selectors.myday import MAX_ROWS, PAGE_SIZE, SECTIONS, follow_up_section, my_day

from .leads import SalesPageMixin, safe_reverse


def _int(raw: str | None, default: int, *, low: int, high: int) -> int:
    try:
        value = int(raw or "")
    except ValueError:
        return default
    return min(max(value, low), high)


def plan_time(raw: str | None) -> dt.datetime:
    """The moment the page was planned at (?at=<unix seconds>, so that "show more" continues
    the same lists); now when missing, malformed, in the future or older than a day."""
    now = timezone.now()
    seconds = _int(raw, 0, low=0, high=2**40)
    if not seconds:
        return now
    at = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    return at if now - dt.timedelta(days=1) <= at <= now else now


class MyDayView(SalesPageMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        section = request.GET.get("more", "")
        shown = _int(request.GET.get("shown"), PAGE_SIZE, low=0, high=10_000)
        now = plan_time(request.GET.get("at"))
        common: dict[str, Any] = {
            "can_write": self.access.writable,
            "page_size": PAGE_SIZE,
            "plan_at": int(now.timestamp()),
        }
        if section in SECTIONS and getattr(request, "htmx", False):
            rows = follow_up_section(
                user=request.user, dealer=self.dealer, section=section, offset=shown, now=now
            )
            return TemplateResponse(
                request, "leads/myday/_follow_up_rows.html", {**common, "section": rows}
            )
        limits = {}
        if section in SECTIONS:  # no htmx: the whole page, that section longer
            limits[section] = min(max(shown, 0) + PAGE_SIZE, MAX_ROWS)
        plan = my_day(user=request.user, dealer=self.dealer, now=now, limits=limits)
        context: dict[str, Any] = {
            **common,
            "plan": plan,
            "done_form": FollowUpDoneForm(auto_id="done-%s"),
            "reschedule_form": RescheduleForm(auto_id="move-%s", initial={"due_at": default_due()}),
            "follow_up_url": reverse("leads:follow_up_action", args=[0, "done"]),
            # The register form is on the visitor log (its URL only takes the form's POST).
            "register_url": reverse("leads:visitor-log") + "#register-panel",
            "planner_url": safe_reverse("sales:testdrive_planner"),
        }
        return TemplateResponse(request, "leads/myday/my_day.html", context)
