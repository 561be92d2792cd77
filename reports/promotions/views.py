"""HQ's view of a promotion's uptake: orders that took it per region and dealer (counts only,
never a customer). Shown inside the promotion's page (bulletins, which may not import sales)
and on its own. A regional manager sees only the dealers of their regions."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from bulletins.models import Promotion
from dealers.selectors import request_access
from sales.selectors import promotion_uptake, uptake_by_region


def promotion_uptake_view(request: HttpRequest, pk: int) -> HttpResponse:
    access = request_access(request)
    promotion = get_object_or_404(Promotion.objects.exclude(status=Promotion.Status.DRAFT), pk=pk)
    # The request's read scope covers exactly access.dealer_ids (tenancy middleware).
    rows = promotion_uptake(promotion_id=promotion.pk, dealer_ids=access.dealer_ids)
    context = {
        "promotion": promotion,
        "rows": rows,
        "regions": uptake_by_region(rows),
        "total": sum(r.taken for r in rows),
    }
    if request.headers.get("HX-Request"):
        return render(request, "reports/promotions/_uptake.html", context)
    return render(request, "reports/promotions/uptake.html", context)
