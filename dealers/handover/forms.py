"""Forms of the handover pages: they parse input; the rules live in dealers.handover.services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dealers.models import Membership, ReassignmentBatch
from dms.ui.forms import DateInput, StyledFormMixin


def _users(receivers: list[Any]) -> Any:
    """A queryset over the receiving users (labels carry their open-lead load)."""
    return (
        get_user_model()
        .objects.filter(pk__in=[m.user_id for m in receivers])
        .order_by("last_name", "first_name", "username")
    )


def _receiver_label(user: Any, load: int) -> str:
    """A colleague as the receiver lists show them: the name (never the username, unless no
    name is known) and their open-lead load."""
    leads = ngettext("%(n)d open lead", "%(n)d open leads", load) % {"n": load}
    return f"{user.get_full_name() or user.get_username()} ({leads})"


class _ReceiverLabels:
    def _label(self, receivers: list[Any], *field_names: str) -> None:
        loads = {m.user_id: m.open_leads for m in receivers}
        fields: Any = self.fields  # type: ignore[attr-defined]
        for name in field_names:
            fields[name].label_from_instance = lambda u, _l=loads: _receiver_label(
                u, _l.get(u.pk, 0)
            )


class DepartureForm(StyledFormMixin, forms.Form):
    leaving_on = forms.DateField(label=_("Last working day"), widget=DateInput())
    reason = forms.CharField(label=_("Reason (optional)"), max_length=200, required=False)


# What each "Distribute" option does (shown under it; dealers.handover.services._assign).
STRATEGY_HELP = {
    ReassignmentBatch.Strategy.ROUND_ROBIN: _(
        "One customer each in turn: everyone gets the same number, give or take one."
    ),
    ReassignmentBatch.Strategy.BALANCE: _(
        "Everyone gets the same number of customers, give or take one; the customers with the "
        "most open leads go to whoever has the fewest, so open leads end up as even as possible."
    ),
    ReassignmentBatch.Strategy.MANUAL: _(
        "Everything to the first chosen colleague; adjust customer by customer in the preview."
    ),
}


class DistributionForm(_ReceiverLabels, StyledFormMixin, forms.Form):
    strategy = forms.ChoiceField(
        label=_("Distribute"),
        choices=ReassignmentBatch.Strategy.choices,
        initial=ReassignmentBatch.Strategy.ROUND_ROBIN,
        widget=forms.RadioSelect,
    )
    targets = forms.ModelMultipleChoiceField(
        label=_("Among these colleagues"),
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    grade_H = forms.ModelChoiceField(  # noqa: N815
        label=_("All grade H customers to"),
        queryset=get_user_model().objects.none(),
        required=False,
    )
    grade_A = forms.ModelChoiceField(  # noqa: N815
        label=_("All grade A customers to"),
        queryset=get_user_model().objects.none(),
        required=False,
    )

    def __init__(self, *args: Any, receivers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = _users(receivers)
        for name in ("targets", "grade_H", "grade_A"):
            self.fields[name].queryset = users  # type: ignore[attr-defined]
        self._label(receivers, "targets", "grade_H", "grade_A")

    def strategy_options(self) -> list[tuple[Any, Any]]:
        """Each "Distribute" radio with the words saying what it does."""
        return [(option, STRATEGY_HELP[option.data["value"]]) for option in self["strategy"]]

    def grade_fields(self) -> list[Any]:
        return [self["grade_H"], self["grade_A"]]

    def grade_rules(self) -> dict[str, Any]:
        return {
            g: self.cleaned_data.get(f"grade_{g}")
            for g in ("H", "A")
            if self.cleaned_data.get(f"grade_{g}")
        }


class ReassignForm(_ReceiverLabels, StyledFormMixin, forms.Form):
    """Manual choice in the preview: one item (item) or a whole grade (grade) to one colleague."""

    to_user = forms.ModelChoiceField(label=_("Give to"), queryset=get_user_model().objects.none())
    item = forms.IntegerField(required=False, widget=forms.HiddenInput)
    grade = forms.ChoiceField(
        label=_("Customers of grade"),
        required=False,
        choices=[("", "—"), ("H", "H"), ("A", "A"), ("B", "B"), ("C", "C")],
    )

    def __init__(self, *args: Any, receivers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = _users(receivers)  # type: ignore[attr-defined]
        self._label(receivers, "to_user")


class CoverForm(StyledFormMixin, forms.Form):
    absent = forms.ModelChoiceField(label=_("On leave"), queryset=Membership.objects.none())
    covering = forms.ModelChoiceField(label=_("Covered by"), queryset=Membership.objects.none())
    starts_on = forms.DateField(label=_("From"), widget=DateInput())
    ends_on = forms.DateField(label=_("Until"), widget=DateInput())

    def __init__(self, *args: Any, memberships: Any, candidates: Any, **kwargs: Any) -> None:
        """`memberships`: who may be on leave; `candidates`: who may cover (available sales
        staff: their absences are checked against the dates on saving)."""
        super().__init__(*args, **kwargs)
        for name, queryset in (("absent", memberships), ("covering", candidates)):
            field: Any = self.fields[name]
            field.queryset = queryset
            field.label_from_instance = lambda m: m.user.get_full_name() or m.user.get_username()
