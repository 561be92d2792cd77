"""Parts-order pages (issue 15, items 6 and 7). Thin: who may open each page is declared on its
route (inventory/orders/urls.py); reads come from .selectors, writes go through .services
(whose ValidationErrors land on the form or in a message, changing nothing).

The dealer's pages look orders up in the dealer being worked in: another dealer's id is "not
found", like a missing one. HQ logistics' pages read every dealer's sent orders (HQ's scope is
read only; the services open a write scope over the one dealer of the order they change)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dealers.access import PARTS_ORDER_CLERKS, PARTS_ORDER_HQ
from dealers.selectors import request_access

from . import selectors, services
from .forms import (
    AddLineForm,
    ConfirmForm,
    DealerFilterForm,
    LineQuantityForm,
    NetworkFilterForm,
    OrderForm,
    ReceiveForm,
    ShipForm,
)
from .models import PartsOrder

PAGE_SIZE = 50


def _dealer_id(request: HttpRequest) -> int:
    access = request_access(request)
    if access.dealer is None:
        raise Http404
    return int(access.dealer.pk)


def _may(request: HttpRequest, audience: Any) -> bool:
    return bool(audience.admits(request_access(request), authenticated=True))


def _order(request: HttpRequest, pk: int) -> PartsOrder:
    order = selectors.dealer_order(dealer_id=_dealer_id(request), pk=pk)
    if order is None:
        raise Http404
    return order


def _detail(order: PartsOrder) -> str:
    return reverse("inventory:parts-order", args=[order.pk])


def _query(request: HttpRequest) -> str:
    """The list's filters without the page number (for the pager's links)."""
    params = request.GET.copy()
    params.pop("page", None)
    return str(params.urlencode())


def _refused(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- the dealer --------------------------------------------------------------------------------


def order_list(request: HttpRequest) -> HttpResponse:
    dealer_id = _dealer_id(request)
    form = DealerFilterForm(request.GET or None)
    orders = selectors.dealer_orders(dealer_id=dealer_id)
    if form.is_valid():
        if form.cleaned_data["kind"]:
            orders = orders.filter(kind=form.cleaned_data["kind"])
        if form.cleaned_data["state"]:
            orders = orders.filter(state=form.cleaned_data["state"])
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "inventory/orders/order_list.html",
        {
            "filter_form": form,
            "page": page,
            "query": _query(request),
            "backorders": list(selectors.backorder_lines(dealer_id=dealer_id)[:50]),
            "can_write": _may(request, PARTS_ORDER_CLERKS),
        },
    )


@require_http_methods(["GET", "POST"])
def order_new(request: HttpRequest) -> HttpResponse:
    dealer_id = _dealer_id(request)
    form = OrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            order = services.create_order(
                dealer_id=dealer_id, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Draft order %(order)s created.") % {"order": order.label})
            return redirect(_detail(order))
    return render(
        request,
        "inventory/orders/order_form.html",
        {
            "form": form,
            "title": _("New parts order"),
            "cancel_url": reverse("inventory:parts-orders"),
        },
    )


@require_http_methods(["GET", "POST"])
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    initial = {"kind": order.kind, "vehicle_reference": order.vehicle_reference, "note": order.note}
    form = OrderForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_order(order=order, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Saved."))
            return redirect(_detail(order))
    return render(
        request,
        "inventory/orders/order_form.html",
        {
            "form": form,
            "title": _("Edit order %(order)s") % {"order": order.label},
            "cancel_url": _detail(order),
        },
    )


def _detail_page(request: HttpRequest, order: PartsOrder, add_form: Any = None) -> HttpResponse:
    lines = list(order.lines.all())
    levels = selectors.stock_levels(
        dealer_id=order.dealer_id, part_ids=[line.part_id for line in lines]
    )
    can_write = _may(request, PARTS_ORDER_CLERKS)
    return render(
        request,
        "inventory/orders/order_detail.html",
        {
            "order": order,
            "rows": [(line, levels.get(line.part_id)) for line in lines],
            "shipments": list(order.shipments.all()),
            "add_form": add_form or AddLineForm(),
            "can_write": can_write,
            "editable": can_write and order.is_draft,
        },
        status=422 if add_form is not None and add_form.errors else 200,
    )


def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, _order(request, pk))


@require_http_methods(["GET", "POST"])
def line_add(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    if request.method != "POST":
        return redirect(_detail(order))
    form = AddLineForm(request.POST)
    if form.is_valid():
        try:
            line = services.add_line(order=order, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(
                request,
                _("%(number)s: %(quantity)s on the order.")
                % {"number": line.part.number, "quantity": f"{line.quantity.normalize():f}"},
            )
            return redirect(_detail(order))
    return _detail_page(request, _order(request, pk), add_form=form)


@require_http_methods(["GET", "POST"])
def line_change(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    order = _order(request, pk)
    if request.method != "POST":
        return redirect(_detail(order))
    form = LineQuantityForm(request.POST)
    try:
        if request.POST.get("remove"):
            services.remove_line(order=order, line_id=line_pk, actor=request.user)
        elif form.is_valid():
            services.set_line_quantity(
                order=order,
                line_id=line_pk,
                quantity=form.cleaned_data["quantity"],
                actor=request.user,
            )
        else:
            messages.error(request, _("Enter a quantity."))
    except ValidationError as error:
        _refused(request, error)
    return redirect(_detail(order))


@require_http_methods(["GET", "POST"])
def order_send(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    if request.method == "POST":
        try:
            services.send(order=order, actor=request.user, request=request)
        except ValidationError as error:
            _refused(request, error)
        else:
            messages.success(
                request, _("Order %(order)s sent to the importer.") % {"order": order.label}
            )
    return redirect(_detail(order))


@require_http_methods(["GET", "POST"])
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    if request.method == "POST":
        try:
            services.cancel(order=order, actor=request.user, request=request)
        except ValidationError as error:
            _refused(request, error)
        else:
            messages.success(request, _("Order %(order)s cancelled.") % {"order": order.label})
    return redirect(_detail(order))


@require_http_methods(["GET", "POST"])
def shipment_receive(request: HttpRequest, pk: int, shipment_pk: int) -> HttpResponse:
    dealer_id = _dealer_id(request)
    shipment = selectors.dealer_shipment(dealer_id=dealer_id, order_pk=pk, pk=shipment_pk)
    if shipment is None:
        raise Http404
    form = ReceiveForm(request.POST or None, shipment=shipment)
    if request.method == "POST" and form.is_valid():
        try:
            services.receive_shipment(
                shipment=shipment, actor=request.user, received=form.received(), request=request
            )
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Shipment received; the stock is updated."))
            return redirect(_detail(shipment.order))
    return render(
        request,
        "inventory/orders/receive.html",
        {
            "shipment": shipment,
            "order": shipment.order,
            "form": form,
            "can_write": _may(request, PARTS_ORDER_CLERKS),
        },
        status=422 if form.errors else 200,
    )


# --- HQ logistics ------------------------------------------------------------------------------


def network_list(request: HttpRequest) -> HttpResponse:
    form = NetworkFilterForm(request.GET or None)
    orders = selectors.network_open_orders()
    if form.is_valid():
        data = form.cleaned_data
        if data["dealer"]:
            orders = orders.filter(dealer=data["dealer"])
        if data["region"]:
            orders = orders.filter(dealer__region=data["region"])
        if data["kind"]:
            orders = orders.filter(kind=data["kind"])
        if data["state"]:
            orders = orders.filter(state=data["state"])
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "inventory/orders/network_list.html",
        {"filter_form": form, "page": page, "query": _query(request)},
    )


def _network_order(pk: int) -> PartsOrder:
    order = selectors.network_order(pk=pk)
    if order is None:
        raise Http404
    return order


def _network_page(
    request: HttpRequest, order: PartsOrder, confirm_form: Any = None, ship_form: Any = None
) -> HttpResponse:
    lines = list(order.lines.all())
    warehouse = selectors.warehouse_available(
        sorted({line.supplied_part_id or line.part_id for line in lines})
    )
    can_write = _may(request, PARTS_ORDER_HQ)
    return render(
        request,
        "inventory/orders/network_detail.html",
        {
            "order": order,
            "rows": [
                (line, warehouse.get(line.supplied_part_id or line.part_id)) for line in lines
            ],
            "shipments": list(order.shipments.all()),
            "confirm_form": confirm_form or ConfirmForm(lines=lines, warehouse=warehouse),
            "ship_form": ship_form or ShipForm(lines=lines),
            "can_write": can_write,
        },
        status=422
        if (confirm_form and confirm_form.errors) or (ship_form and ship_form.errors)
        else 200,
    )


def network_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _network_page(request, _network_order(pk))


def _network_detail_url(order: PartsOrder) -> str:
    return reverse("inventory:parts-network-order", args=[order.pk])


@require_http_methods(["GET", "POST"])
def network_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    order = _network_order(pk)
    if request.method != "POST":
        return redirect(_network_detail_url(order))
    lines = list(order.lines.all())
    warehouse = selectors.warehouse_available([line.part_id for line in lines])
    form = ConfirmForm(request.POST, lines=lines, warehouse=warehouse)
    if form.is_valid():
        try:
            services.confirm(
                order=order, decisions=form.decisions(), actor=request.user, request=request
            )
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Order %(order)s confirmed.") % {"order": order.label})
            return redirect(_network_detail_url(order))
    return _network_page(request, _network_order(pk), confirm_form=form)


@require_http_methods(["GET", "POST"])
def network_ship(request: HttpRequest, pk: int) -> HttpResponse:
    order = _network_order(pk)
    if request.method != "POST":
        return redirect(_network_detail_url(order))
    form = ShipForm(request.POST, lines=list(order.lines.all()))
    if form.is_valid():
        try:
            shipment = services.ship(
                order=order,
                actor=request.user,
                quantities=form.quantities(),
                carrier_reference=form.cleaned_data["carrier_reference"],
                request=request,
            )
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(
                request,
                _("Shipment %(order)s-%(n)s is on its way.")
                % {"order": order.label, "n": shipment.number},
            )
            return redirect(_network_detail_url(order))
    return _network_page(request, _network_order(pk), ship_form=form)
