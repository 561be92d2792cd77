"""Forms of the plan pages. They parse input; the rules live in reports.plans.services."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer, Region
from dms.ui.forms import StyledFormMixin
from inventory.models import VehicleModel
from reports.models import Metric

from .services import ALLOWED_EXTENSIONS, MAX_UPLOAD_BYTES


def _this_year() -> int:
    return timezone.localdate().year


class PlanUploadForm(StyledFormMixin, forms.Form):
    year = forms.IntegerField(label=_("Plan year"), min_value=2000, max_value=2100)
    file = forms.FileField(
        label=_("Plan file"),
        help_text=_(
            "CSV (UTF-8, comma or semicolon) or XLSX, first sheet; columns dealer_code, month "
            "(1-12 or YYYY-MM), model (code or name), metric, target (whole number)."
        ),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = _this_year()
        self.fields["file"].widget.attrs["accept"] = ",".join(ALLOWED_EXTENSIONS)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith(ALLOWED_EXTENSIONS):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is too large (%(size)s bytes; at most %(max)s).")
                % {"size": upload.size, "max": MAX_UPLOAD_BYTES}
            )
        return upload


class ConfirmForm(forms.Form):
    sha256 = forms.RegexField(regex=r"^[0-9a-f]{64}$")
    number = forms.IntegerField(min_value=1)


class VersionFilterForm(StyledFormMixin, forms.Form):
    metric = forms.ChoiceField(
        label=_("Metric"), choices=Metric.choices, required=False, initial=Metric.ORDERS
    )
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=Region.objects.none(), required=False, empty_label=_("All")
    )
    dealer = forms.ModelChoiceField(
        label=_("Dealer"), queryset=Dealer.objects.none(), required=False, empty_label=_("All")
    )
    model = forms.ModelChoiceField(
        label=_("Model"),
        queryset=VehicleModel.objects.order_by("code"),
        required=False,
        empty_label=_("All models"),
    )

    def __init__(self, *args: Any, dealer_ids: tuple[int, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        dealers = Dealer.objects.filter(pk__in=dealer_ids).order_by("code")
        dealer_field = cast(forms.ModelChoiceField, self.fields["dealer"])
        region_field = cast(forms.ModelChoiceField, self.fields["region"])
        dealer_field.queryset = dealers
        region_field.queryset = (
            Region.objects.filter(dealers__in=dealers).distinct().order_by("name")
        )
        if len(dealer_ids) <= 1:
            del self.fields["dealer"]
            del self.fields["region"]

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "dealer": data.get("dealer"),
            "region_id": data["region"].pk if data.get("region") else None,
            "model_id": data["model"].pk if data.get("model") else None,
        }

    def chosen_metric(self) -> str:
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("metric") or Metric.ORDERS


class SplitChoiceForm(StyledFormMixin, forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)
    metric = forms.ChoiceField(label=_("Metric"), choices=Metric.choices, required=False)

    def values(self) -> tuple[int, str]:
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("year") or _this_year(), data.get("metric") or Metric.ORDERS


def cell_name(consultant_id: int, month: int) -> str:
    return f"t-{consultant_id}-{month}"


_CELL_NAME = re.compile(r"^t-(\d{1,12})-(\d{1,2})$")


def _cell_value(raw: Any) -> int | None:
    text = str(raw or "").strip()
    if text == "":
        return 0
    if text.isdigit() and text.isascii():
        return int(text)
    return None


def parse_split_cells(
    data: Any, editable: Iterable[tuple[int, int]], known_ids: Iterable[int] = ()
) -> tuple[dict[tuple[int, int], int], dict[str, str]]:
    """Grid cells -> {(consultant, month): n}. Every editable cell is read (empty is 0);
    anything but a whole number >= 0 is an error keyed by the cell name. A posted cell of a
    person on the grid (`known_ids`) that is not editable (a kept, read-only month) is read
    too, so that the service refuses a change to it; cells of anyone else are ignored."""
    cells: dict[tuple[int, int], int] = {}
    errors: dict[str, str] = {}
    editable = list(editable)
    keys = set(editable)
    known = set(known_ids)
    extra = []
    for name in data:
        match = _CELL_NAME.match(str(name))
        if match:
            key = (int(match.group(1)), int(match.group(2)))
            if key not in keys and key[0] in known:
                extra.append(key)
    for uid, month in [*editable, *sorted(extra)]:
        name = cell_name(uid, month)
        value = _cell_value(data.get(name, ""))
        if value is None:
            errors[name] = str(_("Enter a whole number (0 or more)."))
        else:
            cells[(uid, month)] = value
    return cells, errors
