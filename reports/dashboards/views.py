"""KPI dashboards: the dealer's own (dealer and sales managers), the HQ network view (regional
managers: their regions; HQ admins: all) and HQ's read-only drill-down into one dealer.

Thin: the numbers come from reports.dashboards.selectors; these views pick the period and filters,
check the role (403 before any lookup) and the dealer's scope (404 for a dealer outside it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views import View

from dealers.clock import dealer_today
from dealers.models import Dealer, Region
from dealers.roles import Cap
from dealers.selectors import Access
from dealers.views import AccessRequiredMixin
from dms.paging import paginate
from dms.tenancy.context import as_dealers

from .forms import PERIODS, NetworkFilterForm, PeriodForm
from .selectors import (
    AMBER,
    GREEN,
    METRICS,
    NO_STATUS,
    RED,
    STATUS_LABELS,
    DealerRow,
    as_of_date,
    dealer_kpis,
    metric_label,
    network_kpis,
    shift_month,
)
from .tables import dealer_rows_html

STATUS_ORDER = {GREEN: 0, AMBER: 1, RED: 2, NO_STATUS: 3}
RANKING_PAGE_SIZE = 50  # dealers per page of the network ranking


def optional_url(name: str, *args: Any) -> str:
    """The URL of a page another package may provide (plans, exports), or "" if absent."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _period(request: HttpRequest, form: PeriodForm, default: dt.date) -> tuple[int, int, list[str]]:
    """(year, month) from the form, or the default month; errors to show when a value was bad."""
    year, month = default.year, default.month
    if not form.is_valid():
        errors = [
            f"{form.fields[name].label}: {' '.join(map(str, errs))}"
            for name, errs in form.errors.items()
        ]
        return year, month, errors
    return form.cleaned_data.get("year") or year, form.cleaned_data.get("month") or month, []


def _period_nav(year: int, month: int, extra: dict[str, str]) -> dict[str, str]:
    prev_y, prev_m = shift_month(year, month, -1)
    next_y, next_m = shift_month(year, month, 1)
    return {
        "prev": "?" + urlencode({**extra, "year": prev_y, "month": prev_m}),
        "next": "?" + urlencode({**extra, "year": next_y, "month": next_m}),
    }


def chart_labels() -> dict[str, str]:
    """Translated words the charts draw (the JS has none of its own)."""
    return {
        "actual": _("Actual"),
        "plan": _("Plan"),
        "leads": _("Leads"),
        "followups": _("Follow-ups on time %"),
        "first_response": _("First response (min)"),
        "attainment": _("Attainment %"),
        "pace": _("Pace % (pro-rata plan)"),
        "green": _("Green threshold"),
        "amber": _("Amber threshold"),
        "dealers": _("Dealers"),
    }


class DealerPageMixin:
    template_name = "reports/dashboards/dealer.html"
    request: HttpRequest
    access: Access

    def render_dealer(
        self, dealer: Dealer, *, drill_down: bool, extra: dict[str, Any] | None = None
    ) -> HttpResponse:
        today = dealer_today(dealer)
        form = PeriodForm(self.request.GET or None, today=today)
        with as_dealers([dealer.pk]):  # read only this dealer, whatever the caller's scope
            as_of = as_of_date([dealer.pk])
            year, month, errors = _period(self.request, form, as_of or today)
            kpis = dealer_kpis(dealer, year=year, month=month, as_of=as_of)
        for error in errors:
            messages.warning(
                self.request, _("Invalid period, showing the latest month. %s") % error
            )
        # Show what is displayed (the defaults for missing or bad values).
        form = PeriodForm(initial={"year": year, "month": month}, today=today)
        context: dict[str, Any] = {
            "kpis": kpis,
            "form": form,
            "nav": _period_nav(year, month, {}),
            "drill_down": drill_down,
            "chart_data": kpis.chart_data(),
            "chart_labels": chart_labels(),
            "can_open_funnel": not drill_down and self.access.can(Cap.SALES_ALL),
            "plan_url": optional_url("reports:plan_list"),
            "export_url": optional_url("reports:export_list"),
            "pdf_url": optional_url("reports:export_kpi_pdf", dealer.pk),
            "period_query": urlencode({"year": year, "month": month}),
            "today": today,
            **(extra or {}),
        }
        return TemplateResponse(self.request, self.template_name, context)


