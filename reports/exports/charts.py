"""Server-side charts of the KPI pack as inline SVG, drawn by pygal (no browser, no JavaScript).

Every function returns an SVG document fragment (no XML declaration, no script references) that
the PDF template embeds as is; pygal builds it with an XML library, so labels such as consultant
names are escaped. Fonts are the ones the PDF uses (Liberation / DejaVu / Noto CJK).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pygal
from pygal.style import Style

FONT = "Liberation Sans, DejaVu Sans, Noto Sans CJK SC, Noto Sans CJK JP, sans-serif"
ACTUAL = "#0d6efd"
PLAN = "#adb5bd"

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#212529",
    foreground_strong="#212529",
    foreground_subtle="#dee2e6",
    font_family=FONT,
    label_font_family=FONT,
    major_label_font_family=FONT,
    value_font_family=FONT,
    legend_font_family=FONT,
    title_font_family=FONT,
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=12,
    title_font_size=14,
    value_font_size=11,
    guide_stroke_color="#dee2e6",
    major_guide_stroke_color="#ced4da",
    guide_stroke_dasharray="0",
    major_guide_stroke_dasharray="0",
    colors=(ACTUAL, PLAN, "#198754", "#ffc107", "#dc3545", "#6f42c1"),
    opacity="0.9",
    opacity_hover="0.9",
)

# pygal's own stylesheets are for interactive charts in a browser (hover, tooltips): their ~150
# rules made WeasyPrint's SVG renderer several times slower. The pack uses a short print sheet.
PRINT_CSS = "file://" + str(Path(__file__).with_name("chart_print.css"))

_COMMON = {
    "style": STYLE,
    "css": [PRINT_CSS],
    "tooltip_fancy_mode": False,
    "js": [],  # no <script> references: the PDF fetches nothing
    "disable_xml_declaration": True,
    "explicit_size": True,
    "legend_at_bottom": True,
    "legend_at_bottom_columns": 2,
    "margin": 8,
    "show_minor_y_labels": True,
    "print_values": False,
    "show_x_guides": False,
    "truncate_label": -1,
    "truncate_legend": -1,
}


# What only a browser uses: tooltip values (<desc>), hover titles and comments. WeasyPrint draws
# none of them but walks and styles every node, so they go (about half the elements).
_NOT_DRAWN = re.compile(r"<desc\b[^>]*>[^<]*</desc>|<title>[^<]*</title>|<!--.*?-->", re.S)


def _render(chart: pygal.graph.graph.Graph) -> str:
    return _NOT_DRAWN.sub("", str(chart.render(is_unicode=True)))


def count_ticks(values: Sequence[float | None], *, most: int = 6) -> list[int]:
    """Whole-number axis ticks from 0 to at least the largest value (counts have no 0.2)."""
    top = max([v for v in values if v is not None] or [0])
    step = 1
    for candidate in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        step = candidate
        if top / candidate <= most:
            break
    else:
        step = max(1, int(top // most) + 1)
    last = int(-(-top // step) * step) or step
    return list(range(0, last + step, step))


def trend_chart(
    *,
    labels: Sequence[str],
    actual: Sequence[int | None],
    plan: Sequence[int | None],
    actual_label: str,
    plan_label: str,
    width: int = 520,
    height: int = 230,
) -> str:
    """Twelve months of one metric: actual as bars, plan as a line."""
    chart = pygal.Bar(width=width, height=height, show_legend=True, **_COMMON)
    chart.x_labels = list(labels)
    chart.add(actual_label, list(actual))
    # pygal draws one chart type per chart: the plan is a second, grey bar series beside the
    # actual one, readable in print and unambiguous in the legend.
    chart.add(plan_label, [p if p else None for p in plan])
    chart.y_labels = count_ticks([*actual, *plan])
    return _render(chart)


def funnel_chart(
    *, labels: Sequence[str], counts: Sequence[int], width: int = 520, height: int = 240
) -> str:
    """The month's funnel: one horizontal bar per stage, top stage first."""
    chart = pygal.HorizontalBar(width=width, height=height, **_nolegend())
    # HorizontalBar draws the first label at the bottom: reverse so the funnel reads top-down.
    chart.x_labels = list(reversed(labels))
    chart.add("", list(reversed(counts)))
    chart.y_labels = count_ticks(counts)
    return _render(chart)


def attainment_chart(
    *,
    labels: Sequence[str],
    mtd: Sequence[float | None],
    ytd: Sequence[float | None],
    mtd_label: str,
    ytd_label: str,
    width: int = 520,
    height: int = 220,
) -> str:
    """Plan attainment (%) per metric, month and year to date; 100 % is the plan."""
    chart = pygal.Bar(width=width, height=height, show_legend=True, **_COMMON)
    chart.x_labels = list(labels)
    chart.add(mtd_label, [None if v is None else round(v, 1) for v in mtd])
    chart.add(ytd_label, [None if v is None else round(v, 1) for v in ytd])
    chart.include_x_axis = True
    chart.value_formatter = lambda v: f"{v:.0f} %"
    return _render(chart)


def ranking_chart(
    *, labels: Sequence[str], values: Sequence[int], width: int = 520, height: int = 260
) -> str:
    """Consultants ranked by one measure (orders): horizontal bars, best on top."""
    chart = pygal.HorizontalBar(
        width=width, height=max(120, min(height, 40 + 22 * len(labels))), **_nolegend()
    )
    chart.x_labels = list(reversed(labels))
    chart.add("", list(reversed(values)))
    chart.y_labels = count_ticks(values)
    return _render(chart)


def line_chart(
    *,
    labels: Sequence[str],
    values: Sequence[float | None],
    label: str,
    width: int = 520,
    height: int = 190,
) -> str:
    """One monthly series as a line (months without a figure are gaps); the heading above the
    chart names it, so no legend."""
    options = {**_COMMON, "show_legend": False}
    chart = pygal.Line(width=width, height=height, **options)
    chart.x_labels = list(labels)
    chart.add(label, list(values))
    chart.y_labels = count_ticks(values)
    return _render(chart)


def _nolegend() -> dict[str, object]:
    options = dict(_COMMON)
    options.pop("legend_at_bottom", None)
    options.pop("legend_at_bottom_columns", None)
    options["show_legend"] = False
    options.pop("print_values", None)
    return options
