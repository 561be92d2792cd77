"""Forms of the network pages. They parse input; the rules live in dealers.services."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dms.accounts.models import EMAIL_TAKEN_MESSAGE, HqRole
from dms.accounts.validators import email_in_use
from dms.addresses import clean_country, clean_postal_code
from dms.ui.forms import DateInput, DealerChoiceField, StyledFormMixin, validate_form_day

from .models import Dealer, DealerGroup, Membership, Region, StaffAbsence
from .roles import DealerRole
from .services import DATE_LIMIT_FIELDS, DEALER_FIELDS


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


class MembershipAddForm(StyledFormMixin, forms.Form):
    dealer = DealerChoiceField(
        label=_("Dealer"), queryset=Dealer.objects.filter(is_active=True).order_by("code")
    )
    role = forms.ChoiceField(label=_("Role"), choices=DealerRole.choices)