class DealerDashboardView(DealerPageMixin, AccessRequiredMixin, View):
    """/reports/: the current dealer's dashboard for its dealer and sales managers. HQ users,
    who work across dealers, are sent to the network view."""

    any_of = (Cap.KPI_DEALER,)

    def has_access(self, access: Access) -> bool:
        if access.is_hq:
            return access.can(Cap.KPI_NETWORK)
        return super().has_access(access) and access.dealer is not None

    def get(self, request: HttpRequest) -> HttpResponse:
        if self.access.is_hq:
            return HttpResponseRedirect(reverse("reports:kpi_network"))
        dealer = self.access.dealer
        if dealer is None:  # has_access() requires one; kept for the type checker
            raise Http404
        return self.render_dealer(dealer, drill_down=False)


class NetworkDealerView(DealerPageMixin, AccessRequiredMixin, View):
    """/reports/network/<dealer_id>/: one dealer of the caller's scope, read only. A dealer outside
    the scope (or none at all) answers 404 alike."""

    any_of = (Cap.KPI_NETWORK,)
    dealer: Dealer

    def has_access(self, access: Access) -> bool:
        return super().has_access(access) and access.is_hq

    def load_objects(self, **kwargs: Any) -> None:
        dealer_id = kwargs["dealer_id"]
        if dealer_id not in self.access.dealer_ids:
            raise Http404
        self.dealer = Dealer.objects.select_related("region").get(pk=dealer_id)

    def get(self, request: HttpRequest, dealer_id: int) -> HttpResponse:
        back = request.GET.get("back", "")
        back_url = reverse("reports:kpi_network")
        if back.startswith("?") and "//" not in back:
            back_url += back
        return self.render_dealer(self.dealer, drill_down=True, extra={"back_url": back_url})


# --- the network -----------------------------------------------------------------------------


def _figure_key(metric: str, period: str, attr: str) -> Callable[[DealerRow], Any]:
    return lambda row: getattr(row.metrics[metric].period(period), attr)


def sort_key(name: str, metric: str) -> Callable[[DealerRow], Any] | None:
    """The key a network column sorts by (None values always last)."""
    simple: dict[str, Callable[[DealerRow], Any]] = {
        "rank": lambda r: r.rank,
        "code": lambda r: r.code,
        "name": lambda r: r.name.lower(),
        "region": lambda r: (r.region_name, r.code),
        "status": lambda r: STATUS_ORDER[r.status],
    }
    if name in simple:
        return simple[name]
    period, _sep, attr = name.partition("_")
    if period in ("mtd", "ytd") and attr in ("actual", "plan", "attainment", "pace"):
        return _figure_key(metric, period, attr)
    return None


def sort_rows(rows: list[DealerRow], sort: str, metric: str) -> tuple[list[DealerRow], str]:
    """Rows sorted by a column name ("-" prefix: descending); unknown names sort by rank."""
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    found = sort_key(name, metric)
    if found is None:
        name, descending = "rank", False
    key: Callable[[DealerRow], Any] = found or (lambda r: r.rank)
    present = [r for r in rows if key(r) is not None]
    missing = [r for r in rows if key(r) is None]
    present.sort(key=lambda r: r.code)
    present.sort(key=key, reverse=descending)
    return present + missing, ("-" if descending else "") + name


SORTABLE = (
    "rank",
    "code",
    "name",
    "region",
    "status",
    "mtd_actual",
    "mtd_plan",
    "mtd_attainment",
    "mtd_pace",
    "ytd_actual",
    "ytd_plan",
    "ytd_attainment",
    "ytd_pace",
)
# Columns whose first click sorts descending (bigger is better).
DESCENDING_FIRST = {c for c in SORTABLE if c.startswith(("mtd_", "ytd_"))}


def _sort_links(params: dict[str, str], current: str) -> dict[str, dict[str, Any]]:
    """Per sortable column: the URL a header click opens and whether it is the current sort."""
    links = {}
    active_name = current.lstrip("-")
    descending = current.startswith("-")
    for column in SORTABLE:
        if column == active_name:
            target = column if descending else f"-{column}"
        else:
            target = f"-{column}" if column in DESCENDING_FIRST else column
        links[column] = {
            "url": "?" + urlencode({**params, "sort": target}),
            "active": column == active_name,
            "descending": column == active_name and descending,
        }
    return links


