"""Project-level pages: the landing dashboard per role and the dealer switcher."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.defaults import page_not_found

from dealers.access import HANDOVER
from dealers.clock import dealer_today
from dealers.models import Membership
from dealers.selectors import NO_ACCESS, Access
from dms.tenancy.middleware import SESSION_DEALER_KEY

from . import dashboard as dash

if TYPE_CHECKING:
    from dms.accounts.models import User

    class AuthenticatedHttpRequest(HttpRequest):
        user: User
else:
    AuthenticatedHttpRequest = HttpRequest


@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    access: Access = getattr(request, "access", NO_ACCESS)
    kind = dash.dashboard_kind(access)
    context: dict[str, Any] = {
        "kind": kind,
        "modules": dash.built_modules(access),
        "coming": dash.coming_modules(access),
    }
    if kind == dash.Kind.NONE:
        return _no_access(request)
    context["kpi_tile"] = dash.kpi_tile(access)
    if access.is_hq:
        context["regions"] = dash.regions_overview(request.user)
        if kind == dash.Kind.HQ_ADMIN:
            context["network"] = dash.network_summary(request.user)
        else:
            context["dealer_count"] = sum(row.dealers for row in context["regions"])
    elif access.dealer is not None and access.membership is not None:
        today = dealer_today(access.dealer)
        context["today"] = today
        context["team"] = dash.team_summary(dealer=access.dealer, today=today)
        context["can_hand_over"] = HANDOVER.admits(access, authenticated=True)
        context["my_absences"] = dash.my_absences(membership=access.membership, today=today)
        if kind == dash.Kind.PARTS:
            from inventory.stock.selectors import parts_day

            context["parts_day"] = parts_day(dealer_id=access.dealer.pk)
    else:
        return _no_access(request)
    return render(request, "dashboard.html", context)


def _no_access(request: HttpRequest) -> HttpResponse:
    """Signed in, but no dealer role and no HQ role: say so, and who can help."""
    return render(request, "dashboard_no_access.html", {}, status=403)


@login_required
@require_POST
def switch_dealer(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Work in another dealer the user belongs to. Anything else answers 404 and changes nothing
    (no hint whether the dealer exists)."""
    raw = request.POST.get("dealer", "")
    if not raw.isdigit():
        raise Http404
    membership = (
        Membership.objects.filter(
            user=request.user, dealer_id=int(raw), is_active=True, dealer__is_active=True
        )
        .select_related("dealer")
        .first()
    )
    if membership is None:
        raise Http404
    request.session[SESSION_DEALER_KEY] = membership.dealer_id
    messages.success(
        request, _("You are now working in %(dealer)s.") % {"dealer": str(membership.dealer)}
    )
    # Always to the dashboard: the page the user came from belongs to the previous dealer.
    return HttpResponseRedirect(reverse("dashboard"))


def favicon(request: HttpRequest) -> HttpResponse:
    """The static SVG icon (resolved per request: the static manifest may not exist at import).
    A temporary redirect: the target's hashed name changes when the icon does."""
    from django.templatetags.static import static

    return HttpResponseRedirect(static("img/favicon.svg"))


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 for a URL no route matches: the API's clients get JSON like every other API answer
    (declared in the schema), people the styled page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return page_not_found(request, exception or Http404())
