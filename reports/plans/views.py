"""Sales plan pages: version list and detail (HQ and dealer managers, read within scope), HQ
upload with dry-run preview and confirmation, the dealer manager's consultant split.

Thin: role checks first (AccessRequiredMixin answers 403 before any lookup), objects looked up
only inside the caller's scope (404 otherwise), writes through reports.plans.services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from dealers.models import Dealer
from dealers.roles import Cap
from dealers.views import AccessRequiredMixin
from reports.models import Metric, PlanVersion

from . import selectors, services
from .forms import (
    ConfirmForm,
    PlanUploadForm,
    SplitChoiceForm,
    VersionFilterForm,
    cell_name,
    parse_split_cells,
)

READ_CAPS = (Cap.NETWORK_ADMIN, Cap.KPI_NETWORK, Cap.PLAN_SPLIT)
MONTH_LABELS = [str(MONTHS_3[m]).title() for m in range(1, 13)]
PREVIEW_ERROR_LIMIT = 500


def _metric_rows(totals: dict[str, list[int]]) -> list[dict[str, Any]]:
    return [
        {
            "metric": m,
            "label": Metric(m).label,
            "months": totals.get(m, [0] * 12),
            "total": sum(totals.get(m, [])),
        }
        for m in Metric.values
    ]


class PlanListView(AccessRequiredMixin, TemplateView):
    any_of = READ_CAPS
    template_name = "reports/plans/plan_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        access = self.access
        versions = list(selectors.visible_versions(access))
        current = selectors.current_numbers()
        year = timezone.localdate().year
        context.update(
            versions=versions,
            current=current,
            can_upload=access.can(Cap.NETWORK_ADMIN),
            can_split=access.can(Cap.PLAN_SPLIT) and access.writable and access.dealer,
            dealer=access.dealer if not access.is_hq else None,
            year=year,
        )
        if context["can_split"] and access.dealer is not None:
            version = selectors.current_version(year)
            if version is not None and any(v.pk == version.pk for v in versions):
                context["split_version"] = version
                context["split_status"] = [
                    (Metric(m).label, m, n)
                    for m, n in selectors.split_status(
                        dealer=access.dealer, version=version
                    ).items()
                ]
        return context


class PlanVersionView(AccessRequiredMixin, TemplateView):
    any_of = READ_CAPS
    template_name = "reports/plans/version_detail.html"
    version: PlanVersion

    def load_objects(self, **kwargs: Any) -> None:
        self.version = get_object_or_404(selectors.visible_versions(self.access), pk=kwargs["pk"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        ids = self.access.dealer_ids
        form = VersionFilterForm(self.request.GET or None, dealer_ids=ids)
        filters = form.filters()
        metric = form.chosen_metric()
        grid = selectors.version_grid(self.version, metric=metric, dealer_ids=ids, **filters)
        totals = selectors.metric_month_totals(self.version, dealer_ids=ids, **filters)
        current = selectors.current_numbers().get(self.version.year)
        context.update(
            version=self.version,
            is_current=current == self.version.number,
            form=form,
            metric=metric,
            metric_label=Metric(metric).label,
            grid=grid,
            metric_rows=_metric_rows(totals),
            months=MONTH_LABELS,
            dealer_count=len(grid.rows),
            in_scope=selectors.scope_dealer_count(self.version, dealer_ids=ids),
        )
        return context


# --- HQ upload ------------------------------------------------------------------------------------


class PlanUploadView(AccessRequiredMixin, FormView):
    any_of = (Cap.NETWORK_ADMIN,)
    form_class = PlanUploadForm
    template_name = "reports/plans/upload.html"

    def form_valid(self, form: PlanUploadForm) -> HttpResponse:
        upload = form.cleaned_data["file"]
        content = upload.read(services.MAX_UPLOAD_BYTES + 1)
        staged = services.stage_upload(
            content=content,
            filename=upload.name or "",
            year=form.cleaned_data["year"],
            note=form.cleaned_data["note"],
            user=self.request.user,
        )
        return redirect("reports:plan_preview", token=staged.token)


class _StagedMixin(AccessRequiredMixin):
    any_of = (Cap.NETWORK_ADMIN,)
    staged: services.StagedUpload

    def load_objects(self, **kwargs: Any) -> None:
        staged = services.staged_upload(token=kwargs["token"], user=self.request.user)  # type: ignore[attr-defined]
        if staged is None:
            raise Http404
        self.staged = staged


class PlanPreviewView(_StagedMixin, TemplateView):
    template_name = "reports/plans/preview.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        staged = self.staged
        summary = staged.summary
        context.update(
            staged=staged,
            errors=staged.errors[:PREVIEW_ERROR_LIMIT],
            more_errors=max(0, len(staged.errors) - PREVIEW_ERROR_LIMIT),
            months=MONTH_LABELS,
            metrics=[(m, Metric(m).label) for m in Metric.values],
        )
        if summary is not None:
            context["metric_rows"] = _metric_rows(summary.by_metric_month)
            context["regions"] = [
                {
                    "name": name,
                    "dealers": values["dealers"],
                    "metrics": [values.get(m, 0) for m in Metric.values],
                }
                for name, values in summary.by_region.items()
            ]
            context["metric_totals"] = [summary.metric_totals()[m] for m in Metric.values]
            current = selectors.current_version(staged.year)
            if current is not None:
                before = selectors.metric_month_totals(current, dealer_ids=self.access.dealer_ids)
                context["current"] = current
                context["comparison"] = [
                    {
                        "label": Metric(m).label,
                        "before": sum(before[m]),
                        "after": summary.metric_totals()[m],
                        "change": summary.metric_totals()[m] - sum(before[m]),
                    }
                    for m in Metric.values
                ]
        return context


class PlanConfirmView(_StagedMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = ConfirmForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("The confirmation is incomplete. Preview the file again."))
            return redirect("reports:plan_preview", token=self.staged.token)
        try:
            version = services.import_plan(
                staged=self.staged,
                sha256=form.cleaned_data["sha256"],
                expected_number=form.cleaned_data["number"],
                actor=request.user,
                request=request,
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("reports:plan_preview", token=self.staged.token)
        messages.success(
            request,
            _("Imported %(rows)s targets as version %(n)s of %(year)s.")
            % {"rows": version.row_count, "n": version.number, "year": version.year},
        )
        return redirect("reports:plan_version", pk=version.pk)


class PlanErrorsCsvView(_StagedMixin, View):
    http_method_names = ["get"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = HttpResponse(
            services.errors_csv(self.staged.errors), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="plan-errors.csv"'
        return response


class PlanTemplateCsvView(AccessRequiredMixin, View):
    any_of = (Cap.NETWORK_ADMIN,)
    http_method_names = ["get"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        year = timezone.localdate().year
        response = HttpResponse(services.template_csv(year), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="plan-template-{year}.csv"'
        return response


class PlanTemplateXlsxView(AccessRequiredMixin, View):
    any_of = (Cap.NETWORK_ADMIN,)
    http_method_names = ["get"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        year = timezone.localdate().year
        response = HttpResponse(
            services.template_xlsx(year),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="plan-template-{year}.xlsx"'
        return response


# --- consultant split --------------------------------------------------------------------------


class PlanSplitView(AccessRequiredMixin, View):
    """Consultants x months grid for one metric of the dealer's current plan."""

    any_of = (Cap.PLAN_SPLIT,)
    require_writable = True
    require_dealer = True
    http_method_names = ["get", "post"]
    template_name = "reports/plans/split.html"

    def _setup(self, request: HttpRequest) -> tuple[int, str, PlanVersion | None]:
        choice = SplitChoiceForm(request.GET or None)
        year, metric = choice.values()
        self.choice = choice
        version = selectors.current_version(year)
        if (
            version is not None
            and not selectors.visible_versions(self.access).filter(pk=version.pk).exists()
        ):
            version = None  # the current version has no target for this dealer
        return year, metric, version

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        year, metric, version = self._setup(request)
        cells: dict[tuple[int, int], int] = {}
        if version is not None:
            cells = selectors.split_cells(dealer=self._dealer(), version=version, metric=metric)
        return self._render(year, metric, version, cells=cells, raw=None, errors={})

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        year, metric, version = self._setup(request)
        dealer = self._dealer()
        if version is None:
            messages.error(request, _("There is no plan for this dealer and year to split."))
            return redirect(self._url(year, metric))
        consultants = services.split_consultants(dealer)
        ids = [u.pk for u in consultants]
        plan = selectors.dealer_plan_by_month(dealer=dealer, version=version, metric=metric)
        if request.POST.get("action") == "even":
            cells: dict[tuple[int, int], int] = {}
            for month in range(1, 13):
                for uid, share in zip(ids, services.even_split(plan[month], len(ids)), strict=True):
                    cells[(uid, month)] = share
            messages.info(request, _("Even split filled in: check it and save."))
            return self._render(year, metric, version, cells=cells, raw=None, errors={})
        cells, cell_errors = parse_split_cells(request.POST, ids)
        if cell_errors:
            return self._render(
                year,
                metric,
                version,
                cells=cells,
                raw=request.POST,
                errors=cell_errors,
                problems=[_("Some cells are not whole numbers: nothing was saved.")],
            )
        try:
            saved = services.save_split(
                dealer=dealer,
                version=version,
                metric=metric,
                cells=cells,
                plan=plan,
                actor=request.user,
                request=request,
            )
        except ValidationError as exc:
            return self._render(
                year,
                metric,
                version,
                cells=cells,
                raw=request.POST,
                errors={},
                problems=[*exc.messages, _("Nothing was saved.")],
            )
        messages.success(
            request,
            _("Split of %(metric)s saved (%(n)s targets).")
            % {"metric": Metric(metric).label, "n": saved},
        )
        return redirect(self._url(year, metric))

    def _dealer(self) -> Dealer:
        if self.access.dealer is None:  # require_dealer checked it already
            raise PermissionDenied
        return self.access.dealer

    def _url(self, year: int, metric: str) -> str:
        return f"{reverse('reports:plan_split')}?year={year}&metric={metric}"

    def _render(
        self,
        year: int,
        metric: str,
        version: PlanVersion | None,
        *,
        cells: dict[tuple[int, int], int],
        raw: Any,
        errors: dict[str, str],
        problems: list[str] | None = None,
    ) -> HttpResponse:
        dealer = self._dealer()
        consultants = services.split_consultants(dealer)
        plan = (
            selectors.dealer_plan_by_month(dealer=dealer, version=version, metric=metric)
            if version is not None
            else dict.fromkeys(range(1, 13), 0)
        )
        rows = []
        for user in consultants:
            row_cells = []
            for month in range(1, 13):
                name = cell_name(user.pk, month)
                value = raw.get(name, "") if raw is not None else cells.get((user.pk, month), "")
                row_cells.append({"name": name, "value": value, "error": errors.get(name)})
            total = sum(cells.get((user.pk, m), 0) for m in range(1, 13))
            rows.append({"user": user, "cells": row_cells, "total": total})
        sums = [sum(cells.get((u.pk, m), 0) for u in consultants) for m in range(1, 13)]
        plan_list = [plan[m] for m in range(1, 13)]
        context = {
            "dealer": dealer,
            "year": year,
            "metric": metric,
            "metric_label": Metric(metric).label,
            "version": version,
            "choice": self.choice,
            "metrics": [(m, Metric(m).label) for m in Metric.values],
            "months": MONTH_LABELS,
            "rows": rows,
            "plan": plan_list,
            "plan_total": sum(plan_list),
            "sums": [
                {"value": s, "plan": p, "ok": s == p} for s, p in zip(sums, plan_list, strict=True)
            ],
            "sum_total": sum(sums),
            "problems": problems or [],
            "has_split": bool(
                version is not None
                and selectors.split_cells(dealer=dealer, version=version, metric=metric)
            ),
        }
        return render(self.request, self.template_name, context)
