"""Routes of the parts store (mounted under /inventory/parts/, names `inventory:parts*`).
The dealer's parts clerks work it; the workshop and the dealer's managers (and HQ drilled into
the dealer) read it."""

from __future__ import annotations

from dealers.access import (
    PARTS_CLERKS,
    PARTS_READERS,
    PARTS_SALES,
    STOCK_COUNT_APPROVERS,
    STOCK_COUNT_READERS,
    Rule,
    route,
)

from . import views

READ = Rule(read=PARTS_READERS)
CLERK = Rule(read=PARTS_CLERKS, write=PARTS_CLERKS)
# Counter sales name a customer: the dealer's own parts clerks only (never HQ).
SALES = Rule(read=PARTS_SALES, write=PARTS_SALES)
# Counts: clerks count (save, submit), the dealer's managers decide (approve, cancel).
COUNT = Rule(read=STOCK_COUNT_READERS, write=PARTS_CLERKS)
COUNT_DECISION = Rule(read=STOCK_COUNT_APPROVERS, write=STOCK_COUNT_APPROVERS)

urlpatterns = [
    route("", views.StockListView.as_view(), name="parts", access=READ),
    route("lookup/", views.LookupView.as_view(), name="parts-lookup", access=READ),
    route("<int:part_pk>/", views.StockCardView.as_view(), name="parts-card", access=READ),
    route(
        "<int:part_pk>/receive/", views.ReceiveView.as_view(), name="parts-receive", access=CLERK
    ),
    route("<int:part_pk>/issue/", views.IssueView.as_view(), name="parts-issue", access=CLERK),
    route(
        "<int:part_pk>/reserve/", views.ReserveView.as_view(), name="parts-reserve", access=CLERK
    ),
    route("<int:part_pk>/adjust/", views.AdjustView.as_view(), name="parts-adjust", access=CLERK),
    route("<int:part_pk>/levels/", views.LevelsView.as_view(), name="parts-levels", access=CLERK),
    route(
        "<int:part_pk>/network/", views.NetworkView.as_view(), name="parts-network", access=CLERK
    ),
    route(
        "reservations/", views.ReservationsView.as_view(), name="parts-reservations", access=READ
    ),
    route(
        "reservations/<int:pk>/release/",
        views.ReleaseView.as_view(),
        name="parts-reservation-release",
        access=CLERK,
    ),
    route(
        "reservations/<int:pk>/issue/",
        views.IssueReservationView.as_view(),
        name="parts-reservation-issue",
        access=CLERK,
    ),
    route("counter/", views.CounterSaleView.as_view(), name="parts-counter", access=SALES),
    route(
        "counter/<int:pk>/",
        views.CounterSaleDetailView.as_view(),
        name="parts-counter-sale",
        access=SALES,
    ),
    route(
        "counter/<int:pk>/invoice.pdf",
        views.counter_invoice,
        name="parts-counter-invoice",
        access=Rule(read=PARTS_SALES),
    ),
    route("counts/", views.CountListView.as_view(), name="parts-counts", access=COUNT),
    route("counts/<int:pk>/", views.CountView.as_view(), name="parts-count", access=COUNT),
    route(
        "counts/<int:pk>/decide/",
        views.CountDecideView.as_view(),
        name="parts-count-decide",
        access=COUNT_DECISION,
    ),
    route("transfers/", views.TransferListView.as_view(), name="parts-transfers", access=READ),
    route(
        "transfers/<int:pk>/accept/", views.accept_view, name="parts-transfer-accept", access=CLERK
    ),
    route(
        "transfers/<int:pk>/refuse/", views.refuse_view, name="parts-transfer-refuse", access=CLERK
    ),
    route(
        "transfers/<int:pk>/dispatch/",
        views.dispatch_view,
        name="parts-transfer-dispatch",
        access=CLERK,
    ),
    route(
        "transfers/<int:pk>/receive/",
        views.receive_view,
        name="parts-transfer-receive",
        access=CLERK,
    ),
    route(
        "transfers/<int:pk>/cancel/", views.cancel_view, name="parts-transfer-cancel", access=CLERK
    ),
]
