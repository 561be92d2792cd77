"""The KPI pack: one dealer's month as a printable PDF (templates/reports/pdf/kpi_pack.html),
rendered by WeasyPrint the way the quote PDF is (sales/pdf.py): same fonts, the brand mark
embedded as a data: URL, and a URL fetcher that allows nothing but data: URLs, so rendering never
reads files or the network whatever ends up in dealer or consultant names. Charts are SVG drawn
server-side by pygal (reports.exports.charts), embedded as data: URLs: vector graphics in the PDF.

The figures come from reports.dashboards.selectors.dealer_kpis (the dashboards' own numbers, not
a second copy of the queries); this module only lays them out.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from dealers.clock import dealer_now, dealer_zone
from reports.dashboards.selectors import DealerKpis

from . import charts

BRAND = "Aurora Motors"
TEMPLATE = "reports/pdf/kpi_pack.html"
# Consultants charted in the ranking, and listed in the table (the CSV has all of them): keeps a
# pack within ten pages whatever the size of the dealer.
RANKING_TOP = 15
LEADERBOARD_ROWS = 40


def _logo_url() -> str:
    logo = finders.find("img/favicon.svg")
    if not isinstance(logo, str):
        return ""
    with open(logo, "rb") as fh:
        return "data:image/svg+xml;base64," + base64.b64encode(fh.read()).decode()


def svg_url(svg: str) -> str:
    """An SVG chart as a data: URL for an <img>. Still vector graphics in the PDF; as a separate
    image WeasyPrint parses it with its SVG parser instead of running the HTML parser and the
    page's CSS cascade over every chart element (three times faster for the pack)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _month_label(value: Any) -> str:
    return date_format(value, "M y")


def pack_context(kpis: DealerKpis) -> dict[str, Any]:
    """Template context of one dealer's pack: the KPI dataclass plus its charts."""
    metrics = list(kpis.metrics)
    leaderboard = list(kpis.leaderboard)
    top = leaderboard[:RANKING_TOP]
    months = [_month_label(m) for m in kpis.trend.months]
    trends = [
        {
            "label": series.label,
            "svg": svg_url(
                charts.trend_chart(
                    labels=months,
                    actual=list(series.actual),
                    plan=list(series.plan),
                    actual_label=_("Actual"),
                    plan_label=_("Plan"),
                )
            ),
        }
        for series in kpis.trend.series
    ]
    return {
        "brand": BRAND,
        "logo_url": _logo_url(),
        "kpis": kpis,
        "period": dt.date(kpis.year, kpis.month, 1),
        "metrics": metrics,
        "leaderboard": leaderboard[:LEADERBOARD_ROWS],
        "leaderboard_more": max(0, len(leaderboard) - LEADERBOARD_ROWS),
        "trends": trends,
        "charts": {
            "attainment": svg_url(
                charts.attainment_chart(
                    labels=[str(m.label) for m in metrics],
                    mtd=[m.mtd.attainment for m in metrics],
                    ytd=[m.ytd.attainment for m in metrics],
                    mtd_label=_("Month to date"),
                    ytd_label=_("Year to date"),
                )
            )
            if any(m.mtd.has_plan or m.ytd.has_plan for m in metrics)
            else "",
            "funnel": svg_url(  # the cohort: leads opened in the month that reached each stage
                charts.funnel_chart(
                    labels=[str(cell["cohort_label"]) for cell in kpis.funnel.total.cells],
                    counts=list(kpis.funnel.total.reached),
                )
            ),
            "ranking": svg_url(
                charts.ranking_chart(
                    labels=[str(c.name) for c in top], values=[c.orders for c in top]
                )
            )
            if top
            else "",
            "followups": _line(months, kpis.trend.followup_percent, _("Follow-ups on time (%)")),
            "first_response": _line(
                months, kpis.trend.first_response_minutes, _("Average first response (minutes)")
            ),
        },
        # On the dealer's wall clock, its zone named: the pack is printed by a worker for HQ.
        "printed_at": date_format(dealer_now(kpis.dealer_id), "DATETIME_FORMAT"),
        "printed_zone": str(dealer_zone(kpis.dealer_id)),
    }


def _line(months: list[str], values: list[float | None], label: str) -> str:
    """A monthly line, or nothing when no month has a figure (pygal would print "No data")."""
    if all(v is None for v in values):
        return ""
    return svg_url(charts.line_chart(labels=months, values=list(values), label=label))


def render_pack_html(kpis: DealerKpis) -> str:
    return render_to_string(TEMPLATE, pack_context(kpis))


def _document(html: str) -> Any:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=fetcher).render()


def render_pack_pdf(kpis: DealerKpis) -> tuple[bytes, int]:
    """One dealer's pack: the PDF and its page count."""
    document = _document(render_pack_html(kpis))
    return document.write_pdf(), len(document.pages)


def render_combined_pdf(
    packs: Iterable[DealerKpis], progress: Callable[[int], None] | None = None
) -> tuple[bytes, int]:
    """Several dealers' packs in one PDF (each starts on a new page with its own cover)."""
    documents = []
    for index, kpis in enumerate(packs, start=1):
        documents.append(_document(render_pack_html(kpis)))
        if progress is not None:
            progress(index)
    if not documents:
        raise ValueError("no pack to combine")
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf(), len(pages)
