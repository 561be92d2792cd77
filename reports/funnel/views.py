"""The manager's funnel: the leads opened in a period and how far they got (the cohort: shares of
the leads opened), the period's stage entries (counts), by consultant, source or model, and the
stale leads. Sales managers of the dealer; HQ reads it for the dealer it drilled into.

A page of the sales area (/sales/funnel/, leads:funnel: dms/urls.py mounts it with the leads
pages), here with the figures it shows, which come from the KPI facts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views import View

from dealers.clock import dealer_today
from dealers.roles import Cap
from dealers.selectors import Access
from dms.html import escape as _escape
from leads.forms.funnel import parse_day, read_day
from leads.selectors.stale import stale_leads
from leads.services.routing import settings_for
from leads.templatetags.funnel_tags import percent_of, short_date, stage_label
from leads.views.leads import SalesPageMixin

from .selectors import DIMENSIONS, Funnel, FunnelRow, funnel

PERIODS = {"7": 7, "30": 30, "90": 90, "365": 365}


class FunnelView(SalesPageMixin, View):
    any_of = (Cap.SALES_ALL, Cap.KPI_DEALER)

    def has_access(self, access: Access) -> bool:
        return super().has_access(access) and access.dealer is not None

    def get(self, request: HttpRequest) -> HttpResponse:
        today = dealer_today(self.dealer)  # the dealer's own date, not the server's
        days = PERIODS.get(request.GET.get("period", ""), 30)
        end = parse_day(request.GET.get("end"), today)
        start = parse_day(request.GET.get("start"), end - dt.timedelta(days=days - 1))
        for key in ("start", "end"):
            if problem := read_day(request.GET.get(key))[1]:
                messages.warning(request, problem)
                break
        if start > end:
            start, end = end, start
        if (end - start).days > 731:
            start = end - dt.timedelta(days=731)
        dimension = request.GET.get("by", "consultant")
        if dimension not in DIMENSIONS:
            dimension = "consultant"
        stale_days = settings_for(self.dealer.pk).stale_after_days
        data = funnel(dealer=self.dealer, start=start, end=end, dimension=dimension)
        stale, more_stale = stale_leads(dealer=self.dealer, days=stale_days)
        context: dict[str, Any] = {
            "funnel": data,
            "dimensions": [(k, v[2]) for k, v in DIMENSIONS.items()],
            "dimension": dimension,
            "dimension_label": DIMENSIONS[dimension][2],
            "periods": list(PERIODS),
            "start": start,
            "end": end,
            "stale": stale,
            "total_bars": total_bars_html(data),
            "outcomes": outcomes_html(data.total),
            "dimension_rows": dimension_rows_html(data),
            "activity_rows": activity_rows_html(data),
            "stale_rows": stale_rows_html(stale, can_open=self.access.can(Cap.SALES_ALL)),
            "more_stale": more_stale,
            "stale_days": stale_days,
            "can_open_leads": self.access.can(Cap.SALES_ALL),
        }
        return TemplateResponse(request, "leads/funnel/funnel.html", context)


# The page's repeated parts (stage bars, a row per consultant/source/model, the stale leads) are
# written here, one f-string per row with every value through `_escape`, exactly as the template
# loops they replace wrote them (same markup and whitespace): per-cell template tags, the lazy
# stage labels and get_stage_display (it re-hashes the lazy choices on every call) were most of
# the page's CPU time.


def number_text() -> Callable[[Any], str]:
    """How the template shows a number ({{ n }}: localized), without the per-value formatting
    machinery while no thousand separator applies (str() with the locale's decimal mark is then
    what number_format gives for ints and the one-decimal percentages)."""
    if settings.USE_THOUSAND_SEPARATOR:
        return lambda value: str(formats.localize(value))
    decimal = str(formats.get_format("DECIMAL_SEPARATOR"))
    if decimal == ".":
        return str
    return lambda value: (
        str(value).replace(".", decimal) if isinstance(value, float) else str(value)
    )


def _percent(value: float | None, num: Callable[[Any], str]) -> str:
    return "—" if value is None else f"{_escape(num(value))} %"


def total_bars_html(data: Funnel) -> SafeString:
    """The cohort: per stage, the leads opened in the period that reached it and their share."""
    num = number_text()
    parts = []
    for cell in data.total.cells:
        stage = cell["stage"]
        parts.append(
            '\n          <li class="funnel-bar-row">\n'
            f'            <span class="funnel-bar-label">{_escape(cell["cohort_label"])}</span>\n'
            '            <progress class="funnel-progress" max="100" '
            f'value="{_escape(num(percent_of(cell["reached"], data.total.opened)))}" '
            'aria-hidden="true"></progress>\n'
            f'            <span class="funnel-bar-value fw-semibold" data-stage="'
            f'{_escape(stage)}">{_escape(num(cell["reached"]))}</span>\n'
            '            <span class="funnel-bar-conv small text-body-secondary" data-share="'
            f'{_escape(stage)}">{_percent(cell["share"], num)}</span>\n'
            "          </li>\n        "
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value went through _escape


def outcomes_html(row: FunnelRow) -> SafeString:
    """Where the cohort stands: delivered, lost, dormant, still open (count and share)."""
    num = number_text()
    parts = [
        f'<li class="list-inline-item" data-outcome="{_escape(o["outcome"])}">'
        f"{_escape(o['label'])}: <strong>{_escape(num(o['count']))}</strong> "
        f'<span class="text-body-secondary">({_percent(o["share"], num)})</span></li>'
        for o in row.outcomes
    ]
    return mark_safe("".join(parts))  # noqa: S308 - every value went through _escape


def _row_html(row: FunnelRow, stages: list[str], num: Callable[[Any], str]) -> str:
    cells = []
    for stage, cell in zip(stages, row.cells, strict=True):
        extra = (
            ""
            if cell["first"] or cell["share"] is None
            else '<span class="d-block small text-body-secondary">'
            f"{_escape(num(cell['share']))} %</span>"
        )
        cells.append(
            f'<td class="text-end" data-stage="{stage}">{_escape(num(cell["reached"]))}{extra}</td>'
        )
    closed = []
    for outcome, count, pct in (
        ("lost", row.lost, row.lost_percent),
        ("dormant", row.dormant, row.dormant_percent),
    ):
        extra = (
            ""
            if pct is None
            else f'<span class="d-block small text-body-secondary">{_escape(num(pct))} %</span>'
        )
        closed.append(
            f'<td class="text-end" data-outcome="{outcome}">{_escape(num(count))}{extra}</td>'
        )
    return (
        "\n            <tr>\n"
        f'              <th scope="row">{_escape(row.label)}</th>\n'
        f"              {''.join(cells)}\n"
        f"              {''.join(closed)}\n"
        f'              <td class="text-end" data-outcome="won">{_percent(row.won_percent, num)}</td>\n'
        "            </tr>\n          "
    )


def dimension_rows_html(data: Funnel) -> SafeString:
    num = number_text()
    stages = [_escape(stage.value) for stage in data.stages]
    return mark_safe("".join(_row_html(row, stages, num) for row in data.rows))  # noqa: S308


def _activity_row_html(
    row: FunnelRow, stages: list[str], num: Callable[[Any], str], *, total: bool = False
) -> str:
    cells = [
        f'<td class="text-end" data-stage="{stage}">{_escape(num(n))}</td>'
        for stage, n in zip(stages, row.entered, strict=True)
    ]
    cells.append(f'<td class="text-end" data-stage="lost">{_escape(num(row.entered_lost))}</td>')
    cells.append(
        f'<td class="text-end" data-stage="dormant">{_escape(num(row.entered_dormant))}</td>'
    )
    attrs = ' class="fw-semibold" data-total' if total else ""
    return (
        f"\n            <tr{attrs}>\n"
        f'              <th scope="row">{_escape(row.label)}</th>\n'
        f"              {''.join(cells)}\n"
        "            </tr>\n          "
    )


def activity_rows_html(data: Funnel) -> SafeString:
    """The period's stage entries (counts, never shares): a row per consultant, source or model,
    then the total."""
    num = number_text()
    stages = [_escape(stage.value) for stage in data.stages]
    rows = [_activity_row_html(row, stages, num) for row in data.rows]
    rows.append(_activity_row_html(data.total, stages, num, total=True))
    return mark_safe("".join(rows))  # noqa: S308 - every value went through _escape


def stale_rows_html(stale: Sequence[Any], *, can_open: bool) -> SafeString:
    detail = _escape(reverse("leads:lead_detail", args=[0])[: -len("0/")])
    never = _escape(_("never"))
    people: dict[int | None, str] = {}
    parts = []
    for lead in stale:
        name = _escape(lead.customer.display_name)
        customer = f'<a href="{detail}{_escape(lead.pk)}/">{name}</a>' if can_open else name
        consultant = people.get(lead.consultant_id)
        if consultant is None:
            full = lead.consultant.get_full_name() if lead.consultant_id else ""
            consultant = people[lead.consultant_id] = _escape(full or "—")
        grade = (
            f'<span class="badge grade-{_escape(lead.grade)}">{_escape(lead.grade)}</span>'
            if lead.grade
            else "—"
        )
        last = _escape(short_date(lead.last_activity_at)) if lead.last_activity_at else never
        parts.append(
            "\n            <tr>\n"
            f"              <td>{customer}</td>\n"
            f"              <td>{consultant}</td>\n"
            f"              <td>{_escape(stage_label(lead.stage))}</td>\n"
            f"              <td>{grade}</td>\n"
            f"              <td>{last}</td>\n"
            "            </tr>\n          "
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value went through _escape
