"""Lead pages: the list (own leads for a consultant, all for a manager), one lead with its stage
bar, HQ playbook, grade progression and follow-ups, the actions on it, and the lead pool.

Thin: role checks from request.access (403), lead lookups through leads.selectors.leads
(404 alike for another dealer's lead and a colleague's), writes through leads.services.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django_filters.views import FilterView
from django_tables2 import LazyPaginator, SingleTableMixin

from dealers.roles import Cap
from dealers.selectors import Access
from dealers.views import AccessRequiredMixin
from dms.paging import paginate
from dms.refused_forms import SeeOther, keep_refused, take_refused
from leads.forms.funnel import (
    ActivityForm,
    DormantForm,
    FollowUpCreateForm,
    FunnelForm,
    GradeForm,
    LeadFilterSet,
    LostDecisionForm,
    LostRequestForm,
    ReassignForm,
    StageForm,
    StepForm,
    WaiveForm,
    default_due,
)
from leads.models import FollowUp, Lead, Stage
from leads.selectors import leads as selectors
from leads.services import followups as followup_services
from leads.services import leads as services
from leads.services.routing import settings_for

from .lead_tables import LeadTable, PoolTable


class SalesPageMixin(AccessRequiredMixin):
    """Dealer staff who sell (Cap.SALES_OWN), working in one dealer; pages in its time zone."""

    any_of: tuple[str, ...] = (Cap.SALES_OWN,)
    require_dealer = True

    @property
    def dealer(self) -> Any:
        return self.access.dealer


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def safe_reverse(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# --- list ----------------------------------------------------------------------------------------


class LeadListView(SalesPageMixin, SingleTableMixin, FilterView):
    table_class = LeadTable
    filterset_class = LeadFilterSet
    template_name = "leads/leads/list.html"
    table_pagination = {"per_page": 50, "paginator_class": LazyPaginator}

    def get_queryset(self) -> QuerySet[Lead]:
        # LeadFilterSet's status defaults to "open" (its choices validate the value).
        status = self.request.GET.get("status", "open")
        leads = selectors.lead_list(self.access, status=status)
        if selectors.sees_all_leads(self.access):
            return leads
        # A consultant's list has no consultant column: no user join, no user object per row.
        return (
            leads.select_related(None)
            .select_related("customer", "source", "vehicle_model")
            .only(*(f for f in selectors.LEAD_LIST_FIELDS if not f.startswith("consultant__")))
        )

    def get_filterset_kwargs(self, filterset_class: Any) -> dict[str, Any]:
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["dealer"] = self.dealer
        kwargs["show_consultant"] = selectors.sees_all_leads(self.access)
        return kwargs

    def get_table_kwargs(self) -> dict[str, Any]:
        return {"show_consultant": selectors.sees_all_leads(self.access)}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sees_all"] = selectors.sees_all_leads(self.access)
        return context


class PoolView(SalesPageMixin, SingleTableMixin, View):
    template_name = "leads/leads/pool.html"
    table_class = PoolTable
    table_pagination = {"per_page": 50, "paginator_class": LazyPaginator}

    def get_table_data(self) -> QuerySet[Lead]:
        return selectors.pool_leads(self.access)

    def get(self, request: HttpRequest) -> HttpResponse:
        table = self.get_table()
        return TemplateResponse(
            request,
            self.template_name,
            {"table": table, "can_write": self.access.writable},
        )


class GradeTableView(SalesPageMixin, View):
    """The grade progression table of the visible leads (filter by consultant for managers)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        consultant_id = None
        if selectors.sees_all_leads(self.access):
            raw = request.GET.get("consultant", "")
            consultant_id = int(raw) if raw.isdigit() else None
        paged = paginate(
            request,
            selectors.grade_progression(self.access, consultant_id=consultant_id),
            keep={"consultant": consultant_id},
        )
        return TemplateResponse(
            request,
            "leads/leads/grade_table.html",
            {
                "rows": paged.object_list,
                **paged.context,
                "consultants": (
                    list(selectors.grade_progression_consultants(self.access))
                    if selectors.sees_all_leads(self.access)
                    else []
                ),
                "consultant_id": consultant_id,
            },
        )


# --- one lead ------------------------------------------------------------------------------------


def can_work(access: Access, lead: Lead) -> bool:
    """Write actions on the lead: its consultant, or a manager; never HQ."""
    if not access.writable:
        return False
    if access.can(Cap.SALES_ALL):
        return True
    return lead.consultant_id == access.user_id and not lead.in_pool


