"""The parts store's pages (issue 15): stock list, part lookup (supersession), stock card with
its ledger, receive / issue / reserve / adjust / levels, reservations, network availability and
inter-dealer transfers.

Thin: who may open each page is declared on its route (inventory/stock/urls.py); reads come from
inventory.stock.selectors, writes go through inventory.stock.services and .transfers, whose
StockRefused lands on the form and changes nothing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from dealers.access import PARTS_CLERKS, STOCK_COUNT_APPROVERS, STOCK_COUNT_READERS
from dealers.clock import dealer_today
from dealers.models import Dealer
from dealers.selectors import request_access

from ..models import Part
from . import counter, counter_pdf, counts, filters, forms, selectors, services, tables, transfers
from .models import PartReservation, PartTransfer, StockCount

PAGE_SIZE = 50


def _dealer(request: HttpRequest) -> Dealer:
    dealer = request_access(request).dealer
    if dealer is None:  # the route's audience needs a dealer; never reached
        raise Http404
    return dealer


def _is_clerk(request: HttpRequest) -> bool:
    return PARTS_CLERKS.admits(request_access(request), authenticated=True)


class StoreMixin:
    """What every parts-store page shares: the tab that is lit, whether the reader acts."""

    section = ""
    request: HttpRequest

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        access = request_access(self.request)
        context.update(
            section=self.section,
            is_clerk=_is_clerk(self.request),
            can_count=STOCK_COUNT_READERS.admits(access, authenticated=True),
        )
        return context


class StockListView(StoreMixin, SingleTableMixin, FilterView):
    section = "stock"
    table_class = tables.PartStockTable
    filterset_class = filters.PartStockFilterSet
    template_name = "inventory/stock/stock_list.html"
    table_pagination = {"per_page": PAGE_SIZE}

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.stock_list(dealer_id=_dealer(self.request).pk)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            value=selectors.stock_value(dealer_id=_dealer(self.request).pk), **kwargs
        )


class LookupView(StoreMixin, TemplateView):
    """Type a number (an old one too): the part in force, its stock and the older numbers'."""

    section = "lookup"
    template_name = "inventory/stock/lookup.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = forms.LookupForm(self.request.GET or None)
        result = None
        if form.is_valid():
            dealer = _dealer(self.request)
            result = selectors.part_lookup(
                dealer_id=dealer.pk, number=form.cleaned_data["number"], on=dealer_today(dealer)
            )
            if result is None:
                form.add_error("number", _("No part has this number."))
        return super().get_context_data(form=form, result=result, **kwargs)


def _part(pk: int) -> Part:
    return get_object_or_404(Part, pk=pk)


class StockCardView(StoreMixin, TemplateView):
    section = "stock"
    template_name = "inventory/stock/card.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        part = _part(kwargs["part_pk"])
        dealer = _dealer(self.request)
        return super().get_context_data(
            part=part,
            card=selectors.stock_card(dealer_id=dealer.pk, part=part, on=dealer_today(dealer)),
            **kwargs,
        )


class StockFormView(StoreMixin, FormView):  # type: ignore[type-arg]
    """A form about one part of the store whose valid data goes to a service."""

    section = "stock"
    template_name = "inventory/stock/form.html"
    title: Any = ""
    success_message: Any = gettext_lazy("Saved.")

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.part = _part(kwargs["part_pk"])

    def act(self, data: dict[str, Any], dealer: Dealer) -> Any:
        raise NotImplementedError

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            self.act(form.cleaned_data, _dealer(self.request))
        except ValidationError as error:
            form.apply_errors(error)
            return self.form_invalid(form)
        messages.success(self.request, str(self.success_message))
        return redirect(self.get_success_url())

    def get_success_url(self) -> str:
        return reverse("inventory:parts-card", args=[self.part.pk])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        dealer = _dealer(self.request)
        return super().get_context_data(
            title=self.title,
            part=self.part,
            card=selectors.stock_card(
                dealer_id=dealer.pk, part=self.part, on=dealer_today(dealer), movements=0
            ),
            cancel_url=self.get_success_url(),
            **kwargs,
        )


class ReceiveView(StockFormView):
    form_class = forms.ReceiveForm
    title = gettext_lazy("Receive parts")
    success_message = gettext_lazy("Received into stock.")

    def act(self, data: dict[str, Any], dealer: Dealer) -> Any:
        return services.receive(
            dealer_id=dealer.pk,
            part=self.part,
            quantity=data["quantity"],
            unit_cost=data["unit_cost"],
            reference=data["reference"],
            actor=self.request.user,
        )


