"""Price-list pages (issue 14, item 2): HQ network admins see the lists and their versions, a
version's lines and its differences against the version it replaces, and check, publish and
withdraw versions; dealer staff look prices up on a day and their managers set the dealer's own
labour rates within HQ's bounds. Thin: the rules are in bulletins.pricing_services, the reads
in bulletins.pricing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from dealers.clock import dealer_today
from dealers.roles import Cap
from dealers.selectors import request_access
from dms.tenancy.context import as_dealer
from inventory.models import LabourGrade

from . import pricing
from . import pricing_services as services
from .models import LabourPrice, PartPrice, PriceList, PriceListVersion, VehiclePrice
from .pricing_forms import LabourRateForm, PriceLookupForm, PublishForm
from .pricing_tables import LabourPriceTable, PartPriceTable, VehiclePriceTable


def _version(pk: int) -> PriceListVersion:
    return get_object_or_404(PriceListVersion.objects.select_related("price_list"), pk=pk)


def _refusal(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- HQ: lists, versions, lines, differences ----------------------------------------------------


def price_lists(request: HttpRequest) -> HttpResponse:
    versions = PriceListVersion.objects.select_related("published_by").order_by("-number")
    lists = PriceList.objects.prefetch_related(Prefetch("versions", queryset=versions))
    today = services.importer_today()
    return render(request, "bulletins/prices/list.html", {"lists": lists, "today": today})


@require_POST
def new_draft(request: HttpRequest, pk: int) -> HttpResponse:
    plist = get_object_or_404(PriceList, pk=pk)
    draft = services.create_draft(price_list=plist, actor=request.user, copy_current=True)
    messages.success(
        request,
        _("Version %(number)s drafted from the current prices.") % {"number": draft.number},
    )
    return redirect("prices:version", pk=draft.pk)


_TABLES: dict[str, tuple[type, Any, tuple[str, ...]]] = {
    PriceList.Kind.VEHICLE: (VehiclePriceTable, VehiclePrice, ("code__icontains",)),
    PriceList.Kind.PARTS: (
        PartPriceTable,
        PartPrice,
        ("part__number__istartswith", "part__description__icontains"),
    ),
    PriceList.Kind.LABOUR: (LabourPriceTable, LabourPrice, ("grade__name__icontains",)),
}


def version_detail(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(pk)
    table_class, model, search_fields = _TABLES[version.price_list.kind]
    rows = model.objects.filter(version=version)
    if model is PartPrice:
        rows = rows.select_related("part__group").order_by("part__number")
    elif model is LabourPrice:
        rows = rows.select_related("grade").order_by("grade__code")
    else:
        rows = rows.order_by("kind", "code")
    query = (request.GET.get("q") or "").strip()[:100]
    if query:
        found = Q()
        for lookup in search_fields:
            found |= Q(**{lookup: query})
        rows = rows.filter(found)
    table = table_class(rows)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return render(
        request,
        "bulletins/prices/version.html",
        {
            "version": version,
            "table": table,
            "query": query,
            "problems": (
                services.problems(version) if version.status == version.Status.DRAFT else []
            ),
            "previous": pricing.previous_version(version),
            "today": services.importer_today(),
        },
    )


def version_diff(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(pk)
    previous = pricing.previous_version(version)
    diff = pricing.diff_lines(
        pricing.version_lines(previous) if previous else {}, pricing.version_lines(version)
    )
    return render(
        request,
        "bulletins/prices/diff.html",
        {"version": version, "previous": previous, "diff": diff},
    )


@require_POST
def check_version(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(pk)
    try:
        found = services.check_version(version=version, actor=request.user)
    except ValidationError as error:
        _refusal(request, error)
    else:
        if found:
            messages.warning(
                request,
                _("The version has %(count)s problems: see the list below.")
                % {"count": len(found)},
            )
        else:
            messages.success(request, _("Checked: the version may be published."))
    return redirect("prices:version", pk=version.pk)


def publish_version(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(pk)
    form = PublishForm(request.POST or None, initial={"valid_from": version.valid_from})
    if request.method == "POST" and form.is_valid():
        try:
            services.publish(
                version=version, valid_from=form.cleaned_data["valid_from"], actor=request.user
            )
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(
                request,
                _("Version %(number)s is published.") % {"number": version.number},
            )
            return redirect("prices:version", pk=version.pk)
    previous = pricing.previous_version(version)
    diff = pricing.diff_lines(
        pricing.version_lines(previous) if previous else {}, pricing.version_lines(version)
    )
    return render(
        request,
        "bulletins/prices/publish.html",
        {"version": version, "form": form, "previous": previous, "diff": diff},
    )


def withdraw_version(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(pk)
    if request.method == "POST":
        try:
            services.withdraw(version=version, actor=request.user)
        except ValidationError as error:
            _refusal(request, error)
        else:
            messages.success(
                request, _("Version %(number)s is withdrawn.") % {"number": version.number}
            )
        return redirect("prices:version", pk=version.pk)
    return render(request, "bulletins/prices/withdraw.html", {"version": version})


# --- dealers: prices on a day, labour rates --------------------------------------------------------


def price_lookup(request: HttpRequest) -> HttpResponse:
    access = request_access(request)
    today = dealer_today(access.dealer) if access.dealer is not None else services.importer_today()
    form = PriceLookupForm(request.GET or None)
    day = today
    vehicles = parts = None
    if form.is_valid():
        day = form.cleaned_data["day"] or today
        codes = form.split(form.cleaned_data["codes"])
        numbers = form.split(form.cleaned_data["parts"])
        if codes:
            kinds = VehiclePrice.Kind.values
            vehicles = pricing.vehicle_prices(day, wanted=[(k, c) for c in codes for k in kinds])
        if numbers:
            parts = pricing.part_prices(day, numbers=numbers, resolve_supersessions=True)
    if access.dealer is not None:
        with as_dealer(access.dealer):
            labour = pricing.labour_rates(day, dealer=access.dealer)
    else:
        labour = pricing.labour_rates(day)
    grades = LabourGrade.objects.in_bulk(list(labour.by_grade))
    return render(
        request,
        "bulletins/prices/lookup.html",
        {
            "form": form,
            "day": day,
            "today": today,
            "vehicles": vehicles,
            "vehicle_rows": sorted(vehicles.prices.items()) if vehicles else [],
            "parts": parts,
            "asked_parts": form.split(form.cleaned_data["parts"]) if form.is_valid() else [],
            "labour": labour,
            "labour_rows": [
                (grades[g], info) for g, info in labour.by_grade.items() if g in grades
            ],
        },
    )


def labour_rates(request: HttpRequest) -> HttpResponse:
    access = request_access(request)
    dealer = access.dealer
    if dealer is None:
        raise Http404
    day = dealer_today(dealer)
    errors: dict[int, LabourRateForm] = {}
    if request.method == "POST":
        grade = get_object_or_404(LabourGrade, pk=request.POST.get("grade") or 0)
        form = LabourRateForm(request.POST)
        if form.is_valid():
            try:
                services.set_dealer_labour_rate(
                    dealer=dealer, grade=grade, rate=form.cleaned_data["rate"], actor=request.user
                )
            except PermissionDenied:
                raise
            except ValidationError as error:
                form.apply_errors(error)
            else:
                messages.success(
                    request,
                    _("Your rate for %(grade)s is now %(rate)s.")
                    % {"grade": grade, "rate": form.cleaned_data["rate"]},
                )
                return redirect("prices:labour_rates")
        errors[grade.pk] = form
    with as_dealer(dealer):
        rates = pricing.labour_rates(day, dealer=dealer)
    grades = LabourGrade.objects.annotate(ops=Count("operations")).in_bulk(list(rates.by_grade))
    rows = [
        (
            grades[g],
            info,
            errors.get(g) or LabourRateForm(initial={"rate": info.dealer_rate or info.recommended}),
        )
        for g, info in sorted(rates.by_grade.items(), key=lambda item: grades[item[0]].code)
        if g in grades
    ]
    return render(
        request,
        "bulletins/prices/labour_rates.html",
        {
            "rows": rows,
            "rates": rates,
            "day": day,
            "can_set": access.writable and access.can(Cap.LABOUR_RATES),
        },
    )
