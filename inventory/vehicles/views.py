"""Vehicle-stock pages (thin): HQ's vehicle list, a vehicle with its allocation (by hand or by
the rule), the dealers' requests and the network's ageing; the dealer's stock with ETA, its
requests and its ageing. Who may open each page is declared on its route (urls.py); writes go
through inventory.vehicles.services, whose refusals come back as messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dealers.clock import dealer_today
from dealers.models import Dealer
from dealers.roles import Cap
from dealers.selectors import Access, request_access
from dms.paging import paginate

from . import selectors, services
from .forms import (
    AllocateForm,
    AnswerForm,
    ArrivalForm,
    BuildForm,
    EtaForm,
    OptionalEtaForm,
    ReasonForm,
    RequestForm,
    UseForm,
    VehicleFilterForm,
)
from .models import StockVehicle, Vehicle, VehicleRequest

PAGE_SIZE = 50


def _network_wide(access: Access) -> bool:
    return access.can(Cap.LOGISTICS) or access.can(Cap.NETWORK_ADMIN)


def _visible_vehicles(access: Access) -> Any:
    return selectors.hq_vehicles_for(
        dealer_ids=access.dealer_ids, network_wide=_network_wide(access)
    )


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _form_errors(request: HttpRequest, form: Any) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else str(error))


def _act(
    request: HttpRequest, form: Any, action: Callable[[dict[str, Any]], Any], done: str
) -> bool:
    """Validate `form`, run `action` with its data in one transaction; say what happened."""
    if not form.is_valid():
        _form_errors(request, form)
        return False
    try:
        with transaction.atomic():
            action(form.cleaned_data)
    except ValidationError as exc:
        _errors(request, exc)
        return False
    messages.success(request, done)
    return True


# --- HQ ------------------------------------------------------------------------------------------


@require_GET
def hq_vehicle_list(request: HttpRequest) -> HttpResponse:
    access = request_access(request)
    form = VehicleFilterForm(request.GET or None)
    rows = _visible_vehicles(access)
    if form.is_valid():
        data = form.cleaned_data
        dealer = data.get("dealer")
        rows = selectors.hq_vehicle_filter(
            rows,
            q=data.get("q") or "",
            state=data.get("state") or "",
            dealer_id=dealer and dealer.pk,
        )
    page = paginate(request, rows, per_page=PAGE_SIZE)
    vehicles = list(page.object_list)
    stop = selectors.stop_sale_vins(v.vin for v in vehicles)
    return render(
        request,
        "inventory/vehicles/hq_list.html",
        {
            "form": form,
            "rows": [(v, selectors.active_allocation(v), v.vin in stop) for v in vehicles],
            "can_allocate": access.can(Cap.LOGISTICS),
            "can_import": access.can(Cap.NETWORK_ADMIN),
            **page.context,
        },
    )


def _vehicle_context(request: HttpRequest, vehicle: Vehicle, **forms: Any) -> dict[str, Any]:
    access = request_access(request)
    allocation = selectors.active_allocation(vehicle)
    ranking = []
    can_allocate = access.can(Cap.LOGISTICS)
    if allocation is None and vehicle.state in services.ALLOCATABLE:
        ranking = services.rank_dealers(
            vehicle_model_id=vehicle.vehicle_model_id,
            day=timezone.localdate(),
            dealer_ids=access.dealer_ids,
        )[:10]
    stock = None
    if allocation is not None:
        stock = (
            StockVehicle.objects.filter(dealer_id=allocation.dealer_id, allocation=allocation)
            .only("state", "arrived_on", "reserved_for", "eta", "dealer_id")
            .first()
        )
    return {
        "vehicle": vehicle,
        "options": selectors.vehicle_options(vehicle),
        "allocation": allocation,
        "stock": stock,
        "history": selectors.allocation_history(
            vehicle, dealer_ids=None if _network_wide(access) else access.dealer_ids
        ),
        "stop_sale": services.stop_sale_message(vehicle.vin),
        "ranking": ranking,
        "rule_text": services.RULE_TEXT,
        "can_allocate": can_allocate,
        "allocate_form": forms.get("allocate_form") or AllocateForm(),
        "ship_form": EtaForm(),
        "rule_form": OptionalEtaForm(),
        "build_form": BuildForm(initial={"build_date": timezone.localdate()}),
        "withdraw_form": ReasonForm(),
    }


def _hq_vehicle(request: HttpRequest, pk: int) -> Vehicle:
    return get_object_or_404(_visible_vehicles(request_access(request)), pk=pk)


@require_GET
def hq_vehicle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = _hq_vehicle(request, pk)
    return render(request, "inventory/vehicles/hq_detail.html", _vehicle_context(request, vehicle))


@require_POST
def hq_allocate(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = _hq_vehicle(request, pk)
    form = AllocateForm(request.POST)
    _act(
        request,
        form,
        lambda d: services.allocate(
            actor=request.user, vehicle=vehicle, dealer=d["dealer"], eta=d["eta"], request=request
        ),
        _("Vehicle %(vin)s allocated.") % {"vin": vehicle.vin},
    )
    return redirect("inventory:vehicle", pk=vehicle.pk)


@require_POST
def hq_allocate_by_rule(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = _hq_vehicle(request, pk)
    form = OptionalEtaForm(request.POST)
    _act(
        request,
        form,
        lambda d: services.allocate_by_rule(
            actor=request.user, vehicle=vehicle, eta=d["eta"], request=request
        ),
        _("Vehicle %(vin)s allocated by the rule.") % {"vin": vehicle.vin},
    )
    return redirect("inventory:vehicle", pk=vehicle.pk)


@require_POST
def hq_build(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = _hq_vehicle(request, pk)
    _act(
        request,
        BuildForm(request.POST),
        lambda d: services.mark_built(
            actor=request.user, vehicle=vehicle, build_date=d["build_date"], request=request
        ),
        _("Marked as built."),
    )
    return redirect("inventory:vehicle", pk=vehicle.pk)


@require_POST
def hq_ship(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = _hq_vehicle(request, pk)
    _act(
        request,
        EtaForm(request.POST),
        lambda d: services.ship(actor=request.user, vehicle=vehicle, eta=d["eta"], request=request),
        _("Shipped: the dealer sees the vehicle in transit with its ETA."),
    )
    return redirect("inventory:vehicle", pk=vehicle.pk)


@require_POST
def hq_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = _hq_vehicle(request, pk)
    allocation = selectors.active_allocation(vehicle)
    if allocation is None:
        messages.error(request, _("This vehicle is not allocated."))
        return redirect("inventory:vehicle", pk=vehicle.pk)
    _act(
        request,
        ReasonForm(request.POST),
        lambda d: services.withdraw_allocation(
            actor=request.user, allocation=allocation, reason=d["reason"], request=request
        ),
        _("Allocation withdrawn."),
    )
    return redirect("inventory:vehicle", pk=vehicle.pk)


@require_GET
def hq_request_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    if status not in ("", *VehicleRequest.Status.values):
        status = "open"
    page = paginate(request, selectors.hq_requests(status=status), per_page=PAGE_SIZE)
    return render(
        request,
        "inventory/vehicles/hq_requests.html",
        {
            "requests": page.object_list,
            "status": status,
            "statuses": VehicleRequest.Status.choices,
            **page.context,
        },
    )


def _hq_request(pk: int) -> VehicleRequest:
    row = selectors.hq_requests(status="").filter(pk=pk).first()
    if row is None:
        raise Http404
    return row


def hq_request_answer(request: HttpRequest, pk: int) -> HttpResponse:
    row = _hq_request(pk)
    candidates = selectors.candidates_for_request(row)
    form = AnswerForm(request.POST or None, candidates=candidates)
    if request.method == "POST":
        if _act(
            request,
            form,
            lambda d: services.answer_request(
                actor=request.user,
                vehicle_request=row,
                vehicle=d["vehicle"],
                eta=d["eta"],
                answer=d["answer"],
                request=request,
            ),
            _("Request answered."),
        ):
            return redirect("inventory:vehicle-requests-hq")
        return redirect("inventory:vehicle-request-hq", pk=row.pk)
    return render(
        request,
        "inventory/vehicles/hq_request.html",
        {
            "row": row,
            "form": form,
            "candidates": candidates[:20],
            "can_answer": request_access(request).can(Cap.LOGISTICS)
            and row.status == VehicleRequest.Status.OPEN,
        },
    )


@require_GET
def hq_ageing(request: HttpRequest) -> HttpResponse:
    """Network → region → dealer: counts per band; at the dealer, its vehicles (VIN, model,
    days) — never a customer."""
    access = request_access(request)
    bands = [b[0] for b in selectors.BANDS]
    dealer_id = _int(request.GET.get("dealer"))
    if dealer_id is not None:
        if dealer_id not in access.dealer_ids:
            raise Http404
        dealer = get_object_or_404(Dealer.objects.select_related("region"), pk=dealer_id)
        return render(
            request,
            "inventory/vehicles/ageing.html",
            {**_dealer_ageing_context(dealer), "bands": bands, "hq": True, "dealer": dealer},
        )
    region_id = _int(request.GET.get("region"))
    data = selectors.network_ageing(dealer_ids=access.dealer_ids, region_id=region_id)
    if region_id is not None and data.region is None:
        raise Http404
    return render(
        request, "inventory/vehicles/ageing.html", {"ageing": data, "bands": bands, "hq": True}
    )


def _dealer_ageing_context(dealer: Dealer) -> dict[str, Any]:
    today = dealer_today(dealer)
    rows = selectors.dealer_stock(dealer=dealer, states=selectors.AGEING_STATES).filter(
        arrived_on__isnull=False
    )
    vehicles = sorted(
        ((s, selectors.days_in_stock(s, today) or 0) for s in rows), key=lambda pair: -pair[1]
    )
    return {
        "ageing": None,
        "dealer_ageing": selectors.dealer_ageing([dealer])[dealer.pk],
        "vehicles": [(s, days, selectors.band_of(days)) for s, days in vehicles],
    }


def _int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 < number < 2**62 else None


# --- the dealer ----------------------------------------------------------------------------------


def _reads_ageing(access: Access) -> bool:
    return access.can(Cap.SALES_ALL) or access.can(Cap.KPI_DEALER)


def _dealer(access: Access) -> Dealer:
    if access.dealer is None:
        raise Http404
    return access.dealer


def _stock(access: Access, pk: int) -> StockVehicle:
    stock = selectors.stock_vehicle(dealer=_dealer(access), pk=pk)
    if stock is None:
        raise Http404
    return stock


@require_GET
def stock_list(request: HttpRequest) -> HttpResponse:
    access = request_access(request)
    dealer = _dealer(access)
    state = request.GET.get("state", "")
    states = [state] if state in selectors.CURRENT_STATES else selectors.CURRENT_STATES
    page = paginate(
        request, selectors.dealer_stock(dealer=dealer, states=states), per_page=PAGE_SIZE
    )
    rows = list(page.object_list)
    stop = selectors.stop_sale_vins(s.vin for s in rows)
    today = dealer_today(dealer)
    summary = selectors.stock_summary(dealer=dealer)
    return render(
        request,
        "inventory/vehicles/stock_list.html",
        {
            "rows": [(s, selectors.days_in_stock(s, today), s.vin in stop) for s in rows],
            "states": [
                (s, StockVehicle.State(s).label, summary.get(s, 0))
                for s in selectors.CURRENT_STATES
            ],
            "state": state,
            "can_manage": access.can(Cap.SALES_ALL),
            "can_ageing": _reads_ageing(access),
            **page.context,
        },
    )


@require_GET
def stock_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = request_access(request)
    stock = _stock(access, pk)
    today = dealer_today(stock.dealer_id)
    return render(
        request,
        "inventory/vehicles/stock_detail.html",
        {
            "stock": stock,
            "vehicle": stock.vehicle,
            "options": selectors.vehicle_options(stock.vehicle),
            "days": selectors.days_in_stock(stock, today),
            "stop_sale": services.stop_sale_message(stock.vin),
            "can_manage": access.can(Cap.SALES_ALL),
            "arrival_form": ArrivalForm(),
            "use_form": UseForm(initial={"use": stock.state}),
            "can_arrive": stock.state
            in (StockVehicle.State.ALLOCATED, StockVehicle.State.IN_TRANSIT)
            or (stock.state == StockVehicle.State.RESERVED and stock.arrived_on is None),
            "can_use": stock.state in services.USES,
            "can_sell": stock.state == StockVehicle.State.RESERVED and stock.arrived_on is not None,
        },
    )


@require_POST
def stock_arrive(request: HttpRequest, pk: int) -> HttpResponse:
    stock = _stock(request_access(request), pk)
    _act(
        request,
        ArrivalForm(request.POST),
        lambda d: services.record_arrival(
            actor=request.user, stock=stock, day=d["day"], request=request
        ),
        _("Arrival recorded: the vehicle is in stock."),
    )
    return redirect("inventory:stock-vehicle", pk=stock.pk)


@require_POST
def stock_use(request: HttpRequest, pk: int) -> HttpResponse:
    stock = _stock(request_access(request), pk)
    _act(
        request,
        UseForm(request.POST),
        lambda d: services.set_use(actor=request.user, stock=stock, use=d["use"], request=request),
        _("Use changed."),
    )
    return redirect("inventory:stock-vehicle", pk=stock.pk)


@require_POST
def stock_sold(request: HttpRequest, pk: int) -> HttpResponse:
    stock = _stock(request_access(request), pk)
    try:
        with transaction.atomic():
            services.mark_sold(actor=request.user, stock=stock, request=request)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Marked as sold."))
    return redirect("inventory:stock-vehicle", pk=stock.pk)


def stock_requests(request: HttpRequest) -> HttpResponse:
    access = request_access(request)
    dealer = _dealer(access)
    form = RequestForm(request.POST or None)
    if request.method == "POST" and _act(
        request,
        form,
        lambda d: services.request_vehicle(actor=request.user, dealer=dealer, request=request, **d),
        _("Request sent to HQ."),
    ):
        return redirect("inventory:stock-requests")
    page = paginate(request, selectors.dealer_requests(dealer=dealer), per_page=PAGE_SIZE)
    return render(
        request,
        "inventory/vehicles/requests.html",
        {
            "form": form,
            "requests": page.object_list,
            "can_ageing": _reads_ageing(request_access(request)),
            **page.context,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def stock_request_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    dealer = _dealer(request_access(request))
    row = selectors.dealer_requests(dealer=dealer).filter(pk=pk).first()
    if row is None:
        raise Http404
    try:
        with transaction.atomic():
            services.withdraw_request(actor=request.user, vehicle_request=row, request=request)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Request withdrawn."))
    return redirect("inventory:stock-requests")


@require_GET
def stock_ageing(request: HttpRequest) -> HttpResponse:
    dealer = _dealer(request_access(request))
    return render(
        request,
        "inventory/vehicles/ageing.html",
        {
            **_dealer_ageing_context(dealer),
            "bands": [b[0] for b in selectors.BANDS],
            "hq": False,
            "can_ageing": True,
            "dealer": dealer,
        },
    )
