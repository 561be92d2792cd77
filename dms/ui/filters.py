"""Filter-form pieces every list page shares (django-filter with Bootstrap styling)."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from .forms import DealerChoiceField, style_form

ANY = _("Any")


def yes_no_any() -> forms.Select:
    return forms.Select(choices=[("", ANY), ("true", _("Yes")), ("false", _("No"))])


class StyledFilterSet(django_filters.FilterSet):
    """Bootstrap classes on the filter form's widgets."""

    @property
    def form(self) -> forms.Form:
        form = super().form
        if not getattr(form, "_styled", False):
            style_form(form)
            form._styled = True  # type: ignore[attr-defined]
        return form


class DealerFilter(django_filters.ModelChoiceFilter):
    field_class = DealerChoiceField
