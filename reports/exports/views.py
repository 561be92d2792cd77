"""KPI export pages and downloads (thin: scope checks from reports.exports.selectors, the work in
reports.exports.services, every file handed out written to the audit log).

Routes (namespace `reports`, under /reports/exports/):
- export_list                 the export page (period, dealer, CSV links, pack jobs)
- export_kpi_pdf              dealers/<dealer_id>/kpi-pack.pdf?year=&month=   (synchronous)
- export_dealer_csv           dealers/<dealer_id>/csv/?table=summary|funnel|leaderboard|trend
- export_dealer_xlsx          dealers/<dealer_id>/xlsx/?table=…   (the same table as a workbook)
- export_network_csv          network.csv?table=network&region=<id>&year=&month=  (HQ)
- export_network_xlsx         network.xlsx?…   (the same table as a workbook)
- export_job_start            jobs/  (POST: region, kind, year, month)  (HQ)
- export_job                  jobs/<pk>/  (status; the page polls it with htmx)
- export_job_download         jobs/<pk>/download/  (requester only; an expired file redirects
                              to the export page with a message)
- export_job_restart          jobs/<pk>/restart/  (POST: the same packs again, for a failed or
                              expired job)

A dealer outside the caller's scope, or someone else's job, answers 404 whatever the id; a role
without KPI rights answers 403 before any lookup.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from dealers.models import Dealer, Region
from dealers.selectors import Access, request_access
from dealers.views import AccessRequiredMixin
from dms import tabular
from reports.models import ExportJob

from . import services
from .selectors import (
    can_export_dealer_kpis,
    can_export_network,
    exportable_dealers,
    exportable_regions,
    jobs_for,
)

RECENT_JOBS = 10


def _list_url(**params: Any) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse("reports:export_list") + (f"?{query}" if query else "")


def _attachment(content: bytes | str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


class DealerExportMixin(AccessRequiredMixin):
    """KPI rights first (403 alike for any id), then the dealer from the caller's scope (404)."""

    dealer: Dealer

    def has_access(self, access: Access) -> bool:
        return can_export_dealer_kpis(access)

    def load_objects(self, **kwargs: Any) -> None:
        self.dealer = get_object_or_404(exportable_dealers(self.access), pk=kwargs["dealer_id"])

    def period_or_redirect(self, request: HttpRequest) -> services.Period | HttpResponse:
        try:
            return services.parse_period(request.GET, default=services.default_period(self.access))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages) + " " + _("Nothing was exported."))
            return redirect(_list_url(dealer=self.dealer.pk))


class ExportListView(AccessRequiredMixin, TemplateView):
    template_name = "reports/exports/export_list.html"

    def has_access(self, access: Access) -> bool:
        return can_export_dealer_kpis(access)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        default = services.default_period(self.access)
        try:
            period = services.parse_period(self.request.GET, default=default)
        except ValidationError as error:
            messages.error(self.request, " ".join(error.messages))
            period = default
        dealers = exportable_dealers(self.access)
        chosen: Dealer | None = None
        raw = self.request.GET.get("dealer", "")
        if raw.isdigit():
            chosen = dealers.filter(pk=int(raw)).first()
            if chosen is None:
                raise Http404
        elif self.access.dealer is not None and self.access.dealer.pk in self.access.dealer_ids:
            chosen = dealers.filter(pk=self.access.dealer.pk).first()
        elif len(self.access.dealer_ids) == 1:
            chosen = dealers.first()
        network = can_export_network(self.access)
        query = urlencode({"year": period.year, "month": period.month})
        context.update(
            period=period,
            query=query,
            months=[(m, dt.date(2000, m, 1)) for m in range(1, 13)],
            dealers=dealers if len(self.access.dealer_ids) > 1 else [],
            chosen=chosen,
            dealer_tables=services.DEALER_TABLES,
            network=network,
        )
        if network:
            context.update(
                regions=exportable_regions(self.access),
                kinds=ExportJob.Kind.choices,
                jobs=list(jobs_for(self.access)[:RECENT_JOBS]),
                combined_max=services.COMBINED_MAX_DEALERS,
            )
        return context


class DealerPdfView(DealerExportMixin, View):
    def get(self, request: HttpRequest, dealer_id: int) -> HttpResponse:
        period = self.period_or_redirect(request)
        if isinstance(period, HttpResponse):
            return period
        content, pages, kpis = services.dealer_pack(dealer=self.dealer, period=period)
        services.record_export(
            request=request,
            actor=request.user,
            dealer=self.dealer,
            object_type=services.PACK_OBJECT,
            object_id=f"{self.dealer.code}/{period.slug}",
            count=pages,
            detail={"format": "pdf", "document": "kpi_pack", "month": period.slug},
        )
        return _attachment(content, "application/pdf", services.pack_filename(kpis))


class DealerCsvView(DealerExportMixin, View):
    """One table of the dealer dashboard as CSV, or XLSX (`file_format`, set by the route)."""

    file_format = "csv"

    def get(self, request: HttpRequest, dealer_id: int) -> HttpResponse:
        table = request.GET.get("table", "")
        if table not in services.DEALER_TABLES:
            messages.error(request, _("Unknown table; nothing was exported."))
            return redirect(_list_url(dealer=self.dealer.pk))
        period = self.period_or_redirect(request)
        if isinstance(period, HttpResponse):
            return period
        content, count = services.dealer_table_file(
            dealer=self.dealer, period=period, table=table, file_format=self.file_format
        )
        services.record_export(
            request=request,
            actor=request.user,
            dealer=self.dealer,
            object_type=services.TABLE_OBJECT,
            object_id=f"{self.dealer.code}/{period.slug}/{table}",
            count=count,
            detail={"format": self.file_format, "table": table, "month": period.slug},
        )
        filename = f"kpi-{table}-{services.safe_name(self.dealer.code)}-{period.slug}"
        return tabular.attachment(content, self.file_format, filename)