def detail_context(
    request: HttpRequest, access: Access, lead: Lead, **forms: Any
) -> dict[str, Any]:
    user = request.user
    playbook = selectors.playbook_of(lead)
    nxt = selectors.next_stage(lead)
    context: dict[str, Any] = {
        "lead": lead,
        "customer": lead.customer,
        "playbook": playbook,
        "current_stage": next((s for s in playbook if s.state == "current"), None),
        "next_stage": Stage(nxt) if nxt else None,
        "next_missing": next((s.missing_required for s in playbook if s.code == nxt), 0),
        "onboarding": selectors.is_onboarding(access, user),
        "follow_ups": list(selectors.follow_ups_of(lead)),
        "result_choices": FollowUp.Result.choices,
        "grades": list(selectors.grade_history(lead)),
        "stages": selectors.stage_history_labelled(lead),
        "timeline": selectors.lead_timeline(lead),
        "can_work": can_work(access, lead),
        "can_approve": access.writable and access.can(Cap.SALES_APPROVE),
        "can_reassign": access.writable and access.can(Cap.SALES_REASSIGN) and lead.is_open,
        "can_claim": access.writable and lead.in_pool and access.can(Cap.SALES_OWN),
        "customer_url": safe_reverse("leads:customer-detail", lead.customer_id),
        "test_drive_url": safe_reverse("sales:testdrive_create", lead.pk),
        "quote_url": safe_reverse("sales:quote_create", lead.pk),
        "now": timezone.now(),
        "stage_form": StageForm(initial={"stage": nxt}),
        "grade_form": GradeForm(initial={"grade": lead.grade if lead.grade != "O" else None}),
        "activity_form": ActivityForm(),
        "follow_up_form": FollowUpCreateForm(initial={"due_at": default_due()}),
        "lost_form": LostRequestForm(),
        "dormant_form": DormantForm(),
        "decision_form": LostDecisionForm(),
        "reassign_form": ReassignForm(dealer=access.dealer) if access.dealer else None,
        "waive_form": WaiveForm(),
    }
    context.update(forms)
    return context


