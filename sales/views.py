"""Showroom pages: test drives, demo vehicles, quotes (builder, detail, PDF) and orders.

Thin: the role check from `request.access` first (403), then objects are looked up in the
caller's visible querysets (sales.selectors), so another dealer's or a colleague's id is 404.
Writes go through sales.services; their ValidationErrors come back on the form, nothing changed:
the refused form is kept and the browser sent back to the page the form is on (303,
dms.refused_forms), so the address bar shows that page and a reload does not post again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dealers.clock import dealer_today
from dealers.roles import Cap
from dealers.selectors import Access, request_access
from dms.paging import paginate
from dms.refused_forms import SeeOther, keep_refused, take_refused
from inventory.vehicles import selectors as vehicle_selectors
from leads.forms.funnel import parse_day

from . import selectors, services
from .forms import (
    OUTCOME_SUGGESTIONS,
    BookingForm,
    CheckInForm,
    ChecklistForm,
    CheckOutForm,
    DemoVehicleForm,
    DiscountDecisionForm,
    OrderDetailsForm,
    OrderForm,
    PaymentForm,
    QuoteForm,
    SalesForm,
)
from .models import DemoVehicle, Order, Quote, TestDrive
from .pdf import quote_pdf_response
from .templatetags.sales_tags import lead_url

View = Callable[..., HttpResponseBase]


def sales_view(view: View) -> View:
    """The view gets the caller's access (the tenancy middleware already shows times on the
    dealer's clock). Who may call it is the route's declaration (sales/urls.py: the dealer's own
    sales staff), which the gate checks before this runs."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return view(request, request_access(request), *args, **kwargs)

    return wrapper


def _notes(request: HttpRequest, notes: list[str]) -> None:
    for note in notes:
        messages.warning(request, note)


def _errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _submit(
    request: HttpRequest, form: SalesForm, call: Callable[[dict[str, Any]], Any], done: str
) -> bool:
    """The small forms on the detail pages (check-out, check-in, payment, order details,
    checklist): validate ``form``, run ``call(form.cleaned_data)`` in a transaction, flash
    ``done`` and any notes. False when the form or the service refused (the service's errors go
    on the form): the caller then keeps it for its page (`keep_refused`)."""
    if not form.is_valid():
        return False
    try:
        with transaction.atomic():
            outcome = call(form.cleaned_data)
    except ValidationError as exc:
        form.apply_errors(exc)
        return False
    messages.success(request, done)
    if isinstance(outcome, services.Outcome):
        _notes(request, outcome.notes)
    return True


def _parse_day(value: str | None, default: dt.date) -> dt.date:
    return parse_day(value, default)  # bounded: 9999-12-31 would overflow the next-day link


LIST_PAGE_SIZE = 50


def _paged(
    request: HttpRequest, rows: Any, name: str, keep: dict[str, Any], param: str = "page"
) -> dict[str, Any]:
    """One page of a list (dms.paging: every row reachable, none loaded beyond the page, the
    list's filters kept in the pager's links, a page number that is not one shows a page)."""
    paged = paginate(request, rows, per_page=LIST_PAGE_SIZE, keep=keep, param=param)
    return {name: paged.object_list, **paged.context}


def _today(access: Access) -> dt.date:
    return dealer_today(access.dealer) if access.dealer else timezone.localdate()


# --- test drives ---------------------------------------------------------------------------------


@require_GET
@sales_view
def test_drive_list(request: HttpRequest, access: Access) -> HttpResponse:
    """The day planner (every demo vehicle's bookings on a day) and the caller's test drives."""
    day = _parse_day(request.GET.get("day"), _today(access))
    tz = timezone.get_current_timezone()
    plan = selectors.vehicle_day_plan(day=day, tz=tz, access=access)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    upcoming = (
        selectors.test_drives_visible(access)
        .filter(status__in=[TestDrive.Status.BOOKED, TestDrive.Status.OUT], ends_at__gte=start)
        .order_by("starts_at", "pk")
    )
    day_shown = {"day": day.isoformat()} if "day" in request.GET else {}
    return render(
        request,
        "sales/test_drive_list.html",
        {
            "day": day,
            "previous_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
            "plan": plan,
            **_paged(request, upcoming, "upcoming", day_shown),
            "can_manage_fleet": access.can(Cap.SALES_ALL) and access.writable,
        },
    )


