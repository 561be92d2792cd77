"""Forms of the bulletin pages: HQ's draft editor, the revision and withdrawal forms, the inbox
filter. They only read and shape input; the rules (sanitising, deadlines, audiences) are in
bulletins.services, whose ValidationErrors land on these forms as field errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer, DealerGroup, Region
from dealers.roles import DealerRole
from dms.ui.forms import DateTimeLocalField, StyledFormMixin

from .models import Bulletin


class BodyField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 12, "data-bulletin-body": ""})


class DraftForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = BodyField(
        label=_("Text"),
        required=False,
        help_text=_(
            "Paragraphs, headings (h2–h4), bold, italics, lists, tables and links are kept; "
            "anything else (scripts, styles, images) is removed when saved."
        ),
    )
    category = forms.ChoiceField(label=_("Category"), choices=Bulletin.Category.choices)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Bulletin.Priority.choices, initial="normal"
    )
    requires_ack = forms.BooleanField(label=_("Staff must acknowledge it"), required=False)
    ack_deadline = DateTimeLocalField(label=_("Acknowledge by"), required=False)
    live_until = DateTimeLocalField(
        label=_("Shown until"), required=False, help_text=_("Empty: shown until withdrawn.")
    )
    all_dealers = forms.BooleanField(label=_("The whole network"), required=False)
    regions = forms.ModelMultipleChoiceField(
        label=_("Regions"),
        queryset=Region.objects.order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"data-tom-select": ""}),
    )
    groups = forms.ModelMultipleChoiceField(
        label=_("Dealer groups"),
        queryset=DealerGroup.objects.order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"data-tom-select": ""}),
    )
    dealers = forms.ModelMultipleChoiceField(
        label=_("Dealers"),
        queryset=Dealer.objects.filter(is_active=True).order_by("code"),
        required=False,
        widget=forms.SelectMultiple(attrs={"data-tom-select": ""}),
    )
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=DealerRole.choices,
        required=False,
        widget=forms.SelectMultiple(attrs={"data-tom-select": ""}),
        help_text=_("Empty: every role."),
    )

    @classmethod
    def initial_of(cls, bulletin: Bulletin) -> dict[str, Any]:
        return {
            "title": bulletin.title,
            "body": bulletin.body,
            "category": bulletin.category,
            "priority": bulletin.priority,
            "requires_ack": bulletin.requires_ack,
            "ack_deadline": bulletin.ack_deadline,
            "live_until": bulletin.live_until,
            "all_dealers": bulletin.all_dealers,
            "regions": list(bulletin.target_regions.all()),
            "groups": list(bulletin.target_groups.all()),
            "dealers": list(bulletin.target_dealers.all()),
            "roles": list(bulletin.target_roles),
        }


class ReviseForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = BodyField(label=_("Text"), required=False)
    note = forms.CharField(
        label=_("What changed"),
        max_length=300,
        help_text=_("Shown to every reader above the text."),
    )
    requires_reack = forms.BooleanField(
        label=_("Ask everyone to acknowledge again"), required=False
    )
    ack_deadline = DateTimeLocalField(
        label=_("New deadline"),
        required=False,
        help_text=_("Needed when asking to acknowledge again; otherwise the deadline stays."),
    )


class WithdrawForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


INBOX_FILTERS = {
    "all": _("All"),
    "unread": _("Unread"),
    "ack": _("To acknowledge"),
}
