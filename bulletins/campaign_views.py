"""Technical campaign pages (HQ): the list with completion, a campaign's page (parts, affected
vehicles, completion by region and dealer), create, load the affected VINs (check first, then
confirm), publish with its recall bulletin, close. Regional managers read the figures of their
regions; HQ network admins write. Writes go through bulletins.campaigns."""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from dealers.roles import Cap
from dealers.selectors import request_access

from . import campaign_selectors as selectors
from . import campaigns as services
from .campaign_forms import (
    MAX_PASTED_VEHICLES,
    CampaignForm,
    PublishCampaignForm,
    VehicleListForm,
)
from .models import TechnicalCampaign


def _scope(request: HttpRequest) -> list[int] | None:
    """Dealers whose figures the caller sees: None (all) for network admins, else their own."""
    access = request_access(request)
    return None if access.can(Cap.NETWORK_ADMIN) else list(access.dealer_ids)


def campaign_list(request: HttpRequest) -> HttpResponse:
    dealer_ids = _scope(request)
    vehicles = Q() if dealer_ids is None else Q(vehicles__dealer_id__in=dealer_ids)
    campaigns = TechnicalCampaign.objects.annotate(
        affected=Count("vehicles", filter=vehicles),
        completed=Count("vehicles", filter=vehicles & Q(vehicles__completed_at__isnull=False)),
    ).select_related("labour_operation")
    if dealer_ids is not None:
        campaigns = campaigns.exclude(status=TechnicalCampaign.Status.DRAFT)
    return render(
        request,
        "bulletins/campaigns/list.html",
        {"campaigns": campaigns, "can_edit": request_access(request).can(Cap.NETWORK_ADMIN)},
    )


def campaign_create(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = services.create_campaign(actor=request.user, request=request, **data)
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("Campaign %(code)s created.") % {"code": campaign.code})
            return redirect("campaigns:detail", pk=campaign.pk)
    return render(request, "bulletins/campaigns/form.html", {"form": form})


def _fingerprint(text: str) -> str:
    """The checked list, so the confirmation loads exactly what was checked."""
    return hashlib.sha256(text.encode()).hexdigest()


def _current_list(campaign: TechnicalCampaign) -> str:
    """The loaded list as the form takes it, to edit (up to the paste limit)."""
    rows = campaign.vehicles.values_list("vin", "dealer__code")[:MAX_PASTED_VEHICLES]
    return "\n".join(f"{vin}; {code}" if code else vin for vin, code in rows)


def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dealer_ids = _scope(request)
    campaign = get_object_or_404(
        TechnicalCampaign.objects.select_related("labour_operation", "bulletin").exclude(
            Q(status=TechnicalCampaign.Status.DRAFT) if dealer_ids is not None else Q()
        ),
        pk=pk,
    )
    can_edit = dealer_ids is None
    list_form, publish_form = (
        VehicleListForm(initial={"vehicles": _current_list(campaign)}),
        PublishCampaignForm(),
    )
    preview = errors = None
    checked = ""
    action = request.POST.get("action", "")
    if request.method == "POST" and action in ("check", "load"):
        list_form = VehicleListForm(request.POST)
        if list_form.is_valid():
            text = list_form.cleaned_data["vehicles"]
            confirmed = action == "load" and request.POST.get("checked") == _fingerprint(text)
            try:
                change = services.set_affected_vehicles(
                    actor=request.user, campaign=campaign, rows=list_form.rows(),
                    dry_run=not confirmed, first_row=1, request=request,
                )  # fmt: skip
            except services.ImportRefused as exc:
                errors = exc.row_errors
            except ValidationError as exc:
                list_form.apply_errors(exc)
            else:
                if confirmed:
                    messages.success(
                        request,
                        _("Affected vehicles loaded: %(added)d added, %(removed)d removed, "
                          "%(kept)d kept.") % vars(change),
                    )  # fmt: skip
                    return redirect("campaigns:detail", pk=campaign.pk)
                preview, checked = change, _fingerprint(text)
    elif request.method == "POST" and action == "publish":
        publish_form = PublishCampaignForm(request.POST)
        if publish_form.is_valid():
            try:
                services.publish_campaign(
                    actor=request.user, campaign=campaign, request=request,
                    ack_deadline=publish_form.cleaned_data["ack_deadline"],
                )  # fmt: skip
            except ValidationError as exc:
                publish_form.apply_errors(exc)
            else:
                messages.success(request, _("Campaign published with its recall bulletin."))
                return redirect("campaigns:detail", pk=campaign.pk)
    elif request.method == "POST" and action == "close":
        try:
            services.close_campaign(actor=request.user, campaign=campaign, request=request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Campaign closed: its vehicles are no longer flagged."))
        return redirect("campaigns:detail", pk=campaign.pk)
    progress = selectors.campaign_progress(campaign=campaign, dealer_ids=dealer_ids)
    return render(
        request,
        "bulletins/campaigns/detail.html",
        {
            "campaign": campaign,
            "parts": campaign.parts.select_related("part"),
            "progress": progress,
            "can_edit": can_edit,
            "list_form": list_form,
            "publish_form": publish_form,
            "preview": preview,
            "checked": checked,
            "row_errors": errors[:200] if errors else None,
            "error_count": len(errors) if errors else 0,
        },
    )
