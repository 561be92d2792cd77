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
from dms import tabular
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


def month_labels() -> list[str]:
    """Jan … Dec in the active language (per request: a module-level list would keep the
    language of whoever loaded the module first)."""
    return [str(MONTHS_3[m]).title() for m in range(1, 13)]


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
            months=month_labels(),
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
            months=month_labels(),
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
    """The upload's problems as CSV, or XLSX (`file_format`, set by the route)."""

    http_method_names = ["get"]
    file_format = "csv"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        content = services.errors_file(self.staged.errors, self.file_format)
        return tabular.attachment(content, self.file_format, "plan-errors")


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
    """Consultants x months grid for one metric of the dealer's current plan. Months that are
    over stay as saved (read only), departed consultants' kept rows too; the rules are in
    reports.plans.selectors.SplitFrame and services.save_split."""

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
        if version is None:
            return self._render(year, metric, None, None, cells={}, raw=None, errors={})
        frame = self._frame(version, metric)
        cells, moved = services.reassign_cells(frame)
        return self._render(
            year, metric, version, frame, cells=cells, raw=None, errors={}, moved=moved
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        year, metric, version = self._setup(request)
        dealer = self._dealer()
        if version is None:
            messages.error(request, _("There is no plan for this dealer and year to split."))
            return redirect(self._url(year, metric))
        frame = self._frame(version, metric)
        action = request.POST.get("action")
        if action == "even":
            messages.info(request, _("Even split filled in: check it and save."))
            cells = services.even_cells(frame)
            return self._render(year, metric, version, frame, cells=cells, raw=None, errors={})
        if action == "carry":
            source = selectors.carry_over_source(dealer=dealer, version=version, metric=metric)
            if source is None:
                messages.error(
                    request, _("There is no earlier split of this metric to start from.")
                )
                return redirect(self._url(year, metric))
            cells = services.carry_over_cells(
                frame=frame,
                source=selectors.split_cells(dealer=dealer, version=source, metric=metric),
            )
            messages.info(
                request,
                _(
                    "Filled in from version %(n)s's split, scaled to this version's plan. "
                    "Nothing is saved until you save."
                )
                % {"n": source.number},
            )
            return self._render(year, metric, version, frame, cells=cells, raw=None, errors={})
        cells, cell_errors = parse_split_cells(
            request.POST, frame.editable_cells(), [p.pk for p in frame.people]
        )
        if cell_errors:
            return self._render(
                year,
                metric,
                version,
                frame,
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
                actor=request.user,
                request=request,
                today=frame.today,
            )
        except ValidationError as exc:
            return self._render(
                year,
                metric,
                version,
                frame,
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

    def _frame(self, version: PlanVersion, metric: str) -> selectors.SplitFrame:
        return selectors.split_frame(dealer=self._dealer(), version=version, metric=metric)

    def _url(self, year: int, metric: str) -> str:
        return f"{reverse('reports:plan_split')}?year={year}&metric={metric}"

    def _render(
        self,
        year: int,
        metric: str,
        version: PlanVersion | None,
        frame: selectors.SplitFrame | None,
        *,
        cells: dict[tuple[int, int], int],
        raw: Any,
        errors: dict[str, str],
        problems: list[str] | None = None,
        moved: list[services.Reassignment] | None = None,
    ) -> HttpResponse:
        dealer = self._dealer()
        context: dict[str, Any] = {
            "dealer": dealer,
            "year": year,
            "metric": metric,
            "metric_label": Metric(metric).label,
            "version": version,
            "choice": self.choice,
            "metrics": [(m, Metric(m).label) for m in Metric.values],
            "months": month_labels(),
            "problems": problems or [],
        }
        if version is None or frame is None:
            return render(self.request, self.template_name, context)
        rows: list[dict[str, Any]] = []
        for person in frame.people:
            row_cells = []
            total = 0
            for month in range(1, 13):
                key = (person.pk, month)
                name = cell_name(person.pk, month)
                if frame.editable(*key):
                    value = raw.get(name, "") if raw is not None else cells.get(key, "")
                    total += cells.get(key, 0)
                    row_cells.append(
                        {"state": "edit", "name": name, "value": value, "error": errors.get(name)}
                    )
                elif key in frame.kept:
                    total += frame.kept[key]
                    row_cells.append({"state": "kept", "value": frame.kept[key]})
                else:
                    row_cells.append({"state": "none", "old": frame.orphaned.get(key)})
            rows.append(
                {
                    "person": person,
                    "cells": row_cells,
                    "total": total,
                    "gone": not person.active,
                    "leaves": person.active and person.left_on is not None,
                }
            )
        if not any(p.active for p in frame.people):
            rows = []  # no one to split across: the template says so
        sums = [
            frame.kept_sum(m)
            + sum(v for (uid, mm), v in cells.items() if mm == m and frame.editable(uid, mm))
            for m in range(1, 13)
        ]
        plan_list = [frame.plan[m] for m in range(1, 13)]
        source = selectors.carry_over_source(dealer=dealer, version=version, metric=metric)
        labels = month_labels()
        context.update(
            frame=frame,
            rows=rows,
            month_heads=[
                {"label": label, "closed": m in frame.closed}
                for m, label in enumerate(labels, start=1)
            ],
            closed_months=[labels[m - 1] for m in sorted(frame.closed)],
            plan=plan_list,
            plan_total=sum(plan_list),
            sums=[
                {"value": s, "plan": p, "ok": s == p} for s, p in zip(sums, plan_list, strict=True)
            ],
            sum_total=sum(sums),
            has_split=bool(frame.saved),
            carry_source=source,
            moved=[
                {
                    "name": m.person.name,
                    "left_on": m.person.left_on,
                    "gone": not m.person.active,
                    "months": ", ".join(labels[x - 1] for x in m.months),
                    "total": m.total,
                }
                for m in moved or []
            ],
        )
        return render(self.request, self.template_name, context)
