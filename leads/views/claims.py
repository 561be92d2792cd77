"""Ownership claims: file (consultant, from the conflict panel), list, approve / reject (sales
manager, POST). The approvals inbox (H7) lists pending claims through
leads.selectors.claims.pending_claims and posts to the decision views here."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from dealers.roles import Cap
from dms.paging import paginate
from leads.forms.customers import ClaimDecisionForm, ClaimForm
from leads.selectors.claims import claims_of, claims_visible_to, pending_claims
from leads.selectors.customers import ConflictInfo, read_claim_token
from leads.services.claims import decide_claim, file_claim

from .customers import SalesAccessMixin


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


class ClaimFileView(SalesAccessMixin, View):
    require_writable = True

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ClaimForm(request.POST)
        token = request.POST.get("token", "")
        customer = read_claim_token(token, dealer=self.dealer, claimant=request.user)
        if customer is None:
            raise Http404
        if form.is_valid():
            try:
                file_claim(
                    customer=customer, claimant=request.user, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                form.apply_errors(error)
            else:
                text = _("Your claim was sent to the sales manager.")
                if _is_htmx(request):
                    return TemplateResponse(
                        request, "leads/claims/_claim_sent.html", {"message": text}
                    )
                messages.success(request, text)
                return redirect("leads:claims")
        from leads.selectors.customers import conflict_info

        conflict: ConflictInfo = conflict_info(customer=customer, actor=request.user)
        context = {"conflict": conflict, "claim_form": form}
        if _is_htmx(request):
            return TemplateResponse(request, "leads/claims/_conflict.html", context)
        return TemplateResponse(request, "leads/customers/conflict.html", context)


class ClaimListView(SalesAccessMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        can_decide = self.access.can(Cap.SALES_APPROVE)
        # Two lists, each paged on its own (the other's page number stays in the links).
        own = paginate(request, claims_of(user=request.user), param="page")
        context: dict[str, Any] = {
            "can_decide": can_decide and self.access.writable,
            "own_claims": own.object_list,
            "own_pager": own.context,
            "pending": [],
            "decision_form": ClaimDecisionForm(),
        }
        if can_decide:
            pending = paginate(request, pending_claims(dealer=self.dealer), param="pending_page")
            context.update(pending=pending.object_list, pending_pager=pending.context)
        return TemplateResponse(request, "leads/claims/list.html", context)


class ClaimDecideView(SalesAccessMixin, View):
    any_of = (Cap.SALES_APPROVE,)
    require_writable = True
    approve = True

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        claim = get_object_or_404(claims_visible_to(self.access), pk=pk)
        form = ClaimDecisionForm(request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        try:
            decide_claim(
                claim=claim, actor=request.user, approve=self.approve, note=note, request=request
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if self.approve:
                messages.success(request, _("Claim approved: the customer moved."))
            else:
                messages.success(request, _("Claim rejected: nothing moved."))
        target = request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(target)
        return redirect("leads:claims")


class ClaimApproveView(ClaimDecideView):
    approve = True


class ClaimRejectView(ClaimDecideView):
    approve = False