@require_GET
@sales_view
def test_drive_planner(request: HttpRequest, access: Access) -> HttpResponseBase:
    """htmx: the day plan of the booking form for the chosen date. Opened as a page (a link from
    "my day"), it is the test-drive planner itself."""
    day = _parse_day(request.GET.get("day"), _today(access))
    if not getattr(request, "htmx", False):
        return redirect(f"{reverse('sales:test_drives')}?day={day.isoformat()}")
    plan = selectors.vehicle_day_plan(day=day, tz=timezone.get_current_timezone(), access=access)
    return render(request, "sales/_day_plan.html", {"day": day, "plan": plan})


@require_http_methods(["GET", "POST"])
@sales_view
def test_drive_create(request: HttpRequest, access: Access, lead_id: int) -> HttpResponse:
    lead = get_object_or_404(selectors.leads_for(access), pk=lead_id)
    if not lead.is_open:  # refused when opened, not after the form is filled in
        return _closed_lead(
            request, lead, _("This lead is closed: reopen it before booking a test drive.")
        )
    vehicles = selectors.demo_vehicles()
    tz = timezone.get_current_timezone()
    day = _parse_day(request.GET.get("day"), _today(access))
    refused = take_refused(request) if request.method == "GET" else None
    if request.method == "POST":
        form = BookingForm(
            request.POST, vehicles=vehicles, tz=tz, planner_url=reverse("sales:testdrive_planner")
        )
        if form.is_valid():
            try:
                drive = services.book_test_drive(
                    lead=lead,
                    vehicle=form.cleaned_data["vehicle"],
                    starts_at=form.cleaned_data["starts_at"],
                    ends_at=form.cleaned_data["ends_at"],
                    actor=request.user,
                )
            except ValidationError as exc:
                form.apply_errors(exc)
            else:
                messages.success(request, _("Test drive booked."))
                return redirect("sales:testdrive_detail", pk=drive.pk)
        return keep_refused(request, form, page=request.get_full_path(), anchor="booking")
    elif refused is not None:
        form = BookingForm(
            refused.data, vehicles=vehicles, tz=tz, planner_url=reverse("sales:testdrive_planner")
        )
        refused.bind(form)
        day = form.cleaned_data.get("day") or day
    else:
        form = BookingForm(
            initial={"day": day, "vehicle": request.GET.get("vehicle")},
            vehicles=vehicles,
            tz=tz,
            planner_url=reverse("sales:testdrive_planner"),
        )
    plan = selectors.vehicle_day_plan(day=day, tz=tz, access=access)
    return render(
        request,
        "sales/test_drive_form.html",
        {"lead": lead, "form": form, "day": day, "plan": plan, "has_fleet": vehicles.exists()},
    )


