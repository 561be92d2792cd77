"""Routes of the parts-order pages (mounted under /inventory/orders/, names
`inventory:parts-*`): the dealer's orders, and HQ logistics' view of the network's open orders
under network/."""

from __future__ import annotations

from dealers.access import (
    PARTS_ORDER_CLERKS,
    PARTS_ORDER_HQ,
    PARTS_ORDER_HQ_READERS,
    PARTS_ORDER_READERS,
    Rule,
    route,
)

from . import views

DEALER = Rule(read=PARTS_ORDER_READERS, write=PARTS_ORDER_CLERKS)
CLERKS = Rule(read=PARTS_ORDER_CLERKS, write=PARTS_ORDER_CLERKS)
HQ = Rule(read=PARTS_ORDER_HQ_READERS, write=PARTS_ORDER_HQ)

urlpatterns = [
    route("", views.order_list, name="parts-orders", access=Rule(read=PARTS_ORDER_READERS)),
    route("new/", views.order_new, name="parts-order-add", access=CLERKS),
    route(
        "<int:pk>/", views.order_detail, name="parts-order", access=Rule(read=PARTS_ORDER_READERS)
    ),
    route("<int:pk>/edit/", views.order_edit, name="parts-order-edit", access=CLERKS),
    route("<int:pk>/lines/", views.line_add, name="parts-order-line-add", access=DEALER),
    route(
        "<int:pk>/lines/<int:line_pk>/",
        views.line_change,
        name="parts-order-line",
        access=DEALER,
    ),
    route("<int:pk>/send/", views.order_send, name="parts-order-send", access=DEALER),
    route("<int:pk>/cancel/", views.order_cancel, name="parts-order-cancel", access=DEALER),
    route(
        "<int:pk>/shipments/<int:shipment_pk>/receive/",
        views.shipment_receive,
        name="parts-shipment-receive",
        access=DEALER,
    ),
    # HQ logistics
    route(
        "network/",
        views.network_list,
        name="parts-network-orders",
        access=Rule(read=PARTS_ORDER_HQ_READERS),
    ),
    route(
        "network/<int:pk>/",
        views.network_detail,
        name="parts-network-order",
        access=Rule(read=PARTS_ORDER_HQ_READERS),
    ),
    route(
        "network/<int:pk>/confirm/", views.network_confirm, name="parts-network-confirm", access=HQ
    ),
    route("network/<int:pk>/ship/", views.network_ship, name="parts-network-ship", access=HQ),
]