class NetworkCsvView(AccessRequiredMixin, View):
    """The HQ network table of the dealers in scope, optionally one region of them, as CSV or
    XLSX (`file_format`, set by the route)."""

    file_format = "csv"

    def has_access(self, access: Access) -> bool:
        return can_export_network(access)

    def get(self, request: HttpRequest) -> HttpResponse:
        table = request.GET.get("table", "network")
        region: Region | None = None
        raw_region = request.GET.get("region", "")
        if raw_region:
            if not raw_region.isdigit():
                raise Http404
            region = get_object_or_404(exportable_regions(self.access), pk=int(raw_region))
        if table not in services.NETWORK_TABLES:
            messages.error(request, _("Unknown table; nothing was exported."))
            return redirect(_list_url())
        try:
            period = services.parse_period(
                request.GET, default=services.default_period(self.access)
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages) + " " + _("Nothing was exported."))
            return redirect(_list_url())
        ids = services.network_dealer_ids(self.access, region)
        content, count = services.network_table_file(
            dealer_ids=ids, period=period, file_format=self.file_format
        )
        services.record_export(
            request=request,
            actor=request.user,
            dealer=None,
            object_type=services.TABLE_OBJECT,
            object_id=f"network/{period.slug}",
            count=count,
            detail={
                "format": self.file_format,
                "table": table,
                "month": period.slug,
                "region": region.code if region else None,
            },
        )
        scope = services.safe_name(region.code) if region else "network"
        return tabular.attachment(content, self.file_format, f"kpi-{scope}-{period.slug}")


class JobStartView(AccessRequiredMixin, View):
    def has_access(self, access: Access) -> bool:
        return can_export_network(access)

    def post(self, request: HttpRequest) -> HttpResponse:
        data = request.POST
        region: Region | None = None
        raw_region = data.get("region", "")
        try:
            if raw_region:
                if not raw_region.isdigit():
                    raise ValidationError(_("Choose a region from the list."))
                region = exportable_regions(self.access).filter(pk=int(raw_region)).first()
                if region is None:
                    raise ValidationError(_("Choose a region from the list."))
            period = services.parse_period(data, default=services.default_period(self.access))
            if not data.get("year") or not data.get("month"):
                raise ValidationError(_("Choose the month to export."))
            job = services.start_pack_job(
                access=self.access,
                actor=request.user,
                kind=data.get("kind", ""),
                period=period,
                region=region,
                request=request,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages) + " " + _("Nothing was started."))
            return redirect(_list_url(year=data.get("year"), month=data.get("month")))
        messages.success(
            request,
            _("The KPI packs of %(n)d dealers are being prepared; the download appears below.")
            % {"n": job.total},
        )
        return redirect(_list_url(year=period.year, month=period.month) + "#jobs")


class JobMixin(LoginRequiredMixin):
    job: ExportJob

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.job = get_object_or_404(jobs_for(request_access(request)), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)


class JobStatusView(JobMixin, View):
    """The job's row; while it runs, the row asks htmx to fetch it again."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, "reports/exports/_job.html", {"job": self.job})


class JobDownloadView(JobMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        job = self.job
        if job.status not in (ExportJob.Status.DONE, ExportJob.Status.EXPIRED):
            raise Http404  # nothing was ever built
        path = services.job_path(job) if job.status == ExportJob.Status.DONE else None
        if path is None:
            # Deleted by the retention sweep (or about to be marked so): say so, offer a restart.
            days = settings.DMS_EXPORT_KEEP_DAYS
            reason = (
                _("This export is no longer available: files are kept for %(days)d days.")
                % {"days": days}
                if days > 0
                else _("This export's file is no longer available.")
            )
            messages.warning(request, reason + " " + _("Start it again from the list below."))
            return redirect(_list_url(year=job.year, month=job.month) + "#jobs")
        services.record_export(
            request=request,
            actor=request.user,
            dealer=None,
            object_type=services.PACK_OBJECT,
            object_id=f"job-{job.pk}",
            count=len(job.dealer_ids),
            detail={
                "format": "zip" if job.kind == ExportJob.Kind.PACK_ZIP else "pdf",
                "document": "kpi_pack",
                "step": "downloaded",
                "month": f"{job.year}-{job.month:02d}",
                "dealers": len(job.dealer_ids),
            },
        )
        content_type = "application/zip" if path.suffix == ".zip" else "application/pdf"
        response = FileResponse(
            path.open("rb"), as_attachment=True, filename=job.filename, content_type=content_type
        )
        response["Cache-Control"] = "private, no-store"
        return response


class JobRestartView(JobMixin, View):
    """Start a failed or expired job again: same dealers, month and format, as a new job."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = self.job
        try:
            new = services.restart_pack_job(
                job=job, access=request_access(request), actor=request.user, request=request
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages) + " " + _("Nothing was started."))
            return redirect(_list_url(year=job.year, month=job.month) + "#jobs")
        messages.success(
            request,
            _("The KPI packs of %(n)d dealers are being prepared; the download appears below.")
            % {"n": new.total},
        )
        return redirect(_list_url(year=new.year, month=new.month) + "#jobs")
