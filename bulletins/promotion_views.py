"""HQ promotion pages: the list with budget use, the editor of a draft, publish and withdraw.
HQ network admins write; regional managers read. Writes go through bulletins.promotions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from dealers.roles import Cap
from dealers.selectors import request_access

from . import promotions as services
from .models import Promotion
from .promotion_forms import PromotionForm


def promotion_list(request: HttpRequest) -> HttpResponse:
    access = request_access(request)
    rows = Promotion.objects.prefetch_related("target_regions", "target_dealers")
    if not access.can(Cap.NETWORK_ADMIN):
        rows = rows.exclude(status=Promotion.Status.DRAFT)
    return render(
        request,
        "bulletins/promotions/list.html",
        {"promotions": rows, "can_edit": access.can(Cap.NETWORK_ADMIN)},
    )


def promotion_create(request: HttpRequest) -> HttpResponse:
    form = PromotionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            promotion = services.create_promotion(
                actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(
                request, _("Promotion %(code)s saved as a draft.") % {"code": promotion.code}
            )
            return redirect("promotions:detail", pk=promotion.pk)
    return render(request, "bulletins/promotions/form.html", {"form": form})


def promotion_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = request_access(request)
    rows = Promotion.objects.prefetch_related(
        "target_regions", "target_dealers", "vehicle_models", "trims__vehicle_model"
    )
    if not access.can(Cap.NETWORK_ADMIN):
        rows = rows.exclude(status=Promotion.Status.DRAFT)
    promotion = get_object_or_404(rows, pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        change = {"publish": services.publish_promotion, "withdraw": services.withdraw_promotion}
        if action in change:
            try:
                change[action](actor=request.user, promotion=promotion, request=request)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                done = {
                    "publish": _("Published: quotes of the targeted dealers now offer it."),
                    "withdraw": _(
                        "Withdrawn: no new quote offers it; orders that took it keep it."
                    ),
                }
                messages.success(request, done[action])
        return redirect("promotions:detail", pk=promotion.pk)
    return render(
        request,
        "bulletins/promotions/detail.html",
        {"promotion": promotion, "can_edit": access.can(Cap.NETWORK_ADMIN)},
    )
