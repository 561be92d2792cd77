"""The sales manager's approvals inbox: lost requests, ownership claims and discounts together.
Lost requests are decided here; claims and discounts link to their own decision pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views import View

from dealers.roles import Cap
from leads.forms.funnel import LostDecisionForm
from leads.selectors.approvals import approval_inbox

from .leads import SalesPageMixin, safe_reverse


class ApprovalsView(SalesPageMixin, View):
    any_of = (Cap.SALES_APPROVE,)

    def get(self, request: HttpRequest) -> HttpResponse:
        inbox = approval_inbox(dealer=self.dealer)
        return TemplateResponse(
            request,
            "leads/approvals/inbox.html",
            {
                "inbox": inbox,
                "decision_form": LostDecisionForm(),
                "can_write": self.access.writable,
                "claims_url": safe_reverse("leads:claims"),
            },
        )
