"""The project's form renderer (settings.FORM_RENDERER): Django's, with the two most common widget
templates, <select> and <input>, written out in Python.

Django renders a <select> through one template include per option, plus one per attribute list:
the filter bar of the lead list (six selects, about 45 options) cost about 2.5 ms of the page's
CPU that way, more than the page's SQL. The Python versions give the same markup, byte for byte,
as Django's templates (tests/core/test_forms_renderer.py compares them on every case), and are
used only while the template Django would load is its own: a project or app template that
overrides one of them is rendered as usual.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django.forms
from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # not in django-stubs

from dms.html import escape

WIDGETS = "django/forms/widgets/"
OPTION_TEMPLATE = WIDGETS + "select_option.html"
# Django's own input templates are all `{% include "django/forms/widgets/input.html" %}`.
INPUT_TEMPLATES = frozenset(
    WIDGETS + f"{name}.html"
    for name in (
        "input",
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "search",
        "tel",
        "date",
        "datetime",
        "time",
        "color",
    )
)
DJANGO_FORM_TEMPLATES = Path(django.forms.__file__).resolve().parent / "templates"


def shown(value: Any) -> Any:
    """A value as `{{ value }}` shows it: aware datetimes in the current time zone, localized."""
    return localize(template_localtime(value))


def render_attrs(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html: True is a bare attribute, False is left out."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"')
    return "".join(parts)


def render_input(widget: dict[str, Any]) -> str:
    """django/forms/widgets/input.html."""
    value = widget["value"]
    shown = "" if value is None else f' value="{escape(value)}"'
    return (
        f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"'
        f"{shown}{render_attrs(widget['attrs'])}>"
    )


def render_select(widget: dict[str, Any]) -> str:
    """django/forms/widgets/select.html with select_option.html per option."""
    out = [f'<select name="{escape(widget["name"])}"{render_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{escape(shown(group_name))}">')
        for option in options:
            out.append(
                f'\n  <option value="{escape(option["value"])}"{render_attrs(option["attrs"])}>'
                f"{escape(shown(option['label']))}</option>\n"  # the include keeps the file's newline
            )
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


def _select_in_python(widget: dict[str, Any]) -> str | None:
    """None when an option has a template of its own (a custom option_template_name)."""
    for _name, options, _index in widget["optgroups"]:
        for option in options:
            if option["template_name"] != OPTION_TEMPLATE:
                return None
    return render_select(widget)


# What each template written in Python includes: all of them must be Django's own too.
INCLUDES: dict[str, tuple[str, ...]] = {
    WIDGETS + "select.html": (OPTION_TEMPLATE, WIDGETS + "attrs.html"),
    OPTION_TEMPLATE: (WIDGETS + "attrs.html",),
    WIDGETS + "input.html": (WIDGETS + "attrs.html",),
    **dict.fromkeys(INPUT_TEMPLATES - {WIDGETS + "input.html"}, (WIDGETS + "input.html",)),
}

PYTHON_WIDGETS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    WIDGETS + "select.html": _select_in_python,
    **dict.fromkeys(INPUT_TEMPLATES, render_input),
}


class FormRenderer(DjangoTemplates):
    """DjangoTemplates (Django's default form renderer) with PYTHON_WIDGETS."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        in_python = PYTHON_WIDGETS.get(template_name)
        if in_python is not None and self._is_djangos(template_name):
            html = in_python(context["widget"])
            if html is not None:
                return html
        return super().render(template_name, context, request=request)

    @functools.cache  # noqa: B019  # one renderer per process (get_default_renderer caches it)
    def _is_djangos(self, template_name: str) -> bool:
        """Is the template Django would load the one shipped with Django (not overridden)?"""
        origin = Path(self.get_template(template_name).origin.name).resolve()
        if not origin.is_relative_to(DJANGO_FORM_TEMPLATES):
            return False
        return all(self._is_djangos(name) for name in INCLUDES.get(template_name, ()))