class LeadDetailView(SalesPageMixin, View):
    def load_objects(self, **kwargs: Any) -> None:
        self.lead = get_object_or_404(
            selectors.visible_leads(self.access).select_related(
                "customer",
                "consultant",
                "source",
                "vehicle_model",
                "lost_reason",
                "lost_requested_by",
                "credited_to",
            ),
            pk=kwargs["pk"],
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        forms: dict[str, Any] = {}
        refused = take_refused(request)
        if refused is not None and refused.name in ACTIONS:
            form_class, form_name, _who, _handler = ACTIONS[refused.name]
            forms[form_name] = refused.bind(
                form_class(refused.data, **self.form_kwargs(form_class))
            )
        context = detail_context(request, self.access, self.lead, **forms)
        if refused is not None:
            context["refused"] = refused
            context["refused_stage"] = _stage_of_step(context, refused.data.get("step", ""))
            kind, _sep, follow_up_id = refused.name.partition(":")  # a follow-up's own form
            open_ids = {f.pk for f in context["follow_ups"] if f.done_at is None}
            shown = (
                context["can_work"] and follow_up_id.isdigit() and int(follow_up_id) in open_ids
                if follow_up_id
                else _form_shown(context, refused.name, refused.data.get("step", ""))
            )
            if follow_up_id and shown:
                context["refused_follow_up"] = {"id": int(follow_up_id), "action": kind}
            if not shown:
                # The form is no longer on the page (the lead closed meanwhile...): say why here.
                for message in refused.messages:
                    messages.error(request, message)
        return TemplateResponse(request, "leads/leads/detail.html", context)

    def form_kwargs(self, form_class: Any) -> dict[str, Any]:
        return {"dealer": self.dealer} if form_class is ReassignForm else {}


def _stage_of_step(context: dict[str, Any], code: str) -> str:
    for stage in context["playbook"]:
        if any(item["step"].code == code for item in stage.steps):
            return str(stage.code)
    return ""


def _form_shown(context: dict[str, Any], action: str, step: str) -> bool:
    """Does the lead's page show the form of `action` (as templates/leads/leads/detail.html
    decides)? A refused form the page no longer shows has its errors said in a message."""
    lead: Lead = context["lead"]
    can_work, is_open = context["can_work"], lead.is_open
    pending = lead.lost_requested_at is not None
    if action in ("stage", "lost", "dormant"):
        return bool(can_work and is_open and not pending)
    if action == "grade":
        return bool(can_work and is_open and lead.grade != "O")
    if action in ("activity", "follow-up"):
        return bool(can_work)
    if action == "reassign":
        return bool(context["can_reassign"] and context["reassign_form"])
    if action == "claim":
        return bool(lead.in_pool and context["can_claim"])
    if action == "lost-decision":
        return bool(pending and is_open and context["can_approve"])
    if action in ("step", "waive") and is_open:
        for stage in context["playbook"]:
            for item in stage.steps:
                if item["step"].code == step and item["record"] is None:
                    if action == "step":
                        return bool(can_work)
                    return bool(context["can_approve"] and item["step"].required)
    return False


# --- actions on a lead ---------------------------------------------------------------------------

Handler = Callable[[HttpRequest, Access, Lead, Any], str]


def _stage(request: HttpRequest, access: Access, lead: Lead, form: Any) -> str:
    services.advance_stage(lead=lead, to_stage=form.cleaned_data["stage"], actor=request.user)
    return _("Stage is now %(stage)s.") % {"stage": lead.get_stage_display()}


def _grade(request: HttpRequest, access: Access, lead: Lead, form: Any) -> str:
    services.set_grade(lead=lead, grade=form.cleaned_data["grade"], actor=request.user)
    return _("Grade is now %(grade)s.") % {"grade": lead.grade}


def _step(request: HttpRequest, access: Access, lead: Lead, form: Any) -> str:
    services.complete_step(lead=lead, step_code=form.cleaned_data["step"], actor=request.user)
    return _("Step recorded.")


def _waive(request: HttpRequest, access: Access, lead: Lead, form: Any) -> str:
    services.waive_step(
        lead=lead,
        step_code=form.cleaned_data["step"],
        actor=request.user,
        reason=form.cleaned_data["reason"],
    )
    return _("Step waived.")


def _activity(request: HttpRequest, access: Access, lead: Lead, form: Any) -> str:
    services.record_activity(
        lead=lead,
        actor=request.user,
        kind=form.cleaned_data["kind"],
        summary=form.cleaned_data["summary"],
    )
    return _("Activity logged.")


def _follow_up(request: HttpRequest, access: Access, lead: Lead, form: Any) -> str:
    followup_services.create_follow_up(
        lead=lead,
        actor=request.user,
        due_at=form.cleaned_data["due_at"],
        note=form.cleaned_data["note"],
    )
    return _("Follow-up planned.")


def _lost(request: HttpRequest, access: Access, lead: Lead, form: Any) -> str:
    services.request_lost(
        lead=lead,
        actor=request.user,
        reason=form.cleaned_data["reason"],
        note=form.cleaned_data["note"],
    )
    return _("Lost request sent to the sales manager.")


def _decide(request: HttpRequest, access: Access, lead: Lead, form: Any) -> str:
    approve = form.cleaned_data["decision"] == "approve"
    services.decide_lost(
        lead=lead, actor=request.user, approve=approve, note=form.cleaned_data["note"]
    )
    return (
        _("Lead closed as lost.") if approve else _("Lost request rejected; the lead stays open.")
    )


def _dormant(request: HttpRequest, access: Access, lead: Lead, form: Any) -> str:
    services.mark_dormant(lead=lead, actor=request.user, reason=form.cleaned_data["reason"])
    return _("Lead is dormant.")


def _claim(request: HttpRequest, access: Access, lead: Lead, form: Any) -> str:
    services.claim_pool_lead(lead=lead, actor=request.user)
    return _("The lead is yours now.")


def _reassign(request: HttpRequest, access: Access, lead: Lead, form: Any) -> str:
    services.reassign_lead(
        lead=lead,
        to=form.cleaned_data["consultant"],
        actor=request.user,
        reason=form.cleaned_data["reason"],
    )
    return _("Lead handed over.")


# action -> (form class, context name of the form, who may, handler)
ACTIONS: dict[str, tuple[Any, str, str, Handler]] = {
    "stage": (StageForm, "stage_form", "work", _stage),
    "grade": (GradeForm, "grade_form", "work", _grade),
    "step": (StepForm, "step_form", "work", _step),
    "waive": (WaiveForm, "waive_form", "approve", _waive),
    "activity": (ActivityForm, "activity_form", "work", _activity),
    "follow-up": (FollowUpCreateForm, "follow_up_form", "work", _follow_up),
    "lost": (LostRequestForm, "lost_form", "work", _lost),
    "lost-decision": (LostDecisionForm, "decision_form", "approve", _decide),
    "dormant": (DormantForm, "dormant_form", "work", _dormant),
    "claim": (FunnelForm, "claim_form", "claim", _claim),
    "reassign": (ReassignForm, "reassign_form", "reassign", _reassign),
}


# Where the page scrolls to when it shows an action's errors (the form's id, else its section).
ACTION_ANCHORS = {"step": "playbook", "waive": "playbook", "claim": "pool-banner"}
ACTION_ANCHORS["lost-decision"] = "lost-pending"


class LeadActionView(LeadDetailView):
    http_method_names = ["post"]

    def allowed(self, who: str) -> bool:
        access, lead = self.access, self.lead
        if not access.writable:
            return False
        if who == "work":
            return can_work(access, lead)
        if who == "approve":
            return access.can(Cap.SALES_APPROVE)
        if who == "reassign":
            return access.can(Cap.SALES_REASSIGN)
        if who == "claim":
            return access.can(Cap.SALES_OWN)
        return False

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        if action not in ACTIONS:
            raise PermissionDenied
        form_class, form_name, who, handler = ACTIONS[action]
        if not self.allowed(who):
            raise PermissionDenied
        form = form_class(request.POST, **self.form_kwargs(form_class))
        if form.is_valid():
            try:
                message = handler(request, self.access, self.lead, form)
            except ValidationError as error:
                form.apply_errors(error)
            else:
                messages.success(request, message)
                return redirect(safe_next(request, reverse("leads:lead_detail", args=[pk])))
        # Bad input: nothing changed. Back to the lead's page (whichever page the form was on),
        # the form as it was sent and its errors shown once, at the form (dms.refused_forms).
        page = reverse("leads:lead_detail", args=[pk])
        anchor = ACTION_ANCHORS.get(action, f"action-{action}")
        return keep_refused(request, form, page=page, name=action, anchor=anchor)


# --- follow-ups ----------------------------------------------------------------------------------


class FollowUpActionView(SalesPageMixin, View):
    """Complete or reschedule a follow-up (own, or any of the dealer's for a manager)."""

    http_method_names = ["post"]

    follow_up: FollowUp

    def load_objects(self, **kwargs: Any) -> None:
        qs = FollowUp.objects.select_related("lead", "customer")
        if not self.access.can(Cap.SALES_ALL):
            qs = qs.filter(owner_id=self.access.user_id)
        self.follow_up = get_object_or_404(qs, pk=kwargs["pk"])

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        from leads.forms.funnel import FollowUpDoneForm, RescheduleForm

        if not self.access.writable:
            raise PermissionDenied
        form: FunnelForm
        if action == "done":
            form = FollowUpDoneForm(request.POST)
        elif action == "reschedule":
            form = RescheduleForm(request.POST)
        else:
            raise PermissionDenied
        default = reverse("leads:lead_detail", args=[self.follow_up.lead_id])
        if form.is_valid():
            try:
                if action == "done":
                    followup_services.complete_follow_up(
                        follow_up=self.follow_up,
                        actor=request.user,
                        result=form.cleaned_data["result"],
                        note=form.cleaned_data["note"],
                    )
                    messages.success(request, _("Follow-up done."))
                else:
                    followup_services.reschedule_follow_up(
                        follow_up=self.follow_up,
                        actor=request.user,
                        due_at=form.cleaned_data["due_at"],
                        reason=form.cleaned_data["reason"],
                    )
                    messages.success(request, _("Follow-up moved."))
                return redirect(safe_next(request, default))
            except ValidationError as error:
                form.apply_errors(error)
        # Nothing changed. Back to the page the form was on: the lead's page shows the errors
        # at that follow-up's form, with what was typed; another page (my day, whose forms are
        # shared dialogs) says them once, in a message.
        back = safe_next(request, default)
        if back.split("?")[0].split("#")[0] == default:
            return keep_refused(
                request, form, page=default, name=f"{action}:{pk}", anchor=f"follow-up-{pk}"
            )
        for problem in form.non_field_errors():
            messages.error(request, str(problem))
        for name, problems in form.errors.items():
            if name != "__all__":
                for problem in problems:
                    messages.error(request, f"{form.fields[name].label}: {problem}")
        return SeeOther(back)


class LeadSettingsView(SalesPageMixin, View):
    """The dealer's funnel settings: routing, automatic reassignment, pool, cap, reminders."""

    any_of = (Cap.SALES_APPROVE,)

    def get_form(self, data: Any = None) -> Any:
        from leads.forms.funnel import LeadSettingsForm
        from leads.services.routing import max_open_leads, pool_after_days

        s = settings_for(self.dealer.pk)
        initial = {
            "routing": s.routing,
            "auto_reassign": s.auto_reassign,
            "pool_after_days": s.pool_after_days,
            "max_open_leads": s.max_open_leads,
            "stale_after_days": s.stale_after_days,
            "email_reminders": s.email_reminders,
        }
        form = LeadSettingsForm(data, initial=initial)
        form.effective = {"pool": pool_after_days(s), "cap": max_open_leads(s)}
        return form

    def get(self, request: HttpRequest) -> HttpResponse:
        refused = take_refused(request)
        form = refused.bind(self.get_form(refused.data)) if refused else self.get_form()
        return TemplateResponse(request, "leads/leads/settings.html", {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        from leads.services.routing import update_lead_settings

        if not self.access.writable:
            raise PermissionDenied
        form = self.get_form(request.POST)
        if form.is_valid():
            try:
                update_lead_settings(
                    dealer_id=self.dealer.pk, actor=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                form.apply_errors(error)
            else:
                messages.success(request, _("Settings saved."))
                return redirect("leads:lead_settings")
        return keep_refused(request, form, page=request.path)
