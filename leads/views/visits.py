"""The visitor log: quick registration (htmx) and the day list per dealer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django_htmx.http import trigger_client_event

from dealers.clock import dealer_today
from dms.refused_forms import keep_refused, take_refused
from leads.forms.customers import ClaimForm
from leads.forms.funnel import read_day
from leads.forms.visits import RegisterContactForm, VisitUpdateForm
from leads.models import Visit
from leads.selectors.visits import (
    duration_minutes,
    summarise,
    visits_of_day,
    visits_visible_to,
)
from leads.services.customers import RegistrationResult, register_contact
from leads.services.visits import can_edit_visit, mark_left, update_visit

from .customers import SalesAccessMixin

PREFILL = ("name", "phone", "email")


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


class VisitRow:
    """A visit as the day list shows it."""

    def __init__(self, visit: Visit, *, can_edit: bool, can_open_customer: bool) -> None:
        self.visit = visit
        self.duration = duration_minutes(visit)
        self.can_edit = can_edit
        self.can_open_customer = can_open_customer


def visit_row(visit: Visit, *, user: Any, sees_all: bool) -> VisitRow:
    return VisitRow(
        visit,
        can_edit=visit.served_by_id == user.pk or sees_all,
        can_open_customer=sees_all or visit.customer.owner_id == user.pk,
    )


class VisitorLogMixin(SalesAccessMixin):
    def parse_day(self, raw: str | None) -> dt.date:
        today = dealer_today(self.dealer)
        day, problem = read_day(raw)
        if problem:
            messages.warning(self.request, _("%(problem)s Showing today.") % {"problem": problem})  # type: ignore[attr-defined]
        return today if day is None else day

    def new_form(self) -> RegisterContactForm:
        request: HttpRequest = self.request  # type: ignore[attr-defined]
        initial: dict[str, Any] = {
            "arrived_at": timezone.localtime().replace(second=0, microsecond=0)
        }
        for key in PREFILL:
            if request.GET.get(key):
                initial[key] = request.GET[key][:200]
        return RegisterContactForm(initial=initial, dealer=self.dealer)

    def day_context(self, day: dt.date) -> dict[str, Any]:
        user = self.request.user  # type: ignore[attr-defined]
        visits = list(visits_of_day(access=self.access, dealer=self.dealer, day=day))
        return {
            "day": day,
            "today": dealer_today(self.dealer),
            "previous_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
            "rows": [visit_row(v, user=user, sees_all=self.sees_all) for v in visits],
            "summary": summarise(visits),
            "sees_all": self.sees_all,
            "can_write": self.access.writable,
            "outcomes": Visit.Outcome.choices,
        }


class VisitorLogView(VisitorLogMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        day = self.parse_day(request.GET.get("date"))
        context = self.day_context(day)
        if _is_htmx(request) and request.GET.get("partial") == "list":
            return TemplateResponse(request, "leads/visits/_visit_list.html", context)
        refused = take_refused(request)  # a registration refused without htmx (plain POST)
        context["form"] = (
            refused.bind(RegisterContactForm(refused.data, dealer=self.dealer))
            if refused is not None
            else self.new_form()
        )
        return TemplateResponse(request, "leads/visits/visitor_log.html", context)


class RegisterContactView(VisitorLogMixin, View):
    require_writable = True

    def get(self, request: HttpRequest) -> HttpResponse:
        """The form lives on the visitor log: a link or bookmark to this URL lands there."""
        return redirect(reverse("leads:visitor-log") + "#register-panel")

    def post(self, request: HttpRequest) -> HttpResponse:
        form = RegisterContactForm(request.POST, dealer=self.dealer)
        result: RegistrationResult | None = None
        if form.is_valid():
            try:
                result = register_contact(
                    dealer=self.dealer, actor=request.user, **form.service_kwargs()
                )
            except ValidationError as error:
                form.apply_errors(error)
        if result is not None and result.conflict is None and not _is_htmx(request):
            messages.success(request, self.success_text(result))
            return redirect("leads:visitor-log")
        if result is None and not _is_htmx(request):  # refused: back to the log, form kept
            page = reverse("leads:visitor-log")
            return keep_refused(request, form, page=page, anchor="register-panel")
        panel: dict[str, Any] = {"form": form, "result": result}
        if result is not None:
            if result.conflict is not None:
                panel["claim_form"] = ClaimForm(initial={"token": result.conflict.claim_token})
            else:
                panel["form"] = self.new_form()
                panel["success"] = self.success_text(result)
        if _is_htmx(request):
            response = TemplateResponse(request, "leads/visits/_register_panel.html", panel)
            if result is not None and result.conflict is None:
                trigger_client_event(response, "visitsChanged")
            return response
        context = self.day_context(dealer_today(self.dealer))
        context.update(panel)
        return TemplateResponse(request, "leads/visits/visitor_log.html", context)

    @staticmethod
    def success_text(result: RegistrationResult) -> str:
        name = result.customer.display_name if result.customer is not None else ""
        if result.created_customer:
            return _("%(name)s registered as a new customer.") % {"name": name}
        if result.continued_lead:
            return _("%(name)s registered (existing customer, lead continued).") % {"name": name}
        return _("%(name)s registered (existing customer, new lead opened).") % {"name": name}


class VisitEditView(VisitorLogMixin, View):
    require_writable = True
    visit: Visit

    def load_objects(self, **kwargs: Any) -> None:
        self.visit = get_object_or_404(visits_visible_to(self.access), pk=kwargs["pk"])
        if not can_edit_visit(visit=self.visit, actor=self.request.user):  # type: ignore[attr-defined]
            raise PermissionDenied

    def row_response(
        self, request: HttpRequest, form: VisitUpdateForm | None = None
    ) -> HttpResponse:
        row = visit_row(self.visit, user=request.user, sees_all=self.sees_all)
        context = {
            "row": row,
            "form": form,
            "outcomes": Visit.Outcome.choices,
            "sees_all": self.sees_all,
            "can_write": self.access.writable,
        }
        template = "leads/visits/_visit_edit_row.html" if form else "leads/visits/_visit_row.html"
        return TemplateResponse(request, template, context)

    def initial_form(self) -> VisitUpdateForm:
        v = self.visit
        left = timezone.localtime(v.left_at) if v.left_at else None
        return VisitUpdateForm(initial={"left_at": left, "outcome": v.outcome, "note": v.note})

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        if _is_htmx(request) and request.GET.get("cancel"):
            return self.row_response(request)
        refused = None if _is_htmx(request) else take_refused(request)
        form = refused.bind(VisitUpdateForm(refused.data)) if refused else self.initial_form()
        if _is_htmx(request):
            return self.row_response(request, form)
        return TemplateResponse(
            request, "leads/visits/visit_form.html", {"form": form, "visit": self.visit}
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = VisitUpdateForm(request.POST)
        if form.is_valid():
            try:
                update_visit(
                    visit=self.visit,
                    actor=request.user,
                    left_at=form.cleaned_data["left_at"],
                    outcome=form.cleaned_data["outcome"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                form.apply_errors(error)
            else:
                if _is_htmx(request):
                    return self.row_response(request)
                messages.success(request, _("Visit updated."))
                return redirect(self.log_url())
        if _is_htmx(request):
            return self.row_response(request, form)
        return keep_refused(request, form, page=request.path)

    def log_url(self) -> str:
        day = timezone.localtime(self.visit.arrived_at).date()
        return f"{reverse('leads:visitor-log')}?date={day.isoformat()}"


class VisitLeftView(VisitEditView):
    """ "Left now" button: the leave time is now."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return redirect(self.log_url())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            mark_left(visit=self.visit, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        if _is_htmx(request):
            return self.row_response(request)
        return redirect(self.log_url())