@require_GET
@sales_view
def test_drive_detail(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    drive = get_object_or_404(selectors.test_drives_visible(access), pk=pk)
    refused = take_refused(request)
    if refused is not None and refused.name == "checkout":
        country = services.licence_country(drive)
        checkout = refused.bind(CheckOutForm(refused.data, country=country))
        return _render_drive(request, access, drive, checkout=checkout)
    if refused is not None and refused.name == "checkin":
        return _render_drive(
            request, access, drive, checkin=refused.bind(CheckInForm(refused.data))
        )
    return _render_drive(request, access, drive)


def _render_drive(
    request: HttpRequest,
    access: Access,
    drive: TestDrive,
    checkout: Any = None,
    checkin: Any = None,
    status: int = 200,
) -> HttpResponse:
    can_write = selectors.can_write_sales(access)
    return render(
        request,
        "sales/test_drive_detail.html",
        {
            "drive": drive,
            "vehicle_label": services.vehicle_label(drive.vehicle),
            "can_write": can_write,
            "checkout_form": checkout
            or CheckOutForm(
                initial={"km_out": drive.vehicle.odometer_km},
                country=services.licence_country(drive),
            ),
            "checkin_form": checkin or CheckInForm(initial={"km_in": drive.km_out}),
            "outcome_suggestions": OUTCOME_SUGGESTIONS,
        },
        status=status,
    )


@require_POST
@sales_view
def test_drive_checkout(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    drive = get_object_or_404(selectors.test_drives_visible(access), pk=pk)
    form = CheckOutForm(request.POST)
    if _submit(
        request,
        form,
        lambda data: services.check_out_test_drive(test_drive=drive, actor=request.user, **data),
        _("The car is out. Drive safely!"),
    ):
        return redirect("sales:testdrive_detail", pk=drive.pk)
    page = reverse("sales:testdrive_detail", args=[drive.pk])
    return keep_refused(request, form, page=page, name="checkout", anchor="checkout")


@require_POST
@sales_view
def test_drive_checkin(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    drive = get_object_or_404(selectors.test_drives_visible(access), pk=pk)
    form = CheckInForm(request.POST)
    if _submit(
        request,
        form,
        lambda data: services.check_in_test_drive(test_drive=drive, actor=request.user, **data),
        _("Test drive recorded."),
    ):
        return redirect("sales:testdrive_detail", pk=drive.pk)
    page = reverse("sales:testdrive_detail", args=[drive.pk])
    return keep_refused(request, form, page=page, name="checkin", anchor="checkin")


@require_POST
@sales_view
def test_drive_cancel(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    drive = get_object_or_404(selectors.test_drives_visible(access), pk=pk)
    try:
        services.cancel_test_drive(
            test_drive=drive, actor=request.user, no_show=request.POST.get("no_show") == "1"
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("The slot is free again."))
    return redirect("sales:testdrive_detail", pk=drive.pk)


# --- demo vehicles -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@sales_view
def demo_vehicle_list(request: HttpRequest, access: Access) -> HttpResponse:
    can_manage = access.can(Cap.SALES_ALL) and access.writable
    form = DemoVehicleForm(request.POST or None)
    if request.method == "GET" and (refused := take_refused(request)) is not None:
        form = refused.bind(DemoVehicleForm(refused.data))
    if request.method == "POST":
        if access.dealer is None:  # the route admits the dealer's own managers only
            raise PermissionDenied
        if form.is_valid():
            try:
                with transaction.atomic():
                    vehicle = services.create_demo_vehicle(
                        dealer=access.dealer, actor=request.user, **form.cleaned_data
                    )
            except ValidationError as exc:
                form.apply_errors(exc)
            else:
                messages.success(
                    request,
                    _("%(vehicle)s added to the demo fleet.")
                    % {"vehicle": services.vehicle_label(vehicle)},
                )
                return redirect("sales:demo_vehicles")
        return keep_refused(request, form, page=request.path, anchor="demo-vehicle-form")
    return render(
        request,
        "sales/demo_vehicle_list.html",
        {
            "vehicles": selectors.demo_vehicles(active_only=False),
            "form": form,
            "can_manage": can_manage,
        },
    )


@require_POST
@sales_view
def demo_vehicle_active(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    vehicle: DemoVehicle = get_object_or_404(DemoVehicle.objects.all(), pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.set_demo_vehicle_active(vehicle=vehicle, actor=request.user, active=active)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(
            request,
            (
                _("%(vehicle)s is back in the demo fleet.")
                if active
                else _("%(vehicle)s left the demo fleet.")
            )
            % {"vehicle": services.vehicle_label(vehicle)},
        )
    return redirect("sales:demo_vehicles")


# --- quotes --------------------------------------------------------------------------------------


@require_GET
@sales_view
def quote_list(request: HttpRequest, access: Access) -> HttpResponse:
    status = request.GET.get("status", "")
    quotes = selectors.quotes_visible(access)
    if status == "pending_discount":
        quotes = quotes.filter(
            discount_status=Quote.DiscountStatus.PENDING, status=Quote.Status.DRAFT
        )
    elif status in Quote.Status.values:
        quotes = quotes.filter(status=status)
    return render(
        request,
        "sales/quote_list.html",
        {
            **_paged(request, quotes.order_by("-created_at", "-pk"), "quotes", {"status": status}),
            "status": status,
            "statuses": Quote.Status.choices,
        },
    )


def _closed_lead(request: HttpRequest, lead: Any, message: str) -> HttpResponse:
    """A form for a closed lead is refused when it is opened (not after it was filled in): the
    reason, on the lead's page."""
    messages.error(request, message)
    return SeeOther(lead_url(lead.pk) or reverse("sales:quotes"))


def _quote_form_page(
    request: HttpRequest, access: Access, *, lead: Any, quote: Quote | None
) -> HttpResponse:
    if not lead.is_open:
        if quote is not None:
            messages.error(request, _("This lead is closed: the quote cannot change."))
            return SeeOther(reverse("sales:quote_detail", args=[quote.pk]))
        return _closed_lead(request, lead, _("This lead is closed: no new quote."))
    today = _today(access)
    price_version = services.price_version_on(today)
    if request.method == "POST":
        form = QuoteForm(request.POST, price_version=price_version, on=today, dealer=access.dealer)
        if form.is_valid():
            try:
                with transaction.atomic():
                    if quote is None:
                        saved = services.create_quote(
                            lead=lead, actor=request.user, spec=form.spec(), on=today
                        )
                    else:
                        saved = services.update_quote(
                            quote=quote, actor=request.user, spec=form.spec(), on=today
                        )
            except ValidationError as exc:
                form.apply_errors(exc)
            else:
                if quote is not None and saved.pk != quote.pk:
                    messages.success(
                        request,
                        _("Quote %(old)s had been sent: your changes are version %(new)s.")
                        % {
                            "old": services.quote_number(quote),
                            "new": services.quote_number(saved),
                        },
                    )
                else:
                    messages.success(
                        request,
                        _("Quote %(number)s saved.") % {"number": services.quote_number(saved)},
                    )
                if saved.discount_status == Quote.DiscountStatus.PENDING:
                    messages.warning(
                        request,
                        _(
                            "The discount is above %(percent)s %% of the list price: a sales "
                            "manager must approve it before the quote can be sent."
                        )
                        % {"percent": _percent()},
                    )
                return redirect("sales:quote_detail", pk=saved.pk)
        return keep_refused(request, form, page=request.path, anchor="quote-form")
    refused = take_refused(request)
    if refused is not None:
        form = QuoteForm(refused.data, price_version=price_version, on=today, dealer=access.dealer)
        refused.bind(form)
        summary = form
    else:
        initial = (
            QuoteForm.initial_from(quote) if quote is not None else _initial_for_lead(lead, today)
        )
        form = QuoteForm(
            initial=initial, price_version=price_version, on=today, dealer=access.dealer
        )
        # The summary of what the form shows (a preselected trim is priced at once).
        shown = {name: form[name].value() for name in form.fields}
        summary = QuoteForm(
            _as_data(shown), price_version=price_version, on=today, dealer=access.dealer
        )
        summary.is_valid()
    pricing, vehicle = summary.summary()
    return render(
        request,
        "sales/quote_form.html",
        {
            "lead": lead,
            "quote": quote,
            "form": form,
            "price_version": price_version,
            "pricing": pricing,
            "vehicle": vehicle,
            "threshold_percent": _percent(),
        },
    )


def _as_data(initial: dict[str, Any]) -> QueryDict:
    """A form's initial values as submitted data (lists for the multiple choices)."""
    data = QueryDict(mutable=True)
    for key, value in initial.items():
        if value is None:
            continue
        if isinstance(value, list | tuple):
            data.setlist(key, [str(v) for v in value])
        else:
            data[key] = value.isoformat() if isinstance(value, dt.date) else str(value)
    return data


def _percent() -> str:
    from django.conf import settings

    return f"{settings.DMS_DISCOUNT_APPROVAL_PERCENT:g}"


def _initial_for_lead(lead: Any, today: dt.date) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "valid_until": today + dt.timedelta(days=14),
        "discount": 0,
        "trade_in_value": 0,
    }
    customer = lead.customer
    if customer.payment in (Quote.Payment.FINANCE, Quote.Payment.LEASE):
        initial.update(payment=customer.payment, term_months=48, annual_rate_percent="4.90")
    if customer.trade_in:
        initial["trade_in_description"] = customer.trade_in
    if lead.vehicle_model_id:
        from inventory.models import Trim

        first = Trim.objects.filter(vehicle_model_id=lead.vehicle_model_id).order_by("code").first()
        if first is not None:
            initial["trim"] = first.code
    return initial


@require_http_methods(["GET", "POST"])
@sales_view
def quote_create(request: HttpRequest, access: Access, lead_id: int) -> HttpResponse:
    lead = get_object_or_404(selectors.leads_for(access), pk=lead_id)
    return _quote_form_page(request, access, lead=lead, quote=None)


@require_http_methods(["GET", "POST"])
@sales_view
def quote_edit(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    quote = get_object_or_404(selectors.quotes_visible(access), pk=pk)
    if quote.status not in (Quote.Status.DRAFT, Quote.Status.SENT):
        messages.error(
            request,
            _("A quote that is “%(status)s” cannot be edited.")
            % {"status": quote.get_status_display()},
        )
        return redirect("sales:quote_detail", pk=quote.pk)
    return _quote_form_page(request, access, lead=quote.lead, quote=quote)


@require_POST
@sales_view
def quote_preview(request: HttpRequest, access: Access, lead_id: int) -> HttpResponse:
    """htmx: the live summary of the quote builder (nothing is saved), and each field's errors
    in place under the field (out-of-band swaps): every error once, where it belongs, never
    repeated in the summary."""
    get_object_or_404(selectors.leads_for(access), pk=lead_id)
    today = _today(access)
    form = QuoteForm(
        request.POST, price_version=services.price_version_on(today), on=today, dealer=access.dealer
    )
    form.is_valid()
    pricing, vehicle = form.summary()
    return render(
        request,
        "sales/_quote_totals.html",
        {
            "form": form,
            "pricing": pricing,
            "vehicle": vehicle,
            "threshold_percent": _percent(),
            "live_errors": True,
        },
    )


@require_GET
@sales_view
def quote_detail(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    quote = get_object_or_404(selectors.quotes_visible(access), pk=pk)
    refused = take_refused(request)
    if refused is not None and refused.name == "discount":
        decision = refused.bind(DiscountDecisionForm(refused.data))
        return _render_quote(request, access, quote, decision_form=decision)
    return _render_quote(request, access, quote)


def _render_quote(
    request: HttpRequest,
    access: Access,
    quote: Quote,
    decision_form: DiscountDecisionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_write = selectors.can_write_sales(access)
    order = Order.objects.filter(quote=quote).first()
    can_decide = (
        can_write
        and access.can(Cap.SALES_APPROVE)
        and quote.discount_status == Quote.DiscountStatus.PENDING
        and quote.status == Quote.Status.DRAFT
        and quote.created_by_id != access.user_id
    )
    return render(
        request,
        "sales/quote_detail.html",
        {
            "quote": quote,
            "number": services.quote_number(quote),
            "lines": list(quote.lines.all()),
            "subtotal": quote.list_price + quote.extras_total,
            "amount_due": quote.total - quote.trade_in_value,
            "financed": quote.total - quote.trade_in_value - quote.down_payment,
            "threshold": services.discount_threshold(quote.list_price),
            "threshold_percent": _percent(),
            "versions": selectors.quote_versions(quote),
            "order": order,
            "can_write": can_write,
            "can_decide": can_decide,
            "decision_form": decision_form or DiscountDecisionForm(),
        },
        status=status,
    )


def _quote_action(
    request: HttpRequest, access: Access, pk: int, service: Callable[..., Any], done: str
) -> HttpResponse:
    """The quote buttons (send, accept, decline): run ``service(quote=…, actor=…)`` in a
    transaction, flash ``done`` (and any notes) or the errors, and go back to the quote."""
    quote = get_object_or_404(selectors.quotes_visible(access), pk=pk)
    try:
        with transaction.atomic():
            outcome = service(quote=quote, actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, done)
        if isinstance(outcome, services.Outcome):
            _notes(request, outcome.notes)
    return redirect("sales:quote_detail", pk=quote.pk)


@require_POST
@sales_view
def quote_send(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    return _quote_action(request, access, pk, services.send_quote, _("Quote marked as sent."))


@require_POST
@sales_view
def quote_accept(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    return _quote_action(
        request, access, pk, services.accept_quote, _("Quote accepted: place the order.")
    )


@require_POST
@sales_view
def quote_decline(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    return _quote_action(
        request, access, pk, services.decline_quote, _("Quote marked as declined.")
    )


@require_POST
@sales_view
def quote_discount(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    quote = get_object_or_404(selectors.quotes_visible(access), pk=pk)
    form = DiscountDecisionForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            with transaction.atomic():
                services.decide_discount(
                    quote=quote,
                    actor=request.user,
                    approve=approve,
                    note=form.cleaned_data["note"],
                    request=request,
                )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(
                request, _("Discount approved.") if approve else _("Discount rejected.")
            )
            return redirect("sales:quote_detail", pk=quote.pk)
    page = reverse("sales:quote_detail", args=[quote.pk])
    return keep_refused(request, form, page=page, name="discount", anchor="discount-decision")


@require_GET
@sales_view
def quote_pdf(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    quote = get_object_or_404(selectors.quotes_visible(access), pk=pk)
    return quote_pdf_response(
        quote, actor=request.user, request=request, inline=not request.GET.get("download")
    )


# --- orders --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@sales_view
def order_create(request: HttpRequest, access: Access, quote_id: int) -> HttpResponse:
    quote = get_object_or_404(selectors.quotes_visible(access), pk=quote_id)
    existing = Order.objects.filter(quote=quote).first()
    if existing is not None:
        return redirect("sales:order_detail", pk=existing.pk)
    amount_due = quote.total - quote.trade_in_value
    refused = take_refused(request) if request.method == "GET" else None
    if request.method == "POST":
        form = OrderForm(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    outcome = services.create_order(
                        quote=quote, actor=request.user, **form.cleaned_data
                    )
            except ValidationError as exc:
                form.apply_errors(exc)
            else:
                messages.success(
                    request,
                    _("Order %(number)s placed.") % {"number": services.order_number(outcome.obj)},
                )
                _notes(request, outcome.notes)
                return redirect("sales:order_detail", pk=outcome.obj.pk)
        return keep_refused(request, form, page=request.path, anchor="order-form")
    elif refused is not None:
        form = refused.bind(OrderForm(refused.data))
    else:
        # A customary deposit: 10 % of the amount due, rounded to whole hundreds.
        suggested = (amount_due / 1000).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * 100
        form = OrderForm(initial={"deposit_required": suggested})
    return render(
        request,
        "sales/order_form.html",
        {
            "quote": quote,
            "number": services.quote_number(quote),
            "form": form,
            "amount_due": amount_due,
            "accepted": quote.status == Quote.Status.ACCEPTED,
        },
    )


@require_GET
@sales_view
def order_list(request: HttpRequest, access: Access) -> HttpResponse:
    orders = selectors.orders_visible(access)
    status = request.GET.get("status", "")
    if status in Order.Status.values:
        orders = orders.filter(status=status)
    return render(
        request,
        "sales/order_list.html",
        {
            **_paged(request, orders.order_by("-ordered_at", "-pk"), "orders", {"status": status}),
            "status": status,
            "statuses": Order.Status.choices,
        },
    )


@require_GET
@sales_view
def order_detail(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    order = get_object_or_404(selectors.orders_visible(access), pk=pk)
    refused = take_refused(request)
    forms: dict[str, Any] = {}
    if refused is not None and refused.name in ORDER_FORMS:
        forms[f"{refused.name}_form"] = refused.bind(ORDER_FORMS[refused.name](refused.data))
    return _render_order(request, access, order, **forms)


ORDER_FORMS: dict[str, type[SalesForm]] = {
    "payment": PaymentForm,
    "details": OrderDetailsForm,
    "checklist": ChecklistForm,
}


def _order_refused(request: HttpRequest, order: Order, form: SalesForm, name: str) -> HttpResponse:
    page = reverse("sales:order_detail", args=[order.pk])
    return keep_refused(request, form, page=page, name=name, anchor=f"{name}-form")


def _render_order(
    request: HttpRequest, access: Access, order: Order, status: int = 200, **forms: Any
) -> HttpResponse:
    checklist = order.checklist or {}
    return render(
        request,
        "sales/order_detail.html",
        {
            "order": order,
            "number": services.order_number(order),
            "quote": order.quote,
            "quote_number": services.quote_number(order.quote),
            "payments": selectors.order_payments(order),
            "paid": services.order_paid(order),
            "trade_in": services.order_trade_in(order),
            "balance": services.order_balance(order),
            "blockers": services.delivery_blockers(order),
            "checklist": [
                (code, label, checklist.get(code) or {})
                for code, label in services.checklist_items()
            ],
            "can_write": selectors.can_write_sales(access) and order.status == Order.Status.OPEN,
            "can_cancel": selectors.can_write_sales(access)
            and access.can(Cap.SALES_APPROVE)
            and order.status == Order.Status.OPEN,
            "payment_form": forms.get("payment_form")
            or PaymentForm(
                initial={"kind": "deposit" if services.order_paid(order) <= 0 else "balance"}
            ),
            "details_form": forms.get("details_form")
            or OrderDetailsForm(
                initial={"expected_delivery": order.expected_delivery, "vin": order.vin}
            ),
            **_vehicle_context(access, order),
            "checklist_form": forms.get("checklist_form")
            or ChecklistForm(
                initial={"done": [c for c, v in checklist.items() if (v or {}).get("done")]}
            ),
        },
        status=status,
    )


def _vehicle_context(access: Access, order: Order) -> dict[str, Any]:
    """The order's vehicle card: the reserved stock vehicle, or the dealer's matching ones (the
    quoted trim, the quoted colour first) and the requests to HQ made for this order."""
    reserved = order.stock_vehicle if order.stock_vehicle_id else None
    matching: list[Any] = []
    if reserved is None and order.status == Order.Status.OPEN:
        matching = vehicle_selectors.matching_stock(
            dealer_id=order.dealer_id,
            trim_id=order.quote.trim_id,
            colour_id=order.quote.colour_id,
        )[:10]
    return {
        "reserved_vehicle": reserved,
        "matching_vehicles": matching,
        "vehicle_requests": vehicle_selectors.dealer_requests(dealer=order.dealer).filter(
            order_ref=order.display_number
        )[:5],
    }


@require_POST
@sales_view
def order_reserve_vehicle(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    """Reserve one of the dealer's stock vehicles for the order."""
    order = get_object_or_404(selectors.orders_visible(access), pk=pk)
    stock = vehicle_selectors.stock_vehicle(
        dealer=order.dealer, pk=_int_or_zero(request.POST.get("vehicle"))
    )
    if stock is None:
        messages.error(request, _("Choose a vehicle of your stock."))
        return SeeOther(reverse("sales:order_detail", args=[order.pk]))
    try:
        with transaction.atomic():
            services.reserve_stock_vehicle(order=order, stock=stock, actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)
        return SeeOther(reverse("sales:order_detail", args=[order.pk]))
    messages.success(request, _("Vehicle %(vin)s reserved for this order.") % {"vin": stock.vin})
    return redirect("sales:order_detail", pk=order.pk)


@require_POST
@sales_view
def order_release_vehicle(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    order = get_object_or_404(selectors.orders_visible(access), pk=pk)
    try:
        with transaction.atomic():
            services.release_stock_vehicle(order=order, actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)
        return SeeOther(reverse("sales:order_detail", args=[order.pk]))
    messages.success(request, _("The vehicle is back in stock."))
    return redirect("sales:order_detail", pk=order.pk)


@require_POST
@sales_view
def order_request_vehicle(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    """No stock vehicle fits: ask HQ for the quoted configuration."""
    order = get_object_or_404(selectors.orders_visible(access), pk=pk)
    try:
        with transaction.atomic():
            services.request_vehicle_for_order(
                order=order, actor=request.user, note=request.POST.get("note", "")[:300]
            )
    except ValidationError as exc:
        _errors(request, exc)
        return SeeOther(reverse("sales:order_detail", args=[order.pk]))
    messages.success(request, _("Vehicle requested from HQ."))
    return redirect("sales:order_detail", pk=order.pk)


def _int_or_zero(value: str | None) -> int:
    try:
        number = int(value or "")
    except ValueError:
        return 0
    return number if 0 < number < 2**62 else 0


@require_POST
@sales_view
def order_payment(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    order = get_object_or_404(selectors.orders_visible(access), pk=pk)
    form = PaymentForm(request.POST)
    if _submit(
        request,
        form,
        lambda data: services.record_payment(order=order, actor=request.user, **data),
        _("Payment recorded."),
    ):
        return redirect("sales:order_detail", pk=order.pk)
    return _order_refused(request, order, form, "payment")


@require_POST
@sales_view
def order_details(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    order = get_object_or_404(selectors.orders_visible(access), pk=pk)
    form = OrderDetailsForm(request.POST)
    if _submit(
        request,
        form,
        lambda data: services.update_order(order=order, actor=request.user, **data),
        _("Order updated."),
    ):
        return redirect("sales:order_detail", pk=order.pk)
    return _order_refused(request, order, form, "details")


@require_POST
@sales_view
def order_checklist(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    order = get_object_or_404(selectors.orders_visible(access), pk=pk)
    form = ChecklistForm(request.POST)
    if _submit(
        request,
        form,
        lambda data: services.set_checklist(order=order, actor=request.user, done=data["done"]),
        _("Checklist saved."),
    ):
        return redirect("sales:order_detail", pk=order.pk)
    return _order_refused(request, order, form, "checklist")


@require_POST
@sales_view
def order_deliver(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    order = get_object_or_404(selectors.orders_visible(access), pk=pk)
    try:
        with transaction.atomic():
            services.deliver_order(order=order, actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)  # what still blocks the delivery, said once, on the order's page
        return SeeOther(reverse("sales:order_detail", args=[order.pk]))
    messages.success(
        request, _("Delivered. Congratulations! The after-delivery calls are planned.")
    )
    return redirect("sales:order_detail", pk=order.pk)


@require_POST
@sales_view
def order_cancel(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    """A sales manager cancels an open order (the customer withdrew), with a reason; a promotion
    the order took gives its unit of budget back."""
    order = get_object_or_404(selectors.orders_visible(access), pk=pk)
    try:
        with transaction.atomic():
            services.cancel_order(
                order=order, actor=request.user, reason=request.POST.get("reason", "")
            )
    except ValidationError as exc:
        _errors(request, exc)
        return SeeOther(reverse("sales:order_detail", args=[order.pk]))
    messages.success(request, _("Order %(number)s cancelled.") % {"number": order.display_number})
    return redirect("sales:order_detail", pk=order.pk)
