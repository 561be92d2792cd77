"""`{{ field|bs }}`: render a form field's widget with Bootstrap 5 classes (forms of
django-two-factor-auth and Django's auth forms carry no classes of their own)."""

from __future__ import annotations

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()

_CHECK = {"checkbox", "radio", "checkboxselectmultiple", "radioselect"}


@register.filter(name="bs")
def bootstrap_widget(field: BoundField) -> SafeString:
    widget_type = field.widget_type
    if widget_type in _CHECK:
        css = "form-check-input"
    elif widget_type in {"select", "selectmultiple"}:
        css = "form-select"
    else:
        css = "form-control"
    existing = field.field.widget.attrs.get("class", "")
    classes = f"{existing} {css}".strip()
    attrs: dict[str, str | bool] = {"class": classes}
    if field.errors:
        attrs["class"] = f"{classes} is-invalid"
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)
