"""dms.forms_renderer: <select> and <input> written in Python give exactly Django's markup."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from dms.forms_renderer import FormRenderer

DJANGO = DjangoTemplates()
OURS = FormRenderer()


def both(widget: forms.Widget, name: str, value: Any, attrs: dict[str, Any] | None = None) -> None:
    expected = widget.render(name, value, attrs=attrs, renderer=DJANGO)
    assert widget.render(name, value, attrs=attrs, renderer=OURS) == expected


def test_the_project_renders_forms_with_it() -> None:
    assert isinstance(get_default_renderer(), FormRenderer)


@pytest.mark.parametrize("value", [None, "", "b", 2, ["a", "b"]])
def test_select_matches_django(value: Any) -> None:
    choices = [("", "---------"), ("a", "Alpha"), ("b", "Bravo & <Co>"), (2, 'Two "quoted"')]
    both(forms.Select(choices=choices), "pick", value, {"id": "id_pick", "class": "form-select"})


def test_select_with_groups_attributes_and_lazy_labels() -> None:
    choices = [
        ("", gettext_lazy("All")),
        (gettext_lazy("Open"), [("new", gettext_lazy("New")), ("quote", "Quote")]),
        ("Closed <x>", [("lost", "Lost"), ("won", mark_safe("<b>Won</b>"))]),
    ]
    widget = forms.Select(choices=choices, attrs={"required": True, "disabled": False})
    for language in ("en", "ja"):
        with override(language):
            both(widget, "stage", "quote", {"data-x": 'a"b', "autofocus": True})


def test_select_multiple_and_localized_labels() -> None:
    choices = [(1, 1234), (2, Decimal("1.5")), (3, dt.date(2026, 12, 5))]
    with override("de"):
        both(forms.SelectMultiple(choices=choices), "many", [1, 3], {"id": "id_many"})


def test_aware_datetime_labels_in_the_current_time_zone() -> None:
    from django.utils import timezone

    at = dt.datetime(2026, 12, 5, 23, 30, tzinfo=dt.UTC)
    with timezone.override("Asia/Tokyo"):  # already 6 December there
        both(forms.Select(choices=[("a", at), ("b", "later")]), "when", "a")


def test_model_choice_field_select(db: Any) -> None:
    from django.contrib.auth import get_user_model

    from tests.factories import UserFactory

    UserFactory(first_name="Ann <script>", last_name="O'Neil")
    field = forms.ModelChoiceField(queryset=get_user_model().objects.order_by("pk"))
    both(field.widget, "who", "", {"id": "id_who"})


@pytest.mark.parametrize(
    "widget,value",
    [
        (forms.TextInput(), None),
        (forms.TextInput(), ""),
        (forms.TextInput(), 'O\'Neil & "Sons" <b>'),
        (forms.NumberInput(attrs={"min": 0, "step": Decimal("0.01")}), 12),
        (forms.EmailInput(), "a@example.com"),
        (forms.PasswordInput(), None),
        (forms.HiddenInput(), mark_safe("<safe>")),
        (forms.DateInput(attrs={"type": "date"}), dt.date(2026, 12, 5)),
        (forms.DateTimeInput(), dt.datetime(2026, 12, 5, 9, 30, tzinfo=dt.UTC)),
        (forms.TimeInput(), dt.time(9, 30)),
        (forms.URLInput(), "https://example.com/?a=1&b=2"),
    ],
)
def test_inputs_match_django(widget: forms.Widget, value: Any) -> None:
    both(widget, "field", value, {"id": "id_field", "required": True, "readonly": False})


def test_other_widgets_still_use_templates() -> None:
    for widget, value in (
        (forms.Textarea(), "x < y"),
        (forms.CheckboxInput(), True),
        (forms.RadioSelect(choices=[("a", "A"), ("b", "B")]), "a"),
        (forms.CheckboxSelectMultiple(choices=[("a", "A")]), ["a"]),
        (forms.ClearableFileInput(), None),
    ):
        both(widget, "f", value, {"id": "id_f"})


def test_a_custom_option_template_falls_back_to_templates() -> None:
    class Custom(forms.Select):
        option_template_name = "django/forms/widgets/input.html"

    widget = Custom(choices=[("a", "A")])
    html = widget.render("c", "a", renderer=OURS)
    assert html == widget.render("c", "a", renderer=DJANGO)
    assert "<input" in html  # the custom option template was used
