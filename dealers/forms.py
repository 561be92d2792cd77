"""Forms of the network pages. They parse input; the rules live in dealers.services."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from dms.accounts.models import EMAIL_TAKEN_MESSAGE, HqRole
from dms.accounts.validators import email_in_use
from dms.addresses import clean_country, clean_postal_code

from .models import Dealer, DealerGroup, Membership, Region, StaffAbsence
from .roles import DealerRole
from .services import DATE_LIMIT_FIELDS, DEALER_FIELDS

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


def _member_label(membership: Membership) -> str:
    name = membership.user.get_full_name() or membership.user.get_username()
    return f"{name} ({membership.get_role_display()})"


class MembershipChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _member_label(obj)


# --- absences -------------------------------------------------------------------------------------


class AbsenceForm(StyledFormMixin, forms.Form):
    membership = MembershipChoiceField(
        label=_("Staff member"), queryset=Membership.objects.none(), empty_label=None
    )
    starts_on = forms.DateField(label=_("From"), widget=DateInput(), validators=[validate_form_day])
    ends_on = forms.DateField(
        label=_("Until (inclusive)"), widget=DateInput(), validators=[validate_form_day]
    )
    reason = forms.ChoiceField(label=_("Reason"), choices=StaffAbsence.Reason.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, memberships: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["membership"].queryset = memberships  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("The absence must end on or after its first day."))
        return data


# --- staff (dealer admins) ------------------------------------------------------------------------


class NewAccountFields(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput(render_value=False),
        help_text=_("The new colleague must choose their own password at first login."),
    )

    def clean_email(self) -> str:
        # Told at once with the other fields; the service checks again when it saves.
        email: str = (self.cleaned_data.get("email") or "").strip()
        if email_in_use(email):
            raise ValidationError(EMAIL_TAKEN_MESSAGE, code="email_taken")
        return email


class StaffAddForm(StyledFormMixin, NewAccountFields):
    role = forms.ChoiceField(label=_("Role"), choices=DealerRole.choices)


class MembershipChangeForm(StyledFormMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=DealerRole.choices)
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_("Inactive staff can no longer work in this dealer."),
    )


# --- HQ: regions, dealers, users ------------------------------------------------------------------


class UserChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        name = obj.get_full_name()
        return f"{name} ({obj.get_username()})" if name else obj.get_username()


class RegionForm(StyledFormMixin, forms.ModelForm):
    managers = UserChoiceField(
        label=_("Regional managers"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("HQ regional managers who see this region's dealers."),
    )

    class Meta:
        model = Region
        fields = ["code", "name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["managers"].queryset = (  # type: ignore[attr-defined]
            get_user_model()
            .objects.filter(hq_role=HqRole.REGIONAL_MANAGER, is_active=True)
            .order_by("username")
        )


def _timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class DealerForm(StyledFormMixin, forms.ModelForm):
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        choices=_timezone_choices,
        initial=Dealer._meta.get_field("timezone").get_default,
    )

    class Meta:
        model = Dealer
        fields = list(DEALER_FIELDS)  # exactly what the service accepts
        widgets = {
            "showroom_opens_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "showroom_closes_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["group"].queryset = DealerGroup.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["country"].help_text = _("Two-letter ISO code, e.g. DE.")
        for name in DATE_LIMIT_FIELDS:  # left empty: kept as they are (the default when new)
            self.fields[name].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in DATE_LIMIT_FIELDS:
            if data.get(name) is None and name not in self.errors:
                data[name] = getattr(self.instance, name)
        if data.get("postal_code") and data.get("country") and "postal_code" not in self.errors:
            try:  # written the country's way (dms.addresses)
                data["postal_code"] = clean_postal_code(data["postal_code"], data["country"])
            except ValidationError as error:
                self.add_error("postal_code", error)
        return data

    def clean_country(self) -> str:
        value = (self.cleaned_data.get("country") or "").strip().upper()
        if len(value) != 2 or not value.isalpha():
            raise ValidationError(_("Enter a two-letter country code, e.g. DE."))
        return clean_country(value)  # an ISO country, not any two letters

    def clean_code(self) -> str:
        return (self.cleaned_data.get("code") or "").strip().upper()


HQ_ROLE_CHOICES = [("", _("None (dealer staff)")), *HqRole.choices]


class HqUserCreateForm(StyledFormMixin, NewAccountFields):
    hq_role = forms.ChoiceField(label=_("HQ role"), choices=HQ_ROLE_CHOICES, required=False)


class HqUserEditForm(StyledFormMixin, forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    hq_role = forms.ChoiceField(label=_("HQ role"), choices=HQ_ROLE_CHOICES, required=False)
    is_active = forms.BooleanField(
        label=_("Account active"),
        required=False,
        help_text=_("A disabled account cannot log in; its API tokens are deleted."),
    )


class DealerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.name}"


class MembershipAddForm(StyledFormMixin, forms.Form):
    dealer = DealerChoiceField(
        label=_("Dealer"), queryset=Dealer.objects.filter(is_active=True).order_by("code")
    )
    role = forms.ChoiceField(label=_("Role"), choices=DealerRole.choices)
