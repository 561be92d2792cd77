"""Customer pages: list (search, filters), card with timeline, edit, new, merge.

Thin: the role check is the mixin's (403), the object lookup goes through
leads.selectors.customers.customers_visible_to (404 alike for another dealer's customer and a
colleague's), writes through leads.services.customers.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from dealers.roles import Cap
from dealers.views import AccessRequiredMixin
from dms.refused_forms import KeepRefusedFormMixin
from leads.forms.customers import ClaimForm, CustomerFilterSet, CustomerForm, MergeForm
from leads.models import Customer, CustomerModelInterest
from leads.selectors.customers import (
    customer_list,
    customers_visible_to,
    leads_of,
    timeline_of,
    timeline_rows,
)
from leads.services import customers as services
from leads.services.normalize import format_phone

from .customer_tables import CustomerTable

TIMELINE_PAGE_SIZE = 25


class SalesAccessMixin(AccessRequiredMixin):
    """Dealer staff who sell (Cap.SALES_OWN), working in one dealer. Pages render in the
    dealer's time zone (times in forms are read in it too)."""

    any_of: tuple[str, ...] = (Cap.SALES_OWN,)
    require_dealer = True

    @property
    def dealer(self) -> Any:
        return self.access.dealer

    @property
    def sees_all(self) -> bool:
        return self.access.can(Cap.SALES_ALL)


def safe_reverse(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# --- list ----------------------------------------------------------------------------------------


class CustomerListView(SalesAccessMixin, SingleTableMixin, FilterView):
    table_class = CustomerTable
    filterset_class = CustomerFilterSet
    template_name = "leads/customers/list.html"
    table_pagination = {"per_page": 50}

    def get_queryset(self) -> QuerySet[Customer]:
        return customer_list(self.access)

    def get_filterset_kwargs(self, filterset_class: Any) -> dict[str, Any]:
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["dealer"] = self.dealer
        kwargs["show_owner"] = self.sees_all
        return kwargs

    def get_table_kwargs(self) -> dict[str, Any]:
        return {"show_owner": self.sees_all}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sees_all"] = self.sees_all
        context["can_write"] = self.access.writable
        return context


# --- card ----------------------------------------------------------------------------------------


def _consents(customer: Customer) -> list[dict[str, Any]]:
    from leads.forms.customers import CONSENT_LABELS

    return [
        {"channel": channel, "label": CONSENT_LABELS[channel], "at": getattr(customer, field)}
        for channel, field in services.CONSENT_FIELDS.items()
    ]


class CustomerDetailView(SalesAccessMixin, View):
    def linked_leads(self, customer: Customer) -> list[Any]:
        """The card's leads, each with `url` to its page where the reader may open it (their
        own, the pool's, or any for a manager; a colleague's lead is listed without a link)."""
        from leads.selectors.leads import visible_leads

        rows = list(leads_of(customer))
        openable = set(
            visible_leads(self.access).filter(customer_id=customer.pk).values_list("pk", flat=True)
        )
        for lead in rows:
            lead.url = safe_reverse("leads:lead_detail", lead.pk) if lead.pk in openable else ""  # type: ignore[attr-defined]
        return rows

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        customer = get_object_or_404(
            customers_visible_to(self.access, include_merged=True).select_related(
                "owner", "merged_into"
            ),
            pk=pk,
        )
        if customer.merged_into_id is not None:
            survivor = customers_visible_to(self.access).filter(pk=customer.merged_into_id).first()
            if survivor is None:
                raise Http404
            messages.info(request, _("This card was merged into this one."))
            return redirect("leads:customer-detail", pk=survivor.pk)
        page = Paginator(timeline_of(customer), TIMELINE_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        context = {
            "customer": customer,
            "phone": format_phone(customer.phone),
            "phone_alt": format_phone(customer.phone_alt),
            "consents": _consents(customer),
            "models": list(
                CustomerModelInterest.objects.filter(customer=customer)
                .select_related("vehicle_model")
                .order_by("vehicle_model__name")
            ),
            "leads": self.linked_leads(customer),
            "timeline": page,
            "timeline_rows": timeline_rows(page.object_list),
            "can_write": self.access.writable,
            "can_merge": self.access.writable and self.sees_all,
            "log_contact_url": safe_reverse("leads:visitor-log"),
        }
        template = "leads/customers/detail.html"
        if request.htmx and request.GET.get("partial") == "timeline":  # type: ignore[attr-defined]
            template = "leads/customers/_timeline.html"
        return TemplateResponse(request, template, context)


# --- create / edit -------------------------------------------------------------------------------


class CustomerCreateView(KeepRefusedFormMixin, SalesAccessMixin, FormView):
    require_writable = True
    form_class = CustomerForm
    template_name = "leads/customers/form.html"
    refused_anchor = "customer-form"

    def get_initial(self) -> dict[str, Any]:
        return {"kind": Customer.Kind.PERSON, "country": self.dealer.country}

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "dealer": self.dealer}

    def form_valid(self, form: CustomerForm) -> HttpResponse:
        try:
            customer = services.create_customer(
                dealer=self.dealer, actor=self.request.user, data=form.service_data()
            )
        except ValidationError as error:
            form.apply_errors(error)
            return self.form_invalid(form)
        except services.DuplicateCustomer as dup:
            if dup.customer is not None:
                messages.info(self.request, _("This customer already exists: here is the card."))
                return redirect("leads:customer-detail", pk=dup.customer.pk)
            return render(
                self.request,
                "leads/customers/conflict.html",
                {
                    "conflict": dup.conflict,
                    "claim_form": ClaimForm(initial={"token": dup.conflict.claim_token}),
                },
                status=409,
            )
        messages.success(self.request, _("Customer card created."))
        return redirect("leads:customer-detail", pk=customer.pk)


class CustomerEditView(KeepRefusedFormMixin, SalesAccessMixin, FormView):
    require_writable = True
    form_class = CustomerForm
    template_name = "leads/customers/form.html"
    refused_anchor = "customer-form"
    customer: Customer

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "dealer": self.dealer, "customer": self.customer}

    def load_objects(self, **kwargs: Any) -> None:
        self.customer = get_object_or_404(customers_visible_to(self.access), pk=kwargs["pk"])

    def get_initial(self) -> dict[str, Any]:
        return CustomerForm.initial_for(self.customer)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(customer=self.customer, **kwargs)

    def form_valid(self, form: CustomerForm) -> HttpResponse:
        try:
            services.update_customer(
                customer=self.customer, actor=self.request.user, data=form.service_data()
            )
        except ValidationError as error:
            form.apply_errors(error)
            return self.form_invalid(form)
        messages.success(self.request, _("Customer card saved."))
        return redirect("leads:customer-detail", pk=self.customer.pk)


