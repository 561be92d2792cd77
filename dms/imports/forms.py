from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .engine import importer_class, kinds


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"))
    target = forms.ChoiceField(
        label=_("Into"),
        required=False,
        help_text=_("For kinds with several targets (e.g. which price list)."),
    )
    file = forms.FileField(
        label=_("File (.csv UTF-8 or .xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds()  # type: ignore[attr-defined]
        targets: list[tuple[str, Any]] = [("", "—")]
        for kind, _label in kinds():
            cls = importer_class(kind)
            if cls is not None:
                targets.extend(cls.targets())
        self.fields["target"].choices = targets  # type: ignore[attr-defined]
