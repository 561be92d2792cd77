"""Network pages: staff list and absences (dealer), regions / dealers / users (HQ admin).

Thin: access checks from `request.access`, reads from selectors, writes through services.
Another dealer's ids are simply not in the querysets the views look objects up in: 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin, SingleTableView
from guardian.conf import settings as guardian_settings

from . import services
from .filters import AbsenceFilterSet, DealerListFilterSet, StaffFilterSet, UserListFilterSet
from .forms import (
    AbsenceForm,
    DealerForm,
    HqUserCreateForm,
    HqUserEditForm,
    MembershipAddForm,
    MembershipChangeForm,
    RegionForm,
    StaffAddForm,
)
from .models import Dealer, Membership, Region, RegionUserObjectPermission, StaffAbsence
from .roles import Cap
from .selectors import (
    Access,
    absence_memberships,
    absences_in_scope,
    memberships_manageable_by,
    region_managers,
    request_access,
    staff_of_dealer,
)
from .services import ABSENCE_MANAGE_CAPS, ABSENCE_VIEW_CAPS
from .tables import AbsenceTable, DealerTable, RegionTable, StaffTable, UserTable

PAGE_SIZE = 50


class AccessRequiredMixin(LoginRequiredMixin):
    """Login, then the role check: any of `any_of` capabilities, optionally a writable scope
    (dealer staff, never HQ) and a current dealer. Failing the role check answers 403."""

    any_of: tuple[str, ...] = ()
    require_writable = False
    require_dealer = False
    access: Access

    def has_access(self, access: Access) -> bool:
        if self.any_of and not any(access.can(cap) for cap in self.any_of):
            return False
        if self.require_writable and not access.writable:
            return False
        return not (self.require_dealer and access.dealer is None)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.access = request_access(request)
        if not self.has_access(self.access):
            raise PermissionDenied
        self.load_objects(**kwargs)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def load_objects(self, **kwargs: Any) -> None:
        """Look up the URL's objects, after the role check (so a role limit answers 403 and an
        object outside the caller's scope 404, whatever the id)."""


def service_error(form: Any, error: ValidationError) -> None:
    form.apply_errors(error)


# --- staff absences ------------------------------------------------------------------------------


def can_manage_absences(access: Access) -> bool:
    return (
        access.writable
        and access.dealer is not None
        and any(access.can(cap) for cap in ABSENCE_MANAGE_CAPS)
    )


