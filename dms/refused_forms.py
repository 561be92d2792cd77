"""A refused form comes back on its own page, not on the URL it posted to (Post/Redirect/Get).

A page's form that fails validation used to be answered by the POST itself (status 400): the
address bar then showed the form's action (`/sales/leads/7/stage/`, `/showroom/test-drives/3/
checkout/`), a reload asked to send the form again, and a link or bookmark to it answered 405.
Now the view keeps the refused input and its errors in the session (`keep_refused`) and
redirects (303) to the page; the page's next GET takes them (`take_refused`) and shows the form
as it was sent, every error once, where it belongs. A reload then shows the page afresh.

Kept: the submitted values (each cut to MAX_VALUE characters; never a password field's), the
error messages by field, which form of the page it was (`name`: a page with several forms
shows the errors on the one that was sent) and the page's path. One form at a time per
session, for KEEP_SECONDS; taken once.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict

SESSION_KEY = "dms.refused_form"
KEEP_SECONDS = 600
MAX_VALUE = 5000
NOT_KEPT = frozenset({"csrfmiddlewaretoken", "_idempotency_key"})

F = TypeVar("F", bound=forms.BaseForm)


class SeeOther(HttpResponseRedirect):
    """303: the browser GETs the page (a reload does not repeat the POST)."""

    status_code = 303


@dataclass
class Refused:
    """A form the page's last POST refused: its input and errors, and which form it was."""

    name: str
    data: QueryDict
    errors: dict[str, list[str]] = field(default_factory=dict)

    def bind(self, form: F) -> F:
        """`form`, bound to the kept input, validated again, with the errors the POST found
        that its own validation does not (a service's) added: each error once."""
        form.full_clean()
        for name, messages in self.errors.items():
            target = name if name in form.fields else None
            shown = {str(m) for m in form.errors.get(target or "__all__", [])}
            for message in messages:
                if message not in shown:
                    form.add_error(target, message)
                    shown.add(message)
        restyle = getattr(form, "restyle", None)
        if callable(restyle):
            restyle()
        return form

    @property
    def messages(self) -> list[str]:
        """Every error, non-field ones first (for a form whose fields show none of their own)."""
        return [
            *self.errors.get("__all__", []),
            *(m for name, ms in self.errors.items() if name != "__all__" for m in ms),
        ]


def _password_names(form: forms.BaseForm) -> set[str]:
    return {
        form.add_prefix(name)
        for name, f in form.fields.items()
        if isinstance(f.widget, forms.PasswordInput)
    }


def keep_refused(
    request: HttpRequest,
    form: forms.BaseForm,
    *,
    page: str,
    name: str = "form",
    anchor: str = "",
    errors: Mapping[str, list[str]] | None = None,
) -> SeeOther:
    """Keep the refused `form` (its input from request.POST, its errors, or `errors`) for the
    page at path `page` and redirect there (`anchor`: the form's id, to scroll to it)."""
    secret = _password_names(form)
    data: dict[str, list[str]] = {}
    for key in request.POST:
        if key in NOT_KEPT or key in secret:
            continue
        data[key] = [value[:MAX_VALUE] for value in request.POST.getlist(key)]
    found = errors if errors is not None else form.errors
    request.session[SESSION_KEY] = {
        "page": page.split("?")[0].split("#")[0],
        "name": name,
        "data": data,
        "errors": {key: [str(m) for m in messages] for key, messages in found.items()},
        "at": time.time(),
    }
    return SeeOther(page + (f"#{anchor}" if anchor else ""))


def take_refused(request: HttpRequest, *, page: str | None = None) -> Refused | None:
    """The form this page's last POST refused (once), or None."""
    session = getattr(request, "session", None)
    if session is None:
        return None
    kept = session.get(SESSION_KEY)
    if not isinstance(kept, dict) or kept.get("page") != (page or request.path):
        return None
    del session[SESSION_KEY]
    if time.time() - float(kept.get("at", 0)) > KEEP_SECONDS:
        return None
    data = QueryDict(mutable=True)
    for key, values in (kept.get("data") or {}).items():
        data.setlist(key, [str(v) for v in values])
    data._mutable = False
    errors = {str(k): [str(m) for m in v] for k, v in (kept.get("errors") or {}).items()}
    return Refused(name=str(kept.get("name", "form")), data=data, errors=errors)


class KeepRefusedFormMixin:
    """For a FormView: a refused POST goes back to the view's own page (`keep_refused`), and
    the page's GET shows the form as it was sent, with its errors (`take_refused`).
    `refused_anchor`: the form's id on the page, scrolled to."""

    refused_anchor = ""
    refused: Refused | None = None

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.refused = take_refused(request)
        response: HttpResponse = super().get(request, *args, **kwargs)  # type: ignore[misc]
        return response

    def get_form_kwargs(self) -> dict[str, object]:
        kwargs: dict[str, object] = super().get_form_kwargs()  # type: ignore[misc]
        if self.refused is not None:
            kwargs["data"] = self.refused.data
        return kwargs

    def get_form(self, form_class: object = None) -> forms.BaseForm:
        form: forms.BaseForm = super().get_form(form_class)  # type: ignore[misc]
        if self.refused is not None:
            self.refused.bind(form)
        return form

    def form_invalid(self, form: forms.BaseForm) -> SeeOther:
        request: HttpRequest = self.request  # type: ignore[attr-defined]
        return keep_refused(request, form, page=request.get_full_path(), anchor=self.refused_anchor)
