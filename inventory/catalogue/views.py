"""The catalogue pages: every dealer user and HQ reads them, HQ network admins edit them.

Thin: who may open each page is declared on its route (inventory/catalogue/urls.py), reads come
from inventory.selectors and inventory.history, writes go through inventory.services (whose
ValidationErrors land on the form, changing nothing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from dealers.clock import dealer_today
from dealers.roles import Cap
from dealers.selectors import request_access

from .. import history, services
from ..models import (
    Colour,
    LabourGrade,
    LabourOperation,
    Option,
    Part,
    PartGroup,
    PartSupersession,
    Trim,
    VehicleModel,
)
from ..selectors import (
    current_parts,
    labour_operations,
    part_detail,
    parts_list,
    superseded_by,
    supersession_chain,
    vehicle_models,
)
from . import filters, tables
from . import forms as catalogue_forms

PAGE_SIZE = 50


def can_edit(request: HttpRequest) -> bool:
    access = request_access(request)
    return access.is_hq and access.can(Cap.NETWORK_ADMIN)


class CatalogueMixin:
    """Context every catalogue page shares: which section is lit, whether the reader edits."""

    section = ""
    request: HttpRequest

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        context.update(section=self.section, can_edit=can_edit(self.request))
        return context


class ServiceFormView(CatalogueMixin, FormView):  # type: ignore[type-arg]
    """A form whose valid data goes to a service; its ValidationError goes back on the form."""

    template_name = "inventory/catalogue/form.html"
    title: Any = ""
    success_message: Any = gettext_lazy("Saved.")

    def save(self, form: Any) -> models.Model:
        raise NotImplementedError

    def success_url_for(self, obj: models.Model) -> str:
        raise NotImplementedError

    def cancel_url(self) -> str:
        raise NotImplementedError

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            obj = self.save(form)
        except ValidationError as error:
            form.apply_errors(error)
            return self.form_invalid(form)
        messages.success(self.request, str(self.success_message))
        return redirect(self.success_url_for(obj))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(title=self.title, cancel_url=self.cancel_url(), **kwargs)


class HistoryView(CatalogueMixin, TemplateView):
    """The History tab of one catalogue row: who changed what, when, old → new."""

    model: type[models.Model]
    section = ""
    template_name = "inventory/catalogue/history.html"
    back_url_name = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        obj = get_object_or_404(self.model, pk=kwargs["pk"])
        return super().get_context_data(
            obj=obj,
            rows=history.object_history(obj),
            back_url=reverse(self.back_url_name, args=[obj.pk]) if self.back_url_name else "",
            list_url=reverse(LIST_URLS[self.model]),
            kind=self.model._meta.verbose_name,
            tab="history",
            **kwargs,
        )


# --- parts ---------------------------------------------------------------------------------------


class PartListView(CatalogueMixin, SingleTableMixin, FilterView):
    section = "parts"
    table_class = tables.PartTable
    filterset_class = filters.PartFilterSet
    template_name = "inventory/catalogue/part_list.html"
    table_pagination = {"per_page": PAGE_SIZE}

    def get_queryset(self) -> QuerySet[Part]:
        return parts_list()


def _part(pk: int) -> Part:
    part = part_detail(pk)
    if part is None:
        raise Http404
    return part


class PartDetailView(CatalogueMixin, TemplateView):
    section = "parts"
    template_name = "inventory/catalogue/part_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        part = _part(kwargs["pk"])
        today = dealer_today(request_access(self.request).dealer)
        return super().get_context_data(
            part=part,
            obj=part,
            today=today,
            current=current_parts([part.number], on=today).get(part.number, part),
            chain=supersession_chain(part),
            supersedes=superseded_by(part),
            tab="details",
            **kwargs,
        )


class PartFormView(ServiceFormView):
    section = "parts"
    form_class = catalogue_forms.PartForm
    part: Part | None = None

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        if "pk" in kwargs:
            self.part = _part(kwargs["pk"])
        self.title = (
            _("Edit part %(number)s") % {"number": self.part.number} if self.part else _("New part")
        )

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "part": self.part}

    def save(self, form: Any) -> Part:
        data = dict(form.cleaned_data)
        if self.part is None:
            return services.create_part(actor=self.request.user, request=self.request, **data)
        return services.change_part(
            actor=self.request.user, request=self.request, part=self.part, **data
        )

    def success_url_for(self, obj: models.Model) -> str:
        return reverse("inventory:catalogue-part", args=[obj.pk])

    def cancel_url(self) -> str:
        if self.part is not None:
            return reverse("inventory:catalogue-part", args=[self.part.pk])
        return reverse("inventory:catalogue-parts")


class PartReplaceView(ServiceFormView):
    """HQ: `part` is replaced by another from a day (or no longer replaced)."""

    section = "parts"
    form_class = catalogue_forms.ReplaceForm
    template_name = "inventory/catalogue/part_replace.html"
    success_message = gettext_lazy("Replacement saved.")

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.part = _part(kwargs["pk"])
        self.current = (
            PartSupersession.objects.filter(part=self.part).select_related("replaced_by").first()
        )
        self.title = _("Replace part %(number)s") % {"number": self.part.number}

    def get_initial(self) -> dict[str, Any]:
        if self.current is None:
            return {}
        return {
            "replaced_by": self.current.replaced_by.number,
            "valid_from": self.current.valid_from,
            "note": self.current.note,
        }

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "remove" in request.POST:
            try:
                services.remove_supersession(part=self.part, actor=request.user, request=request)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                return redirect("inventory:catalogue-part-replace", pk=self.part.pk)
            messages.success(request, _("The part is no longer replaced."))
            return redirect("inventory:catalogue-part", pk=self.part.pk)
        return super().post(request, *args, **kwargs)

    def save(self, form: Any) -> Part:
        services.supersede(
            part=self.part,
            replaced_by=form.cleaned_data["replaced_by"],
            valid_from=form.cleaned_data["valid_from"],
            note=form.cleaned_data["note"],
            actor=self.request.user,
            request=self.request,
        )
        return self.part

    def success_url_for(self, obj: models.Model) -> str:
        return reverse("inventory:catalogue-part", args=[obj.pk])

    def cancel_url(self) -> str:
        return reverse("inventory:catalogue-part", args=[self.part.pk])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(part=self.part, current=self.current, **kwargs)


# --- labour operations ---------------------------------------------------------------------------


class LabourListView(CatalogueMixin, SingleTableMixin, FilterView):
    section = "labour"
    table_class = tables.LabourOperationTable
    filterset_class = filters.LabourOperationFilterSet
    template_name = "inventory/catalogue/labour_list.html"
    table_pagination = {"per_page": PAGE_SIZE}

    def get_queryset(self) -> QuerySet[LabourOperation]:
        return labour_operations()


class LabourDetailView(CatalogueMixin, TemplateView):
    section = "labour"
    template_name = "inventory/catalogue/labour_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        operation = get_object_or_404(labour_operations(), pk=kwargs["pk"])
        return super().get_context_data(operation=operation, obj=operation, tab="details", **kwargs)


class LabourFormView(ServiceFormView):
    section = "labour"
    form_class = catalogue_forms.LabourOperationForm
    operation: LabourOperation | None = None

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        if "pk" in kwargs:
            self.operation = get_object_or_404(labour_operations(), pk=kwargs["pk"])
        self.title = (
            _("Edit operation %(code)s") % {"code": self.operation.code}
            if self.operation
            else _("New labour operation")
        )

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "editing": self.operation is not None}

    def get_initial(self) -> dict[str, Any]:
        op = self.operation
        if op is None:
            return {"is_active": True}
        return {
            "description": op.description,
            "grade": op.grade_id,
            "standard_hours": op.standard_hours,
            "vehicle_models": [m.pk for m in op.vehicle_models.all()],
            "is_active": op.is_active,
        }

    def save(self, form: Any) -> LabourOperation:
        data = form.cleaned_data
        return services.save_labour_operation(
            actor=self.request.user,
            request=self.request,
            code=self.operation.code if self.operation else data["code"],
            description=data["description"],
            grade_id=data["grade"].pk,
            standard_hours=data["standard_hours"],
            vehicle_model_ids=[m.pk for m in data["vehicle_models"]],
            is_active=data["is_active"],
        )

    def success_url_for(self, obj: models.Model) -> str:
        return reverse("inventory:catalogue-labour", args=[obj.pk])

    def cancel_url(self) -> str:
        if self.operation is not None:
            return reverse("inventory:catalogue-labour", args=[self.operation.pk])
        return reverse("inventory:catalogue-labour-list")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(tom_select=True, **kwargs)


# --- vehicle catalogue ---------------------------------------------------------------------------


class VehicleListView(CatalogueMixin, SingleTableMixin, FilterView):
    section = "vehicles"
    table_class = tables.VehicleModelTable
    filterset_class = filters.VehicleModelFilterSet
    template_name = "inventory/catalogue/vehicle_list.html"
    table_pagination = {"per_page": PAGE_SIZE}

    def get_queryset(self) -> QuerySet[VehicleModel]:
        return vehicle_models()


class VehicleDetailView(CatalogueMixin, TemplateView):
    section = "vehicles"
    template_name = "inventory/catalogue/vehicle_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        model = get_object_or_404(VehicleModel, pk=kwargs["pk"])
        return super().get_context_data(
            vehicle=model,
            obj=model,
            trims=list(model.trims.order_by("code")),
            tab="details",
            **kwargs,
        )


class SimpleFormView(ServiceFormView):
    """Create or edit one row of a small catalogue table through its service."""

    model: type[models.Model]
    service: Callable[..., models.Model]
    instance_arg = ""
    list_url_name = ""
    detail_url_name = ""  # the row's page after saving (else the list)
    titles: tuple[Any, Any] = ("", "")
    instance: Any = None

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        if "pk" in kwargs:
            self.instance = get_object_or_404(self.model, pk=kwargs["pk"])
        new, edit = self.titles
        self.title = edit % {"code": self.instance.code} if self.instance else new

    def get_initial(self) -> dict[str, Any]:
        if self.instance is None:
            initial: dict[str, Any] = {"is_active": True}
            if "vehicle_model" in self.request.GET:
                initial["vehicle_model"] = self.request.GET.get("vehicle_model")
            return initial
        form_fields = self.get_form_class().base_fields
        return {
            name: getattr(self.instance, f"{name}_id", getattr(self.instance, name, None))
            for name in form_fields
        }

    def save(self, form: Any) -> models.Model:
        return type(self).service(
            actor=self.request.user,
            request=self.request,
            **{self.instance_arg: self.instance},
            **form.cleaned_data,
        )

    def success_url_for(self, obj: models.Model) -> str:
        if self.detail_url_name:
            target = getattr(obj, "vehicle_model_id", obj.pk)
            return reverse(self.detail_url_name, args=[target])
        return reverse(self.list_url_name)

    def cancel_url(self) -> str:
        return reverse(self.list_url_name)


class SimpleListView(CatalogueMixin, SingleTableMixin, FilterView):
    template_name = "inventory/catalogue/simple_list.html"
    table_pagination = {"per_page": PAGE_SIZE}
    title: Any = ""
    add_url_name = ""
    add_label: Any = ""

    def get_table_kwargs(self) -> dict[str, Any]:
        return {"can_edit": can_edit(self.request)}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            title=self.title, add_url_name=self.add_url_name, add_label=self.add_label, **kwargs
        )


class _CodeNameFilter(filters.CodeNameFilterSet):
    class Meta:
        model = PartGroup
        fields = ["q"]


class _GradeFilter(filters.CodeNameFilterSet):
    class Meta:
        model = LabourGrade
        fields = ["q"]


class _ColourFilter(filters.CodeNameFilterSet):
    class Meta:
        model = Colour
        fields = ["q"]


class PartGroupListView(SimpleListView):
    section = "part-groups"
    model = PartGroup
    table_class = tables.PartGroupTable
    filterset_class = _CodeNameFilter
    title = gettext_lazy("Part groups")
    add_url_name = "inventory:catalogue-part-group-add"
    add_label = gettext_lazy("New part group")


class LabourGradeListView(SimpleListView):
    section = "labour-grades"
    model = LabourGrade
    table_class = tables.LabourGradeTable
    filterset_class = _GradeFilter
    title = gettext_lazy("Labour grades")
    add_url_name = "inventory:catalogue-labour-grade-add"
    add_label = gettext_lazy("New labour grade")


class ColourListView(SimpleListView):
    section = "colours"
    model = Colour
    table_class = tables.ColourTable
    filterset_class = _ColourFilter
    title = gettext_lazy("Colours")
    add_url_name = "inventory:catalogue-colour-add"
    add_label = gettext_lazy("New colour")


class OptionListView(SimpleListView):
    section = "options"
    model = Option
    table_class = tables.OptionTable
    filterset_class = filters.OptionFilterSet
    title = gettext_lazy("Options and accessories")
    add_url_name = "inventory:catalogue-option-add"
    add_label = gettext_lazy("New option or accessory")


class PartGroupFormView(SimpleFormView):
    section = "part-groups"
    model = PartGroup
    form_class = catalogue_forms.CodeNameForm
    service = services.save_part_group
    instance_arg = "group"
    list_url_name = "inventory:catalogue-part-groups"
    titles = (gettext_lazy("New part group"), gettext_lazy("Edit part group %(code)s"))


class LabourGradeFormView(SimpleFormView):
    section = "labour-grades"
    model = LabourGrade
    form_class = catalogue_forms.CodeNameForm
    service = services.save_labour_grade
    instance_arg = "grade"
    list_url_name = "inventory:catalogue-labour-grades"
    titles = (gettext_lazy("New labour grade"), gettext_lazy("Edit labour grade %(code)s"))


class ColourFormView(SimpleFormView):
    section = "colours"
    model = Colour
    form_class = catalogue_forms.ActiveCodeNameForm
    service = services.save_colour
    instance_arg = "colour"
    list_url_name = "inventory:catalogue-colours"
    titles = (gettext_lazy("New colour"), gettext_lazy("Edit colour %(code)s"))


class OptionFormView(SimpleFormView):
    section = "options"
    model = Option
    form_class = catalogue_forms.OptionForm
    service = services.save_option
    instance_arg = "option"
    list_url_name = "inventory:catalogue-options"
    titles = (
        gettext_lazy("New option or accessory"),
        gettext_lazy("Edit option or accessory %(code)s"),
    )


class VehicleFormView(SimpleFormView):
    section = "vehicles"
    model = VehicleModel
    form_class = catalogue_forms.VehicleModelForm
    service = services.save_vehicle_model
    instance_arg = "vehicle_model"
    list_url_name = "inventory:catalogue-vehicles"
    detail_url_name = "inventory:catalogue-vehicle"
    titles = (gettext_lazy("New model"), gettext_lazy("Edit model %(code)s"))

    def success_url_for(self, obj: models.Model) -> str:
        return reverse(self.detail_url_name, args=[obj.pk])


class TrimFormView(SimpleFormView):
    section = "vehicles"
    model = Trim
    form_class = catalogue_forms.TrimForm
    service = services.save_trim
    instance_arg = "trim"
    list_url_name = "inventory:catalogue-vehicles"
    detail_url_name = "inventory:catalogue-vehicle"
    titles = (gettext_lazy("New trim"), gettext_lazy("Edit trim %(code)s"))


# --- history -------------------------------------------------------------------------------------

LIST_URLS: dict[type[models.Model], str] = {
    Part: "inventory:catalogue-parts",
    LabourOperation: "inventory:catalogue-labour-list",
    VehicleModel: "inventory:catalogue-vehicles",
    PartGroup: "inventory:catalogue-part-groups",
    LabourGrade: "inventory:catalogue-labour-grades",
    Colour: "inventory:catalogue-colours",
    Option: "inventory:catalogue-options",
}


class RecentChangesView(CatalogueMixin, TemplateView):
    """HQ: the newest changes across the catalogue's tables, 50 a page (at most 20 pages)."""

    section = "changes"
    template_name = "inventory/catalogue/recent_changes.html"
    per_page = 50
    max_page = 20

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        choices = [(m._meta.model_name, m._meta.verbose_name) for m in history.TRACKED]
        table = self.request.GET.get("table", "")
        chosen = [m for m in history.TRACKED if m._meta.model_name == table] or list(
            history.TRACKED
        )
        try:
            page = min(max(int(self.request.GET.get("page", "1")), 1), self.max_page)
        except ValueError:
            page = 1
        rows = history.recent_changes(
            models_=chosen, count=self.per_page + 1, skip=(page - 1) * self.per_page
        )
        return super().get_context_data(
            rows=rows[: self.per_page],
            page=page,
            has_next=len(rows) > self.per_page and page < self.max_page,
            table_choices=choices,
            table=table if len(chosen) == 1 else "",
            **kwargs,
        )