class AbsenceListView(AccessRequiredMixin, SingleTableMixin, FilterView):
    any_of = ABSENCE_VIEW_CAPS
    table_class = AbsenceTable
    filterset_class = AbsenceFilterSet
    template_name = "dealers/absence_list.html"
    table_pagination = {"per_page": PAGE_SIZE}

    def has_access(self, access: Access) -> bool:
        return super().has_access(access) and bool(access.dealer_ids)

    def get_queryset(self) -> QuerySet[StaffAbsence]:
        return absences_in_scope()

    def get_table_kwargs(self) -> dict[str, Any]:
        return {
            "can_manage": can_manage_absences(self.access),
            "show_dealer": len(self.access.dealer_ids) > 1,
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_manage"] = can_manage_absences(self.access)
        return context


class AbsenceFormBase(AccessRequiredMixin, FormView):
    any_of = ABSENCE_MANAGE_CAPS
    require_writable = True
    require_dealer = True
    form_class = AbsenceForm
    template_name = "dealers/absence_form.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["memberships"] = absence_memberships(self.access)
        return kwargs

    def get_success_url(self) -> str:
        return reverse("dealers:absence-list")


class AbsenceCreateView(AbsenceFormBase):
    def form_valid(self, form: AbsenceForm) -> HttpResponse:
        if self.access.dealer is None:  # has_access requires one; keeps type checkers calm
            raise PermissionDenied
        try:
            services.create_absence(
                dealer=self.access.dealer, actor=self.request.user, **form.cleaned_data
            )
        except ValidationError as error:
            service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Absence recorded."))
        return super().form_valid(form)


class AbsenceUpdateView(AbsenceFormBase):
    absence: StaffAbsence

    def load_objects(self, **kwargs: Any) -> None:
        self.absence = get_object_or_404(absences_in_scope(), pk=kwargs["pk"])

    def get_initial(self) -> dict[str, Any]:
        a = self.absence
        return {
            "membership": a.membership_id,
            "starts_on": a.starts_on,
            "ends_on": a.ends_on,
            "reason": a.reason,
            "note": a.note,
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(absence=self.absence, **kwargs)

    def form_valid(self, form: AbsenceForm) -> HttpResponse:
        try:
            services.update_absence(
                absence=self.absence, actor=self.request.user, **form.cleaned_data
            )
        except ValidationError as error:
            service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Absence updated."))
        return super().form_valid(form)


class AbsenceDeleteView(AccessRequiredMixin, View):
    any_of = ABSENCE_MANAGE_CAPS
    require_writable = True
    require_dealer = True

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        absence = get_object_or_404(absences_in_scope(), pk=pk)
        return render(request, "dealers/absence_confirm_delete.html", {"absence": absence})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        absence = get_object_or_404(absences_in_scope(), pk=pk)
        services.delete_absence(absence=absence, actor=request.user)
        messages.success(request, _("Absence deleted."))
        return redirect("dealers:absence-list")


# --- staff of the current dealer -----------------------------------------------------------------


def can_manage_staff(access: Access) -> bool:
    """Dealer admins manage their own dealer's staff here; HQ admins use the users pages."""
    return (
        access.can(Cap.STAFF_MANAGE)
        and access.writable
        and not access.is_hq
        and access.dealer is not None
    )


class StaffListView(AccessRequiredMixin, SingleTableMixin, FilterView):
    """Read-only staff directory of the current dealer (add / change for dealer admins)."""

    table_class = StaffTable
    filterset_class = StaffFilterSet
    template_name = "dealers/staff_list.html"
    table_pagination = {"per_page": PAGE_SIZE}

    def has_access(self, access: Access) -> bool:
        return access.dealer is not None or access.is_hq

    def get_queryset(self) -> QuerySet[Membership]:
        if self.access.dealer is None:
            return Membership.objects.none()
        return staff_of_dealer(dealer=self.access.dealer)

    def get_table_kwargs(self) -> dict[str, Any]:
        return {"can_manage": can_manage_staff(self.access)}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_manage"] = can_manage_staff(self.access)
        context["dealer"] = self.access.dealer
        return context


class StaffAddView(AccessRequiredMixin, FormView):
    any_of = (Cap.STAFF_MANAGE,)
    require_writable = True
    require_dealer = True
    form_class = StaffAddForm
    template_name = "dealers/staff_form.html"

    def has_access(self, access: Access) -> bool:
        return can_manage_staff(access)

    def form_valid(self, form: StaffAddForm) -> HttpResponse:
        if self.access.dealer is None:  # has_access requires one; keeps type checkers calm
            raise PermissionDenied
        try:
            services.add_staff(
                dealer=self.access.dealer,
                actor=self.request.user,
                request=self.request,
                **form.cleaned_data,
            )
        except ValidationError as error:
            service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Staff member added."))
        return redirect("dealers:staff-list")


class MembershipEditView(AccessRequiredMixin, FormView):
    """Change a staff member's role or (de)activate them. Dealer admins: their own dealer only;
    HQ admins: any dealer. Everyone else 403; another dealer's membership 404."""

    form_class = MembershipChangeForm
    template_name = "dealers/membership_form.html"
    membership: Membership

    def has_access(self, access: Access) -> bool:
        return access.can(Cap.NETWORK_ADMIN) or can_manage_staff(access)

    def load_objects(self, **kwargs: Any) -> None:
        self.membership = get_object_or_404(memberships_manageable_by(self.access), pk=kwargs["pk"])

    def get_initial(self) -> dict[str, Any]:
        return {"role": self.membership.role, "is_active": self.membership.is_active}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(membership=self.membership, **kwargs)

    def form_valid(self, form: MembershipChangeForm) -> HttpResponse:
        try:
            services.change_membership(
                membership=self.membership,
                actor=self.request.user,
                request=self.request,
                **form.cleaned_data,
            )
        except ValidationError as error:
            service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Role saved."))
        if self.access.can(Cap.NETWORK_ADMIN):
            return redirect("dealers:user-detail", pk=self.membership.user_id)
        return redirect("dealers:staff-list")


# --- HQ: regions ---------------------------------------------------------------------------------


class NetworkAdminMixin(AccessRequiredMixin):
    any_of = (Cap.NETWORK_ADMIN,)


class RegionListView(NetworkAdminMixin, SingleTableView):
    table_class = RegionTable
    template_name = "dealers/region_list.html"
    table_pagination = {"per_page": PAGE_SIZE}

    def get_queryset(self) -> QuerySet[Region]:
        perms = RegionUserObjectPermission.objects.filter(
            permission__codename="view_region_kpis"
        ).select_related("user")
        return (
            Region.objects.annotate(dealer_count=Count("dealers"))
            .prefetch_related(
                Prefetch("regionuserobjectpermission_set", queryset=perms, to_attr="manager_perms")
            )
            .order_by("name")
        )


class RegionFormView(NetworkAdminMixin, FormView):
    form_class = RegionForm
    template_name = "dealers/region_form.html"
    region: Region | None = None

    def load_objects(self, **kwargs: Any) -> None:
        if "pk" in kwargs:
            self.region = get_object_or_404(Region, pk=kwargs["pk"])

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        if self.region is not None:
            # The form works on its own copy; the service compares with the stored row.
            kwargs["instance"] = Region.objects.get(pk=self.region.pk)
            kwargs["initial"] = {"managers": list(region_managers(self.region))}
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(region=self.region, **kwargs)

    def form_valid(self, form: RegionForm) -> HttpResponse:
        data = form.cleaned_data
        actor, request = self.request.user, self.request
        try:
            if self.region is None:
                region = services.create_region(
                    code=data["code"], name=data["name"], actor=actor, request=request
                )
            else:
                region = services.update_region(
                    region=self.region,
                    code=data["code"],
                    name=data["name"],
                    actor=actor,
                    request=request,
                )
            services.set_region_managers(
                region=region, managers=data["managers"], actor=actor, request=request
            )
        except ValidationError as error:
            service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Region saved."))
        return redirect("dealers:region-list")


# --- HQ: dealers ---------------------------------------------------------------------------------


class DealerListView(NetworkAdminMixin, SingleTableMixin, FilterView):
    table_class = DealerTable
    filterset_class = DealerListFilterSet
    template_name = "dealers/dealer_list.html"
    table_pagination = {"per_page": PAGE_SIZE}

    def get_queryset(self) -> QuerySet[Dealer]:
        return (
            Dealer.objects.select_related("region", "group")
            .annotate(staff_count=Count("memberships", filter=Q(memberships__is_active=True)))
            .order_by("code")
        )


class DealerFormView(NetworkAdminMixin, FormView):
    form_class = DealerForm
    template_name = "dealers/dealer_form.html"
    dealer: Dealer | None = None

    def load_objects(self, **kwargs: Any) -> None:
        if "pk" in kwargs:
            self.dealer = get_object_or_404(Dealer, pk=kwargs["pk"])

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        if self.dealer is not None:
            kwargs["instance"] = Dealer.objects.get(pk=self.dealer.pk)
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(dealer=self.dealer, **kwargs)

    def form_valid(self, form: DealerForm) -> HttpResponse:
        actor, request = self.request.user, self.request
        try:
            if self.dealer is None:
                services.create_dealer(actor=actor, request=request, **form.cleaned_data)
            else:
                services.update_dealer(
                    dealer=self.dealer, actor=actor, request=request, **form.cleaned_data
                )
        except ValidationError as error:
            service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Dealer saved."))
        return redirect("dealers:dealer-list")


# --- HQ: users and their roles -------------------------------------------------------------------


class UserListView(NetworkAdminMixin, SingleTableMixin, FilterView):
    table_class = UserTable
    filterset_class = UserListFilterSet
    template_name = "dealers/user_list.html"
    table_pagination = {"per_page": PAGE_SIZE}

    def get_queryset(self) -> QuerySet[Any]:
        memberships = Membership.objects.select_related("dealer").order_by("dealer__code")
        return (
            get_user_model()
            .objects.exclude(username=guardian_settings.ANONYMOUS_USER_NAME)
            .prefetch_related(Prefetch("memberships", queryset=memberships))
            .order_by("username")
        )


class UserCreateView(NetworkAdminMixin, FormView):
    form_class = HqUserCreateForm
    template_name = "dealers/user_form.html"

    def form_valid(self, form: HqUserCreateForm) -> HttpResponse:
        try:
            user = services.create_hq_user(
                actor=self.request.user, request=self.request, **form.cleaned_data
            )
        except ValidationError as error:
            service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("User created."))
        return redirect("dealers:user-detail", pk=user.pk)


class UserDetailView(NetworkAdminMixin, View):
    """One account: edit it (names, HQ role, active) and its dealer roles."""

    template_name = "dealers/user_detail.html"

    def _page(
        self,
        request: HttpRequest,
        user: Any,
        edit_form: HqUserEditForm | None = None,
        membership_form: MembershipAddForm | None = None,
        status: int = 200,
    ) -> HttpResponse:
        if edit_form is None:
            edit_form = HqUserEditForm(
                initial={
                    "first_name": user.first_name,
                    "last_name": user.last_name,
                    "email": user.email,
                    "hq_role": user.hq_role,
                    "is_active": user.is_active,
                }
            )
        memberships = user.memberships.select_related("dealer").order_by("dealer__code")
        context = {
            "subject": user,
            "edit_form": edit_form,
            "membership_form": membership_form or MembershipAddForm(),
            "memberships": memberships,
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._page(request, get_object_or_404(get_user_model(), pk=pk))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = get_object_or_404(get_user_model(), pk=pk)
        if request.POST.get("action") == "add_membership":
            membership_form = MembershipAddForm(request.POST)
            if membership_form.is_valid():
                try:
                    services.add_membership(
                        user=user,
                        actor=request.user,
                        request=request,
                        **membership_form.cleaned_data,
                    )
                except ValidationError as error:
                    service_error(membership_form, error)
                else:
                    messages.success(request, _("Dealer role added."))
                    return redirect("dealers:user-detail", pk=user.pk)
            return self._page(request, user, membership_form=membership_form, status=400)
        if request.POST.get("action") != "edit":
            # Only the edit form's explicit submit edits: an empty POST must change nothing
            # (unticked checkboxes would otherwise read as "deactivate").
            messages.error(request, _("Choose an action."))
            return self._page(request, user, status=400)
        edit_form = HqUserEditForm(request.POST)
        if edit_form.is_valid():
            try:
                services.update_user(
                    user=user, actor=request.user, request=request, **edit_form.cleaned_data
                )
            except ValidationError as error:
                service_error(edit_form, error)
            else:
                messages.success(request, _("User saved."))
                return redirect("dealers:user-detail", pk=user.pk)
        return self._page(request, user, edit_form=edit_form, status=400)