class IssueView(StockFormView):
    form_class = forms.QuantityForm
    title = gettext_lazy("Issue parts")
    success_message = gettext_lazy("Issued from stock.")

    def act(self, data: dict[str, Any], dealer: Dealer) -> Any:
        return services.issue(
            dealer_id=dealer.pk,
            part=self.part,
            quantity=data["quantity"],
            reference=data["reference"],
            actor=self.request.user,
        )


class ReserveView(StockFormView):
    form_class = forms.QuantityForm
    title = gettext_lazy("Reserve parts")
    success_message = gettext_lazy("Reserved.")

    def act(self, data: dict[str, Any], dealer: Dealer) -> Any:
        return services.reserve(
            dealer_id=dealer.pk,
            part=self.part,
            quantity=data["quantity"],
            reference=data["reference"],
            actor=self.request.user,
        )


class AdjustView(StockFormView):
    form_class = forms.AdjustForm
    title = gettext_lazy("Adjust to a count")
    success_message = gettext_lazy("Stock adjusted.")

    def act(self, data: dict[str, Any], dealer: Dealer) -> Any:
        return services.adjust(
            dealer_id=dealer.pk,
            part=self.part,
            counted=data["counted"],
            reason=data["reason"],
            actor=self.request.user,
        )


class LevelsView(StockFormView):
    form_class = forms.LevelsForm
    title = gettext_lazy("Bin and reorder levels")

    def get_initial(self) -> dict[str, Any]:
        stock = selectors.stock_row(dealer_id=_dealer(self.request).pk, part=self.part)
        if stock is None:
            return {}
        return {
            "bin": stock.bin,
            "minimum": stock.minimum,
            "reorder_point": stock.reorder_point,
            "maximum": stock.maximum,
        }

    def act(self, data: dict[str, Any], dealer: Dealer) -> Any:
        return services.set_levels(
            dealer_id=dealer.pk, part=self.part, actor=self.request.user, **data
        )


# --- reservations ----------------------------------------------------------------------------------


class ReservationsView(StoreMixin, TemplateView):
    section = "reservations"
    template_name = "inventory/stock/reservations.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            reservations=selectors.open_reservations(dealer_id=_dealer(self.request).pk)[:500],
            **kwargs,
        )


class ConfirmStepView(StoreMixin, FormView):  # type: ignore[type-arg]
    """A one-button step on one row (release a reservation, accept a transfer…): GET shows
    what is about to happen, POST does it."""

    template_name = "inventory/stock/confirm.html"
    form_class: Any = forms.ConfirmForm
    title: Any = ""
    button: Any = gettext_lazy("Confirm")
    success_message: Any = gettext_lazy("Done.")
    back_url_name = ""

    def get_object(self) -> Any:
        raise NotImplementedError

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.object = self.get_object()

    def act(self, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            self.act(form.cleaned_data)
        except ValidationError as error:
            form.apply_errors(error)
            return self.form_invalid(form)
        messages.success(self.request, str(self.success_message))
        return redirect(reverse(self.back_url_name))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            title=self.title,
            obj=self.object,
            button=self.button,
            cancel_url=reverse(self.back_url_name),
            **kwargs,
        )


class ReservationStepView(ConfirmStepView):
    section = "reservations"
    back_url_name = "inventory:parts-reservations"

    def get_object(self) -> PartReservation:
        reservation = selectors.open_reservation(self.kwargs["pk"])
        if reservation is None:
            raise Http404
        return reservation


class ReleaseView(ReservationStepView):
    title = gettext_lazy("Release a reservation")
    button = gettext_lazy("Release")
    success_message = gettext_lazy("The parts are available again.")

    def act(self, data: dict[str, Any]) -> Any:
        return services.release(reservation=self.object, actor=self.request.user)


class IssueReservationView(ReservationStepView):
    title = gettext_lazy("Issue reserved parts")
    button = gettext_lazy("Issue")
    success_message = gettext_lazy("Issued from stock.")

    def act(self, data: dict[str, Any]) -> Any:
        return services.issue_reservation(reservation=self.object, actor=self.request.user)


# --- network availability and transfers -----------------------------------------------------------


