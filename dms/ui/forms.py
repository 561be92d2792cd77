"""Form pieces every module shares: Bootstrap styling, the accepted day range, the date widget.

They live below the apps (dealers, leads, sales, reports) and the core (audit, API) alike, so
that no app has to import another app for a widget.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

_INPUT_CLASS = {
    "checkboxinput": "form-check-input",
    "checkboxselectmultiple": "form-check-input",
    "radioselect": "form-check-input",
    "select": "form-select",
    "selectmultiple": "form-select",
    "nullbooleanselect": "form-select",
}


def style_form(form: forms.BaseForm) -> forms.BaseForm:
    """Bootstrap 5 classes on every widget (and `is-invalid` where the field has errors)."""
    for name, field in form.fields.items():
        widget_type = type(field.widget).__name__.lower()
        css = _INPUT_CLASS.get(widget_type, "form-control")
        existing = field.widget.attrs.get("class", "")
        if css not in existing.split():
            field.widget.attrs["class"] = f"{existing} {css}".strip()
        errors = getattr(form, "_errors", None)  # only once validated; never validate here
        if errors is not None and name in errors:
            classes = field.widget.attrs["class"].split()
            if "is-invalid" not in classes:
                field.widget.attrs["class"] = " ".join([*classes, "is-invalid"])
    return form


class StyledFormMixin:
    """Applies `style_form` at construction and again after validation."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_form(self)  # type: ignore[arg-type]

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        style_form(self)  # type: ignore[arg-type]

    def restyle(self) -> None:
        """`is-invalid` on fields given errors after validation (dms.refused_forms)."""
        style_form(self)  # type: ignore[arg-type]

    def apply_errors(self, error: ValidationError) -> None:
        """Put a service's ValidationError on the form (field errors where the field exists)."""
        form: Any = self
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            form.add_error(None, error.messages)
        style_form(form)


# A form or a page's query string takes days from EARLIEST_DAY to DAYS_AHEAD from today:
# beyond that a date is a typo or a probe, and the day and time-zone arithmetic behind a form
# would overflow (0001-01-01 or 9999-12-31). The services' own limits give the precise message.
EARLIEST_DAY = dt.date(2000, 1, 1)
DAYS_AHEAD = 5 * 366


def day_range() -> tuple[dt.date, dt.date]:
    """The days forms and pages accept (server date: a day's difference in time zone does not
    matter at these bounds)."""
    return EARLIEST_DAY, timezone.localdate() + dt.timedelta(days=DAYS_AHEAD)


def day_range_message() -> str:
    first, last = day_range()
    return str(
        _("Enter a date between %(first)s and %(last)s.")
        % {
            "first": formats.date_format(first, "SHORT_DATE_FORMAT"),
            "last": formats.date_format(last, "SHORT_DATE_FORMAT"),
        }
    )


def validate_form_day(value: dt.date | dt.datetime | None) -> None:
    """Validator of a form's date or date-time field: within `day_range()`."""
    if value is None:
        return
    day = value.date() if isinstance(value, dt.datetime) else value
    first, last = day_range()
    if not first <= day <= last:
        raise ValidationError(day_range_message(), code="out_of_range")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


# The value format of <input type="datetime-local"> (minutes).
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    """<input type="datetime-local">, read and shown in the active time zone (the dealer's for
    dealer staff, the importer's for HQ: the tenancy middleware sets it)."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"step": 60, **(attrs or {})}, format=DATETIME_LOCAL)


class DateTimeLocalField(forms.DateTimeField):
    """A date-time typed in a datetime-local input (seconds and a space separator accepted)."""

    widget = DateTimeLocalInput
    input_formats = [DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class DealerChoiceField(forms.ModelChoiceField):
    """A dealer offered by its code and name, as every list and form names dealers."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.name}"
