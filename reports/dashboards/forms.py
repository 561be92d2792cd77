"""Period and filter choices of the KPI dashboards (GET forms: bad values are reported and the
default is shown instead; nothing is stored)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from reports.models import Metric

YEARS_BACK = 4


def year_choices(today: dt.date) -> list[tuple[int, str]]:
    return [(y, str(y)) for y in range(today.year + 1, today.year - YEARS_BACK - 1, -1)]


class PeriodForm(forms.Form):
    """The month a dashboard shows."""

    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False)
    month = forms.TypedChoiceField(
        label=_("Month"),
        coerce=int,
        required=False,
        choices=[(k, v) for k, v in MONTHS.items()],
    )

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = year_choices(today)  # type: ignore[attr-defined]


PERIODS = [("mtd", _("Month to date")), ("ytd", _("Year to date"))]


class NetworkFilterForm(PeriodForm):
    """Region, ranking metric and period of the network view; the regions offered are the
    caller's only."""

    region = forms.TypedChoiceField(label=_("Region"), coerce=int, required=False)
    metric = forms.ChoiceField(
        label=_("Metric"), required=False, choices=Metric.choices, initial=Metric.ORDERS
    )
    period = forms.ChoiceField(label=_("Period"), required=False, choices=PERIODS)
    sort = forms.CharField(required=False, max_length=30, widget=forms.HiddenInput)

    def __init__(self, *args: Any, regions: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [  # type: ignore[attr-defined]
            ("", _("All regions")),
            *((r.pk, r.name) for r in regions),
        ]
