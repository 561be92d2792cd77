"""Routes of the vehicle-stock pages (mounted under /inventory/vehicles/, names
`inventory:vehicle*` for HQ and `inventory:stock-*` for the dealer)."""

from __future__ import annotations

from dealers.access import (
    VEHICLE_AGEING_READERS,
    VEHICLE_ALLOCATORS,
    VEHICLE_HQ_READERS,
    VEHICLE_REQUESTERS,
    VEHICLE_STOCK_KEEPERS,
    VEHICLE_STOCK_READERS,
    Rule,
    route,
)

from . import views

HQ_READ = Rule(read=VEHICLE_HQ_READERS)
HQ_ACT = Rule(read=VEHICLE_HQ_READERS, write=VEHICLE_ALLOCATORS)
STOCK_READ = Rule(read=VEHICLE_STOCK_READERS)
STOCK_ACT = Rule(read=VEHICLE_STOCK_READERS, write=VEHICLE_STOCK_KEEPERS)
REQUESTS = Rule(read=VEHICLE_STOCK_READERS, write=VEHICLE_REQUESTERS)

urlpatterns = [
    # HQ: vehicles, allocation, requests, the network's ageing
    route("", views.hq_vehicle_list, name="vehicles", access=HQ_READ),
    route("<int:pk>/", views.hq_vehicle_detail, name="vehicle", access=HQ_READ),
    route("<int:pk>/allocate/", views.hq_allocate, name="vehicle-allocate", access=HQ_ACT),
    route(
        "<int:pk>/allocate-by-rule/",
        views.hq_allocate_by_rule,
        name="vehicle-allocate-rule",
        access=HQ_ACT,
    ),
    route("<int:pk>/built/", views.hq_build, name="vehicle-built", access=HQ_ACT),
    route("<int:pk>/ship/", views.hq_ship, name="vehicle-ship", access=HQ_ACT),
    route("<int:pk>/withdraw/", views.hq_withdraw, name="vehicle-withdraw", access=HQ_ACT),
    route("requests/", views.hq_request_list, name="vehicle-requests-hq", access=HQ_READ),
    route(
        "requests/<int:pk>/",
        views.hq_request_answer,
        name="vehicle-request-hq",
        access=HQ_ACT,
    ),
    route("ageing/", views.hq_ageing, name="vehicle-ageing-hq", access=HQ_READ),
    # the dealer: its stock with ETA, its requests, its ageing
    route("stock/", views.stock_list, name="stock-vehicles", access=STOCK_READ),
    route("stock/<int:pk>/", views.stock_detail, name="stock-vehicle", access=STOCK_READ),
    route("stock/<int:pk>/arrive/", views.stock_arrive, name="stock-arrive", access=STOCK_ACT),
    route("stock/<int:pk>/use/", views.stock_use, name="stock-use", access=STOCK_ACT),
    route("stock/<int:pk>/sold/", views.stock_sold, name="stock-sold", access=STOCK_ACT),
    route("stock/requests/", views.stock_requests, name="stock-requests", access=REQUESTS),
    route(
        "stock/requests/<int:pk>/withdraw/",
        views.stock_request_withdraw,
        name="stock-request-withdraw",
        access=REQUESTS,
    ),
    route(
        "stock/ageing/",
        views.stock_ageing,
        name="stock-ageing",
        access=Rule(read=VEHICLE_AGEING_READERS),
    ),
]