class NetworkView(AccessRequiredMixin, View):
    """/reports/network/: plan attainment of every dealer in the caller's scope, ranked, with
    red/amber/green status and region totals; filter by region, metric and period, sort by any
    column."""

    any_of = (Cap.KPI_NETWORK,)
    template_name = "reports/dashboards/network.html"

    def has_access(self, access: Access) -> bool:
        return super().has_access(access) and access.is_hq

    def get(self, request: HttpRequest) -> HttpResponse:
        today = dealer_today(None)
        dealers = list(
            Dealer.objects.filter(pk__in=self.access.dealer_ids)
            .select_related("region")
            .only("pk", "region_id", "region__name")
        )
        regions = sorted({d.region_id: d.region for d in dealers}.values(), key=lambda r: r.name)
        ids = [d.pk for d in dealers]
        form = NetworkFilterForm(request.GET or None, today=today, regions=regions)
        as_of = as_of_date(ids) if ids else None
        year, month, errors = _period(request, form, as_of or today)
        data = form.cleaned_data if form.is_bound and not errors else {}
        metric = data.get("metric") or METRICS[2]  # orders
        period = data.get("period") or "mtd"
        region_id = data.get("region") or None
        for error in errors:
            messages.warning(request, _("Invalid filter, showing the defaults. %s") % error)
        kpis = network_kpis(
            ids, year=year, month=month, rank_metric=metric, rank_period=period, as_of=as_of
        )
        rows = [r for r in kpis.rows if region_id is None or r.region_id == region_id]
        rows, sort = sort_rows(rows, data.get("sort") or "rank", metric)
        region: Region | None = next((r for r in regions if r.pk == region_id), None)
        params = {
            "year": str(year),
            "month": str(month),
            "metric": metric,
            "period": period,
            "region": str(region_id or ""),
        }
        if not form.is_bound or errors:
            form = NetworkFilterForm(initial={**params, "sort": sort}, today=today, regions=regions)
        totals = [t for t in kpis.regions if region_id is None or t.region_id == region_id]
        # The ranking is paged (ranks stay the network's): the filters and the sort are kept in
        # the pager's links, and a drill-down's way back returns to the same page.
        listed = {**{k: v for k, v in params.items() if v}, "sort": sort}
        paged = paginate(request, rows, per_page=RANKING_PAGE_SIZE, keep=listed)
        back = {**params, "sort": sort}
        if paged.page.number > 1:
            back["page"] = str(paged.page.number)
        context = {
            "kpis": kpis,
            "period_start": dt.date(year, month, 1),
            "rows_html": dealer_rows_html(
                paged.object_list,
                metric=metric,
                period=period,
                back="?" + urlencode(back),
                drill_prefix=reverse("reports:kpi_network"),
            ),
            **paged.context,
            "row_count": len(rows),
            "other_metrics": [(m, metric_label(m)) for m in METRICS if m != metric],
            "form": form,
            "metric": metric,
            "metric_label": metric_label(metric),
            "period": period,
            "period_label": dict(PERIODS)[period],
            "region": region,
            "sort": sort,
            "sort_links": _sort_links(params, sort),
            "nav": _period_nav(year, month, {k: v for k, v in params.items() if v}),
            "totals": [
                {"total": t, "mtd": t.metrics[metric].mtd, "ytd": t.metrics[metric].ytd}
                for t in totals
            ],
            "network": {
                "total": kpis.total,
                "mtd": kpis.total.metrics[metric].mtd,
                "ytd": kpis.total.metrics[metric].ytd,
                "selected": kpis.total.metrics[metric].period(period),
            },
            "chart_data": {
                "regions": [t.name for t in kpis.regions],
                "attainment": [t.metrics[metric].period(period).attainment for t in kpis.regions],
                "pace": [t.metrics[metric].period(period).pace for t in kpis.regions],
                "status": [kpis.total.status_counts[s] for s in (GREEN, AMBER, RED, NO_STATUS)],
                "status_labels": [str(STATUS_LABELS[s]) for s in (GREEN, AMBER, RED, NO_STATUS)],
                "thresholds": list(kpis.thresholds),
            },
            "chart_labels": chart_labels(),
            "export_url": optional_url("reports:export_list"),
            "csv_url": optional_url("reports:export_network_csv"),
            "xlsx_url": optional_url("reports:export_network_xlsx"),
            "csv_query": urlencode({k: v for k, v in params.items() if v}),
            "plan_url": optional_url("reports:plan_list"),
        }
        return TemplateResponse(request, self.template_name, context)
