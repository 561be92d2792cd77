"""The network ranking table's body, rendered in Python: with every dealer of the network
(170 rows × 17 cells) the template engine's per-cell cost (variable lookups, filters, tags)
was most of the page's server time; this builds the same markup in a few milliseconds.

Every value from the database is escaped (`escape`); numbers are formatted with the active
language's decimal separator."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from django.utils.formats import get_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .selectors import STATUS_LABELS, DealerRow, Figure

DASH = "—"


class _Numbers:
    def __init__(self) -> None:
        self.sep = str(get_format("DECIMAL_SEPARATOR"))

    def fixed(self, value: float | None, digits: int, suffix: str = "") -> str:
        if value is None:
            return DASH
        text = f"{value:.{digits}f}"
        return (text.replace(".", self.sep) if self.sep != "." else text) + suffix


def dealer_rows_html(
    rows: Sequence[DealerRow], *, metric: str, period: str, back: str, drill_prefix: str
) -> SafeString:
    """<tr> rows of the ranking table (see network.html for the header): rank, dealer (link to
    the drill-down, region below), the metric's MTD and YTD actual / plan / attainment / pace,
    the status, and the other metrics' attainment in the selected period."""
    numbers = _Numbers()
    labels = {status: escape(str(label)) for status, label in STATUS_LABELS.items()}
    back_query = "?back=" + quote(back, safe="")
    out: list[str] = []
    for row in rows:
        mtd: Figure = row.metrics[metric].mtd
        ytd: Figure = row.metrics[metric].ytd
        if row.rank is None:
            rank = DASH
        else:
            top = " kpi-rank-top" if row.rank <= 3 else ""
            rank = f'<span class="kpi-rank{top}">{row.rank}</span>'
        code = escape(row.code)
        others = []
        first = True
        for other in row.metric_list:
            if other.metric == metric:
                continue
            figure = other.period(period)
            border = " border-start" if first else ""
            first = False
            others.append(
                f'<td class="text-end text-nowrap kpi-text-{figure.status}{border}">'
                f"{numbers.fixed(figure.attainment, 0, ' %')}</td>"
            )
        out.append(
            f'<tr data-dealer="{code}" data-status="{row.status}">'
            f'<td class="text-end">{rank}</td>'
            f'<td class="kpi-dealer-cell"><a class="fw-semibold text-decoration-none" '
            f'href="{drill_prefix}{row.dealer_id}/{back_query}" data-testid="drill-{code}">'
            f'<span class="text-body-secondary">{code}</span> {escape(row.name)}</a>'
            f'<div class="small text-body-secondary text-truncate">{escape(row.region_name)}'
            f"</div></td>"
            f'<td class="text-end border-start">{mtd.actual}</td>'
            f'<td class="text-end text-body-secondary">{mtd.plan}</td>'
            f'<td class="text-end fw-semibold">{numbers.fixed(mtd.attainment, 1)}</td>'
            f'<td class="text-end kpi-text-{mtd.status}">{numbers.fixed(mtd.pace, 0)}</td>'
            f'<td class="text-end border-start">{ytd.actual}</td>'
            f'<td class="text-end text-body-secondary">{ytd.plan}</td>'
            f'<td class="text-end fw-semibold">{numbers.fixed(ytd.attainment, 1)}</td>'
            f'<td class="text-end kpi-text-{ytd.status}">{numbers.fixed(ytd.pace, 0)}</td>'
            f'<td class="border-start"><span class="kpi-chip kpi-{row.status}">'
            f"{labels[row.status]}</span></td>"
            f"{''.join(others)}</tr>"
        )
    return mark_safe("".join(out))  # noqa: S308 - every interpolated value is escaped above