# --- merge (managers) ----------------------------------------------------------------------------


class CustomerMergeView(KeepRefusedFormMixin, SalesAccessMixin, FormView):
    any_of = (Cap.SALES_ALL,)
    require_writable = True
    refused_anchor = "merge-form"
    form_class = MergeForm
    template_name = "leads/customers/merge.html"
    customer: Customer

    def load_objects(self, **kwargs: Any) -> None:
        self.customer = get_object_or_404(customers_visible_to(self.access), pk=kwargs["pk"])

    def get_initial(self) -> dict[str, Any]:
        raw = self.request.GET.get("duplicate", "")
        return {"duplicate": int(raw)} if raw.isdigit() else {}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["customer"] = self.customer
        context["candidates"] = services.customers_sharing_identifiers(self.customer)
        raw = self.request.GET.get("duplicate", "")
        if raw.isdigit():
            context["duplicate"] = (
                customers_visible_to(self.access)
                .exclude(pk=self.customer.pk)
                .select_related("owner")
                .filter(pk=int(raw))
                .first()
            )
        return context

    def form_valid(self, form: MergeForm) -> HttpResponse:
        duplicate = (
            customers_visible_to(self.access)
            .exclude(pk=self.customer.pk)
            .filter(pk=form.cleaned_data["duplicate"])
            .first()
        )
        if duplicate is None:
            form.add_error("duplicate", _("No other customer of this dealer has this number."))
            return self.form_invalid(form)
        try:
            services.merge_customers(
                survivor=self.customer,
                duplicate=duplicate,
                actor=self.request.user,
                request=self.request,
            )
        except ValidationError as error:
            form.apply_errors(error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(name)s was merged into this card; all history is kept here.")
            % {"name": duplicate.display_name},
        )
        return redirect("leads:customer-detail", pk=self.customer.pk)