class NetworkView(StoreMixin, FormView):  # type: ignore[type-arg]
    """Who else in the network has this part (bands only) and the importer's warehouse; a
    request to one of them starts a transfer. Every look is audited."""

    section = "lookup"
    template_name = "inventory/stock/network.html"
    form_class = forms.TransferRequestForm

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.part = _part(kwargs["part_pk"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        dealer = _dealer(self.request)
        return super().get_context_data(
            part=self.part,
            network=selectors.network_availability(
                part=self.part, asking_dealer=dealer, actor=self.request.user, request=self.request
            ),
            **kwargs,
        )

    def form_valid(self, form: Any) -> HttpResponse:
        dealer = _dealer(self.request)
        supplier = selectors.transfer_partner(self.request.POST.get("supplier", ""))
        if supplier is None:
            form.add_error(None, _("Choose a dealer of the list."))
            return self.form_invalid(form)
        try:
            transfer = transfers.request_transfer(
                requester=dealer,
                supplier=supplier,
                part=self.part,
                quantity=form.cleaned_data["quantity"],
                note=form.cleaned_data["note"],
                actor=self.request.user,
                request=self.request,
            )
        except ValidationError as error:
            form.apply_errors(error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Transfer T%(number)s requested from %(dealer)s.")
            % {"number": transfer.number, "dealer": supplier.name},
        )
        return redirect("inventory:parts-transfers")


class TransferListView(StoreMixin, TemplateView):
    section = "transfers"
    template_name = "inventory/stock/transfers.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        rows = selectors.transfers_of(dealer_id=_dealer(self.request).pk)
        return super().get_context_data(
            incoming=[r for r in rows if r.side == PartTransfer.Side.IN],
            outgoing=[r for r in rows if r.side == PartTransfer.Side.OUT],
            **kwargs,
        )


class TransferStepView(ConfirmStepView):
    section = "transfers"
    back_url_name = "inventory:parts-transfers"
    step: Any = None

    def get_object(self) -> PartTransfer:
        transfer = selectors.transfer(self.kwargs["pk"])
        if transfer is None:
            raise Http404
        return transfer

    def act(self, data: dict[str, Any]) -> Any:
        extra = {"reason": data["reason"]} if "reason" in data else {}
        return type(self).step(
            transfer=self.object, actor=self.request.user, request=self.request, **extra
        )


def transfer_step(step: Any, title: Any, button: Any, done: Any, form: Any = None) -> Any:
    attrs = {"step": step, "title": title, "button": button, "success_message": done}
    if form is not None:
        attrs["form_class"] = form
    view: Any = type(f"{step.__name__.title()}TransferView", (TransferStepView,), attrs)
    return view.as_view()


accept_view = transfer_step(
    transfers.accept,
    gettext_lazy("Accept the transfer request"),
    gettext_lazy("Accept and reserve"),
    gettext_lazy("Accepted: the parts are reserved for the other dealer."),
)
refuse_view = transfer_step(
    transfers.refuse,
    gettext_lazy("Refuse the transfer request"),
    gettext_lazy("Refuse"),
    gettext_lazy("Refused."),
    form=forms.ReasonForm,
)
dispatch_view = transfer_step(
    transfers.dispatch,
    gettext_lazy("Dispatch the parts"),
    gettext_lazy("Dispatch"),
    gettext_lazy("Dispatched: the parts left the store."),
)
receive_view = transfer_step(
    transfers.receive,
    gettext_lazy("Receive the transferred parts"),
    gettext_lazy("Receive"),
    gettext_lazy("Received into stock."),
)
cancel_view = transfer_step(
    transfers.cancel,
    gettext_lazy("Cancel the transfer request"),
    gettext_lazy("Cancel the request"),
    gettext_lazy("Request cancelled."),
)


# --- stock counts ----------------------------------------------------------------------------------


class CountListView(StoreMixin, FormView):  # type: ignore[type-arg]
    """The dealer's counts, and a form to start counting a bin range."""

    section = "counts"
    template_name = "inventory/stock/counts.html"
    form_class = forms.CountRangeForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            counts=selectors.stock_counts(dealer_id=_dealer(self.request).pk), **kwargs
        )

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            count = counts.start_count(
                dealer_id=_dealer(self.request).pk, actor=self.request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.apply_errors(error)
            return self.form_invalid(form)
        return redirect("inventory:parts-count", pk=count.pk)


class CountView(StoreMixin, TemplateView):
    """Counting (blind: what the books say is not shown) and, once submitted, the manager's
    approval with the differences."""

    section = "counts"
    template_name = "inventory/stock/count.html"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        count = selectors.stock_count(kwargs["pk"])
        if count is None:
            raise Http404
        self.count = count
        self.lines = list(count.lines.select_related("part").order_by("bin", "part__number"))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        access = request_access(self.request)
        kwargs.setdefault(
            "form",
            forms.CountEntryForm(lines=self.lines),  # type: ignore[arg-type]
        )
        approver = STOCK_COUNT_APPROVERS.admits(access, authenticated=True)
        return super().get_context_data(
            count=self.count,
            rows=[(line, kwargs["form"][f"line_{line.pk}"]) for line in self.lines],
            can_approve=approver,
            show_books=approver and self.count.status != StockCount.Status.COUNTING,
            **kwargs,
        )

    # Who may take which step is declared on the routes: clerks save and submit here, managers
    # approve or cancel on the "decide" route (CountDecideView).
    steps: tuple[str, ...] = ("save", "submit")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        step = request.POST.get("step", self.steps[0])
        if step not in self.steps:
            raise PermissionDenied
        form = forms.CountEntryForm(request.POST, lines=self.lines)  # type: ignore[arg-type]
        try:
            message = self.take(step, form)
        except ValidationError as error:
            form.add_error(None, error)
            return self.render_to_response(self.get_context_data(form=form))
        if message is None:
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, message)
        return redirect("inventory:parts-count", pk=self.count.pk)

    def take(self, step: str, form: Any) -> str | None:
        if not form.is_valid():
            return None
        counts.enter_counts(count=self.count, counted=form.counted(), actor=self.request.user)
        if step == "submit":
            counts.submit(count=self.count, actor=self.request.user)
            return _("Submitted for approval.")
        return _("Saved.")


class CountDecideView(CountView):
    """The dealer manager's decision on a submitted count."""

    steps = ("approve", "cancel")

    def take(self, step: str, form: Any) -> str | None:
        if step == "approve":
            posted = counts.approve(count=self.count, actor=self.request.user, request=self.request)
            return _("Approved: %(n)s differences posted.") % {"n": len(posted)}
        counts.cancel(count=self.count, actor=self.request.user)
        return _("Count cancelled.")


# --- counter sales ---------------------------------------------------------------------------------


class CounterSaleView(StoreMixin, FormView):  # type: ignore[type-arg]
    """Sell parts over the counter; the latest sales below the form."""

    section = "counter"
    template_name = "inventory/stock/counter.html"
    form_class = forms.CounterSaleForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            sales=selectors.counter_sales(dealer_id=_dealer(self.request).pk), **kwargs
        )

    def form_valid(self, form: Any) -> HttpResponse:
        dealer = _dealer(self.request)
        customer = None
        phone = form.cleaned_data["customer_phone"].strip()
        if phone:
            customer = selectors.customer_by_phone(dealer=dealer, phone=phone)
            if customer is None:
                form.add_error("customer_phone", _("No customer of this dealer has this phone."))
                return self.form_invalid(form)
        try:
            sale = counter.sell(
                dealer=dealer,
                lines=[counter.SaleLine(n, q, d) for n, q, d in form.lines()],
                actor=self.request.user,
                customer=customer,
                walk_in_name=form.cleaned_data["walk_in_name"],
            )
        except ValidationError as error:
            form.apply_errors(error)
            return self.form_invalid(form)
        messages.success(
            self.request, _("Counter sale %(number)s recorded.") % {"number": sale.number}
        )
        return redirect("inventory:parts-counter-sale", pk=sale.pk)


class CounterSaleDetailView(StoreMixin, TemplateView):
    section = "counter"
    template_name = "inventory/stock/counter_sale.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        sale = selectors.counter_sale(kwargs["pk"])
        if sale is None:
            raise Http404
        return super().get_context_data(sale=sale, **kwargs)


def counter_invoice(request: HttpRequest, pk: int) -> HttpResponse:
    """The counter sale's invoice as a PDF (audited as an export)."""
    sale = selectors.counter_sale(pk)
    if sale is None:
        raise Http404
    return counter_pdf.invoice_response(sale, actor=request.user, request=request)
